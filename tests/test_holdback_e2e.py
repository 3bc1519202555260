"""Alerts held back while the user is busy, in the real desktop session (Xvfb, dbus, dunst, trayer).

Do-not-disturb is dunst's pause (``dunstctl set-paused``), read by the app over D-Bus; a full-screen
window is a real X window whose EWMH state says so, made the active window on the root (there is no
window manager in the session, so the test sets the two properties a window manager would set).
The app watches the clip of test_tray_e2e (upright, then a sustained lowered head, 5 s sustain).
"""

from __future__ import annotations

import sys

import pytest

import test_tray_e2e
from desktop import EXIT_S, REACT_S, START_S, DesktopSession, wait_for
from test_tray_e2e import _wait_log, our_icons, start_app

pytestmark = pytest.mark.e2e
scene = test_tray_e2e.scene  # the fixture: the clip, its calibration and the app's environment


def _sent(session: DesktopSession) -> int:
    """How many posture alerts reached dunst: on screen, waiting behind its pause, or in its history."""
    history = [e for e in session.dunst_history() if e.get("summary") == "Time to sit up"]
    return session.dunst_count("displayed") + session.dunst_count("waiting") + len(history)


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=EXIT_S)


def test_alerts_held_under_do_not_disturb_and_delivered_once_after(desktop_session: DesktopSession, scene):
    session = desktop_session
    log_name = "app-held-dnd.log"
    session.run("dunstctl", "set-paused", "true")
    proc = None
    base = _sent(session)  # earlier tests of the session may have left alerts in dunst's history
    try:
        proc = start_app(session, scene, log_name)
        _wait_log(session, log_name, "alerts held: do not disturb", "the app to see dunst's pause")
        icon = wait_for(lambda: our_icons(session, proc, log_name), START_S, "the app's icon in the tray")[0]
        _wait_log(session, log_name, "alert held (do not disturb)", "the posture alert to be held")
        # Held by the app, not merely queued by dunst: nothing reached the server.
        assert _sent(session) == base, session.dunst_history()
        tooltip = wait_for(
            lambda: [c.name for c in our_icons(session, proc, log_name) if "held: do not disturb" in c.name],
            REACT_S,
            "the tooltip to say why alerts are held",
        )
        assert tooltip, icon
        session.screenshot("held-dnd-tray.png", crop=(1280 - 320, 0, 320, 48), zoom=3)

        session.run("dunstctl", "set-paused", "false")
        _wait_log(session, log_name, "delivering a held alert", "the held alert to be delivered")
        popup = wait_for(session.notification_window, REACT_S, "the delivered notification")
        session.screenshot("held-dnd-delivered.png")
        assert popup
        wait_for(lambda: "alerts held: no longer" in session.read_log(log_name), REACT_S, "the hold to end")
        assert "held:" not in our_icons(session, proc, log_name)[0].name
        # Delivered once: one alert at dunst, one "delivering" line.
        session.dunst_close_all()
        assert _sent(session) == base + 1, session.dunst_history()
        assert session.read_log(log_name).count("delivering a held alert") == 1
    finally:
        session.run("dunstctl", "set-paused", "false", check=False)
        if proc is not None:
            _stop(proc)


def test_a_full_screen_window_holds_alerts(desktop_session: DesktopSession, scene):
    session = desktop_session
    log_name = "app-held-fullscreen.log"
    script = "import tkinter\nr = tkinter.Tk()\nr.title('PG full screen test')\nr.geometry('1280x800')\n"
    script += "r.mainloop()"
    window_proc = session.popen([sys.executable, "-c", script], "fullscreen-window.log")
    proc = None
    try:
        win = wait_for(lambda: session.search_windows(name="^PG full screen test$", visible=True), START_S,
                       "the full-screen window")[0]  # fmt: skip
        session.run("xprop", "-id", str(win), "-f", "_NET_WM_STATE", "32a",
                    "-set", "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")  # fmt: skip
        session.run("xprop", "-root", "-f", "_NET_ACTIVE_WINDOW", "32x",
                    "-set", "_NET_ACTIVE_WINDOW", hex(win))  # fmt: skip
        base = _sent(session)
        proc = start_app(session, scene, log_name)
        _wait_log(session, log_name, "alert held (full-screen window)", "the posture alert to be held")
        assert _sent(session) == base, session.dunst_history()
        session.screenshot("held-fullscreen.png")

        # Leaving full screen (the window manager would drop the state) lets the alert out, once.
        session.run("xprop", "-id", str(win), "-remove", "_NET_WM_STATE")
        _wait_log(session, log_name, "delivering a held alert", "the held alert to be delivered")
        wait_for(session.notification_window, REACT_S, "the delivered notification")
        session.dunst_close_all()
        assert _sent(session) == base + 1, session.dunst_history()
    finally:
        session.run("xprop", "-root", "-remove", "_NET_ACTIVE_WINDOW", check=False)
        for p in (proc, window_proc):
            if p is not None:
                _stop(p)


def test_sitting_fine_teaches_the_threshold(desktop_session: DesktopSession, scene):
    """The notification's "I'm sitting fine" (picked through dunst) moves the threshold as the rule says."""
    import re
    import subprocess

    from postureguard.engine.threshold import after_fine_answer

    session = desktop_session
    log_name = "app-sitting-fine.log"
    proc = start_app(session, scene, log_name)
    try:
        wait_for(session.notification_window, START_S, "the posture notification")
        offered = session.dunst_invoke_action("I'm sitting fine")
        assert any("Snooze 30 min" in line for line in offered), offered
        _wait_log(session, log_name, "sitting fine at", "the answer to reach the app")
        line = next(x for x in session.read_log(log_name).splitlines() if "sitting fine at" in x)
        angle = float(re.search(r"sitting fine at ([-0-9.]+)°", line).group(1))
        expected = after_fine_answer(5.0, angle, 0)  # medium sensitivity, no answer before
        assert expected.threshold_deg > 5.0 or angle + 0.5 <= 5.0
        saved = scene["home"] / "config" / "settings.toml"
        wait_for(lambda: saved.exists() and "personal_threshold_tenths" in saved.read_text(), REACT_S,
                 "the learnt threshold to be saved")  # fmt: skip
        show = subprocess.run([sys.executable, "-m", "postureguard", "config", "show"], env=scene["env"],
                              capture_output=True, text=True, timeout=EXIT_S)  # fmt: skip
        assert show.returncode == 0, show.stderr
        assert f"personal_threshold_tenths = {round(expected.threshold_deg * 10)}" in show.stdout, show.stdout
        assert "fine_answers = 1" in show.stdout, show.stdout
    finally:
        session.dunst_close_all()
        _stop(proc)
