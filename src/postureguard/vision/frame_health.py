"""Is the camera really looking at something? Detect blank (covered) and frozen (stalled) video.

Two faults look like a working camera to OpenCV, because frames keep arriving:

* **blank**: a privacy shutter, a finger or a sticker over the lens. Every frame is one flat colour
  (usually near black) plus sensor noise. After averaging blocks of pixels the noise is gone and the
  picture has almost no contrast left: the standard deviation of the block means is tiny.
* **frozen**: a stalled driver (or a USB hub dropping the stream) hands the same buffer over and
  over. A live sensor never produces two bit-identical frames (it always has some noise), so
  identical bytes for several seconds mean the stream is stuck.

:func:`frame_stats` computes the cheap statistics of one frame (about 0.5 ms of CPU for 640 x 480, with
OpenCV's grey conversion and area averaging; numpy's float arithmetic over every pixel took 7 ms, which
at two checked frames a second was more than the pose model itself), and :class:`FrameHealth` is a
pure, deterministic detector fed those statistics and the frame's time: it never reads a clock and
keeps only a few numbers, so it can run on every frame of a long session.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from postureguard.i18n import N_, _

#: Values of :attr:`HealthVerdict.state`.
HEALTH_STATES = ("ok", "blank", "frozen")

#: Side (pixels) of the square blocks averaged before measuring contrast; hides sensor noise.
BLOCK_PX = 8


#: The signature covers one pixel row in this many (see :func:`frame_stats`).
SIGNATURE_ROW_STEP = 4


@dataclass(frozen=True)
class FrameStats:
    """Cheap statistics of one frame.

    * ``mean``: mean grey level of the block-averaged frame, 0..255.
    * ``std``: standard deviation of the block means, grey levels (0 = one flat colour).
    * ``signature``: a CRC-32 (4 bytes) of the exact pixels of every :data:`SIGNATURE_ROW_STEP`-th row;
      equal signatures = identical frames (a chance collision would have to repeat on every frame of a
      frozen streak to matter).
    * ``blocks``: the block means themselves (``float32``, one value per ``block`` x ``block`` pixels,
      rows x columns), which the change gate shrinks further instead of reading the frame again
      (:func:`postureguard.vision.gate.tiny_from_blocks`); ``None`` for frames smaller than a block.
    """

    mean: float
    std: float
    signature: bytes
    blocks: Any = field(default=None, compare=False, repr=False)


def frame_stats(image: Any, block: int = BLOCK_PX) -> FrameStats:
    """Statistics of ``image`` (H x W x 3 BGR or H x W grey, ``uint8``).

    The frame is turned into grey (ITU-R BT.601 weights, OpenCV's ``cvtColor``) and averaged over
    ``block`` x ``block`` pixel blocks (``INTER_AREA`` at an integer scale is the block mean; edges that
    do not fill a block are dropped); frames smaller than one block are measured pixel by pixel. The
    averaging runs in two steps, 2 x 2 pixels in whole grey levels and then the rest in floats: the
    rounding of the first step (at most half a level per half-size pixel) averages out over the
    16 of them in a block (under 0.1 level of spread on a flat picture; rounding the whole block
    mean would add 0.3, and floats over every pixel cost twice as much).

    The signature covers one row in :data:`SIGNATURE_ROW_STEP`, each row whole: a live sensor's noise
    differs in every row, so a quarter of the rows (120 of 480, 230 kB) tell a frozen stream from a
    live one as surely as all of them, at a quarter of the cost (the CRC of a whole 1080 x 720 frame
    took 1.1 ms, more than everything else in a look together).
    """
    import cv2
    import numpy as np

    array = np.ascontiguousarray(image)
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"expected an H x W or H x W x C image, got shape {array.shape}")
    # One copy of the rows and one CRC over it: half the CPU of a CRC row by row from Python.
    signature = zlib.crc32(np.ascontiguousarray(array[::SIGNATURE_ROW_STEP]).data).to_bytes(4, "big")
    if array.ndim == 3 and array.shape[2] >= 3:  # BGR(A): OpenCV's order
        grey = cv2.cvtColor(np.ascontiguousarray(array[:, :, :3], dtype=np.uint8), cv2.COLOR_BGR2GRAY)
    else:
        grey = np.ascontiguousarray(array if array.ndim == 2 else array[:, :, 0], dtype=np.uint8)
    h, w = grey.shape
    blocks = None
    if h >= block and w >= block:
        hb, wb = h // block, w // block
        grey = grey[: hb * block, : wb * block]
        if block % 2 == 0:
            grey = cv2.resize(grey, (wb * block // 2, hb * block // 2), interpolation=cv2.INTER_AREA)
        blocks = cv2.resize(grey.astype(np.float32), (wb, hb), interpolation=cv2.INTER_AREA)
        mean, std = cv2.meanStdDev(blocks)
    else:
        mean, std = cv2.meanStdDev(grey.astype(np.float32))
    return FrameStats(mean=float(mean[0, 0]), std=float(std[0, 0]), signature=signature, blocks=blocks)


@dataclass(frozen=True)
class HealthVerdict:
    """The detector's answer after one frame.

    * ``state``: ``ok``, ``blank`` or ``frozen`` (see the module docstring).
    * ``changed``: the state differs from the one before this frame (act on these).
    * ``since``: time (the caller's seconds) the current fault began, ``None`` when ``ok``.
    * ``detail``: a short sentence for the user, empty when ``ok``.
    """

    state: str
    changed: bool
    since: float | None = None
    detail: str = ""


class FrameHealth:
    """Decides from :class:`FrameStats` whether the camera is covered or frozen.

    * ``blank_std``: block-mean standard deviation (grey levels, 0..255) below which a frame counts
      as blank. Real scenes, even dim ones, stay well above the default; a shutter stays below it.
    * ``blank_s``: seconds of consecutive blank frames before the state becomes ``blank``.
    * ``frozen_s``: seconds of bit-identical consecutive frames before the state becomes ``frozen``.
    * ``min_frames``: at least this many frames must agree too, so a slow frame rate (or a long gap
      between two frames) never decides on a single frame.

    Blank wins over frozen: a covered lens often gives identical all-black frames, and "covered" is
    what the user needs to hear. One frame that is neither blank nor a repeat returns to ``ok``.
    Times passed to :meth:`update` must not go backwards; when they do the streaks restart.
    """

    def __init__(
        self,
        *,
        blank_std: float = 2.0,
        blank_s: float = 3.0,
        frozen_s: float = 5.0,
        min_frames: int = 3,
    ) -> None:
        if blank_std <= 0 or blank_s < 0 or frozen_s < 0 or min_frames < 1:
            raise ValueError("blank_std must be positive, times non-negative and min_frames at least 1")
        self.blank_std = blank_std
        self.blank_s = blank_s
        self.frozen_s = frozen_s
        self.min_frames = min_frames
        self.reset()

    def reset(self) -> None:
        """Forget everything (call when the camera is reopened)."""
        self._state = "ok"
        self._since: float | None = None
        self._last_t: float | None = None
        self._last_signature: bytes | None = None
        self._previous_t: float | None = None
        self._blank_start: float | None = None
        self._blank_frames = 0
        self._same_start: float | None = None
        self._same_frames = 0

    @property
    def state(self) -> str:
        return self._state

    def update(self, stats: FrameStats, t: float) -> HealthVerdict:
        """Take the statistics of the frame seen at ``t`` (seconds) and return the verdict."""
        if self._last_t is not None and t < self._last_t:
            self.reset()
        self._last_t = t

        if stats.std < self.blank_std:
            if self._blank_start is None:
                self._blank_start, self._blank_frames = t, 0
            self._blank_frames += 1
        else:
            self._blank_start, self._blank_frames = None, 0

        if self._last_signature is not None and stats.signature == self._last_signature:
            if self._same_start is None:
                # The streak began with the previous frame, the first of the identical run.
                self._same_start, self._same_frames = self._previous_t, 1
            self._same_frames += 1
        else:
            self._same_start, self._same_frames = None, 0
        self._last_signature = stats.signature
        self._previous_t = t

        state, since = "ok", None
        if (
            self._blank_start is not None
            and self._blank_frames >= self.min_frames
            and t - self._blank_start >= self.blank_s
        ):
            state, since = "blank", self._blank_start
        elif (
            self._same_start is not None
            and self._same_frames >= self.min_frames
            and t - self._same_start >= self.frozen_s
        ):
            state, since = "frozen", self._same_start
        changed = state != self._state
        self._state, self._since = state, since
        return HealthVerdict(state, changed, since, _(_DETAIL[state]) if _DETAIL[state] else "")


_DETAIL = {
    "ok": "",
    "blank": N_("the camera shows a blank picture: is its cover closed or the lens covered?"),
    "frozen": N_("the camera keeps sending the same picture: its driver seems to have stalled"),
}
