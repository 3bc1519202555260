"""The history store's interface and its records.

All times are epoch seconds (UTC based, as ``time.time()`` gives). Records are frozen and validated on
construction, so a store never holds a share above 1 or an unknown status. Range queries are half-open,
``since <= time < until``; ``None`` leaves that end open. Results come back oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from postureguard.errors import DataError

ALERT_KINDS = ("posture", "sitting")
ROUTINE_STATUSES = ("started", "completed", "partial", "skipped")
ROUTINE_SOURCES = ("notification", "tray", "cli")


class StoreError(DataError):
    """The history cannot be read or written (disk full, read-only folder, damaged file)."""


def _share(name: str, value: float | None, *, optional: bool) -> None:
    if value is None:
        if not optional:
            raise ValueError(f"{name} must not be None")
        return
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], not {value!r}")


@dataclass(frozen=True)
class MinuteRecord:
    """One wall-clock minute of monitoring.

    * ``minute_start``: epoch seconds, a multiple of 60.
    * ``samples``: engine samples seen in the minute (>= 1).
    * ``present_share``: share of those samples with a person in view, 0..1.
    * ``mean_angle_deg``: mean head-forward angle (degrees) over samples that had one, else ``None``.
    * ``poor_share``: share of the classified (good or poor) samples that were poor, 0..1, else ``None``.
    """

    minute_start: int
    samples: int
    present_share: float
    mean_angle_deg: float | None = None
    poor_share: float | None = None

    def __post_init__(self) -> None:
        if self.minute_start % 60:
            raise ValueError(f"minute_start must be a multiple of 60, not {self.minute_start!r}")
        if self.samples < 1:
            raise ValueError(f"samples must be at least 1, not {self.samples!r}")
        _share("present_share", self.present_share, optional=False)
        _share("poor_share", self.poor_share, optional=True)


@dataclass(frozen=True)
class AlertRecord:
    """An alert the app raised.

    ``kind`` is ``posture`` or ``sitting``; ``trigger`` the knowledge base's trigger name; ``angle_deg``
    and ``duration_s`` (seconds) describe a posture alert, ``minutes`` a sitting alert; ``routine_id`` is
    the routine suggested with it, if any.
    """

    t: float
    kind: str
    trigger: str
    angle_deg: float | None = None
    duration_s: float | None = None
    minutes: float | None = None
    routine_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(ALERT_KINDS)}, not {self.kind!r}")


@dataclass(frozen=True)
class RoutineRecord:
    """A routine run: opened at ``started_t``, ended at ``ended_t`` (``None`` while running or abandoned).

    ``id`` is the store's own number (never reused); ``status`` one of :data:`ROUTINE_STATUSES`;
    ``source`` where it was started from (:data:`ROUTINE_SOURCES`).
    """

    id: int
    routine_id: str
    started_t: float
    ended_t: float | None
    status: str
    steps_done: int
    steps_total: int
    source: str

    def __post_init__(self) -> None:
        if self.status not in ROUTINE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ROUTINE_STATUSES)}, not {self.status!r}")
        if self.source not in ROUTINE_SOURCES:
            raise ValueError(f"source must be one of {', '.join(ROUTINE_SOURCES)}, not {self.source!r}")
        if self.steps_total < 0 or not 0 <= self.steps_done <= self.steps_total:
            raise ValueError(f"steps {self.steps_done!r} of {self.steps_total!r} is impossible")


@dataclass(frozen=True)
class BreakRecord:
    """A break: at ``t`` the user had been away ``away_s`` seconds after sitting ``sat_s`` seconds."""

    t: float
    away_s: float
    sat_s: float


@dataclass(frozen=True)
class GapRecord:
    """A span (epoch seconds) with no monitoring, and why: ``paused``, ``camera_off``, ``locked``..."""

    start: float
    end: float
    reason: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"gap ends ({self.end!r}) before it starts ({self.start!r})")


@dataclass(frozen=True)
class PressedRecord:
    """Seconds a point was actually pressed in one routine run, as the camera guide saw it.

    ``routine`` is the :attr:`RoutineRecord.id` of the run, ``t`` its ``started_t`` (epoch seconds),
    ``point`` the point code, ``seconds`` >= 0 (both sides of a point together).
    """

    routine: int
    t: float
    point: str
    seconds: float

    def __post_init__(self) -> None:
        if not self.point or not (self.seconds >= 0 and self.seconds < 24 * 3600):
            raise ValueError(f"pressed seconds for {self.point!r} must be 0..86400, not {self.seconds!r}")


def check_finish(status: str, steps_done: int, steps_total: int) -> None:
    """Validate :meth:`HistoryStore.finish_routine` arguments (shared by the implementations).

    Checked before writing, so a bad call can never leave a row that later reads would reject.
    """
    if status not in ROUTINE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(ROUTINE_STATUSES)}, not {status!r}")
    if not 0 <= steps_done <= steps_total:
        raise ValueError(f"steps_done must be in [0, {steps_total}], not {steps_done!r}")


@runtime_checkable
class HistoryStore(Protocol):
    """Where the app keeps its history. Implementations are safe to share between threads.

    ``notice`` is a message for the user about the store itself (e.g. a damaged file was moved aside),
    or ``None``.
    """

    notice: str | None

    def add_minute(self, record: MinuteRecord) -> None:
        """Store one minute; a later record for the same ``minute_start`` replaces the earlier one."""

    def add_alert(self, record: AlertRecord) -> None: ...

    def start_routine(self, routine_id: str, started_t: float, steps_total: int, source: str) -> int:
        """Record a routine start (status ``started``) and return its id."""

    def finish_routine(self, id: int, status: str, steps_done: int, ended_t: float) -> bool:
        """Record how routine ``id`` ended; ``False`` if there is no such routine (e.g. forgotten)."""

    def set_pressed(self, id: int, seconds: Mapping[str, float]) -> bool:
        """Record the seconds actually pressed per point code in routine ``id`` (replacing earlier
        values for those points); ``False`` if there is no such routine."""

    def pressed(self, since: float | None = None, until: float | None = None) -> Sequence[PressedRecord]:
        """Pressed seconds of the routines whose ``started_t`` is in the range."""

    def add_break(self, record: BreakRecord) -> None: ...

    def add_gap(self, start: float, end: float, reason: str) -> None: ...

    def minutes(self, since: float | None = None, until: float | None = None) -> Sequence[MinuteRecord]: ...

    def alerts(self, since: float | None = None, until: float | None = None) -> Sequence[AlertRecord]: ...

    def routines(self, since: float | None = None, until: float | None = None) -> Sequence[RoutineRecord]:
        """Routines whose ``started_t`` is in the range."""

    def breaks(self, since: float | None = None, until: float | None = None) -> Sequence[BreakRecord]: ...

    def gaps(self, since: float | None = None, until: float | None = None) -> Sequence[GapRecord]:
        """Gaps that overlap the range (``end > since`` and ``start < until``)."""

    def delete_before(self, t: float) -> int:
        """Delete every record whose time (a gap: its end) is before ``t``; return how many."""

    def delete_all(self) -> int:
        """Delete every record; return how many."""

    def close(self) -> None: ...
