"""A hostile or broken desktop never costs the user a working app (issue 12, desktop side).

* Notification text is sent as text: a routine title full of markup from the user's
  ``routines.json`` reaches the notification server escaped where the server reads markup
  (``body-markup``), unchanged where it does not; the summary is always plain. What is really sent
  is read with ``dbus-monitor`` on the session bus, what is shown from dunst's own history.
* ``postureguard run`` with no notification server (none installed, or one whose D-Bus activation
  fails) keeps its tray icon, says so once in the log, and ends cleanly on SIGTERM.
* A missing camera or a broken video gives exactly one line on stderr (no OpenCV/FFmpeg noise).

Everything runs for real: Xvfb, dbus-daemon, dunst and trayer from tests/desktop.py, private buses
started here, and the installed ``postureguard`` command.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from clips import calibrated_clip
from desktop import DesktopSession, wait_for
from photos import photo
from postureguard.platform import notifications as notif
from postureguard.platform.notifications import DesktopNotifications

#: Text a hostile routines.json could put in a routine title (markup, an entity, a link, quotes).
HOSTILE = '<b>Neck</b> &amp; <a href="http://x">release</a> "now" \'ok\''
#: The same text as the specification's body markup must carry it to be shown literally.
HOSTILE_ESCAPED = (
    "&lt;b&gt;Neck&lt;/b&gt; &amp;amp; &lt;a href=&quot;http://x&quot;&gt;release&lt;/a&gt; "
    "&quot;now&quot; &apos;ok&apos;"
)

#: Seconds SIGTERM may take to end the app (it must be "a few"; the box is a busy 2-core one).
SIGTERM_DEADLINE_S = 10.0

_BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  {servicedir}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def private_bus(session: DesktopSession, where: Path, *, failing_notifications: bool = False) -> str:
    """Start a session bus of our own (killed with ``session``) and return its address.

    With ``failing_notifications`` the bus can D-Bus-activate org.freedesktop.Notifications, but
    the program it starts exits at once: the "activation fails" case of a broken installation.
    Without it nothing is activatable, like a desktop with no notification daemon at all.
    """
    where.mkdir(parents=True, exist_ok=True)
    servicedir = ""
    if failing_notifications:
        services = where / "services"
        services.mkdir()
        (services / "org.freedesktop.Notifications.service").write_text(
            "[D-BUS Service]\nName=org.freedesktop.Notifications\nExec=/bin/false\n"
        )
        servicedir = f"<servicedir>{services}</servicedir>"
    socket = where / "bus"
    config = where / "bus.conf"
    config.write_text(_BUS_CONFIG.format(socket=socket, servicedir=servicedir))
    session.popen(["dbus-daemon", "--nofork", f"--config-file={config}"], f"bus-{where.name}.log")
    address = f"unix:path={socket}"

    def answers() -> bool:
        result = subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"],
            capture_output=True, timeout=15,
        )  # fmt: skip
        return result.returncode == 0

    wait_for(answers, 20, f"the private bus at {socket} to answer")
    return address


class NotifyMonitor:
    """``dbus-monitor`` watching Notify calls on a bus; :meth:`calls` parses what it saw."""

    def __init__(self, session: DesktopSession, address: str, log_name: str) -> None:
        self.session, self.log_name = session, log_name
        self.proc = session.popen(
            ["dbus-monitor", "--address", address,
             "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
            log_name,
        )  # fmt: skip
        # dbus-monitor becomes a monitor by BecomeMonitor, which drops its name: it is ready then.
        wait_for(lambda: "member=NameLost" in session.read_log(log_name), 20, "dbus-monitor to be ready")

    def calls(self) -> list[dict[str, str]]:
        """Notify calls seen so far: ``{"app_name", "summary", "body"}`` as they crossed the bus."""
        text = self.session.read_log(self.log_name)
        found = []
        for block in re.split(r"\n(?=method call |signal |method return |error )", text):
            if "member=Notify" not in block.split("\n", 1)[0]:
                continue
            # Argument lines are indented by three spaces; a string may span lines (newlines in it).
            strings = re.findall(r'\n   string "(.*?)"(?=\n   \S|\n*\Z)', block, re.S)
            if len(strings) >= 4:
                found.append({"app_name": strings[0], "summary": strings[2], "body": strings[3]})
        return found

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def shown_text(entry: dict[str, object]) -> str:
    """The text dunst drew for a history entry: its final Pango markup, parsed as Pango does."""
    import gi

    gi.require_version("Pango", "1.0")
    from gi.repository import Pango

    ok, _attrs, text, _accel = Pango.parse_markup(str(entry["message"]), -1, "\0")
    assert ok, entry
    return text


# ----- what reaches the server -------------------------------------------------------------------


@pytest.mark.e2e
def test_markup_in_title_and_body_is_sent_escaped_to_a_markup_server(
    desktop_session: DesktopSession, monkeypatch
):
    session = desktop_session
    address = session.env["DBUS_SESSION_BUS_ADDRESS"]
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    monitor = NotifyMonitor(session, address, "monitor-markup.log")
    session.dunst_close_all()
    try:
        with DesktopNotifications(app_name="PostureGuard") as service:
            assert notif.MARKUP in service.capabilities(), "dunst advertises body-markup"
            service.send(HOSTILE, f"Suggested: {HOSTILE} (3 min).")
            sent = wait_for(lambda: [c for c in monitor.calls() if c["app_name"] == "PostureGuard"], 15,
                            "the Notify call on the bus")  # fmt: skip
    finally:
        monitor.stop()
    assert sent[-1]["summary"] == HOSTILE, "the summary is plain text: sent as it is"
    assert sent[-1]["body"] == f"Suggested: {HOSTILE_ESCAPED} (3 min)."
    session.dunst_close_all()
    entry = wait_for(lambda: [e for e in session.dunst_history() if e["summary"] == HOSTILE], 10,
                     "the notification in dunst's history")[0]  # fmt: skip
    # dunst's format is "<b>%s</b>\n%b": what it drew is exactly our text, no link, no tags.
    assert shown_text(entry) == f"{HOSTILE}\nSuggested: {HOSTILE} (3 min)."


@pytest.mark.e2e
def test_plain_text_goes_unchanged_to_a_server_without_markup(desktop_session: DesktopSession, tmp_path,
                                                             monkeypatch):  # fmt: skip
    """A dunst with ``markup = no`` does not advertise body-markup, so nothing may be escaped."""
    session = desktop_session
    address = private_bus(session, tmp_path / "plain-bus")
    config = tmp_path / "dunstrc-plain"
    config.write_text('[global]\n    markup = no\n    format = "%s\\n%b"\n')
    env = {**session.env, "DBUS_SESSION_BUS_ADDRESS": address}
    dunst = session.popen(["dunst", "-config", str(config)], "dunst-plain.log", env=env)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)

    def owned() -> bool:
        result = subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply=literal", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
             "string:org.freedesktop.Notifications"],
            capture_output=True, text=True, timeout=15,
        )  # fmt: skip
        return "true" in result.stdout

    monitor = None
    try:
        wait_for(owned, 20, "the plain dunst to own org.freedesktop.Notifications")
        monitor = NotifyMonitor(session, address, "monitor-plain.log")
        with DesktopNotifications(app_name="PostureGuard") as service:
            caps = service.capabilities()
            assert notif.BODY in caps and notif.MARKUP not in caps
            service.send(HOSTILE, HOSTILE)
            sent = wait_for(monitor.calls, 15, "the Notify call on the private bus")
        assert sent[-1]["summary"] == HOSTILE and sent[-1]["body"] == HOSTILE
        subprocess.run(["dunstctl", "close-all"], env=env, check=True, timeout=15)
        history = wait_for(
            lambda: json.loads(subprocess.run(["dunstctl", "history"], env=env, capture_output=True,
                                              text=True, timeout=15).stdout)["data"][0],
            10, "the notification in the plain dunst's history",
        )  # fmt: skip
        entry = {key: value["data"] for key, value in history[0].items()}
        assert shown_text(entry) == f"{HOSTILE}\n{HOSTILE}"
    finally:
        if monitor is not None:
            monitor.stop()
        dunst.terminate()
        dunst.wait(timeout=10)


def test_body_escaping_is_exact_for_the_five_xml_characters():
    """The pure rule: & < > " ' become entities only for a markup server; other text is untouched."""
    text = "a & b < c > d \"e\" 'f' ° — Suggested"
    assert notif.body_for_server(text, frozenset({notif.BODY})) == text
    escaped = notif.body_for_server(text, frozenset({notif.BODY, notif.MARKUP}))
    assert escaped == "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos; ° — Suggested"
    assert notif.body_for_server("&amp;", frozenset({notif.MARKUP})) == "&amp;amp;"


# ----- the tray app on a desktop without notifications -------------------------------------------


def _our_icons(session: DesktopSession, proc, log_name: str):
    if proc.poll() is not None:
        raise AssertionError(f"the app exited early ({proc.returncode}):\n{session.read_log(log_name)}")
    return [c for c in session.tray_clients() if session.window_pid(c.window_id) == proc.pid]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("server", "sig"),
    [
        ("none installed", signal.SIGTERM),
        ("activation fails", signal.SIGTERM),
        ("activation fails", signal.SIGINT),
    ],
    ids=["none-SIGTERM", "activation-fails-SIGTERM", "activation-fails-SIGINT"],
)
def test_run_without_a_notification_server_keeps_the_tray_and_ends_on_sigterm(
    desktop_session: DesktopSession, tmp_path, server, sig
):
    """The X tray (trayer) is there, the session bus has no notification server to give.

    SIGINT (Ctrl+C) must end it the same clean way: pystray resets SIGINT to "kill" as its loop
    starts, which would skip the history flush.
    """
    session = desktop_session
    address = private_bus(session, tmp_path / "bus", failing_notifications=server == "activation fails")
    pictures = []
    for i in range(2):
        path = tmp_path / f"photo-{i}.png"
        cv2.imwrite(str(path), photo("grace_hopper"))
        pictures.append(str(path))
    env = {**session.env, "DBUS_SESSION_BUS_ADDRESS": address, "POSTUREGUARD_HOME": str(tmp_path / "home")}
    log_name = f"app-no-notifications-{server.replace(' ', '-')}-{sig.name}.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", *pictures, "--interval", "0.5"]
    proc = session.popen(argv, log_name, env=env)
    try:
        wait_for(lambda: _our_icons(session, proc, log_name), 60, "the app's icon in the tray")
        wait_for(lambda: "monitor: running" in session.read_log(log_name), 60, "monitoring to start")
        proc.send_signal(sig)
        started = time.monotonic()
        code = proc.wait(timeout=SIGTERM_DEADLINE_S + 20)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    log = session.read_log(log_name)
    assert code == 0, log
    assert took < SIGTERM_DEADLINE_S, (took, log)
    assert "Traceback" not in log and "cannot join thread" not in log, log
    told = [line for line in log.splitlines() if "notification server" in line]
    assert len(told) == 1 and told[0].startswith("WARNING ") and "tray icon" in told[0], told
    assert "monitor stopped; source released: True" in log, log


# ----- a hostile routines.json, end to end ---------------------------------------------------------


@pytest.mark.e2e
def test_a_routine_title_with_markup_reaches_dunst_escaped(desktop_session: DesktopSession, tmp_path):
    """The user's routines.json replaces the neck routine with one whose title is markup."""
    session = desktop_session
    home = tmp_path / "home"
    env = {**session.env, "POSTUREGUARD_HOME": str(home)}
    builtin = json.loads(Path(__file__).resolve().parents[1].joinpath("data", "acupoints.json").read_text())
    routine = next(r for r in builtin["routines"] if r["id"] == "neck-release")
    # The config folder of this POSTUREGUARD_HOME (see postureguard.files.paths.user_routines_file).
    probe = subprocess.run(
        [sys.executable, "-c", "from postureguard.files import paths; print(paths.user_routines_file())"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    routines_file = Path(probe.stdout.strip())
    routines_file.parent.mkdir(parents=True, exist_ok=True)
    routines_file.write_text(json.dumps({"version": builtin["version"],
                                         "routines": [{**routine, "title": HOSTILE}]}))  # fmt: skip

    clip, cal = calibrated_clip(tmp_path, env, 32, 160, timeout=180)

    monitor = NotifyMonitor(session, session.env["DBUS_SESSION_BUS_ADDRESS"], "monitor-routine.log")
    session.dunst_close_all()
    log_name = "app-hostile-routine.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(clip),
            "--calibration", str(cal), "--sustain", "5", "--sample-interval", "0.25"]  # fmt: skip
    proc = session.popen(argv, log_name, env=env)
    try:
        alert = wait_for(lambda: [c for c in monitor.calls() if "Suggested:" in c["body"]]
                         or (proc.poll() is not None and pytest.fail(session.read_log(log_name))),
                         120, "the posture alert on the bus")[0]  # fmt: skip
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=SIGTERM_DEADLINE_S + 20) == 0, session.read_log(log_name)
    finally:
        monitor.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert f"Suggested: {HOSTILE_ESCAPED} (" in alert["body"], alert
    assert "<a " not in alert["body"] and "<b>" not in alert["body"], alert


# ----- a missing camera, a broken video: our one line only ----------------------------------------

_IN_PROCESS = "import sys; from postureguard.cli import main; raise SystemExit(main(sys.argv[1:]))"


@pytest.mark.parametrize("how", ["command", "in-process main"])
@pytest.mark.parametrize("what", ["missing camera", "broken video"])
def test_a_missing_camera_or_broken_video_prints_exactly_one_line(tmp_path, how, what):
    """OpenCV's and FFmpeg's own lines ("[ WARN:0@...] cap_v4l.cpp", "moov atom not found") stay out.

    "command" is the program as users run it; "in-process main" calls the CLI without the
    program's native-log redirection, so the source adapter itself must keep OpenCV quiet.
    """
    from postureguard.errors import SourceError, exit_code

    if what == "missing camera":
        if Path("/dev/video7").exists():
            pytest.skip("this machine has a /dev/video7")
        target = "7"
    else:
        broken = tmp_path / "broken.mp4"
        broken.write_bytes(np.random.default_rng(12).integers(0, 256, 64_000, dtype=np.uint8).tobytes())
        target = str(broken)
    argv = ["-m", "postureguard"] if how == "command" else ["-c", _IN_PROCESS]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCV_", "GLOG_", "TF_CPP_"))}
    res = subprocess.run([sys.executable, *argv, "analyze", target], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    expected = "camera 7 cannot be opened" if what == "missing camera" else "cannot open video"
    assert lines[0].startswith(f"postureguard: {expected}"), lines
    assert res.returncode == exit_code(SourceError), res
