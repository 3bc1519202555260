"""The day's summary and the snooze menu in the real desktop session.

* The summary: a real history file (tests/test_daily_summary.fill_day, written through the real
  SQLite store) and work hours that ended a minute ago; `postureguard run` shows the summary in dunst
  with the numbers of that file, remembers the date in its state folder, and the notification's
  "Open report" (picked through dunst's context menu) draws today's report and opens it in the
  "default viewer": a program named xdg-open first on PATH that records its argument and shows the
  file with ImageMagick's ``display`` (a real window, screenshotted).
* The snooze: through a StatusNotifierItem host, the tray menu's Snooze alerts > For 1 hour is clicked
  (dbusmenu ``Event``, as a panel sends it) while the clip is upright; the sustained lowered head that
  follows turns the icon orange but raises no alert (none in the history database).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import test_tray_e2e
from clips import calibrated_clip
from desktop import COMMAND_S, EXIT_S, REACT_S, START_S, DesktopSession, wait_for
from postureguard.history.sqlite import SQLiteStore
from test_daily_summary import fill_day
from test_tray_e2e import _wait_log, history_rows, start_app
from test_tray_sni import _click, _icon_file, _menu, _orange, _our_item, _props, _share

pytestmark = pytest.mark.e2e
scene = test_tray_e2e.scene  # the fixture: the clip, its calibration and the app's environment

EXPECTED = "Today: 82% good posture, 3 breaks, 1 routine. Best hour 10–11."


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=EXIT_S)


def _viewer(folder: Path, seen: Path) -> Path:
    """A directory with an ``xdg-open`` that records what it opens and shows it in a real window."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    viewer = bin_dir / "xdg-open"
    viewer.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {seen}.tmp && mv {seen}.tmp {seen}\n"
                      "exec display -title 'PG report viewer' -resize '1100x700>' -geometry +0+0 "
                      "\"$1\"\n")  # fmt: skip
    viewer.chmod(0o755)
    return bin_dir


def test_summary_notification_with_the_history_numbers_and_open_report(desktop_session: DesktopSession,
                                                                        scene, tmp_path):  # fmt: skip
    session = desktop_session
    now = datetime.now()
    if now.hour == 0 and now.minute < 2:
        pytest.skip("needs a work-hours span that ended earlier today (it is just past midnight)")
    end = now - timedelta(minutes=1)
    home, env = scene["home"], dict(scene["env"])
    seen = tmp_path / "opened.txt"
    env["PATH"] = f"{_viewer(tmp_path, seen)}{os.pathsep}{env['PATH']}"
    scene = {**scene, "env": env}
    res = subprocess.run([sys.executable, "-m", "postureguard", "config", "set", "work_hours",
                          f"00:00-{end:%H:%M}"], env=env, capture_output=True, text=True,
                         timeout=COMMAND_S)  # fmt: skip
    assert res.returncode == 0, res.stderr
    store = SQLiteStore(home / "data" / "history.sqlite3")
    fill_day(store, date.today())
    store.close()

    log_name = "app-daily-summary.log"
    proc = start_app(session, scene, log_name)
    viewer_pid = None
    try:
        _wait_log(session, log_name, "daily summary of", "the daily summary")
        popup = wait_for(session.notification_window, REACT_S, "the summary notification")
        x, y, w, h = session.window_geometry(popup)
        left = max(0, x - 10)
        session.screenshot("daily-summary.png", crop=(left, 0, min(1280 - left, w + 20), y + h + 10))
        state = home / "state" / "last-daily-summary"
        assert state.read_text().strip() == date.today().isoformat()

        # "Open report": today's report is drawn and handed to the default viewer, which shows it.
        report = home / "data" / "reports" / f"day-{date.today().isoformat()}.png"
        offered = session.dunst_invoke_action("Open report")
        assert any("Open report" in line for line in offered), offered
        wait_for(seen.exists, REACT_S, "the viewer to be asked to open the report")
        assert seen.read_text() == str(report)
        assert report.stat().st_size > 10_000
        window = wait_for(lambda: session.search_windows(name="PG report viewer", visible=True), START_S,
                          "the report viewer's window")[0]  # fmt: skip
        viewer_pid = session.window_pid(window)
        session.settled_screenshot("daily-summary-report.png")

        # dunst's record of it: the sentence with the numbers of the history file, shown once.
        session.dunst_close_all()
        entries = [e for e in session.dunst_history() if e.get("summary") == "PostureGuard: your day"]
        assert entries and str(entries[0]["body"]) == EXPECTED, entries
        assert session.read_log(log_name).count("daily summary of") == 1
        assert "Traceback" not in session.read_log(log_name)
    finally:
        _stop(proc)
        if viewer_pid is not None:
            os.kill(viewer_pid, signal.SIGTERM)


@pytest.fixture
def long_upright(tmp_path, sni_desktop_session: DesktopSession):
    """30 s upright (time to click), then 30 s of a lowered head; its calibration; the app's env."""
    env = {**sni_desktop_session.env, "POSTUREGUARD_HOME": str(tmp_path / "pg")}
    clip, cal = calibrated_clip(tmp_path, env, 120, 120, timeout=COMMAND_S)
    return {"clip": clip, "cal": cal, "env": env, "home": tmp_path / "pg"}


def test_snooze_one_hour_from_the_tray_silences_alerts(sni_desktop_session: DesktopSession, long_upright):
    session = sni_desktop_session
    log_name = "app-snooze.log"
    scene = long_upright
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(scene["clip"]),
            "--calibration", str(scene["cal"]), "--sustain", "5", "--sample-interval", "0.25"]  # fmt: skip
    proc = session.popen(argv, log_name, env=long_upright["env"])
    try:
        item = wait_for(lambda: _our_item(session, proc, log_name), START_S, "the app's item at the watcher")
        menu_path = _props(session, item)["Menu"]
        menu = _menu(session, item, menu_path)
        for label in ("Snooze alerts", "For 30 minutes", "For 1 hour", "Until tomorrow"):
            assert label in menu, (label, list(menu))
        _click(session, item, menu_path, "For 1 hour")
        _wait_log(session, log_name, "alerts snoozed for 60 minutes", "the snooze to reach the monitor")
        wait_for(lambda: "alerts snoozed until" in _props(session, item)["Title"], REACT_S,
                 "the tooltip to say until when")  # fmt: skip
        assert not history_rows(long_upright["home"], "alerts"), "an alert came before the snooze"

        # The lowered head is seen (orange icon) and lasts far past the 5 s sustain: still no alert.
        wait_for(lambda: _share(_icon_file(_props(session, item)), _orange) > 0.3, START_S,
                 "the poor-posture icon")  # fmt: skip
        wait_for(lambda: "the recording has ended" in session.read_log(log_name), START_S, "the clip to end")
        assert history_rows(long_upright["home"], "alerts") == []
        assert "Traceback" not in session.read_log(log_name)
    finally:
        _stop(proc)
