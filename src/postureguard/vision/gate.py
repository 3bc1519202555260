"""Change gating: a tiny, cheap comparison of a frame with the last analysed one.

The frame is shrunk to 32 x 24 grey cells by area averaging (0.15-0.3 ms of CPU for a 640 x 480 frame).
Averaging hundreds of pixels per cell divides sensor noise by their square root, so noise alone moves
a cell by well under one grey level; a person moving their head moves many cells by tens of levels.
The scene "changed" when more than ``changed_share`` of the cells differ by more than
``cell_threshold`` grey levels (0..255) from the reference (the last analysed frame); see
:class:`GateSettings` for the stronger levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TINY_SIZE = (32, 24)  # width, height in cells


@dataclass(frozen=True)
class GateSettings:
    """Shares are of the 768 cells (0..1); thresholds are grey levels (0..255)."""

    cell_threshold: float = 8.0
    #: More than this share of cells moved: the scene changed. Measured on a real photo, a whole-frame
    #: shift of 1-2 pixels (a fidget, a knock on the desk) moves 17-26 % of the cells, a head
    #: lowered into a slouch 47 %, the person leaving the desk 87 %.
    changed_share: float = 0.02
    #: More than this share moved: a strong change that is analysed at once (a slouch).
    strong_share: float = 0.35
    #: More than this share moved: a different scene (someone arrived or left).
    big_share: float = 0.6


def tiny_grey(image_bgr: np.ndarray) -> np.ndarray:
    """``image_bgr`` (H x W x 3, uint8) as 24 x 32 float32 grey cells (0..255), area-averaged.

    The frame is first cropped (centred) to a whole number of pixels per cell, at most 23 rows and 31
    columns less: OpenCV's area resize at a whole-number scale is a plain block mean, three times
    cheaper than at a fractional one (0.14 against 0.45 ms of CPU for the bench's 320 x 374 frames;
    640 x 480 is already whole).
    """
    import cv2

    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    (cols, rows), (h, w) = TINY_SIZE, grey.shape
    ky, kx = h // rows, w // cols
    if ky and kx:
        y0, x0 = (h - ky * rows) // 2, (w - kx * cols) // 2
        grey = grey[y0 : y0 + ky * rows, x0 : x0 + kx * cols]
    return cv2.resize(grey, TINY_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)


def tiny_from_blocks(blocks: np.ndarray) -> np.ndarray:
    """The same 24 x 32 cells as :func:`tiny_grey`, from a frame's block means (``float32`` grey,
    :attr:`postureguard.vision.frame_health.FrameStats.blocks`) instead of its pixels: the look's
    grey conversion and averaging are done once for the camera check and the gate (0.3 ms of CPU for
    a 640 x 480 frame in all, against 0.5 + 0.15 ms apart). The cells differ from :func:`tiny_grey`'s by
    a fraction of a grey level, so one gate must be fed by one of the two only."""
    import cv2

    return cv2.resize(blocks, TINY_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32, copy=False)


class ChangeGate:
    """Remembers the last analysed frame (tiny) and tells whether a new one differs from it."""

    def __init__(self, settings: GateSettings | None = None):
        self.settings = settings or GateSettings()
        self._reference: np.ndarray | None = None

    def share_between(self, a: np.ndarray | None, b: np.ndarray) -> float:
        """Share of cells (0..1) that differ by more than the threshold between two tiny images;
        1.0 when ``a`` is missing or of another size."""
        if a is None or a.shape != b.shape:
            return 1.0
        return float(np.count_nonzero(np.abs(b - a) > self.settings.cell_threshold)) / b.size

    def changed_share(self, tiny: np.ndarray) -> float:
        """Share of cells (0..1) that moved more than the threshold since the reference (the last
        analysed frame); 1.0 without a reference."""
        return self.share_between(self._reference, tiny)

    def changed(self, tiny: np.ndarray) -> bool:
        return self.changed_share(tiny) > self.settings.changed_share

    def analysed(self, tiny: np.ndarray) -> None:
        """``tiny`` was analysed: it becomes the reference for the next comparisons."""
        self._reference = tiny
