"""The geometry's "shoulders pulled up under the head" cue on real landmark recordings.

The landmarks are the real MediaPipe recordings of one person at a frontal webcam in
../shared/data/posture/webcam-landmarks-5class (MIT, NelsonAK47/GA-projects; skipped with the reason when
absent); their shoulders sit at the picture's bottom edge, as on the real clip the cue comes from. The
pose model's guessed shoulders are pulled up and together here by moving the two recorded shoulder
landmarks as the model moved them on that clip (dv-pphumanseg-desk at 0.6 s: 0.21 calibrated shoulder
widths up, to 0.86 of the calibrated width), every other landmark as recorded.
"""

from __future__ import annotations

import pytest

import test_geometry_cues
from postureguard.engine.core import judge
from postureguard.engine.geometry import EAR_DROP_TOLERANCE, forward_angle_deg, measure, pulled_up_height
from postureguard.engine.landmarks import Point, Pose, PoseIndex

pytestmark = pytest.mark.shared_data
THRESHOLD = 5.0
# The fixtures: one upright session, its calibration, and the slouching session.
straight, cal, slouch = test_geometry_cues.straight, test_geometry_cues.cal, test_geometry_cues.slouch


def _moved(pose: Pose, cal, up_sw: float, width: float, ears_below_sw: float | None = None) -> Pose:
    """``pose`` with its shoulder midpoint ``up_sw`` calibrated shoulder widths above the calibrated one
    (at its own x) and its shoulders ``width`` times the calibrated width apart along their own line;
    with ``ears_below_sw``, its head (landmarks 0-10) moved so that the ears' midpoint sits that many
    calibrated shoulder widths below its calibrated place."""
    pts = list(pose.image)
    ls, rs = pts[PoseIndex.LEFT_SHOULDER], pts[PoseIndex.RIGHT_SHOULDER]
    aspect = pose.height / pose.width
    mx, my = (ls.x + rs.x) / 2, cal.shoulder_mid_y - up_sw * cal.shoulder_width_frac / aspect
    own = measure(pose).shoulder_width_frac
    k = width * cal.shoulder_width_frac / own  # the shoulder line scaled about its midpoint
    for i, p in ((PoseIndex.LEFT_SHOULDER, ls), (PoseIndex.RIGHT_SHOULDER, rs)):
        half_x, half_y = p.x - (ls.x + rs.x) / 2, p.y - (ls.y + rs.y) / 2
        pts[i] = Point(mx + k * half_x, my + k * half_y, p.z, p.visibility)
    if ears_below_sw is not None:
        ear_y = (pts[PoseIndex.LEFT_EAR].y + pts[PoseIndex.RIGHT_EAR].y) / 2
        ref_ear_y = cal.shoulder_mid_y - cal.head_height * cal.shoulder_width_frac / aspect
        down = ref_ear_y + ears_below_sw * cal.shoulder_width_frac / aspect - ear_y
        for i in range(PoseIndex.NOSE, PoseIndex.MOUTH_RIGHT + 1):
            p = pts[i]
            pts[i] = Point(p.x, p.y + down, p.z, p.visibility)
    return Pose(tuple(pts), pose.width, pose.height)


def _poor(poses, cal):
    return sum(judge(measure(p), cal, THRESHOLD).poor for p in poses)


def test_shoulders_pulled_up_under_a_still_head_are_not_forward(straight, cal):
    upright = straight[40:]
    # The head as recorded, or at its calibrated place (the clip's ears were 0.01 higher).
    pulled = [_moved(p, cal, up_sw=0.21, width=0.86) for p in upright]
    pulled += [_moved(p, cal, up_sw=0.21, width=0.86, ears_below_sw=-0.01) for p in upright]
    assert all(pulled_up_height(measure(p), cal.shoulder_mid_y, cal.shoulder_width_frac, cal.head_height)
               is not None for p in pulled)  # fmt: skip
    assert _poor(pulled, cal) == 0
    # Without the cue, the shoulders' own line reads them as forward (as the clip did: 15.8 degrees).
    plain = [forward_angle_deg(measure(p).head_height / cal.head_height) for p in pulled[len(upright) :]]
    assert min(plain) > THRESHOLD


def test_a_real_slouch_is_never_lowered(slouch, cal):
    """No real slouch frame of the session meets the cue's conditions, so each stays as poor as it was."""
    feats = [measure(p) for p in slouch]
    assert all(pulled_up_height(f, cal.shoulder_mid_y, cal.shoulder_width_frac, cal.head_height) is None
               for f in feats)  # fmt: skip
    assert _poor(slouch, cal) == len(slouch)


def test_a_head_that_came_down_is_still_forward(straight, cal):
    """Shoulders pulled up and together, but the head lower than at calibration by more than the
    tolerance: the cue does not apply and the forward reading stands."""
    down = [_moved(p, cal, up_sw=0.21, width=0.86, ears_below_sw=2 * EAR_DROP_TOLERANCE)
            for p in straight[40:]]  # fmt: skip
    assert all(pulled_up_height(measure(p), cal.shoulder_mid_y, cal.shoulder_width_frac, cal.head_height)
               is None for p in down)  # fmt: skip
    assert _poor(down, cal) == len(down)


def test_raised_and_widened_shoulders_are_not_the_cue(straight, cal):
    """A lean towards a camera below the face lifts the shoulders in the picture and widens them (about
    1.25 at 9 cm closer): the cue leaves it alone, just above its width bound too."""
    lean = [_moved(p, cal, up_sw=0.21, width=w, ears_below_sw=0.0)
            for p in straight[40:] for w in (1.05, 1.25)]  # fmt: skip
    assert all(pulled_up_height(measure(p), cal.shoulder_mid_y, cal.shoulder_width_frac, cal.head_height)
               is None for p in lean)  # fmt: skip


def test_shoulders_pulled_up_as_wide_as_calibrated_under_a_still_head_are_not_forward(straight, cal):
    """As the model guessed them under the man's turned head at the end of dv-pphumanseg-desk (0.17
    calibrated widths up, 1.00 of the width, ears 0.07 higher; 10.6 degrees forward with mediapipe
    0.10.33 before the width bound went from 0.95 to 1.03): the head has not moved, so it is not forward.
    A shrug with the head still looks the same and is read the same way."""
    raised = [_moved(p, cal, up_sw=0.17, width=1.0, ears_below_sw=-0.07) for p in straight[40:]]
    assert all(pulled_up_height(measure(p), cal.shoulder_mid_y, cal.shoulder_width_frac, cal.head_height)
               is not None for p in raised)  # fmt: skip
    assert _poor(raised, cal) == 0
    plain = [forward_angle_deg(measure(p).head_height / cal.head_height) for p in raised]
    assert min(plain) > THRESHOLD
