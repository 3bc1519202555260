"""Synthetic frontal poses with known geometry, for engine tests (no model involved).

A canonical seated person faces a 640x480 camera. Lengths below are in pixels of that image.
"""

from __future__ import annotations

import math

from postureguard.engine.landmarks import POSE_LANDMARK_COUNT, Point, Pose
from postureguard.engine.landmarks import PoseIndex as I

W, H = 640, 480


def frontal_pose(
    *,
    forward_deg: float = 0.0,
    extension_deg: float = 0.0,
    nod_px: float = 0.0,
    scale: float = 1.0,
    shoulder_width: float = 200.0,
    cva0_deg: float = 50.0,
    tilt_deg: float = 0.0,
    visible_ears: tuple[bool, bool] = (True, True),
    centre: tuple[float, float] = (320.0, 330.0),
) -> Pose:
    """A frontal pose whose neck segment is inclined at ``cva0 - forward + extension`` degrees.

    The ears sit at ``L * sin(cva)`` above the shoulder midpoint with ``L`` chosen so that upright
    height is 0.6 shoulder widths. ``nod_px`` moves the nose down (a glance) without moving the ears.
    ``extension_deg`` tilts the segment backwards and lifts the face (nose rises toward the ears).
    ``scale`` moves the whole person towards the camera (>1) about the image centre.
    """
    neck_len = 0.6 * shoulder_width / math.sin(math.radians(cva0_deg))
    # Extension tilts the head back about the upper neck: the ears drop a little (like a forward
    # lean of half the angle would make them) and the face lifts, bringing the nose up toward the ears.
    drop = forward_deg + 0.5 * extension_deg
    height = neck_len * math.sin(math.radians(cva0_deg - drop))
    face_lift = 0.3 * shoulder_width * math.sin(math.radians(extension_deg))
    cx, cy = centre
    tilt = math.radians(tilt_deg)
    half = shoulder_width / 2
    pts = {i: (cx, cy + 150) for i in range(POSE_LANDMARK_COUNT)}
    # Image-left shoulder is the person's right shoulder.
    pts[I.RIGHT_SHOULDER] = (cx - half * math.cos(tilt), cy + half * math.sin(tilt))
    pts[I.LEFT_SHOULDER] = (cx + half * math.cos(tilt), cy - half * math.sin(tilt))
    ear_y = cy - height
    pts[I.RIGHT_EAR] = (cx - 0.35 * half, ear_y)
    pts[I.LEFT_EAR] = (cx + 0.35 * half, ear_y)
    nose_y = ear_y + 0.075 * shoulder_width + nod_px - face_lift
    pts[I.NOSE] = (cx, nose_y)
    for i, dx in ((I.RIGHT_EYE, -0.12), (I.LEFT_EYE, 0.12)):
        pts[i] = (cx + dx * shoulder_width, nose_y - 0.08 * shoulder_width)
    for i, dx in ((I.MOUTH_RIGHT, -0.06), (I.MOUTH_LEFT, 0.06)):
        pts[i] = (cx + dx * shoulder_width, nose_y + 0.08 * shoulder_width)

    def to_point(i: int) -> Point:
        x, y = pts[i]
        x, y = W / 2 + (x - W / 2) * scale, H / 2 + (y - H / 2) * scale
        vis = 1.0
        if i == I.RIGHT_EAR and not visible_ears[0] or i == I.LEFT_EAR and not visible_ears[1]:
            vis = 0.1
        if i >= I.LEFT_ELBOW:
            vis = 0.2  # below the desk edge in a webcam view
        return Point(x / W, y / H, 0.0, vis)

    return Pose(tuple(to_point(i) for i in range(POSE_LANDMARK_COUNT)), W, H)
