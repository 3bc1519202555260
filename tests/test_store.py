"""History store: one behavioural suite run against both implementations, then SQLite-only checks."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
from datetime import datetime
from pathlib import Path

import pytest

from postureguard.history import (
    AlertRecord,
    BreakRecord,
    GapRecord,
    HistoryStore,
    MemoryStore,
    MinuteRecord,
    RoutineRecord,
    StoreError,
    open_store,
)
from postureguard.history.sqlite import SCHEMA_VERSION, SQLiteStore

REPO = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000 - (1_700_000_000 % 60)  # a minute boundary in 2023


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "data" / "history.sqlite3")
    else:
        s = MemoryStore()
    yield s
    s.close()


def _alert(t: float, kind: str = "posture", **kw) -> AlertRecord:
    trigger = "neck_strain" if kind == "posture" else "prolonged_sitting"
    return AlertRecord(t=t, kind=kind, trigger=trigger, **kw)


# -- shared suite --------------------------------------------------------------------------------


def test_implements_protocol(store):
    assert isinstance(store, HistoryStore)
    assert store.notice is None


def test_minutes_round_trip_ordered_and_ranged(store):
    records = [
        MinuteRecord(T0 + 120, 30, 1.0, 7.25, 0.5),
        MinuteRecord(T0, 28, 0.5, None, None),
        MinuteRecord(T0 + 60, 1, 0.0, 3.0, 0.0),
    ]
    for r in records:
        store.add_minute(r)
    assert store.minutes() == sorted(records, key=lambda r: r.minute_start)
    # Half-open: since is included, until is not.
    assert store.minutes(T0 + 60, T0 + 120) == [records[2]]
    assert store.minutes(since=T0 + 61) == [records[0]]
    assert store.minutes(until=T0 + 60) == [records[1]]


def test_same_minute_is_replaced_not_duplicated(store):
    store.add_minute(MinuteRecord(T0, 10, 1.0, 4.0, 0.1))
    store.add_minute(MinuteRecord(T0, 20, 0.5, 9.0, 0.9))
    assert store.minutes() == [MinuteRecord(T0, 20, 0.5, 9.0, 0.9)]


def test_alerts_keep_every_field_and_insertion_order_at_equal_times(store):
    a = _alert(T0 + 5.5, angle_deg=21.5, duration_s=120.0, routine_id="neck-release")
    b = _alert(T0 + 5.5, kind="sitting", minutes=52.0)
    c = _alert(T0 + 1.0)
    for x in (a, b, c):
        store.add_alert(x)
    assert store.alerts() == [c, a, b]
    assert store.alerts(T0 + 2, T0 + 6) == [a, b]
    assert store.alerts(T0 + 6) == []


def test_routine_lifecycle(store):
    first = store.start_routine("neck-release", T0 + 10, 4, "notification")
    second = store.start_routine("desk-break", T0 + 20, 3, "tray")
    assert first != second
    assert store.finish_routine(first, "completed", 4, T0 + 200) is True
    assert store.finish_routine(second, "partial", 1, T0 + 90) is True
    assert store.routines() == [
        RoutineRecord(first, "neck-release", T0 + 10, T0 + 200, "completed", 4, 4, "notification"),
        RoutineRecord(second, "desk-break", T0 + 20, T0 + 90, "partial", 1, 3, "tray"),
    ]
    third = store.start_routine("eyes", T0 + 30, 2, "cli")
    assert store.routines(T0 + 25) == [RoutineRecord(third, "eyes", T0 + 30, None, "started", 0, 2, "cli")]


def test_finish_unknown_routine_returns_false(store):
    assert store.finish_routine(12345, "completed", 1, T0) is False


def test_routine_arguments_are_validated_before_writing(store):
    rid = store.start_routine("neck-release", T0, 3, "tray")
    with pytest.raises(ValueError, match="steps_done"):
        store.finish_routine(rid, "completed", 4, T0 + 1)
    with pytest.raises(ValueError, match="status"):
        store.finish_routine(rid, "done", 3, T0 + 1)
    with pytest.raises(ValueError, match="source"):
        store.start_routine("x", T0, 3, "somewhere")
    # The failed calls changed nothing.
    assert store.routines() == [RoutineRecord(rid, "neck-release", T0, None, "started", 0, 3, "tray")]


def test_ids_are_not_reused_after_delete(store):
    first = store.start_routine("a", T0, 1, "cli")
    store.delete_all()
    assert store.start_routine("b", T0, 1, "cli") > first


def test_breaks_and_gaps(store):
    store.add_break(BreakRecord(T0 + 300, 180.0, 3000.0))
    store.add_break(BreakRecord(T0 + 100, 130.0, 600.0))
    assert store.breaks() == [BreakRecord(T0 + 100, 130.0, 600.0), BreakRecord(T0 + 300, 180.0, 3000.0)]
    assert store.breaks(T0 + 200) == [BreakRecord(T0 + 300, 180.0, 3000.0)]
    store.add_gap(T0 + 1000, T0 + 2000, "paused")
    store.add_gap(T0, T0 + 50, "camera_off")
    assert store.gaps() == [GapRecord(T0, T0 + 50, "camera_off"), GapRecord(T0 + 1000, T0 + 2000, "paused")]
    # Overlap semantics: a gap reaching into the range is returned.
    assert store.gaps(T0 + 1500, T0 + 1600) == [GapRecord(T0 + 1000, T0 + 2000, "paused")]
    assert store.gaps(T0 + 2000, T0 + 3000) == []
    with pytest.raises(ValueError):
        store.add_gap(T0 + 10, T0, "paused")


def test_delete_before_and_all(store):
    store.add_minute(MinuteRecord(T0, 5, 1.0, 2.0, 0.0))
    store.add_minute(MinuteRecord(T0 + 600, 5, 1.0, 2.0, 0.0))
    store.add_alert(_alert(T0 + 10))
    store.add_alert(_alert(T0 + 700))
    store.start_routine("a", T0 + 20, 1, "cli")
    keep_routine = store.start_routine("b", T0 + 800, 1, "cli")
    store.add_break(BreakRecord(T0 + 30, 200, 100))
    store.add_gap(T0, T0 + 100, "paused")
    store.add_gap(T0 + 400, T0 + 900, "paused")  # ends after the cut: kept
    assert store.delete_before(T0 + 500) == 5  # minute, alert, routine, break, first gap
    assert [m.minute_start for m in store.minutes()] == [T0 + 600]
    assert [a.t for a in store.alerts()] == [T0 + 700]
    assert [r.id for r in store.routines()] == [keep_routine]
    assert store.breaks() == []
    assert store.gaps() == [GapRecord(T0 + 400, T0 + 900, "paused")]
    assert store.delete_all() == 4
    assert (store.minutes(), store.alerts(), store.routines(), store.breaks(), store.gaps()) == ([],) * 5


def test_concurrent_writer_and_reader_threads(store):
    errors: list[BaseException] = []
    n = 200

    def writer() -> None:
        try:
            for i in range(n):
                store.add_alert(_alert(T0 + i))
                store.add_minute(MinuteRecord(T0 + 60 * i, 3, 1.0, 1.0, 0.0))
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    seen = 0
    while thread.is_alive():
        now = len(store.alerts())
        assert now >= seen  # the reader never sees history shrink
        seen = now
    thread.join()
    assert errors == []
    assert len(store.alerts()) == n
    assert len(store.minutes()) == n


def test_records_reject_impossible_values():
    with pytest.raises(ValueError):
        MinuteRecord(T0 + 1, 1, 1.0)
    with pytest.raises(ValueError):
        MinuteRecord(T0, 0, 1.0)
    with pytest.raises(ValueError):
        MinuteRecord(T0, 1, 1.5)
    with pytest.raises(ValueError):
        MinuteRecord(T0, 1, 0.5, 3.0, -0.1)
    with pytest.raises(ValueError):
        AlertRecord(T0, "mood", "x")


# -- SQLite only ---------------------------------------------------------------------------------


def _pragma(path: Path, name: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_sqlite_wal_version_and_persistence(tmp_path):
    path = tmp_path / "h.sqlite3"
    s = SQLiteStore(path)
    s.add_alert(_alert(T0, angle_deg=12.0))
    rid = s.start_routine("neck-release", T0, 4, "notification")
    s.close()
    assert _pragma(path, "journal_mode") == "wal"
    assert _pragma(path, "user_version") == SCHEMA_VERSION == 2  # 2: pressed seconds (camera guide)
    again = SQLiteStore(path)
    assert again.notice is None
    assert again.alerts() == [_alert(T0, angle_deg=12.0)]
    assert again.routines()[0].id == rid
    again.close()


def test_sqlite_file_and_folder_are_private(tmp_path):
    folder = tmp_path / "deep" / "data"
    s = open_store(folder / "history.sqlite3")
    s.add_alert(_alert(T0))  # makes SQLite create its -wal and -shm files
    try:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in ("history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    finally:
        s.close()


def test_open_store_defaults_to_the_data_folder(isolated_home):
    s = open_store()
    s.close()
    assert (isolated_home / "data" / "history.sqlite3").is_file()


def _fixed_now():
    return datetime(2024, 5, 31, 12, 34, 56)


def test_newer_schema_is_moved_aside(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("INSERT INTO future VALUES (42)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    s = SQLiteStore(path, now=_fixed_now)
    try:
        aside = tmp_path / "history.sqlite3.newer-20240531-123456"
        assert aside.is_file()
        assert "newer" in s.notice and aside.name in s.notice
        # The old data is intact in the moved file, and the new database is fresh and usable.
        assert _pragma(aside, "user_version") == SCHEMA_VERSION + 1
        assert s.alerts() == []
        s.add_alert(_alert(T0))
        assert len(s.alerts()) == 1
    finally:
        s.close()
    assert _pragma(path, "user_version") == SCHEMA_VERSION


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "foreign"],
)
def test_corrupt_file_is_moved_aside(tmp_path, damage):
    path = tmp_path / "history.sqlite3"
    if damage == "garbage":
        original = b"this is not a database at all\n" * 200
        path.write_bytes(original)
    elif damage == "truncated":
        s = SQLiteStore(path)
        for i in range(2000):
            s.add_alert(_alert(T0 + i, routine_id="x" * 50))
        s.close()
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        data = path.read_bytes()
        original = data[: len(data) // 2]
        path.write_bytes(original)
    else:  # a SQLite file, but someone else's
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (text)")
        conn.commit()
        conn.close()
        original = path.read_bytes()
    s = SQLiteStore(path, now=_fixed_now)
    try:
        aside = tmp_path / "history.sqlite3.corrupt-20240531-123456"
        assert aside.read_bytes() == original  # nothing the user had is lost
        assert s.notice is not None and aside.name in s.notice and str(path) in s.notice
        s.add_alert(_alert(T0))
        assert len(s.alerts()) == 1
    finally:
        s.close()
    assert SQLiteStore(path).notice is None  # the fresh database opens cleanly next time


def test_two_moves_in_the_same_second_do_not_collide(tmp_path):
    path = tmp_path / "history.sqlite3"
    for _ in range(2):
        path.write_bytes(b"junk" * 100)
        SQLiteStore(path, now=_fixed_now).close()
    names = sorted(p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name)
    assert names == ["history.sqlite3.corrupt-20240531-123456", "history.sqlite3.corrupt-20240531-123456-1"]


def test_unusable_folder_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="history database"):
        SQLiteStore(blocker / "history.sqlite3")


def test_sqlite_store_used_from_another_thread_than_its_creator(tmp_path):
    s = SQLiteStore(tmp_path / "h.sqlite3")
    result: list[object] = []

    def other() -> None:
        try:
            s.add_alert(_alert(T0))
            result.append(len(s.alerts()))
        except BaseException as exc:  # noqa: BLE001
            result.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert result == [1]
    assert len(s.alerts()) == 1
    s.close()


WRITER = textwrap.dedent(
    """
    import sys
    from postureguard.history import AlertRecord, open_store
    store = open_store(sys.argv[1])
    i = 0
    while True:
        store.add_alert(AlertRecord(t=float(i), kind="posture", trigger="neck_strain", angle_deg=10.0))
        i += 1
        # Reported only after the commit returned: every number printed is on disk.
        sys.stdout.write(f"{i}\\n")
        sys.stdout.flush()
    """
)


def test_sigkill_while_writing_loses_at_most_the_record_in_flight(tmp_path):
    path = tmp_path / "data" / "history.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env,
                            text=True)
    last = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            last = int(line)
            if last >= 300:
                break
        os.kill(proc.pid, signal.SIGKILL)
        # Lines written before the kill may still sit in the pipe: the last one is the highest commit known.
        for line in proc.stdout:
            last = int(line)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert last >= 300
    s = SQLiteStore(path)
    try:
        assert s.notice is None  # the killed writer left a healthy database
        rows = s.alerts()
        # Every reported commit survived; at most one more (committed, not yet reported) is there.
        assert last <= len(rows) <= last + 1
        assert [a.t for a in rows] == [float(i) for i in range(len(rows))]
    finally:
        s.close()
