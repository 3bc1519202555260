"""Seconds actually pressed per point (camera guide): both stores, the schema migration, the report."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from postureguard.history import MemoryStore, PressedRecord
from postureguard.history.report import build_day, table_cells, table_headings
from postureguard.history.sqlite import MIGRATIONS, SQLiteStore

T0 = 1_767_000_000.0


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "h.sqlite3")
    yield s
    s.close()


def test_pressed_seconds_are_kept_per_routine_and_point(store):
    first = store.start_routine("tension-headache", T0, 5, "notification")
    second = store.start_routine("calm-stress", T0 + 3600, 5, "tray")
    assert store.set_pressed(first, {"LI4": 95.5, "GB20": 12.0})
    assert store.set_pressed(first, {"LI4": 100.0})  # a later write for a point replaces it
    assert store.set_pressed(second, {"HT7": 30.0})
    assert not store.set_pressed(9999, {"LI4": 1.0})  # no such routine
    assert store.pressed() == [
        PressedRecord(first, T0, "GB20", 12.0), PressedRecord(first, T0, "LI4", 100.0),
        PressedRecord(second, T0 + 3600, "HT7", 30.0),
    ]  # fmt: skip
    assert [r.point for r in store.pressed(since=T0 + 1)] == ["HT7"]
    with pytest.raises(ValueError):
        store.set_pressed(first, {"LI4": -1.0})
    assert store.delete_before(T0 + 1) >= 3  # forgetting takes the pressed seconds with the routine
    assert [r.point for r in store.pressed()] == ["HT7"]
    store.delete_all()
    assert store.pressed() == []


def test_a_version_1_file_is_migrated_and_keeps_its_routines(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[1]:
        conn.execute(statement)
    conn.execute("INSERT INTO routines (routine_id, started_t, ended_t, status, steps_done, steps_total, "
                 "source) VALUES ('neck-release', ?, ?, 'completed', 4, 4, 'tray')",
                 (T0, T0 + 600))  # fmt: skip
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        assert store.notice is None  # migrated in place, not moved aside
        (old,) = store.routines()
        assert (old.routine_id, old.status) == ("neck-release", "completed")
        assert store.set_pressed(old.id, {"GB21": 60.0})
        assert store.pressed() == [PressedRecord(old.id, T0, "GB21", 60.0)]
    finally:
        store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2


def test_the_report_shows_the_time_actually_pressed():
    day_start = T0 - T0 % 86400
    pressed = [PressedRecord(1, T0, "LI4", 95.0), PressedRecord(1, T0, "GB20", 40.0),
               PressedRecord(2, day_start - 10, "HT7", 500.0)]  # the day before: not counted  # fmt: skip
    report = build_day(date(2025, 12, 29), day_start, day_start + 86400, [], [], [], [], pressed=pressed)
    assert report.numbers.pressed_seconds == 135.0
    headings, cells = table_headings(), table_cells(report.numbers)
    assert headings[-1] == "Points pressed" and cells[-1] == "2 min"
    short = build_day(date(2025, 12, 29), day_start, day_start + 86400, [], [], [], [],
                      pressed=[PressedRecord(1, T0, "LI4", 42.0)])  # fmt: skip
    assert table_cells(short.numbers)[-1] == "42 s"
