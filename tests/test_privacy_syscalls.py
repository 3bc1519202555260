"""Privacy at the system-call level: the real ``postureguard`` program under ``strace -f``.

A Python audit hook cannot see a socket opened by a native thread, so these tests watch the kernel's
side instead: every thread and every child, MediaPipe's C++ included. They fail on any internet socket
the kernel did not refuse, any name lookup, and any file written outside PostureGuard's own folders
and the test's output paths (see ``tests/syscalls.py``). A last group shows that the kernel filter
itself bites: from Python, from native code, in another thread and in a child process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import pytest

from clips import calibrated_clip, posture_frames, write_clip
from desktop import DesktopSession, wait_for
from photos import photo
from syscalls import TRACE, check_log, internet_sockets_refused

PG = [sys.executable, "-m", "postureguard"]


@pytest.fixture(scope="module")
def strace() -> str:
    path = shutil.which("strace")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("strace is not installed (scripts/test.sh installs it)", pytrace=False)
        pytest.skip("strace is not installed (Debian package strace)")
    return path


@pytest.fixture
def photos(tmp_path) -> list[Path]:
    out = []
    for name in ("astronaut", "grace_hopper", "coffee"):
        path = tmp_path / "in" / f"{name}.jpg"
        path.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(path), photo(name))
        out.append(path)
    return out


def traced(strace: str, argv: list[str], log: Path, **kwargs) -> list[str]:
    return [strace, "-f", "-qq", "-s", "256", "-e", TRACE, "-o", str(log), "--", *argv]


def assert_private(log: Path, allowed: list[Path], cwd: Path) -> None:
    text = log.read_text(errors="replace")
    violations = check_log(text, allowed, cwd)
    assert not violations, "\n".join(map(str, violations[:20]))


@pytest.mark.parametrize("what", ["photos", "recording"])
def test_analyze_photos_and_a_recording_stay_private(strace, tmp_path, photos, isolated_home, what):
    clip = write_clip(tmp_path / "in" / "clip.avi", posture_frames(8, 8), fps=4)
    sources = [str(p) for p in photos] if what == "photos" else [str(clip)]
    out = tmp_path / "out" / "records.jsonl"
    out.parent.mkdir()
    log = tmp_path / "strace.log"
    res = subprocess.run(
        traced(strace, [*PG, "analyze", *sources, "--calibrate-frames", "2", "--out", str(out)], log),
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert out.stat().st_size > 0
    assert_private(log, [isolated_home, out.parent], tmp_path)
    # One line on stderr (the summary): no native notice from MediaPipe, LiteRT or OpenCV.
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_calibrate_and_doctor_stay_private(strace, tmp_path, photos, isolated_home):
    frames = tmp_path / "upright"
    frames.mkdir()
    for i, img in enumerate(posture_frames(4, 0)):
        cv2.imwrite(str(frames / f"f{i}.png"), img)
    for argv in (["calibrate", "--source", str(frames)], ["doctor", "--no-camera"]):
        log = tmp_path / f"strace-{argv[0]}.log"
        res = subprocess.run(traced(strace, [*PG, *argv], log), cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
        assert res.returncode in (0, 1), res.stderr
        assert_private(log, [isolated_home], tmp_path)


@pytest.mark.e2e
def test_tray_app_run_stays_private(strace, tmp_path, desktop_session: DesktopSession):
    """``postureguard run --source CLIP`` in the real desktop: it alerts through dunst, and nothing
    leaves (the notification goes over the session bus, a Unix socket)."""
    home = tmp_path / "pg-home"
    env = {**desktop_session.env, "POSTUREGUARD_HOME": str(home)}
    clip, cal = calibrated_clip(tmp_path, env, 24, 160, timeout=180)
    desktop_session.dunst_close_all()
    before = desktop_session.dunst_count("history") + desktop_session.dunst_count("displayed")
    log = tmp_path / "strace-run.log"
    argv = [*PG, "-v", "run", "--source", str(clip), "--calibration", str(cal), "--sustain", "5",
            "--sample-interval", "0.25"]  # fmt: skip
    proc = desktop_session.popen(traced(strace, argv, log), "strace-run", env=env, cwd=tmp_path)
    try:
        def shown() -> int:
            return desktop_session.dunst_count("history") + desktop_session.dunst_count("displayed")

        wait_for(lambda: shown() > before, timeout=240, what="the posture notification in dunst")
        app_pid = wait_for(lambda: _traced_child(proc.pid), timeout=30, what="the traced app's pid")
        os.kill(app_pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text(errors="replace")
    assert "sa_family=AF_UNIX" in text  # the trace did see the D-Bus and X11 traffic
    assert_private(log, [home], tmp_path)


@pytest.mark.e2e
def test_the_camera_guide_stays_private(strace, tmp_path, isolated_home, desktop_session: DesktopSession):
    """The routine player with the camera guide (the hand and face landmarkers: native code of their
    own) on a recording of a real hand pressing LI4: nothing leaves, and no frame is written."""
    import test_guide_player as guide
    import test_player

    clip = guide._home(isolated_home, [("on", 2.5), ("away", 2.5)], tmp_path)
    log = tmp_path / "strace-guide.log"
    player = test_player.Player(desktop_session, isolated_home, "strace-guide", "li4-guide", "--camera",
                                str(clip), wrapper=tuple(traced(strace, [], log)))  # fmt: skip
    try:
        player.find_window(guide.TITLE)
        player.expect(r"window ready for keys")
        player.key("Return")  # Start
        player.expect(r"camera claim: taken")
        player.expect(r"camera guide: pressing LI4", 60)  # both landmarkers ran on the frames
        player.key("Escape")
        player.expect(r"camera claim: released")
        player.proc.wait(timeout=60)
    finally:
        player.stop()
    text = log.read_text(errors="replace")
    assert "hand_landmarker.task" in text and "face_landmarker.task" in text  # the models were traced
    assert_private(log, [isolated_home], tmp_path)


def _traced_child(strace_pid: int) -> int | None:
    try:
        children = Path(f"/proc/{strace_pid}/task/{strace_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


# ----- the filter itself ---------------------------------------------------------------------------

PROBE = textwrap.dedent(
    """
    import ctypes, json, socket, subprocess, sys, threading
    import postureguard.platform.network_filter as nf
    loaded = {}
    real_load = nf._build_and_load
    def watched():
        loaded["native_before"] = sorted({"numpy", "cv2", "mediapipe"} & set(sys.modules))
        real_load()
    nf._build_and_load = watched
    from postureguard.cli import entry  # noqa: F401 - the program's own start-up path
    from postureguard.files.paths import settings_file
    status = nf.install(settings_path=settings_file())
    out = {"active": status.active, "reason": status.reason, **loaded}

    def python_socket(family):
        try:
            socket.socket(family, socket.SOCK_STREAM).close()
            return "created"
        except PermissionError as exc:
            return f"refused errno {exc.errno}"

    out["python_inet"] = python_socket(socket.AF_INET)
    out["python_inet6"] = python_socket(socket.AF_INET6)
    out["python_unix"] = python_socket(socket.AF_UNIX)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(2, 1, 0)
    out["native_inet"] = f"fd {fd} errno {ctypes.get_errno()}"
    seen = []
    t = threading.Thread(target=lambda: seen.append(python_socket(socket.AF_INET)))
    t.start(); t.join()
    out["thread_inet"] = seen[0]
    import mediapipe  # noqa: F401 - a native library loaded after the filter changes nothing
    out["after_mediapipe"] = python_socket(socket.AF_INET)
    child_code = "import socket\\ntry:\\n socket.socket(); print('created')\\n" \\
        "except PermissionError as e: print(e.errno)"
    child = subprocess.run([sys.executable, "-c", child_code], capture_output=True, text=True)
    out["child_inet"] = child.stdout.strip()
    print(json.dumps(out))
    """
)


def test_filter_refuses_internet_sockets_everywhere(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the kernel filter is Linux-only")
    import errno
    import json

    res = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DISPLAY": ":0"})  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["active"], out["reason"]
    assert out["native_before"] == []  # installed before any native library was loaded
    refused = f"refused errno {errno.EPERM}"
    for key in ("python_inet", "python_inet6", "thread_inet", "after_mediapipe"):
        assert out[key] == refused, key
    assert out["python_unix"] == "created"  # D-Bus and X11 still work
    assert out["native_inet"] == f"fd -1 errno {errno.EPERM}"
    assert out["child_inet"] == str(errno.EPERM)


def test_doctor_reports_the_filter(isolated_home):
    res = subprocess.run([*PG, "doctor", "--no-camera"], capture_output=True, text=True, timeout=120)
    line = next(x for x in res.stdout.splitlines() if "network:" in x)
    assert line.startswith("ok") and "internet sockets refused by a kernel filter" in line, res.stdout


@pytest.mark.parametrize(
    ("env", "settings", "expected"),
    [
        ({"DISPLAY": "localhost:10.0"}, "", "DISPLAY=localhost:10.0 is a network endpoint"),
        ({"DBUS_SESSION_BUS_ADDRESS": "tcp:host=10.0.0.2,port=55"}, "", "DBUS_SESSION_BUS_ADDRESS=tcp:"),
        ({"POSTUREGUARD_NETWORK_FILTER": "off"}, "", "turned off by POSTUREGUARD_NETWORK_FILTER=off"),
        ({}, "[privacy]\nnetwork_filter = false\n", "turned off by network_filter = false"),
    ],
)
def test_when_the_filter_is_not_installed_doctor_and_the_log_say_why(isolated_home, env, settings, expected):
    if settings:
        (isolated_home / "config").mkdir(parents=True)
        (isolated_home / "config" / "settings.toml").write_text(settings)
    res = subprocess.run([*PG, "doctor", "--no-camera"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DISPLAY": ":0", **env})  # fmt: skip
    line = next(x for x in res.stdout.splitlines() if "network:" in x)
    assert line.startswith("WARN") and "internet sockets NOT refused" in line and expected in line, res.stdout


def test_a_broken_settings_file_keeps_the_filter_on(isolated_home):
    (isolated_home / "config").mkdir(parents=True)
    (isolated_home / "config" / "settings.toml").write_text("[privacy\nnetwork_filter = false\n")
    res = subprocess.run([*PG, "doctor", "--no-camera"], capture_output=True, text=True, timeout=120)
    line = next(x for x in res.stdout.splitlines() if "network:" in x)
    assert line.startswith("ok"), res.stdout


def test_the_check_sees_a_refused_socket(tmp_path, strace, isolated_home):
    """The trace shows the kernel at work: MediaPipe releases with a usage logger try to open internet
    sockets and are refused; the locked release opens none."""
    img = tmp_path / "a.jpg"
    cv2.imwrite(str(img), photo("astronaut"))
    log = tmp_path / "s.log"
    res = subprocess.run(traced(strace, [*PG, "analyze", str(img)], log), capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr
    text = log.read_text(errors="replace")
    assert check_log(text, [isolated_home], tmp_path) == []
    # The parser itself is live: a made-up unrefused socket and a DNS packet are caught.
    fake = (
        '4242  socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 5\n'
        '4242  sendto(5, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("10.0.0.1")}, 16) = 1\n'
    )
    assert [v.what for v in check_log(fake, [], tmp_path)] == ["internet socket created", "DNS query"]
    # MediaPipe releases with the usage logger (0.10.35 and later) try to reach Google on every run:
    # there the log must show the kernel refusing them; the locked release does not try.
    from importlib.metadata import version

    mp_version = tuple(int(x) for x in version("mediapipe").split(".")[:3])
    if mp_version >= (0, 10, 35):
        assert internet_sockets_refused(text) > 0, "expected the usage logger's refused sockets"
    else:
        assert internet_sockets_refused(text) == 0
