"""`postureguard report`, `export` and `forget`: real engine history, hand-built histories, real files.

The generated pictures are kept in test-results/ (report-*.png) so a person can look at them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import cv2
import pytest
from PIL import Image

from clips import posture_frames
from photos import photo
from postureguard import cli
from postureguard.commands.today import day_bounds
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine
from postureguard.engine.events import BreakTaken, PostureAlert, SittingAlert
from postureguard.engine.geometry import measure
from postureguard.files import paths
from postureguard.history import AlertRecord, BreakRecord, MinuteRecord
from postureguard.history.aggregate import MinuteAggregator
from postureguard.history.report import (
    FIGURE_SIZE_PX,
    ReportSettings,
    build_day,
    build_week,
    render_day,
    render_week,
)
from postureguard.history.sqlite import SQLiteStore
from postureguard.settings.config import Settings
from postureguard.vision.pose import MediaPipePose

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
RESULTS = REPO / "test-results"
DAY = date(2024, 6, 4)  # a Tuesday
STEP_S = 20.0  # one engine sample every 20 seconds


def at(day: date, hh: int, mm: int, ss: float = 0.0) -> float:
    """Epoch seconds of local wall-clock time ``hh:mm:ss`` on ``day`` (minutes and seconds may overflow)."""
    return (datetime(day.year, day.month, day.day) + timedelta(hours=hh, minutes=mm, seconds=ss)).timestamp()


def save_result(path: Path, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_bytes(path.read_bytes())


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        img.load()
        return img.size


def html_cells(page: str) -> list[list[str]]:
    """Rows of the page's table body as lists of cell texts (a small parser, not the module's own code)."""
    import html as html_lib

    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[html_lib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def assert_self_contained(page: str) -> None:
    """No reference to anything outside the file: only data: URIs, no links, scripts, imports or URLs."""
    sources = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.I)
    assert sources, "the chart should be embedded as an image"
    assert all(s.startswith("data:") for s in sources), sources
    # Base64 may contain "//"; everything else must not.
    text = re.sub(r"data:[^\"']*", "", page)
    for bad in ("http:", "https:", "//", "<link", "<script", "@import", "url(", "ftp:", "file:"):
        assert bad not in text.lower(), f"{bad!r} found in the report page"


def fmt_minutes(m: int) -> str:
    h, mm = divmod(m, 60)
    return (f"{h} h {mm} min" if mm else f"{h} h") if h else f"{mm} min"


# ---------------------------------------------------------------------------------------------------
# (a) a history written by the real model and the real engine


# Minutes after 09:00 and what the camera sees then; 80..110 is a pause (no samples at all).
SCHEDULE = [
    (0, 30, "upright"),
    (30, 45, "slouch"),
    (45, 50, "away"),
    (50, 80, "upright"),
    (110, 125, "upright"),
    (125, 140, "slouch"),
]
PAUSE = (80, 110)


@pytest.fixture(scope="module")
def engine_day(tmp_path_factory):
    """Run real frames through MediaPipe (video mode) and the PostureEngine over a morning; store it."""
    upright, slouch = (lambda f: (f[:12], f[12:]))(posture_frames(12, 12))
    # The empty desk: a real photo without a person. (After tracking a person, MediaPipe's video mode
    # keeps "finding" one in some busy photos such as "coffee"; a plain scene lets the track end.)
    nobody = cv2.resize(photo("page"), (upright[0].shape[1], upright[0].shape[0]))
    settings = Settings(sitting_limit_minutes=20)
    store_path = tmp_path_factory.mktemp("engine-history") / "history.sqlite3"
    store = SQLiteStore(store_path)
    samples, events = [], []
    with MediaPipePose(mode="video") as model:
        # Calibrate on the first upright frames, as the app's first run does.
        t_cal = at(DAY, 8, 59)
        features = [measure(model.detect(img, t_cal + i)) for i, img in enumerate(upright[:5])]
        engine = PostureEngine(settings.to_engine(), calibrate(features))
        agg = MinuteAggregator()
        i = 0
        for first, last, what in SCHEDULE:
            if first == PAUSE[1]:  # the app was paused: close the open minute, record the gap
                record = agg.flush()
                if record:
                    store.add_minute(record)
                store.add_gap(at(DAY, 9, 0, PAUSE[0] * 60), at(DAY, 9, 0, PAUSE[1] * 60), "paused")
            t = at(DAY, 9, 0, first * 60)
            while t < at(DAY, 9, 0, last * 60):
                pool = {"upright": upright, "slouch": slouch, "away": [nobody]}[what]
                update = engine.update(model.detect(pool[i % len(pool)], t), t)
                i += 1
                samples.append(update.sample)
                events.extend(update.events)
                record = agg.add(update.sample)
                if record:
                    store.add_minute(record)
                t += STEP_S
        record = agg.flush()
        if record:
            store.add_minute(record)
    for e in events:
        if isinstance(e, PostureAlert):
            store.add_alert(AlertRecord(e.t, "posture", e.trigger, angle_deg=e.angle_deg,
                                        duration_s=e.duration_s))
        elif isinstance(e, SittingAlert):
            store.add_alert(AlertRecord(e.t, "sitting", e.trigger, minutes=e.minutes))
        elif isinstance(e, BreakTaken):
            store.add_break(BreakRecord(e.t, e.away_s, e.sat_s))
    # The user did the suggested routine after the first posture alert, and skipped one later.
    first_alert = next(e.t for e in events if isinstance(e, PostureAlert))
    rid = store.start_routine("neck-release", first_alert + 30, 4, "notification")
    store.finish_routine(rid, "completed", 4, first_alert + 200)
    rid = store.start_routine("shoulder-reset", at(DAY, 11, 0), 3, "tray")
    store.finish_routine(rid, "skipped", 0, at(DAY, 11, 0, 20))
    store.close()
    return {"path": store_path, "samples": samples, "events": events, "settings": settings}


def load_day(store_path: Path, day: date, settings: ReportSettings):
    start, end = day_bounds(day)
    store = SQLiteStore(store_path)
    try:
        return build_day(day, start, end, store.minutes(start, end), store.alerts(start, end),
                         store.routines(start, end), store.breaks(start, end), store.gaps(start, end),
                         settings)
    finally:
        store.close()


def test_engine_history_report_numbers_match_the_samples(engine_day, tmp_path):
    samples, events = engine_day["samples"], engine_day["events"]
    settings = ReportSettings.from_settings(engine_day["settings"])
    assert settings.threshold_deg == 5.0 and settings.sitting_limit_min == 20

    # Sanity of the real run: the model saw the person upright and slouched, and nobody in the café photo.
    by_minute = defaultdict(list)
    for s in samples:
        by_minute[int(s.t // 60) * 60].append(s)
    away = [s for s in samples if at(DAY, 9, 45) <= s.t < at(DAY, 9, 50)]
    assert sum(s.person for s in away) <= 1 < len(away)
    assert any(s.posture == "poor" for s in samples) and any(s.posture == "good" for s in samples)

    # Independent figures, straight from the engine's samples and events.
    minutes_monitored = len(by_minute)
    assert minutes_monitored == sum(last - first for first, last, _ in SCHEDULE) == 110
    shares = []
    for group in by_minute.values():
        judged = [s for s in group if s.posture in ("good", "poor")]
        if judged:
            shares.append(sum(s.posture == "good" for s in judged) / len(judged))
    good_share = sum(shares) / len(shares)
    present = sorted(m for m, g in by_minute.items() if sum(s.person for s in g) / len(g) >= 0.5)
    stretches, begin = [], present[0]
    for prev, cur in zip(present, present[1:], strict=False):
        if (cur - prev) // 60 - 1 >= settings.break_min:  # two or more minutes not at the desk
            stretches.append((prev + 60 - begin) // 60)
            begin = cur
    stretches.append((present[-1] + 60 - begin) // 60)
    assert stretches == [45, 30, 30]  # 09:00-09:45, 09:50-10:20, 10:50-11:20
    posture_alerts = sum(isinstance(e, PostureAlert) for e in events)
    sitting_alerts = sum(isinstance(e, SittingAlert) for e in events)
    breaks = sum(isinstance(e, BreakTaken) for e in events)
    assert posture_alerts >= 2 and sitting_alerts >= 2 and breaks == 1

    report = load_day(engine_day["path"], DAY, settings)
    n = report.numbers
    assert n.minutes_monitored == minutes_monitored
    assert n.good_share == pytest.approx(good_share)
    assert n.longest_stretch_min == max(stretches)
    assert [round(s.minutes) for s in report.stretches] == stretches
    assert (n.alerts, n.posture_alerts, n.sitting_alerts) == (posture_alerts + sitting_alerts,
                                                              posture_alerts, sitting_alerts)
    assert n.breaks == breaks
    assert (n.routines_done, n.routines_started) == (1, 2)

    # The pause is not interpolated: NaN in every paused minute, a real value on both sides of it.
    index = {t: i for i, t in enumerate(report.minute_starts)}
    paused = [index[int(at(DAY, 9, m))] for m in range(PAUSE[0], PAUSE[1])]
    assert all(math.isnan(report.angles[i]) for i in paused)
    assert not math.isnan(report.angles[paused[0] - 1]) and not math.isnan(report.angles[paused[-1] + 1])
    # ...and each monitored minute with a person holds the mean of its samples' angles.
    for minute, group in by_minute.items():
        angles = [s.head_forward_deg for s in group if s.head_forward_deg is not None]
        value = report.angles[index[minute]]
        assert (math.isnan(value) if not angles else value == pytest.approx(sum(angles) / len(angles)))
    assert [(s.start, s.end, s.label) for s in report.not_monitored if s.start >= at(DAY, 9, 0)] == [
        (at(DAY, 10, 20), at(DAY, 10, 50), "paused"), (at(DAY, 11, 20), report.end, "app not running")]
    first = report.not_monitored[0]
    assert (first.start, first.end, first.label) == (report.start, at(DAY, 9, 0), "app not running")
    assert any(s.start >= at(DAY, 9, 30) and s.end <= at(DAY, 9, 46) for s in report.poor)
    assert report.view == (at(DAY, 9, 0), at(DAY, 12, 0))

    # The drawn files: PNG of the documented size, HTML with the same numbers in its table.
    png = render_day(report, tmp_path / "day.png")
    assert png_size(png) == FIGURE_SIZE_PX == (1600, 1200)
    save_result(png, "report-day-engine.png")
    page = render_day(report, tmp_path / "day.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    [row] = html_cells(page)
    assert row == [
        fmt_minutes(minutes_monitored), f"{round(100 * good_share)} %", fmt_minutes(max(stretches)),
        str(breaks),
        f"{posture_alerts + sitting_alerts} ({posture_alerts} posture, {sitting_alerts} sitting)",
        "1 of 2", "—",  # no camera guide in this history: nothing pressed
    ]
    assert "5° more forward than your upright (sensitivity medium)" in page and "sitting limit 20 min" in page


# ---------------------------------------------------------------------------------------------------
# (b) hand-built histories


def test_empty_day_says_so_and_draws_nothing(tmp_path):
    start, end = day_bounds(DAY)
    report = build_day(DAY, start, end, [], [], [], [], [], ReportSettings())
    assert report.empty and report.view == (start, end)
    assert all(math.isnan(a) for a in report.angles)
    assert len(report.angles) == len(report.minute_starts) == round((end - start) / 60)
    assert [(s.start, s.end, s.label) for s in report.not_monitored] == [(start, end, "app not running")]
    assert report.poor == report.away == report.stretches == ()
    png = render_day(report, tmp_path / "empty.png")
    assert png_size(png) == FIGURE_SIZE_PX
    save_result(png, "report-day-empty.png")
    page = render_day(report, tmp_path / "empty.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "No monitoring on this day" in page
    assert html_cells(page) == [["0 min", "—", "—", "0", "0", "0", "—"]]


def test_today_after_now_is_not_called_unmonitored():
    start, end = day_bounds(DAY)
    minutes = [MinuteRecord(int(at(DAY, 9, m)), 3, 1.0, 2.0, 0.0) for m in range(30)]
    report = build_day(DAY, start, end, minutes, [], [], [], [], until=at(DAY, 9, 45))
    assert [(s.start, s.end) for s in report.not_monitored] == [(start, at(DAY, 9, 0)), (at(DAY, 9, 30),
                                                                                         at(DAY, 9, 45))]


def paused_day_history(store, day: date) -> dict:
    """08:00-12:00 at the desk with the camera off 10:00-10:45; known angles and poor shares."""
    expected = {"minutes": 0, "good": [], "angles": {}}
    for m in range(8 * 60, 12 * 60):
        if 10 * 60 <= m < 10 * 60 + 45:
            continue
        t = int(at(day, 0, m))
        slouch = 9 * 60 + 10 <= m < 9 * 60 + 40 or 11 * 60 + 20 <= m < 11 * 60 + 30
        angle = 9.0 + (m % 7) * 0.5 if slouch else 1.0 + (m % 5) * 0.4
        poor = 0.9 if slouch else (0.1 if m % 3 == 0 else 0.0)
        store.add_minute(MinuteRecord(t, 60, 1.0, angle, poor))
        expected["minutes"] += 1
        expected["good"].append(1.0 - poor)
        expected["angles"][t] = angle
    store.add_gap(at(day, 10, 0), at(day, 10, 45), "camera_off")
    store.add_alert(AlertRecord(at(day, 9, 11), "posture", "neck_strain", angle_deg=10.0, duration_s=60.0))
    store.add_alert(AlertRecord(at(day, 8, 50), "sitting", "prolonged_sitting", minutes=50.0))
    rid = store.start_routine("neck-release", at(day, 9, 12), 4, "notification")
    store.finish_routine(rid, "completed", 4, at(day, 9, 15))
    return expected


def test_day_with_a_pause_is_drawn_honestly(tmp_path):
    store = SQLiteStore(tmp_path / "h.sqlite3")
    expected = paused_day_history(store, DAY)
    start, end = day_bounds(DAY)
    report = build_day(DAY, start, end, store.minutes(), store.alerts(), store.routines(), store.breaks(),
                       store.gaps(), ReportSettings("high", 3.5, 50, 2))
    store.close()
    index = {t: i for i, t in enumerate(report.minute_starts)}
    for m in range(10 * 60, 10 * 60 + 45):
        assert math.isnan(report.angles[index[int(at(DAY, 0, m))]])
    for t, angle in expected["angles"].items():
        assert report.angles[index[t]] == angle
    assert [(s.start, s.end, s.label) for s in report.not_monitored] == [
        (start, at(DAY, 8, 0), "app not running"), (at(DAY, 10, 0), at(DAY, 10, 45), "camera off"),
        (at(DAY, 12, 0), end, "app not running")]
    # Stretches: 08:00-10:00 (120 min) and 10:45-12:00 (75 min); the pause splits them.
    assert [(s.start, s.end) for s in report.stretches] == [(at(DAY, 8, 0), at(DAY, 10, 0)),
                                                            (at(DAY, 10, 45), at(DAY, 12, 0))]
    assert [(s.start, s.end) for s in report.poor] == [(at(DAY, 9, 10), at(DAY, 9, 40)),
                                                       (at(DAY, 11, 20), at(DAY, 11, 30))]
    n = report.numbers
    good = sum(expected["good"]) / len(expected["good"])
    assert (n.minutes_monitored, n.longest_stretch_min, n.alerts, n.routines_done, n.paused_minutes) == (
        expected["minutes"], 120, 2, 1, 45)
    assert n.good_share == pytest.approx(good)
    png = render_day(report, tmp_path / "pause.png")
    assert png_size(png) == FIGURE_SIZE_PX
    save_result(png, "report-day-pause.png")
    page = render_day(report, tmp_path / "pause.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert html_cells(page) == [[fmt_minutes(expected["minutes"]), f"{round(100 * good)} %", "2 h", "0",
                                 "2 (1 posture, 1 sitting)", "1 of 1", "—"]]
    assert "10:00–10:45 (camera off)" in page


def week_history(store, last: date) -> list[dict]:
    """Seven days ending with ``last``: varied monitoring, one day with nothing at all."""
    plan = []
    for k in range(7):
        day = last - timedelta(days=6 - k)
        if k == 2:  # a day off: nothing recorded
            plan.append({"day": day, "minutes": 0, "good": None, "alerts": 0, "done": 0, "breaks": 0})
            continue
        length = 60 + 20 * k
        goods = []
        for m in range(length):
            poor = (m % (k + 2) == 0) * 1.0
            store.add_minute(MinuteRecord(int(at(day, 9, 0, 60 * m)), 30, 1.0, 3.0 + 6 * poor, poor))
            goods.append(1.0 - poor)
        for a in range(k % 3):
            store.add_alert(AlertRecord(at(day, 9, 5 + a), "posture", "neck_strain"))
        store.add_alert(AlertRecord(at(day, 9, 50), "sitting", "prolonged_sitting", minutes=50))
        store.add_break(BreakRecord(at(day, 9, 0, 60 * length + 150), 150.0, 60.0 * length))
        done = k % 2
        for r in range(done):
            rid = store.start_routine("neck-release", at(day, 9, 20 + r), 4, "cli")
            store.finish_routine(rid, "completed", 4, at(day, 9, 24 + r))
        plan.append({"day": day, "minutes": length, "good": sum(goods) / len(goods), "judged": length,
                     "alerts": k % 3 + 1, "done": done, "breaks": 1})
    return plan


def test_week_report(tmp_path):
    store = SQLiteStore(tmp_path / "h.sqlite3")
    last = date(2024, 6, 9)
    plan = week_history(store, last)
    days = [(p["day"], *day_bounds(p["day"])) for p in plan]
    report = build_week(days, store.minutes(), store.alerts(), store.routines(), store.breaks(), store.gaps(),
                        ReportSettings())
    store.close()
    assert [d.day for d in report.days] == [last - timedelta(days=6 - k) for k in range(7)]
    for p, d in zip(plan, report.days, strict=True):
        assert d.numbers.minutes_monitored == p["minutes"]
        assert d.numbers.alerts == p["alerts"] and d.numbers.routines_done == p["done"]
        assert d.numbers.breaks == p["breaks"]
        assert (d.numbers.good_share is None) if p["good"] is None else d.numbers.good_share == pytest.approx(
            p["good"])
    monitored = [p for p in plan if p["minutes"]]
    week_good = sum(p["good"] * p["judged"] for p in monitored) / sum(p["judged"] for p in monitored)
    assert report.totals.good_share == pytest.approx(week_good)
    assert report.totals.minutes_monitored == sum(p["minutes"] for p in plan)
    png = render_week(report, tmp_path / "week.png")
    assert png_size(png) == FIGURE_SIZE_PX
    save_result(png, "report-week.png")
    page = render_week(report, tmp_path / "week.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    rows = html_cells(page)
    assert [r[0] for r in rows] == [p["day"].isoformat() for p in plan] + ["Week"]
    for p, row in zip(plan, rows, strict=False):
        assert row[1] == fmt_minutes(p["minutes"])
        assert row[2] == ("—" if p["good"] is None else f"{round(100 * p['good'])} %")
        assert row[6] == (f"{p['done']} of {p['done']}" if p["done"] else "0")
    assert rows[-1][2] == f"{round(100 * week_good)} %"


# ---------------------------------------------------------------------------------------------------
# the command line


def run_cli(*args, home: Path, stdin=subprocess.DEVNULL):
    env = {**os.environ, "PYTHONPATH": str(SRC), "POSTUREGUARD_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "postureguard", *map(str, args)], capture_output=True,
                          text=True, env=env, stdin=stdin, timeout=300)


@pytest.fixture
def history(isolated_home):
    """A real history file in the isolated home: the paused day (2024-06-04) and a week ending 06-16."""
    store = SQLiteStore(paths.history_file())
    paused_day_history(store, DAY)
    plan = week_history(store, date(2024, 6, 16))
    counts = {"minute": len(store.minutes()), "alert": len(store.alerts()), "routine": len(store.routines()),
              "break": len(store.breaks()), "gap": len(store.gaps())}
    store.close()
    return {"home": isolated_home, "plan": plan, "counts": counts}


def test_report_command_in_a_real_process(history, tmp_path):
    res = run_cli("report", "--day", "2024-06-04", home=history["home"])
    assert res.returncode == 0, res.stderr
    path = Path(res.stdout.strip())
    assert path == paths.data_dir() / "reports" / "day-2024-06-04.png"
    assert png_size(path) == FIGURE_SIZE_PX and (path.stat().st_mode & 0o777) == 0o600

    out = tmp_path / "week.html"
    res = run_cli("report", "--week", "2024-06-16", "--out", out, home=history["home"])
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert len(html_cells(page)) == 8

    res = run_cli("report", "--day", "June 4th", home=history["home"])
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr == ("postureguard: --day must be a date like 2024-05-31, a day from 2000-01-01 to "
                          "2999-12-31, not 'June 4th'\n")


def test_report_errors_are_one_line(history, tmp_path, capsys):
    cases = [
        (["report", "--week", "2024-13-01"], "--week must be a date"),
        (["report", "--out", str(tmp_path / "r.pdf")], "must name a .png or .html file"),
        (["report", "--out", str(tmp_path / "no-such-dir" / "r.png")], "cannot write the report to"),
        (["report", "--out", str(tmp_path)], "must name a .png or .html file"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "no-such-dir").exists()


def test_report_without_history_creates_no_database(isolated_home, capsys):
    assert cli.main(["report", "--day", "2024-06-04"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert png_size(path) == FIGURE_SIZE_PX
    assert not paths.history_file().exists()


def test_export_csv_and_jsonl(history, tmp_path, capsys):
    assert cli.main(["export"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_type = defaultdict(list)
    for row in rows:
        by_type[row["type"]].append(row)
    assert {k: len(v) for k, v in by_type.items()} == history["counts"]
    assert [float(r["t"]) for r in rows] == sorted(float(r["t"]) for r in rows)
    gap = by_type["gap"][0]
    assert (float(gap["t"]), float(gap["end"])) == (at(DAY, 10, 0), at(DAY, 10, 45))
    assert gap["reason"] == "camera_off"
    done = [r for r in by_type["routine"] if r["status"] == "completed"]
    assert done and all(r["steps_done"] == "4" and r["ended_t"] for r in done)
    minute = by_type["minute"][0]
    assert minute["time"].startswith("2024-06-04T08:00:00") and minute["present_share"] == "1.0"

    out = tmp_path / "june4.jsonl"
    assert cli.main(["export", "--format", "jsonl", "--from", "2024-06-04", "--to", "2024-06-04",
                     "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    start, end = day_bounds(DAY)
    assert records and all(start <= r["t"] < end for r in records)
    assert sum(r["type"] == "minute" for r in records) == 4 * 60 - 45
    assert {r["type"] for r in records} == {"minute", "alert", "routine", "gap"}
    assert (out.stat().st_mode & 0o777) == 0o600

    assert cli.main(["export", "--from", "2024-06-09", "--to", "2024-06-01"]) == 2
    assert "--to (2024-06-01) is before --from (2024-06-09)" in capsys.readouterr().err
    assert cli.main(["export", "--out", str(tmp_path / "missing" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("postureguard: cannot write") and err.count("\n") == 1
    assert cli.main(["export", "--from", "yesterday"]) == 2
    assert "--from must be a date" in capsys.readouterr().err


def test_forget_refuses_without_a_terminal_and_deletes_with_yes(history):
    home = history["home"]
    res = run_cli("forget", "--all", home=home)
    assert res.returncode == 2 and "add --yes" in res.stderr and res.stderr.count("\n") == 1
    store = SQLiteStore(paths.history_file())
    assert len(store.minutes()) == history["counts"]["minute"]
    store.close()

    # Keep a saved report of an old day and of a recent one: forgetting the old days removes the old picture.
    assert run_cli("report", "--day", "2024-06-04", home=home).returncode == 0
    assert run_cli("report", "--day", "2024-06-15", home=home).returncode == 0
    res = run_cli("forget", "--before", "2024-06-12", "--yes", home=home)
    assert res.returncode == 0, res.stderr
    assert re.fullmatch(r"Deleted \d+ records and 1 saved report\(s\)\.\n", res.stdout)
    reports = sorted(p.name for p in (paths.data_dir() / "reports").iterdir())
    assert reports == ["day-2024-06-15.png"]
    cutoff = day_bounds(date(2024, 6, 12))[0]
    store = SQLiteStore(paths.history_file())
    assert store.minutes() and all(m.minute_start >= cutoff for m in store.minutes())
    assert all(a.t >= cutoff for a in store.alerts()) and all(b.t >= cutoff for b in store.breaks())
    assert not store.gaps(None, cutoff)
    kept = len(store.minutes()) + len(store.alerts()) + len(store.routines()) + len(store.breaks())
    store.close()

    res = run_cli("forget", "--all", "--yes", home=home)
    assert res.returncode == 0
    assert res.stdout == f"Deleted {kept} records and 1 saved report(s).\n"
    store = SQLiteStore(paths.history_file())
    assert not (store.minutes() or store.alerts() or store.routines() or store.breaks() or store.gaps())
    store.close()
    assert not list((paths.data_dir() / "reports").iterdir())

    res = run_cli("forget", "--before", "31/12/2024", "--yes", home=home)
    assert res.returncode == 2 and res.stderr.startswith("postureguard: --before must be a date")


def test_forget_asks_on_a_terminal(history):
    import pty

    def answer(text: str):
        main, secondary = pty.openpty()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "postureguard", "forget", "--all"],
                                    stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True,
                                    env={**os.environ, "PYTHONPATH": str(SRC),
                                         "POSTUREGUARD_HOME": str(history["home"])})
            os.write(main, text.encode())
            out, err = proc.communicate(timeout=120)
        finally:
            os.close(main)
            os.close(secondary)
        return proc.returncode, out, err

    code, out, _ = answer("n\n")
    assert code == 1 and "Delete all history (" in out and "[y/N]" in out and "Nothing deleted." in out
    store = SQLiteStore(paths.history_file())
    assert len(store.minutes()) == history["counts"]["minute"]
    store.close()
    code, out, err = answer("y\n")
    assert code == 0, err
    assert "Deleted" in out
    store = SQLiteStore(paths.history_file())
    assert store.minutes() == []
    store.close()


def test_forget_with_nothing_recorded(isolated_home, capsys):
    assert cli.main(["forget", "--all"]) == 0
    assert capsys.readouterr().out == "No history recorded; nothing to forget.\n"
    assert not paths.history_file().exists()


def test_open_today_report_starts_the_default_viewer(isolated_home, tmp_path, monkeypatch):
    """A real program named xdg-open (first on PATH) records what it was asked to open."""
    from postureguard.commands.report import open_today_report

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "opened.txt"
    viewer = bin_dir / ("open" if sys.platform == "darwin" else "xdg-open")
    viewer.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {seen}.tmp && mv {seen}.tmp {seen}\n")
    viewer.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    path = open_today_report()
    assert path == paths.data_dir() / "reports" / f"day-{date.today().isoformat()}.png"
    assert png_size(path) == FIGURE_SIZE_PX
    deadline = time.monotonic() + 30
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen.read_text() == str(path)
