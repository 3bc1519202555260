"""An in-memory history store with the same behaviour as the SQLite one (for tests and ``--no-history``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace

from postureguard.history.base import (
    AlertRecord,
    BreakRecord,
    GapRecord,
    MinuteRecord,
    PressedRecord,
    RoutineRecord,
    check_finish,
)


def _in(value: float, since: float | None, until: float | None) -> bool:
    return (since is None or value >= since) and (until is None or value < until)


class MemoryStore:
    """Keeps records in lists guarded by a lock; nothing survives :meth:`close`."""

    def __init__(self) -> None:
        self.notice: str | None = None
        self._lock = threading.Lock()
        self._minutes: dict[int, MinuteRecord] = {}
        self._alerts: list[AlertRecord] = []
        self._routines: dict[int, RoutineRecord] = {}
        self._breaks: list[BreakRecord] = []
        self._gaps: list[GapRecord] = []
        self._pressed: dict[tuple[int, str], PressedRecord] = {}
        # Like SQLite's AUTOINCREMENT: ids are never reused, even after deletes.
        self._next_id = 1

    def add_minute(self, record: MinuteRecord) -> None:
        with self._lock:
            self._minutes[record.minute_start] = record

    def add_alert(self, record: AlertRecord) -> None:
        with self._lock:
            self._alerts.append(record)

    def start_routine(self, routine_id: str, started_t: float, steps_total: int, source: str) -> int:
        with self._lock:
            record = RoutineRecord(
                self._next_id, routine_id, started_t, None, "started", 0, steps_total, source
            )
            self._routines[record.id] = record
            self._next_id += 1
            return record.id

    def finish_routine(self, id: int, status: str, steps_done: int, ended_t: float) -> bool:
        with self._lock:
            old = self._routines.get(id)
            if old is None:
                return False
            check_finish(status, steps_done, old.steps_total)
            self._routines[id] = replace(old, status=status, steps_done=steps_done, ended_t=ended_t)
            return True

    def add_break(self, record: BreakRecord) -> None:
        with self._lock:
            self._breaks.append(record)

    def add_gap(self, start: float, end: float, reason: str) -> None:
        record = GapRecord(start, end, reason)
        with self._lock:
            self._gaps.append(record)

    def minutes(self, since: float | None = None, until: float | None = None) -> list[MinuteRecord]:
        with self._lock:
            return sorted((m for m in self._minutes.values() if _in(m.minute_start, since, until)),
                          key=lambda m: m.minute_start)

    def alerts(self, since: float | None = None, until: float | None = None) -> list[AlertRecord]:
        with self._lock:
            # sorted() is stable, so equal times keep insertion order, as the SQLite store's id order does.
            return sorted((a for a in self._alerts if _in(a.t, since, until)), key=lambda a: a.t)

    def routines(self, since: float | None = None, until: float | None = None) -> list[RoutineRecord]:
        with self._lock:
            return sorted((r for r in self._routines.values() if _in(r.started_t, since, until)),
                          key=lambda r: (r.started_t, r.id))

    def breaks(self, since: float | None = None, until: float | None = None) -> list[BreakRecord]:
        with self._lock:
            return sorted((b for b in self._breaks if _in(b.t, since, until)), key=lambda b: b.t)

    def gaps(self, since: float | None = None, until: float | None = None) -> list[GapRecord]:
        with self._lock:
            hits = [g for g in self._gaps
                    if (since is None or g.end > since) and (until is None or g.start < until)]
            return sorted(hits, key=lambda g: g.start)

    def set_pressed(self, id: int, seconds: Mapping[str, float]) -> bool:
        with self._lock:
            routine = self._routines.get(id)
            if routine is None:
                return False
            records = [PressedRecord(id, routine.started_t, point, float(s)) for point, s in seconds.items()]
            for record in records:
                self._pressed[(id, record.point)] = record
            return True

    def pressed(self, since: float | None = None, until: float | None = None) -> list[PressedRecord]:
        with self._lock:
            return sorted((r for r in self._pressed.values() if _in(r.t, since, until)),
                          key=lambda r: (r.t, r.routine, r.point))  # fmt: skip

    def delete_before(self, t: float) -> int:
        with self._lock:
            before = self._count()
            self._pressed = {k: r for k, r in self._pressed.items() if r.t >= t}
            self._minutes = {k: m for k, m in self._minutes.items() if m.minute_start >= t}
            self._alerts = [a for a in self._alerts if a.t >= t]
            self._routines = {k: r for k, r in self._routines.items() if r.started_t >= t}
            self._breaks = [b for b in self._breaks if b.t >= t]
            self._gaps = [g for g in self._gaps if g.end >= t]
            return before - self._count()

    def delete_all(self) -> int:
        with self._lock:
            n = self._count()
            self._minutes, self._alerts, self._routines, self._breaks, self._gaps = {}, [], {}, [], []
            self._pressed = {}
            return n

    def _count(self) -> int:
        tables = (self._minutes, self._alerts, self._routines, self._breaks, self._gaps, self._pressed)
        return sum(len(t) for t in tables)

    def close(self) -> None:
        """Nothing to release; kept for the interface."""
