"""The on-screen cue and the alert sound in the real desktop session (Xvfb, dbus, dunst, trayer).

The app watches clips of the real photo of test_tray_e2e (upright, then a lowered head, 5 s sustain).
The cue is found with xdotool like any window; that it takes no focus and lets clicks through is
checked by the X server itself (the focus stays with a window underneath, and a click on the edge
reaches that window). The sound is played by the real canberra-gtk-play into a real PulseAudio server
with a null sink (there is no sound card), whose event stream shows the new sound stream.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import test_tray_e2e
from clips import posture_frames, write_clip
from desktop import COMMAND_S, EXIT_S, REACT_S, START_S, DesktopSession, wait_for
from test_tray_e2e import _wait_log

pytestmark = pytest.mark.e2e
scene = test_tray_e2e.scene  # the fixture: a clip, its calibration and the app's environment

#: The cue's colour for a posture alert at the very edge (ui/cue.py COLOURS["posture"], no compositor).
AMBER = (245, 148, 41)


def _config(scene, *args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "postureguard", "config", *args], env=scene["env"],
                         capture_output=True, text=True, timeout=COMMAND_S)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res.stdout


def _run(session: DesktopSession, scene, clip, log_name: str, env: dict | None = None):
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(clip),
            "--calibration", str(scene["cal"]), "--sustain", "5", "--sample-interval", "0.25"]  # fmt: skip
    return session.popen(argv, log_name, env=env or scene["env"])


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=EXIT_S)


def _cue_windows(session: DesktopSession) -> list[int]:
    return session.search_windows(name="^PostureGuard cue$", visible=True)


def _pointer_window(session: DesktopSession, x: int, y: int) -> int:
    """The top-level window the X server delivers pointer input to at (x, y), 0 for the root.

    The server's own answer (QueryPointer's child of the root), which honours input shapes: a window
    whose input shape leaves (x, y) out is not under the pointer there, whatever it draws.
    """
    from Xlib.display import Display

    session.run("xdotool", "mousemove", str(x), str(y))
    disp = Display(session.display)
    try:
        child = disp.screen().root.query_pointer().child
        return int(child.id) if child else 0
    finally:
        disp.close()


@pytest.fixture
def underneath(desktop_session: DesktopSession):
    """A full-screen Tk window below the cue that has the focus and prints every click it gets."""
    script = (
        "import sys, tkinter\nr = tkinter.Tk()\nr.title('PG under the cue')\nr.geometry('1280x800+0+0')\n"
        "r.configure(background='#dfe6ee')\n"
        "r.bind('<Button>', lambda e: print('click', e.num, e.x_root, e.y_root, flush=True))\n"
        "r.mainloop()\n"
    )
    proc = desktop_session.popen([sys.executable, "-c", script], "under-the-cue.log")
    win = wait_for(lambda: desktop_session.search_windows(name="^PG under the cue$", visible=True), START_S,
                   "the window under the cue")[0]  # fmt: skip
    desktop_session.focus(win)
    yield win
    _stop(proc)


def test_the_cue_appears_takes_no_focus_lets_clicks_through_and_goes_when_posture_recovers(
    desktop_session: DesktopSession, scene, underneath, tmp_path
):
    session = desktop_session
    # 8 s upright, 25 s of a lowered head, then 15 s upright again (4 fps).
    frames = posture_frames(32, 100) + posture_frames(60, 0)
    clip = write_clip(tmp_path / "recovers.avi", frames, fps=4)
    _config(scene, "set", "alert_forms", "cue")
    _config(scene, "set", "recovery_seconds", "3")
    session.dunst_close_all()
    before = session.dunst_count("displayed")
    log_name = "app-cue.log"
    proc = _run(session, scene, clip, log_name)
    try:
        _wait_log(session, log_name, "on-screen cue shown on 1 screen(s)", "the cue to be shown")
        cue = wait_for(lambda: _cue_windows(session), REACT_S, "the cue's window")
        assert len(cue) == 1, cue  # one monitor in this session
        assert session.window_geometry(cue[0]) == (0, 0, 1280, 800)
        # It took no focus: the window underneath still has it.
        assert session.focused_window() == underneath
        # Only the tab takes the pointer: on the edge and in the middle the window underneath gets it.
        for x, y in ((300, 3), (1276, 400), (640, 400), (20, 796)):
            assert _pointer_window(session, x, y) == underneath, (x, y, session.tree())
        assert _pointer_window(session, 640, 20) == cue[0]  # the tab (72 x 22 px below the top edge)
        # A real click on the edge reaches the window underneath.
        session.run("xdotool", "mousemove", "300", "4", "click", "1")
        wait_for(lambda: "click 1 300 4" in session.read_log("under-the-cue.log"), REACT_S,
                 "the click on the edge to reach the window underneath")  # fmt: skip
        assert _cue_windows(session) == cue  # and the cue stays
        shot = session.settled_screenshot("cue-shown.png")
        from PIL import Image

        with Image.open(shot) as image:
            edge, inside = image.getpixel((640, 0)), image.getpixel((640, 400))
            tab = image.getpixel((620, 20))
        assert all(abs(a - b) <= 12 for a, b in zip(edge, AMBER, strict=True)), edge
        assert inside == (0xDF, 0xE6, 0xEE), inside  # the window underneath shows through the middle
        assert tab[0] > 200 and tab[2] < 90, tab  # the amber tab
        assert session.dunst_count("displayed") == before  # the cue alone: no notification

        _wait_log(session, log_name, "on-screen cue goes: posture recovered", "the cue to go on recovery")
        wait_for(lambda: not _cue_windows(session), REACT_S, "the cue's window to go")
        _wait_log(session, log_name, "on-screen cue hidden", "the cue process to hide it")
        session.settled_screenshot("cue-gone.png")
        assert _pointer_window(session, 640, 20) == underneath
    finally:
        _stop(proc)
    # The app ends its cue process with itself.
    wait_for(lambda: not _cue_windows(session), EXIT_S, "no cue left after the app")


def test_a_right_click_on_the_cue_answers_sitting_fine(desktop_session: DesktopSession, scene, underneath):
    from postureguard.engine.threshold import after_fine_answer

    session = desktop_session
    _config(scene, "set", "alert_forms", "cue")
    log_name = "app-cue-fine.log"
    proc = _run(session, scene, scene["clip"], log_name)
    try:
        _wait_log(session, log_name, "on-screen cue shown on 1 screen(s)", "the cue to be shown")
        cue = wait_for(lambda: _cue_windows(session), REACT_S, "the cue's window")[0]
        assert _pointer_window(session, 640, 20) == cue
        session.run("xdotool", "click", "3")
        _wait_log(session, log_name, "on-screen cue: right-click, sitting fine", "the right-click")
        _wait_log(session, log_name, "sitting fine at", "the answer to reach the sink")
        wait_for(lambda: not _cue_windows(session), REACT_S, "the cue to go after the answer")
        assert "click 3" not in session.read_log("under-the-cue.log")  # the tab took it, not the window
        line = next(x for x in session.read_log(log_name).splitlines() if "sitting fine at" in x)
        angle = float(re.search(r"sitting fine at ([-0-9.]+)°", line).group(1))
        expected = after_fine_answer(5.0, angle, 0)  # medium sensitivity, no answer before
        saved = scene["home"] / "config" / "settings.toml"
        wait_for(lambda: "personal_threshold_tenths = " in saved.read_text(), REACT_S, "the threshold saved")
        shown = _config(scene, "show")
        assert f"personal_threshold_tenths = {round(expected.threshold_deg * 10)}" in shown, shown
        assert "fine_answers = 1" in shown, shown
    finally:
        _stop(proc)


@pytest.fixture
def pulse(tmp_path):
    """A real PulseAudio server with only a null sink (no sound card), on a private socket."""
    missing = [p for p in ("pulseaudio", "pactl", "canberra-gtk-play") if shutil.which(p) is None]
    if missing:
        message = (f"missing {', '.join(missing)} (Debian: pulseaudio pulseaudio-utils "
                   "gnome-session-canberra libcanberra-pulse sound-theme-freedesktop)")  # fmt: skip
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    runtime = tmp_path / "pulse"
    runtime.mkdir(mode=0o700)
    socket = runtime / "native"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime),
           "PULSE_RUNTIME_PATH": str(runtime)}  # fmt: skip
    log = open(tmp_path / "pulseaudio.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "-n",
         "--use-pid-file=no",
         "--load=module-null-sink sink_name=pg_null",
         f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    address = f"unix:{socket}"
    try:
        def answers() -> bool:
            info = subprocess.run(["pactl", "-s", address, "info"], capture_output=True, timeout=5)
            return info.returncode == 0

        wait_for(answers, START_S, "PulseAudio to answer")
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=EXIT_S)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_the_sound_form_plays_the_theme_event_through_the_sound_server(
    desktop_session: DesktopSession, scene, pulse, tmp_path
):
    session = desktop_session
    _config(scene, "set", "alert_forms", "notification,sound")
    events = tmp_path / "pactl-events.txt"
    with open(events, "wb") as out:
        watcher = subprocess.Popen(["pactl", "-s", pulse, "subscribe"], stdout=out, stderr=subprocess.STDOUT)
    time.sleep(0.5)  # subscribed before the alert
    log_name = "app-sound.log"
    proc = _run(session, scene, scene["clip"], log_name, env={**scene["env"], "PULSE_SERVER": pulse})
    try:
        _wait_log(session, log_name, "alert sound requested: canberra-gtk-play message-new-instant",
                  "the sound to be requested")  # fmt: skip
        _wait_log(session, log_name, "alert sound played by canberra-gtk-play", "the player to finish")
        # The stream reached the server: a sink input came and went on the null sink.
        wait_for(lambda: "Event 'new' on sink-input" in events.read_text(), REACT_S, "the sound stream")
        assert "alert sound:" not in session.read_log(log_name)  # no failure line
        wait_for(session.notification_window, REACT_S, "the notification beside the sound")
    finally:
        _stop(proc)
        watcher.terminate()
        watcher.wait(timeout=EXIT_S)
        session.dunst_close_all()


def test_without_a_sound_server_the_failed_request_is_one_log_line(desktop_session: DesktopSession, scene,
                                                                   tmp_path):  # fmt: skip
    if shutil.which("canberra-gtk-play") is None:
        pytest.skip("canberra-gtk-play is missing (Debian: gnome-session-canberra)")
    session = desktop_session
    _config(scene, "set", "alert_forms", "sound")
    log_name = "app-sound-nowhere.log"
    env = {**scene["env"], "PULSE_SERVER": f"unix:{tmp_path}/no-such-socket", "ALSA_CONFIG_PATH": "/dev/null"}
    proc = _run(session, scene, scene["clip"], log_name, env=env)
    try:
        _wait_log(session, log_name, "alert sound requested", "the sound to be requested")
        _wait_log(session, log_name, "alert sound: canberra-gtk-play failed (exit", "the failure to be named")
        lines = [x for x in session.read_log(log_name).splitlines() if "alert sound: canberra" in x]
        assert len(lines) == 1, lines
    finally:
        _stop(proc)


@pytest.fixture
def compositor(desktop_session: DesktopSession):
    """A compositing manager (xcompmgr) for one test: windows may be translucent and fade."""
    if shutil.which("xcompmgr") is None:
        message = "xcompmgr is missing (Debian: xcompmgr)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    proc = desktop_session.popen(["xcompmgr"], "xcompmgr.log")
    # The compositor owns _NET_WM_CM_S0 once it runs; GTK reads that to decide on translucency.
    wait_for(lambda: _cm_owner(desktop_session), START_S, "the compositor")
    yield proc
    _stop(proc)


def _cm_owner(session: DesktopSession) -> bool:
    from Xlib.display import Display

    disp = Display(session.display)
    try:
        return disp.get_selection_owner(disp.intern_atom("_NET_WM_CM_S0")) != 0
    finally:
        disp.close()


def test_with_a_compositor_the_cue_is_translucent_and_fades_in_and_out(
    desktop_session: DesktopSession, underneath, compositor, tmp_path
):
    """The real ``postureguard cue`` process, driven by its protocol as the app drives it."""
    from PIL import Image

    session = desktop_session
    env = {**session.env, "PYTHONPATH": test_tray_e2e.SRC, "POSTUREGUARD_HOME": str(tmp_path / "home")}
    cue = subprocess.Popen([sys.executable, "-m", "postureguard", "cue"], env=env, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
    background = (0xDF, 0xE6, 0xEE)

    def edge() -> tuple[int, int, int]:
        with Image.open(session.screenshot("cue-composited.png")) as image:
            return image.getpixel((640, 0))

    try:
        assert cue.stdout.readline().strip() == "ready"
        cue.stdin.write("show posture all 30\n")
        assert cue.stdout.readline().strip() == "shown 1"
        win = wait_for(lambda: _cue_windows(session), REACT_S, "the cue's window")[0]
        assert "Depth: 32" in session.run("xwininfo", "-id", str(win)).stdout  # an ARGB window
        # Fully in: amber at 85 % over the window underneath, which still shows through a little.
        blend = tuple(round(0.85 * a + 0.15 * b) for a, b in zip(AMBER, background, strict=True))
        wait_for(lambda: all(abs(a - b) <= 10 for a, b in zip(edge(), blend, strict=True)), REACT_S,
                 "the edge to fade in")  # fmt: skip
        shot = session.screenshot("cue-composited.png")
        with Image.open(shot) as image:
            assert image.getpixel((640, 400)) == background
        cue.stdin.write("hide\n")
        assert cue.stdout.readline().strip() == "hidden"
        seen = []
        # Fading out takes FADE_MS (600 ms): the edge passes through colours between amber and the window.
        deadline = time.monotonic() + REACT_S
        while time.monotonic() < deadline and (not seen or seen[-1] != background):
            seen.append(edge())
        assert seen[-1] == background, seen
        between = [c for c in seen if blend[0] > c[0] > background[0] + 3
                   or blend[2] < c[2] < background[2] - 3]  # fmt: skip
        assert between, seen  # faded, not cut
        assert wait_for(lambda: not _cue_windows(session), REACT_S, "the cue's window to go") is True
        cue.stdin.write("quit\n")
        assert cue.wait(timeout=EXIT_S) == 0
    finally:
        if cue.poll() is None:
            cue.kill()


def test_the_cue_process_retires_when_idle_and_comes_back_after_a_crash(desktop_session: DesktopSession,
                                                                        tmp_path, caplog):  # fmt: skip
    """CueProcess (the sink's side) with the real ``postureguard cue`` child."""
    import logging

    from postureguard.runtime.children import start_postureguard
    from postureguard.runtime.cue_link import CueProcess

    session = desktop_session
    env = {**session.env, "POSTUREGUARD_HOME": str(tmp_path / "home")}
    cue = CueProcess(lambda: None, start=lambda: start_postureguard(["cue"], pipes=True, env=env),
                     environ=env, retire_s=1.0)  # fmt: skip
    with caplog.at_level(logging.INFO, logger="postureguard.runtime.cue_link"):
        try:
            cue.show("posture", "all")
            wait_for(lambda: _cue_windows(session), START_S, "the cue's window")
            first = cue.proc
            cue.hide()
            wait_for(lambda: first.poll() is not None, REACT_S, "the idle cue process to end")
            assert cue.proc is None and "ends while no cue is shown" in caplog.text
            cue.show("sitting", "primary")  # a new process, no warning: retiring is not a crash
            wait_for(lambda: _cue_windows(session), START_S, "the cue's window again")
            assert cue.proc is not None and cue.proc.pid != first.pid
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
            cue.proc.kill()
            cue.proc.wait(timeout=EXIT_S)
            wait_for(lambda: not _cue_windows(session), REACT_S, "the killed cue's window to go")
            cue.show("posture", "all")
            wait_for(lambda: _cue_windows(session), START_S, "the cue after the crash")
            assert "ended (exit -9); starting it again" in caplog.text
        finally:
            cue.close()
    wait_for(lambda: not _cue_windows(session), EXIT_S, "no cue left after close")
