"""`postureguard run` end to end in a real desktop session (Xvfb, dbus, dunst, trayer).

The app watches a clip made from a real photo (upright, then a sustained lowered head) with a 5 s
sustain window. Everything is observed from outside, as a person or another program would see it:
the icon inside trayer, dunst's notification, the player window after the notification's action,
the history database, and the process ending cleanly on Quit and on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from clips import posture_frames, write_clip
from desktop import COMMAND_S, EXIT_S, REACT_S, START_S, DesktopSession, wait_for

SRC = str(Path(__file__).resolve().parents[1] / "src")

pytestmark = pytest.mark.e2e


@pytest.fixture
def scene(tmp_path, desktop_session: DesktopSession):
    """A clip (8 s upright, then 40 s of lowered head at 4 fps), its calibration and an app env."""
    frames = posture_frames(32, 160)
    clip = write_clip(tmp_path / "clip.avi", frames, fps=4)
    upright = []
    for i, img in enumerate(frames[:6]):
        path = tmp_path / f"upright-{i}.png"
        cv2.imwrite(str(path), img)
        upright.append(str(path))
    home = tmp_path / "pg-home"
    env = {**desktop_session.env, "POSTUREGUARD_HOME": str(home), "PYTHONPATH": SRC}
    cal = tmp_path / "cal.json"
    res = subprocess.run(
        [sys.executable, "-m", "postureguard", "calibrate", "--source", *upright, "--out", str(cal)],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_S,
    )
    assert res.returncode == 0, res.stderr
    desktop_session.dunst_close_all()
    return {"clip": clip, "cal": cal, "env": env, "home": home}


def start_app(session: DesktopSession, scene, log_name: str):
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(scene["clip"]),
            "--calibration", str(scene["cal"]), "--sustain", "5", "--sample-interval", "0.25"]  # fmt: skip
    return session.popen(argv, log_name, env=scene["env"])


def our_icons(session: DesktopSession, proc, log_name: str):
    if proc.poll() is not None:
        raise AssertionError(f"the app exited early ({proc.returncode}):\n{session.read_log(log_name)}")
    return [c for c in session.tray_clients() if session.window_pid(c.window_id) == proc.pid]


def history_rows(home: Path, table: str) -> list[tuple]:
    db = home / "data" / "history.sqlite3"
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return conn.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - fixed table names
        except sqlite3.OperationalError:
            return []


def test_alert_notification_routine_and_quit(desktop_session: DesktopSession, scene):
    session = desktop_session
    log_name = "app-e2e.log"
    proc = start_app(session, scene, log_name)
    try:
        # 1. The icon is embedded in trayer, and it is ours.
        icon = wait_for(lambda: our_icons(session, proc, log_name), START_S, "the app's icon in the tray")[0]
        session.screenshot("app-tray.png", crop=(1280 - 320, 0, 320, 48), zoom=3)

        # 2. After the upright part and the 5 s sustain window, dunst shows the alert naming a routine.
        popup = wait_for(session.notification_window, START_S, "the posture notification")
        x, y, w, h = session.window_geometry(popup)
        left = max(0, x - 10)
        session.screenshot("app-notification.png", crop=(left, 0, min(1280 - left, w + 20), y + h + 10))
        shot = session.screenshot("app-screen-alert.png")
        assert Image.open(shot).size == (1280, 800)
        # The icon turned to the "poor posture" state (orange) once the episode alerted.
        crop = session.screenshot("app-icon-poor.png", crop=(icon.x, icon.y, icon.width, icon.height))
        assert _share(Image.open(crop), lambda r, g, b: r > 180 and 60 < g < 140 and b < 60) > 0.3

        # 3. The notification's "Start routine" action opens the routine player.
        offered = session.dunst_invoke_action("Start routine")
        assert any("Snooze 30 min" in line for line in offered), offered

        # Tk writes the em dash of "PostureGuard — <routine>" garbled into the legacy WM_NAME, so the
        # title is read from the UTF-8 _NET_WM_NAME (the tray icon's window carries the tooltip).
        def player_windows():
            found = []
            for window in session.search_windows(name="^PostureGuard ", visible=True):
                prop = session.run("xprop", "-id", str(window), "_NET_WM_NAME", check=False).stdout
                if "= " in prop and prop.split("= ", 1)[1].strip('"\n ').startswith("PostureGuard — "):
                    found.append((window, prop.split("= ", 1)[1].strip().strip('"')))
            return found

        player, title = wait_for(player_windows, START_S, "the routine player window")[0]
        routine_title = title.split("— ", 1)[1]

        # dunst's history names the suggested routine, the same one the player shows.
        session.dunst_close_all()
        entries = wait_for(lambda: [e for e in session.dunst_history() if "Suggested:" in str(e["body"])],
                           REACT_S, "the alert in dunst's history")  # fmt: skip
        body = str(entries[0]["body"])
        assert "more forward than your upright" in body
        assert f"Suggested: {routine_title} (" in body, (body, title)

        # 4. History: the alert with its suggested routine; the player records the start on Start.
        alerts = wait_for(lambda: history_rows(scene["home"], "alerts"), REACT_S, "the alert in history")
        assert any("neck_strain" in row for row in alerts), alerts
        # The player takes the focus itself (it was opened from a notification): no one gives it.
        _wait_log(session, log_name, "window ready for keys", "the player to take keys")
        session.screenshot("app-player-opened.png")
        session.key(player, "Return")  # acknowledge the notice
        _wait_log(session, log_name, "notice acknowledged", "the notice to be acknowledged")
        _wait_log(session, log_name, "screen intro", "the routine's first screen")
        session.key(player, "Return")  # Start
        routines = wait_for(
            lambda: history_rows(scene["home"], "routines"), REACT_S, "the routine start in history"
        )
        assert any("notification" in row for row in routines), routines
        _wait_log(session, log_name, "step 1/", "the first step")
        # Tk draws the step after logging it: the shot is taken once the screen has settled.
        session.settled_screenshot("app-player-step.png")

        # 5. Quit from the tray menu ends the app within 5 s and releases the source.
        centre = (str(icon.x + icon.width // 2), str(icon.y + icon.height // 2))
        before = set(session.search_windows(pid=proc.pid, visible=True))
        session.run("xdotool", "mousemove", *centre, "click", "3")

        def menu_window() -> list[int]:
            # The GTK menu is a new visible window of the app, taller than the icon (it grabs the keys).
            new = set(session.search_windows(pid=proc.pid, visible=True)) - before
            return [w for w in new if session.window_geometry(w)[3] > 40]

        wait_for(menu_window, REACT_S, "the tray menu to open")
        session.screenshot("app-menu.png", crop=(1280 - 420, 0, 420, 420))
        session.key_to_grab("Up", "Return")  # Up selects the menu's last item, Quit
        started = time.monotonic()
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
        assert time.monotonic() - started < 5
        log = session.read_log(log_name)
        assert "monitor stopped; source released: True" in log, log
        assert "Traceback" not in log, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=EXIT_S)
        for pid in _players_of(scene["home"]):
            os.kill(pid, signal.SIGTERM)


def test_sigterm_ends_the_app_cleanly(desktop_session: DesktopSession, scene):
    session = desktop_session
    log_name = "app-sigterm.log"
    proc = start_app(session, scene, log_name)
    try:
        wait_for(lambda: our_icons(session, proc, log_name), START_S, "the app's icon in the tray")
        _wait_log(session, log_name, "monitor: running", "monitoring to start")
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
        assert time.monotonic() - started < 5
        log = session.read_log(log_name)
        assert "monitor stopped; source released: True" in log and "Traceback" not in log, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=EXIT_S)


def test_settings_window_reaches_the_running_app(desktop_session: DesktopSession, scene):
    """The settings window (its own process) saves a change; the running tray app uses it at once."""
    session = desktop_session
    log_name = "app-settings.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(scene["clip"]),
            "--calibration", str(scene["cal"])]  # fmt: skip
    app = session.popen(argv, log_name, env=scene["env"])
    window_log = "settings-from-app.log"
    window = None
    try:
        wait_for(lambda: our_icons(session, app, log_name), START_S, "the app's icon in the tray")
        _wait_log(session, log_name, "monitor: running", "monitoring to start")
        # What the tray's "Settings…" item runs.
        window = session.popen([sys.executable, "-m", "postureguard", "-v", "settings"], window_log,
                               env=scene["env"])  # fmt: skip
        win = wait_for(lambda: session.search_windows(name="^PostureGuard settings$", visible=True), START_S,
                       "the settings window")[0]  # fmt: skip
        _wait_log(session, window_log, "cameras:", "the settings window to be ready")
        # The first field, the sustain window, has the focus with its text selected: typing replaces it.
        session.type_text(win, "90")
        _wait_log(session, log_name, "sustain 90 s", "the running app to apply the change")
        session.screenshot("app-settings-window.png")
        session.key(win, "Escape")
        assert window.wait(timeout=EXIT_S) == 0
    finally:
        for proc in (window, app):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=EXIT_S)


def test_no_tray_host_is_one_line(bare_desktop_session: DesktopSession, tmp_path):
    env = {**bare_desktop_session.env, "POSTUREGUARD_HOME": str(tmp_path), "PYTHONPATH": SRC}
    argv = [sys.executable, "-m", "postureguard", "run"]
    res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=COMMAND_S)
    assert res.returncode != 0
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "no tray host" in lines[0] and "postureguard analyze" in lines[0], res.stderr


def test_no_display_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(POSTUREGUARD_HOME=str(tmp_path), PYTHONPATH=SRC)
    res = subprocess.run(
        [sys.executable, "-m", "postureguard"], env=env, capture_output=True, text=True, timeout=COMMAND_S
    )
    assert res.returncode != 0
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "no display" in lines[0], res.stderr


def _share(img: Image.Image, predicate) -> float:
    pixels = np.asarray(img.convert("RGB")).reshape(-1, 3).tolist()
    return sum(predicate(*p) for p in pixels) / len(pixels)


def _wait_log(session: DesktopSession, log_name: str, text: str, what: str) -> None:
    """Wait (:data:`REACT_S`) for ``text`` in the process log ``log_name``; a timeout shows the log."""
    try:
        wait_for(lambda: text in session.read_log(log_name), REACT_S, what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; {log_name}:\n{session.read_log(log_name)}") from None


def _players_of(home: Path) -> list[int]:
    """Pids of routine players started with this ``POSTUREGUARD_HOME`` (this test's, no one else's)."""
    wanted = f"POSTUREGUARD_HOME={home}".encode()
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"postureguard" in cmd and b"routine" in cmd and wanted in environ:
                out.append(int(entry.name))
    return out
