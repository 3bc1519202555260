"""One frame of guidance: run the landmarkers the current point needs and say where it is and whether
it is being pressed. Used by the routine player's worker thread (:mod:`postureguard.ui.guide_view`)
and by ``bench/guide.py``; it does no GUI work and keeps no frame.

Which models run per frame (each costs CPU): the hand model always (the pressing hand, and the hand
a hand point is on), the pose model for body and forearm points, the face model for face points.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from postureguard.knowledge.loader import Point
from postureguard.vision.guide.landmarkers import MediaPipeFace, MediaPipeHands
from postureguard.vision.guide.locator import Location, Observation, locate, pressing
from postureguard.vision.pose import MediaPipePose

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """The guide's view of one frame: where the point is (or a hint) and whether it is pressed.

    ``t`` is the time (s, monotonic) the frame was analysed; ``location`` is None when the current
    step has no guided point.
    """

    t: float
    location: Location | None
    pressed: bool
    seen: Observation


class GuideSession:
    """The three landmarkers in VIDEO mode, created once; :meth:`analyse` runs those a point needs.

    Not thread-safe: one thread (the player's worker) calls :meth:`analyse`. Times are seconds and
    must grow (a recording that loops is given wall-clock times).
    """

    def __init__(self) -> None:
        self._hands = MediaPipeHands(mode="video")
        self._pose = MediaPipePose(mode="video")
        self._face = MediaPipeFace(mode="video")
        self._lock = threading.Lock()

    def analyse(self, image_bgr: Any, t: float, point: Point | None, side: str) -> Reading:
        """Landmarks of ``image_bgr`` (BGR, unmirrored) for ``point`` on ``side``, at time ``t`` (s)."""
        height, width = image_bgr.shape[:2]
        with self._lock:
            hands = self._hands.detect(image_bgr, t)
            if point is None or point.guide is None:
                return Reading(t, None, False, Observation(width, height, hands=hands))
            model = point.guide.anchor.model
            pose = self._pose.detect(image_bgr, t) if model in ("pose", "arm") else None
            face = self._face.detect(image_bgr, t) if model == "face" else None
        seen = Observation(width, height, pose=pose, hands=hands, face=face)
        location = locate(point, side, seen)
        return Reading(t, location, pressing(location, seen), seen)

    def close(self) -> None:
        with self._lock:
            for model in (self._hands, self._pose, self._face):
                model.close()
