"""The hand and face landmarker adapters: MediaPipe Tasks in, plain tuples of points out.

Like :mod:`postureguard.vision.pose` (whose quiet MediaPipe import and stderr silencing they reuse),
these are the only places the guide touches MediaPipe. Frames are BGR ``uint8`` arrays, times are
seconds (growing, in VIDEO mode). Coordinates are normalised image coordinates of the frame as given
(not mirrored): ``x`` a fraction of the width (0 = left edge), ``y`` of the height (0 = top, grows
downwards).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from postureguard.errors import ModelError
from postureguard.files.resources import verified_guide_model_path
from postureguard.i18n import _
from postureguard.vision.pose import _mediapipe, _native_stderr_silenced, run_landmarker

log = logging.getLogger(__name__)

XY = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Hand:
    """One hand's 21 landmarks (MediaPipe's HandLandmark order) in one frame.

    ``side`` is the person's own hand, ``"left"`` or ``"right"`` (frames are unmirrored camera
    frames). ``score`` is MediaPipe's handedness confidence (0..1).
    """

    points: tuple[XY, ...]
    side: str
    score: float
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Face:
    """One face's 478 mesh landmarks (MediaPipe's canonical face mesh order) in one frame."""

    points: tuple[XY, ...]
    width: int
    height: int


class _Landmarker:
    """Shared start-up and timing for MediaPipe's VIDEO/IMAGE running modes."""

    kind = ""

    def __init__(self, mode: str):
        if mode not in ("video", "image"):
            raise ValueError(f"mode must be 'video' or 'image', not {mode!r}")
        self.mode = mode
        self.model_path = verified_guide_model_path(self.kind)
        self._mp = _mediapipe()
        self._last_ms = -1
        self._warm = False
        modes = self._mp.tasks.vision.RunningMode
        options = self._options(
            # Load from the bytes we read (not the path) so the file checked is the file used.
            self._mp.tasks.BaseOptions(model_asset_buffer=self.model_path.read_bytes()),
            modes.VIDEO if mode == "video" else modes.IMAGE,
        )
        try:
            with _native_stderr_silenced():
                self._landmarker = self._create(options)
        except (RuntimeError, ValueError) as exc:
            text = _("cannot load the {kind} model {path}: {error}")
            raise ModelError(text.format(kind=self.kind, path=self.model_path, error=exc)) from None

    def _options(self, base: Any, running: Any) -> Any:
        raise NotImplementedError

    def _create(self, options: Any) -> Any:
        raise NotImplementedError

    def _run(self, image_bgr: Any, t: float) -> Any:
        return run_landmarker(self, image_bgr, t)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class MediaPipeHands(_Landmarker):
    """MediaPipe HandLandmarker, up to two hands (the one pointed at and the one pressing)."""

    kind = "hand"

    def _options(self, base: Any, running: Any) -> Any:
        return self._mp.tasks.vision.HandLandmarkerOptions(
            base_options=base,
            running_mode=running,
            num_hands=2,
            min_hand_detection_confidence=0.5,
            min_hand_presence_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    def _create(self, options: Any) -> Any:
        return self._mp.tasks.vision.HandLandmarker.create_from_options(options)

    def detect(self, image_bgr: Any, t: float) -> tuple[Hand, ...]:
        """The hands in ``image_bgr`` at time ``t`` (s); an empty tuple when none is seen."""
        height, width = image_bgr.shape[:2]
        result = self._run(image_bgr, t)
        hands = []
        for landmarks, handedness in zip(result.hand_landmarks, result.handedness, strict=False):
            label = handedness[0].category_name.lower() if handedness else ""
            # The Tasks API labels the person's own hand on an unmirrored frame (checked on real
            # photos in tests/test_guide_real.py), unlike the legacy solution's selfie convention.
            side = label if label in ("left", "right") else ""
            score = float(handedness[0].score) if handedness else 0.0
            points = tuple((float(p.x), float(p.y)) for p in landmarks)
            hands.append(Hand(points=points, side=side, score=score, width=int(width), height=int(height)))
        return tuple(hands)


class MediaPipeFace(_Landmarker):
    """MediaPipe FaceLandmarker, one face, no blendshapes or transformation matrices (not needed)."""

    kind = "face"

    def _options(self, base: Any, running: Any) -> Any:
        return self._mp.tasks.vision.FaceLandmarkerOptions(
            base_options=base,
            running_mode=running,
            num_faces=1,
            min_face_detection_confidence=0.5,
            min_face_presence_confidence=0.5,
            min_tracking_confidence=0.5,
            output_face_blendshapes=False,
            output_facial_transformation_matrixes=False,
        )

    def _create(self, options: Any) -> Any:
        return self._mp.tasks.vision.FaceLandmarker.create_from_options(options)

    def detect(self, image_bgr: Any, t: float) -> Face | None:
        """The face in ``image_bgr`` at time ``t`` (s), or ``None``."""
        height, width = image_bgr.shape[:2]
        result = self._run(image_bgr, t)
        if not result.face_landmarks:
            return None
        points = tuple((float(p.x), float(p.y)) for p in result.face_landmarks[0])
        return Face(points=points, width=int(width), height=int(height))
