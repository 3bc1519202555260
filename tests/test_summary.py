"""Minute aggregation of engine samples and the day's summary (expected numbers worked out here)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from postureguard.engine.sample import Sample
from postureguard.history import AlertRecord, BreakRecord, GapRecord, MinuteRecord, RoutineRecord, open_store
from postureguard.history.aggregate import MinuteAggregator, minute_of
from postureguard.history.summary import DaySummary, format_summary, summarize_day

REPO = Path(__file__).resolve().parents[1]
T0 = 1_717_000_000 - (1_717_000_000 % 60)


def _sample(t: float, person: bool = True, angle: float | None = 3.0, posture: str = "good") -> Sample:
    return Sample(t=t, person=person, head_forward_deg=angle, posture=posture, state=posture)


def _run(samples) -> list[MinuteRecord]:
    agg = MinuteAggregator()
    out = [r for s in samples if (r := agg.add(s)) is not None]
    last = agg.flush()
    return out + ([last] if last else [])


def test_minute_of_boundaries():
    assert minute_of(T0) == T0
    assert minute_of(T0 + 59.999) == T0
    assert minute_of(T0 + 60) == T0 + 60
    assert minute_of(-0.5) == -60


def test_one_minute_by_hand():
    samples = [
        _sample(T0 + 1, angle=2.0, posture="good"),
        _sample(T0 + 11, angle=10.0, posture="poor"),
        _sample(T0 + 21, angle=12.0, posture="poor"),
        _sample(T0 + 31, person=False, angle=None, posture="unknown"),
    ]
    agg = MinuteAggregator()
    assert [agg.add(s) for s in samples] == [None] * 4  # the minute is still open
    assert agg.open_minute == T0
    record = agg.flush()
    # 4 samples, 3 with a person; angles 2, 10, 12 -> mean 8; 2 poor of 3 judged.
    r = record
    assert (r.minute_start, r.samples, r.present_share, r.mean_angle_deg) == (T0, 4, 0.75, 8.0)
    assert record.poor_share == pytest.approx(2 / 3)
    assert agg.flush() is None


def test_record_emitted_when_next_minute_starts():
    agg = MinuteAggregator()
    assert agg.add(_sample(T0 + 59.5)) is None
    closed = agg.add(_sample(T0 + 60.0, posture="poor", angle=9.0))
    assert closed == MinuteRecord(T0, 1, 1.0, 3.0, 0.0)
    assert agg.flush() == MinuteRecord(T0 + 60, 1, 1.0, 9.0, 1.0)


def test_gaps_produce_no_records():
    samples = [_sample(T0 + 5), _sample(T0 + 30), _sample(T0 + 5 * 60 + 2), _sample(T0 + 90 * 60 + 40)]
    records = _run(samples)
    assert [r.minute_start for r in records] == [T0, T0 + 300, T0 + 5400]
    assert [r.samples for r in records] == [2, 1, 1]


def test_minute_without_person_or_calibration_has_no_angle_or_share():
    records = _run([_sample(T0 + i, person=False, angle=None, posture="unknown") for i in range(0, 60, 6)])
    assert records == [MinuteRecord(T0, 10, 0.0, None, None)]


def test_clock_stepping_back_closes_the_open_minute():
    records = _run([_sample(T0 + 125), _sample(T0 + 10)])
    assert [r.minute_start for r in records] == [T0 + 120, T0]


def test_random_stream_matches_an_independent_grouping():
    rng = random.Random(7)
    samples, t = [], float(T0)
    for _ in range(3000):
        # Mostly 0.5 s steps, sometimes a pause of several minutes (away from the camera app).
        t += rng.choice([0.5] * 50 + [400.0])
        person = rng.random() < 0.8
        angle = rng.uniform(0, 25) if person and rng.random() < 0.9 else None
        posture = "unknown" if angle is None else ("poor" if angle > 5 else "good")
        samples.append(_sample(t, person, angle, posture))
    groups: dict[int, list[Sample]] = defaultdict(list)
    for s in samples:
        groups[int(s.t // 60) * 60].append(s)
    records = _run(samples)
    assert [r.minute_start for r in records] == sorted(groups)
    for r in records:
        g = groups[r.minute_start]
        angles = [s.head_forward_deg for s in g if s.head_forward_deg is not None]
        judged = [s for s in g if s.posture != "unknown"]
        assert r.samples == len(g)
        assert r.present_share == pytest.approx(sum(s.person for s in g) / len(g))
        assert r.mean_angle_deg == (pytest.approx(sum(angles) / len(angles)) if angles else None)
        expected_poor = sum(s.posture == "poor" for s in judged) / len(judged) if judged else None
        assert r.poor_share == (pytest.approx(expected_poor) if judged else None)


# -- summary -------------------------------------------------------------------------------------

DAY_START = T0
DAY_END = T0 + 86_400


def _day_records():
    minutes = [
        # A stretch of 3 minutes at the desk, one mostly-away minute, then 2 more at the desk.
        MinuteRecord(T0 + 0, 60, 1.0, 2.0, 0.0),
        MinuteRecord(T0 + 60, 60, 0.9, 6.0, 0.5),
        MinuteRecord(T0 + 120, 60, 0.6, 9.0, 1.0),
        MinuteRecord(T0 + 180, 60, 0.2, None, None),
        MinuteRecord(T0 + 240, 60, 1.0, 3.0, 0.25),
        MinuteRecord(T0 + 600, 60, 1.0, 3.0, 0.25),  # not adjacent to the minute before
        MinuteRecord(T0 - 60, 60, 1.0, 20.0, 1.0),  # the day before: ignored
        MinuteRecord(DAY_END, 60, 1.0, 20.0, 1.0),  # the next day: ignored
    ]
    alerts = [
        AlertRecord(T0 + 100, "posture", "neck_strain", 12.0, 60.0, routine_id="neck-release"),
        AlertRecord(T0 + 3000, "sitting", "prolonged_sitting", minutes=50.0),
        AlertRecord(T0 + 4000, "posture", "neck_strain", 8.0, 60.0),
        AlertRecord(T0 - 1, "posture", "neck_strain", 8.0, 60.0),
    ]
    routines = [
        RoutineRecord(1, "neck-release", T0 + 110, T0 + 300, "completed", 4, 4, "notification"),
        RoutineRecord(2, "desk-break", T0 + 3010, None, "started", 0, 3, "tray"),
        RoutineRecord(3, "neck-release", T0 + 5000, T0 + 5100, "partial", 2, 4, "cli"),
        RoutineRecord(4, "neck-release", DAY_END + 5, DAY_END + 50, "completed", 4, 4, "cli"),
    ]
    breaks = [BreakRecord(T0 + 200, 130.0, 900.0), BreakRecord(DAY_END + 1, 200.0, 100.0)]
    gaps = [
        GapRecord(T0 - 600, T0 + 300, "paused"),  # 5 minutes of it fall in the day
        GapRecord(T0 + 1200, T0 + 1800, "camera_off"),  # 10 minutes...
        GapRecord(T0 + 1500, T0 + 2100, "paused"),  # ...overlapping 5 of these 10: 15 minutes together
    ]
    return minutes, alerts, routines, breaks, gaps


def test_summarize_day_by_hand():
    minutes, alerts, routines, breaks, gaps = _day_records()
    s = summarize_day(minutes, alerts, routines, breaks, DAY_START, DAY_END, gaps=gaps)
    # Judged minutes in the day: poor shares 0, .5, 1, .25, .25 -> good 1, .5, 0, .75, .75 -> mean .6
    assert s == DaySummary(
        minutes_monitored=6,
        good_share=pytest.approx(0.6),
        alerts=3,
        posture_alerts=2,
        sitting_alerts=1,
        breaks=1,
        routines_done=1,
        routines_started=3,
        longest_stretch_min=3,
        paused_minutes=5 + 15,
    )


def test_summary_of_an_empty_day():
    s = summarize_day([], [], [], [], DAY_START, DAY_END)
    assert s.minutes_monitored == 0 and s.good_share is None and s.longest_stretch_min == 0
    assert "nothing recorded" in format_summary(s)


def test_format_summary_says_the_numbers():
    minutes, alerts, routines, breaks, gaps = _day_records()
    text = format_summary(summarize_day(minutes, alerts, routines, breaks, DAY_START, DAY_END, gaps=gaps))
    lines = text.splitlines()
    assert lines[0] == "Today: 6 min monitored, good posture 60% of the time"
    assert lines[1] == "Alerts: 3 (2 posture, 1 sitting); breaks: 1; routines done: 1 of 3 started"
    assert lines[2] == "Longest stretch at the desk: 3 min; paused or camera off: 20 min"
    long_day = DaySummary(200, 0.123, 0, 0, 0, 0, 0, 0, 125)
    first = format_summary(long_day).splitlines()[0]
    assert first == "Today: 3 h 20 min monitored, good posture 12% of the time"


def test_today_command_reads_the_real_store(isolated_home):
    from postureguard.commands.today import day_bounds

    start, _ = day_bounds(date.today())
    store = open_store()
    store.add_minute(MinuteRecord(minute_of(start + 3600), 30, 1.0, 4.0, 0.5))
    store.add_minute(MinuteRecord(minute_of(start + 3660), 30, 1.0, 4.0, 0.0))
    store.add_alert(AlertRecord(start + 3650, "posture", "neck_strain", 9.0, 60.0))
    rid = store.start_routine("neck-release", start + 3700, 4, "tray")
    store.finish_routine(rid, "completed", 4, start + 3800)
    store.close()
    env_run = subprocess.run(
        [sys.executable, "-m", "postureguard", "today"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")}, timeout=120,
    )
    assert env_run.returncode == 0, env_run.stderr
    assert env_run.stdout.splitlines() == [
        "Today: 2 min monitored, good posture 75% of the time",
        "Alerts: 1 (1 posture, 0 sitting); breaks: 0; routines done: 1 of 1 started",
        "Longest stretch at the desk: 2 min",
    ]


def test_today_without_history_creates_nothing(isolated_home, capsys):
    from postureguard.cli import main

    assert main(["today"]) == 0
    assert "nothing recorded" in capsys.readouterr().out
    assert not (isolated_home / "data" / "history.sqlite3").exists()
