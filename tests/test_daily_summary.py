"""The day's summary notification: its numbers from a real SQLite history, when it is due, once a day
(the date kept in the state folder across a restart), held under do-not-disturb, shown on demand.

The notification server is a recorder here; the real dunst path is in test_daily_summary_e2e.py.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from postureguard.engine.holdback import DO_NOT_DISTURB, OUTSIDE_WORK_HOURS
from postureguard.files import paths
from postureguard.history.base import BreakRecord, MinuteRecord
from postureguard.history.sqlite import SQLiteStore
from postureguard.history.summary import (
    BEST_HOUR_MIN_MINUTES,
    best_hour,
    daily_text,
    day_bounds,
    summarize_day,
)
from postureguard.knowledge.loader import load_knowledge
from postureguard.runtime.app import SUMMARY_STATE_FILE
from postureguard.runtime.messages import BusyChanged
from postureguard.settings.config import Settings

DAY = date(2026, 11, 23)  # a Monday


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


def at(hour: int, minute: int = 0, day: date = DAY) -> float:
    """Epoch seconds of a local wall-clock time."""
    return datetime(day.year, day.month, day.day, hour, minute).timestamp()


def fill_day(store, day: date = DAY) -> None:
    """09:00-10:00 70 % good, 10:00-11:00 95 % good, 11:00-11:30 80 % good (mean 82 %); 3 breaks;
    one routine done, one abandoned."""
    for hour, minutes, poor in ((9, 60, 0.30), (10, 60, 0.05), (11, 30, 0.20)):
        for m in range(minutes):
            store.add_minute(MinuteRecord(int(at(hour, m, day)), 30, 1.0, 3.0, poor))
    for hour in (9, 10, 11):
        store.add_break(BreakRecord(at(hour, 40, day), 180.0, 2400.0))
    done = store.start_routine("neck_release", at(10, 5, day), 4, "tray")
    store.finish_routine(done, "completed", 4, at(10, 9, day))
    store.start_routine("upper_back", at(11, 5, day), 4, "notification")


def test_the_sentence_a_person_reads(tmp_path):
    store = SQLiteStore(tmp_path / "history.sqlite3")
    fill_day(store)
    start, end = day_bounds(DAY)
    s = summarize_day(store.minutes(start, end), store.alerts(start, end), store.routines(start, end),
                      store.breaks(start, end), start, end)  # fmt: skip
    store.close()
    assert s.best_hour == 10
    assert daily_text(s) == "Today: 82% good posture, 3 breaks, 1 routine. Best hour 10–11."
    # Nothing recorded: no notification at the end of the day.
    assert daily_text(summarize_day([], [], [], [], start, end)) is None


def test_best_hour_needs_enough_judged_minutes():
    few = [MinuteRecord(int(at(14, m)), 30, 1.0, 0.0, 0.0) for m in range(BEST_HOUR_MIN_MINUTES - 1)]
    enough = [MinuteRecord(int(at(9, m)), 30, 1.0, 4.0, 0.5) for m in range(BEST_HOUR_MIN_MINUTES)]
    assert best_hour(few) is None  # a perfect quarter of an hour is not "the best hour"
    assert best_hour(few + enough) == 9
    tie = [MinuteRecord(int(at(15, m)), 30, 1.0, 4.0, 0.5) for m in range(BEST_HOUR_MIN_MINUTES)]
    assert best_hour(tie + enough) == 9  # the earliest of equals


def _app(tmp_path, kb, settings):
    from test_app import make_app

    app, wall, mono, _ = make_app(tmp_path, kb, settings=settings)
    fill_day(app.store)
    return app, wall


def _summaries(app) -> list[dict]:
    return [n for n in app.notifier.sent if n["title"] == "PostureGuard: your day"]


OFFICE = Settings(work_hours="08:30-17:30", work_days="mon-fri")


def test_due_at_the_end_of_the_work_hours_once_even_across_a_restart(tmp_path, kb):
    app, wall = _app(tmp_path, kb, OFFICE)
    wall.t = at(17, 29)
    app._check_summary(datetime.fromtimestamp(wall.t))  # noqa: SLF001 - the busy watcher's step
    app.drain()
    assert _summaries(app) == []
    wall.t = at(17, 30)
    app._check_summary(datetime.fromtimestamp(wall.t))  # noqa: SLF001
    app.drain()
    [note] = _summaries(app)
    assert note["body"] == "Today: 82% good posture, 3 breaks, 1 routine. Best hour 10–11."
    assert list(note["buttons"]) == ["Open report"] and note["on_clicked"] is not None
    state = paths.state_dir() / SUMMARY_STATE_FILE
    assert state.read_text().strip() == "2026-11-23"
    app._check_summary(datetime.fromtimestamp(at(18, 0)))  # noqa: SLF001
    app.drain()
    assert len(_summaries(app)) == 1
    app.store.close()

    # A restart the same evening: the saved date stops a second one.
    again, wall2 = _app(tmp_path / "again", kb, OFFICE)
    wall2.t = at(19, 0)
    again._check_summary(datetime.fromtimestamp(wall2.t))  # noqa: SLF001
    again.drain()
    assert _summaries(again) == []
    # The next work day has its own.
    wall2.t = at(17, 45, date(2026, 11, 24))
    fill_day(again.store, date(2026, 11, 24))
    again._check_summary(datetime.fromtimestamp(wall2.t))  # noqa: SLF001
    again.drain()
    assert len(_summaries(again)) == 1
    assert state.read_text().strip() == "2026-11-24"


def test_held_under_do_not_disturb_and_shown_once_after(tmp_path, kb):
    app, wall = _app(tmp_path, kb, OFFICE)
    wall.t = at(17, 31)
    app.outbox.put(BusyChanged((OUTSIDE_WORK_HOURS, DO_NOT_DISTURB)))
    app._check_summary(datetime.fromtimestamp(wall.t))  # noqa: SLF001
    app.drain()
    assert _summaries(app) == []
    app.outbox.put(BusyChanged((OUTSIDE_WORK_HOURS,)))  # do-not-disturb ends; the work hours stay over
    app.drain()
    assert len(_summaries(app)) == 1
    app.outbox.put(BusyChanged((OUTSIDE_WORK_HOURS, DO_NOT_DISTURB)))
    app.outbox.put(BusyChanged((OUTSIDE_WORK_HOURS,)))
    app.drain()
    assert len(_summaries(app)) == 1  # once


def test_switched_off_none_and_on_demand_at_once(tmp_path, kb):
    app, wall = _app(tmp_path, kb, Settings(daily_summary=False))
    wall.t = at(18, 30)
    app._check_summary(datetime.fromtimestamp(wall.t))  # noqa: SLF001
    app.drain()
    assert _summaries(app) == []
    wall.t = at(12, 0)
    app.outbox.put(BusyChanged((DO_NOT_DISTURB,)))
    app.show_summary()  # the tray's "Today's summary": the user asked, so it is not held
    app.drain()
    [note] = _summaries(app)
    assert note["body"].startswith("Today: 82% good posture")
    assert not (paths.state_dir() / SUMMARY_STATE_FILE).exists()  # the evening's one still comes


def test_the_summary_command_prints_the_sentence(isolated_home, tmp_path):
    """`postureguard summary` (the real command) reads the real history file and creates none."""
    import subprocess
    import sys

    env = {**__import__("os").environ, "POSTUREGUARD_HOME": str(isolated_home), "LANGUAGE": "en"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "postureguard", "summary", *a], env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)  # fmt: skip
    empty = run()
    assert empty.returncode == 0 and "nothing recorded yet" in empty.stdout, empty
    assert not paths.history_file().exists()
    store = SQLiteStore(paths.history_file())
    fill_day(store)
    store.close()
    res = run("--date", DAY.isoformat())
    assert res.returncode == 0, res.stderr
    # The day is named in the locale's way ("23 Nov 2026" or "Nov 23, 2026").
    assert "2026: 82% good posture, 3 breaks, 1 routine. Best hour 10–11.\n" in res.stdout, res.stdout
    assert "23" in res.stdout.split(":")[0]
    bad = run("--date", "2026-13-01")
    assert bad.returncode != 0 and bad.stderr.startswith("postureguard: ") and "Traceback" not in bad.stderr
