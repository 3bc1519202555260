"""Fold engine samples into one :class:`MinuteRecord` per wall-clock minute (pure; no clock, no I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from postureguard.engine.sample import Sample
from postureguard.history.base import MinuteRecord


def minute_of(t: float) -> int:
    """The start (epoch seconds, a multiple of 60) of the minute that contains epoch time ``t``."""
    return int(math.floor(t / 60.0)) * 60


@dataclass
class _Open:
    minute_start: int
    samples: int = 0
    present: int = 0
    angle_sum: float = 0.0
    angles: int = 0
    poor: int = 0
    judged: int = 0


class MinuteAggregator:
    """Feed samples (``Sample.t`` in epoch seconds) one at a time; get a record when a minute closes.

    A minute closes when a sample from another minute arrives (later or, after a clock step back,
    earlier), or on :meth:`flush`. Minutes without samples produce no record: a gap stays a gap.

    Per minute: ``present_share`` = samples with a person / samples; ``mean_angle_deg`` = mean of the
    samples' head-forward angles where there is one; ``poor_share`` = poor / (good + poor) samples.
    """

    def __init__(self) -> None:
        self._open: _Open | None = None

    def add(self, sample: Sample) -> MinuteRecord | None:
        """Count ``sample``; return the record of the minute this sample closed, if any."""
        minute = minute_of(sample.t)
        closed = None
        if self._open is not None and self._open.minute_start != minute:
            closed = self.flush()
        if self._open is None:
            self._open = _Open(minute)
        acc = self._open
        acc.samples += 1
        acc.present += bool(sample.person)
        if sample.head_forward_deg is not None and math.isfinite(sample.head_forward_deg):
            acc.angle_sum += sample.head_forward_deg
            acc.angles += 1
        if sample.posture in ("good", "poor"):
            acc.judged += 1
            acc.poor += sample.posture == "poor"
        return closed

    def flush(self) -> MinuteRecord | None:
        """Close the open minute (at shutdown or a pause) and return its record, if it had samples."""
        acc, self._open = self._open, None
        if acc is None or acc.samples == 0:
            return None
        return MinuteRecord(
            minute_start=acc.minute_start,
            samples=acc.samples,
            present_share=acc.present / acc.samples,
            mean_angle_deg=acc.angle_sum / acc.angles if acc.angles else None,
            poor_share=acc.poor / acc.judged if acc.judged else None,
        )

    @property
    def open_minute(self) -> int | None:
        """Start of the minute being collected, or ``None``."""
        return self._open.minute_start if self._open else None
