"""Real-pixel pictures and recordings of one hand pressing a point on the other, for the camera guide.

The pointing hand of Google's ``pointing_up.jpg`` (its skin pixels, turned a half turn so it points
down) is pasted onto ``thumbs_up.jpg`` so that its index fingertip lands on a point of the raised
right hand (or beside it); both hands are real pixels (tests/guide_photos/README.md).
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from postureguard.knowledge.loader import load_knowledge
from postureguard.vision.guide.landmarkers import MediaPipeHands
from postureguard.vision.guide.locator import Observation, hand_px, hand_size, locate

HERE = Path(__file__).resolve().parent / "guide_photos"


def guide_photo(name: str) -> np.ndarray:
    img = cv2.imread(str(HERE / f"{name}.jpg"))
    assert img is not None, name
    return img


@functools.lru_cache(maxsize=8)
def _parts(code: str):
    hands = MediaPipeHands(mode="image")
    try:
        base, source = guide_photo("thumbs_up"), guide_photo("pointing_up")
        (target_hand,) = hands.detect(base, 0.0)
        (pointer,) = hands.detect(source, 0.0)
    finally:
        hands.close()
    point = {p.code: p for p in load_knowledge(include_user=False).points}[code]
    alone = Observation(base.shape[1], base.shape[0], hands=(target_hand,))
    (target,) = locate(point, "right", alone).targets
    return base, source, target_hand, pointer, target


def pointing_hand_on(code: str, shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """thumbs_up.jpg with the other hand's index fingertip on ``code`` of its right hand, plus ``shift``
    pixels (x right, y down)."""
    base, source, target_hand, pointer, target = _parts(code)
    pts = np.array(hand_px(pointer))
    x0, y0 = np.maximum(pts.min(0) - 15, 0).astype(int)
    x1, y1 = (pts.max(0) + 15).astype(int)
    scale = hand_size(target_hand) / hand_size(pointer)
    crop = cv2.resize(source[y0:y1, x0:x1], None, fx=scale, fy=scale)[::-1, ::-1]  # a half turn
    tip = np.array([crop.shape[1] - 1, crop.shape[0] - 1]) - (pts[8] - [x0, y0]) * scale
    ox, oy = (np.round([target.x, target.y] - tip) + shift).astype(int)
    out = base.copy()
    skin = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) < 215  # the white studio background is left out
    ys, xs = np.nonzero(skin)
    inside = (ys + oy >= 0) & (ys + oy < out.shape[0]) & (xs + ox >= 0) & (xs + ox < out.shape[1])
    out[ys[inside] + oy, xs[inside] + ox] = crop[ys[inside], xs[inside]]
    return out


AWAY = (70, -40)


def write_press_clip(path: Path, segments: list[tuple[str, float]], fps: float = 15.0,
                     code: str = "LI4") -> Path:
    """A recording (MJPG AVI) of ``segments``: ``("on", seconds)`` the fingertip on ``code``,
    ``("away", seconds)`` the hand held beside it. Neighbouring frames differ by a pixel or two of
    shift, as a hand held still does."""
    shifts = (0, 1, 0, -1)
    pictures = {"on": [pointing_hand_on(code, (dx, 0)) for dx in shifts],
                "away": [pointing_hand_on(code, (AWAY[0] + dx, AWAY[1])) for dx in shifts]}  # fmt: skip
    height, width = pictures["on"][0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), path
    n = 0
    for kind, seconds in segments:
        for _ in range(int(round(seconds * fps))):
            writer.write(pictures[kind][n % 4])
            n += 1
    writer.release()
    return path
