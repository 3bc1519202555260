"""The tray app's log file: a real `postureguard run` in a desktop session writes its INFO lines to a
private, rotated file in the state folder; the terminal keeps its WARNING level; `doctor` names the file.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys

import pytest

from clips import calibrated_clip
from desktop import COMMAND_S, EXIT_S, START_S, DesktopSession, wait_for

pytestmark = pytest.mark.e2e

PG = [sys.executable, "-m", "postureguard"]


def _doctor_log_line(env: dict[str, str]) -> str:
    res = subprocess.run([*PG, "doctor", "--no-camera"], env=env, capture_output=True, text=True,
                         timeout=COMMAND_S)  # fmt: skip
    assert "Traceback" not in res.stderr, res.stderr
    lines = [line for line in res.stdout.splitlines() if line.startswith("ok    log: ")]
    assert len(lines) == 1, res.stdout
    return lines[0]


def test_doctor_names_the_log_before_anything_was_written(tmp_path):
    home = tmp_path / "pg-home"
    outer = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    env = {**outer, "POSTUREGUARD_HOME": str(home), "HOME": str(tmp_path)}
    line = _doctor_log_line(env)
    assert line.endswith(f"none written yet; the tray app ('postureguard run') logs to "
                         f"{home / 'state' / 'postureguard.log'}"), line  # fmt: skip
    assert not (home / "state" / "postureguard.log").exists(), "doctor only looks"


def test_run_logs_info_to_a_private_rotated_file(desktop_session: DesktopSession, tmp_path):
    session = desktop_session
    home = tmp_path / "pg-home"
    env = {**session.env, "POSTUREGUARD_HOME": str(home)}
    clip, cal = calibrated_clip(tmp_path, env, 32, 160, timeout=COMMAND_S)

    # A log left nearly full by an earlier run, readable by others (made under another umask): the
    # first line rotates it away, and both files end up private.
    state = home / "state"
    state.mkdir(parents=True, mode=0o700)
    log_file = state / "postureguard.log"
    old = "2020-01-01 00:00:00,000 INFO postureguard.runtime.app: an earlier run\n"
    log_file.write_text(old * (1_000_000 // len(old)))
    log_file.chmod(0o644)

    log_name = "app-logfile.log"
    # No -v: the terminal stays at WARNING, the file gets INFO.
    argv = [*PG, "run", "--source", str(clip), "--calibration", str(cal), "--sustain", "5",
            "--sample-interval", "0.25"]  # fmt: skip
    proc = session.popen(argv, log_name, env=env)
    try:
        def logged(text: str) -> bool:
            if proc.poll() is not None:
                early = session.read_log(log_name)
                raise AssertionError(f"the app exited early ({proc.returncode}):\n{early}")
            return log_file.exists() and text in log_file.read_text(errors="replace")

        wait_for(lambda: logged("INFO postureguard.runtime.app: monitor: running"), START_S,
                 "monitoring in the log")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=EXIT_S)

    text = log_file.read_text()
    assert "monitor stopped; source released: True" in text, text
    assert "an earlier run" not in text, "the nearly full log was rotated away"
    assert (state / "postureguard.log.1").read_text().startswith(old)
    for path in (log_file, state / "postureguard.log.1"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    lines = text.splitlines()
    # At INFO the native libraries' lines (DEBUG on postureguard.native) stay out.
    assert lines and all(" DEBUG " not in line for line in lines), text
    # The terminal is as before: the INFO lines of the file are not on it.
    terminal = session.read_log(log_name)
    assert "monitor: running" not in terminal and "Traceback" not in terminal, terminal

    line = _doctor_log_line(env)
    size_kb = round(log_file.stat().st_size / 1000)
    assert line == f"ok    log: the tray app logs to {log_file} ({size_kb} kB)", line
