"""One camera user: while the routine player's camera guide holds the camera, the tray app's monitor
pauses its own camera use and says so in the tray; it resumes when the player closes or is killed.

The real tray app (``postureguard run``) and the real player run in the private desktop session of
tests/desktop.py, both reading the same real-pixel recording as their camera (tests/guide_clips.py).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

import test_player
from desktop import REACT_S, START_S, DesktopSession, wait_for
from test_guide_player import TITLE, _home

SRC = str(Path(__file__).resolve().parents[1] / "src")

pytestmark = pytest.mark.e2e
players = test_player.players  # the fixture: players started in the session, stopped after


def _tooltip(session: DesktopSession, proc) -> str:
    icons = [c for c in session.tray_clients() if session.window_pid(c.window_id) == proc.pid]
    if not icons:
        return ""
    out = session.run("xprop", "-id", str(icons[0].window_id), "_NET_WM_NAME", check=False).stdout
    return out.split("= ", 1)[1].strip().strip('"') if "= " in out else ""


def _wait_log(session: DesktopSession, name: str, text: str, timeout: float = REACT_S) -> None:
    try:
        wait_for(lambda: text in session.read_log(name), timeout, repr(text))
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{session.read_log(name)}") from None


def _wait_tooltip(session, app, want: bool) -> str:
    def ok():
        tip = _tooltip(session, app)
        return tip if tip and ("paused: camera guide" in tip) == want else None

    try:
        return wait_for(ok, REACT_S, f"the tooltip {'with' if want else 'without'} 'paused: camera guide'")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; tooltip {_tooltip(session, app)!r}") from None


def test_the_monitor_pauses_while_the_guide_has_the_camera(desktop_session, players, isolated_home, tmp_path):
    clip = _home(isolated_home, [("away", 2.0), ("on", 2.0)], tmp_path)
    env = {**desktop_session.env, "POSTUREGUARD_HOME": str(isolated_home), "PYTHONPATH": SRC}
    app = desktop_session.popen([sys.executable, "-m", "postureguard", "-v", "run", "--source", str(clip)],
                                "guide-app.log", env=env)  # fmt: skip
    try:
        wait_for(lambda: _tooltip(desktop_session, app), START_S, "the tray icon")
        assert "camera guide" not in _tooltip(desktop_session, app)

        player = players(isolated_home, "guide-user", "li4-guide", "--camera", str(clip))
        player.find_window(TITLE)
        player.expect(r"window ready for keys")
        player.key("Return")  # Start: the guide claims the camera
        player.expect(r"camera claim: taken")
        _wait_log(desktop_session, "guide-app.log", "camera guide holds the camera")
        _wait_log(desktop_session, "guide-app.log", "camera released to the routine player")
        tip = _wait_tooltip(desktop_session, app, True)
        desktop_session.screenshot("guide-tray-paused.png")
        assert "paused: camera guide" in tip

        player.key("Escape")  # the player closes: the camera goes back to the monitor
        assert player.wait_exit() == 0
        _wait_log(desktop_session, "guide-app.log", "camera guide released the camera")
        _wait_log(desktop_session, "guide-app.log", "camera guide closed: monitoring again")
        _wait_tooltip(desktop_session, app, False)

        # A player that is killed cannot clean up; the kernel drops its lock all the same.
        killed = players(isolated_home, "guide-killed", "li4-guide", "--camera", str(clip))
        killed.find_window(TITLE)
        killed.expect(r"window ready for keys")
        killed.key("Return")
        killed.expect(r"camera claim: taken")
        _wait_tooltip(desktop_session, app, True)
        os.killpg(killed.proc.pid, signal.SIGKILL)
        killed.proc.wait(timeout=10)
        _wait_tooltip(desktop_session, app, False)
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
            app.wait(timeout=20)
