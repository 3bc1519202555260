"""PostureGuard's own landmark types, independent of MediaPipe.

Coordinates follow MediaPipe's BlazePose topology (33 points) but are plain frozen dataclasses, so the
engine, the store and the tests never import MediaPipe.

* ``Pose.image``: normalised image coordinates. ``x`` is a fraction of the image width (0 = left edge,
  1 = right edge), ``y`` a fraction of the image height (0 = top, 1 = bottom; y grows downwards),
  ``z`` is MediaPipe's relative depth (same scale as ``x``, smaller = closer to the camera; less
  reliable than x and y). ``visibility`` is 0..1.
* ``Pose.world``: metres, origin between the hips, as MediaPipe's world landmarks (may be absent).
* ``Pose.width`` / ``Pose.height``: the analysed image in pixels, needed to turn normalised x and y
  into lengths in one unit (pixels) before taking ratios.
* ``Pose.others``: the other people in the same frame (same frames of reference), when the model was
  asked for several.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class PoseIndex(IntEnum):
    """BlazePose landmark indices (0-based), as used by MediaPipe Pose."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


POSE_LANDMARK_COUNT = 33


@dataclass(frozen=True, slots=True)
class Point:
    """One landmark: see the module docstring for units of each frame."""

    x: float
    y: float
    z: float = 0.0
    visibility: float = 1.0


@dataclass(frozen=True, slots=True)
class Pose:
    """The 33 pose landmarks of one person in one frame."""

    image: tuple[Point, ...]
    width: int
    height: int
    world: tuple[Point, ...] | None = None
    #: The other people the model found in the same frame (each a :class:`Pose` without ``others``),
    #: largest shoulder width first; :mod:`postureguard.engine.person` picks the calibrated user.
    others: tuple[Pose, ...] = ()

    def __post_init__(self) -> None:
        if len(self.image) != POSE_LANDMARK_COUNT:
            raise ValueError(f"a pose has {POSE_LANDMARK_COUNT} landmarks, got {len(self.image)}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("image size must be positive")

    def __getitem__(self, index: PoseIndex | int) -> Point:
        return self.image[index]

    def px(self, index: PoseIndex | int) -> tuple[float, float]:
        """Landmark ``index`` in pixels of the analysed image (x right, y down)."""
        p = self.image[index]
        return p.x * self.width, p.y * self.height
