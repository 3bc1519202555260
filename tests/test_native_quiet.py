"""Native libraries stay off the user's terminal; what they say goes through logging.

MediaPipe 1.x prints "INFO: [accelerator_registry.cc:43] DestroyAccelerator ..." and more straight to
file descriptor 2 from C++; the program routes descriptor 2 into the ``postureguard.native`` logger
(see ``postureguard.platform.native_logs``). These tests run the real program.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import cv2
import pytest

from photos import photo

PG = [sys.executable, "-m", "postureguard"]


@pytest.fixture
def person(tmp_path):
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), photo("astronaut"))
    return path


def test_analyze_prints_only_its_own_summary(person):
    res = subprocess.run([*PG, "analyze", str(person)], capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines() == [res.stderr.splitlines()[0]]
    assert res.stderr.startswith("1 frames, 1 with a person"), res.stderr


@pytest.mark.parametrize(
    "argv",
    [["analyze", "/nonexistent/photo.jpg"], ["analyze", "7"], ["calibrate", "--source", "/nonexistent"]],
)
def test_errors_stay_one_line(argv):
    res = subprocess.run([*PG, *argv], capture_output=True, text=True, timeout=180)
    assert res.returncode != 0
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("postureguard: "), res.stderr


def test_native_lines_reach_the_debug_log_not_the_terminal(person):
    """Whatever native code writes to fd 2 becomes a DEBUG record of postureguard.native (-vv shows
    it, prefixed by the logger); without -vv nothing of it appears."""
    code = textwrap.dedent(
        """
        import os, sys, time
        from postureguard.platform import native_logs
        native_logs.quiet_native_libraries()
        import logging
        logging.basicConfig(level=logging.DEBUG if sys.argv[1] == "debug" else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        os.write(2, b"I0000 00:00 fake_native.cc:1] hello from C++\\n")
        os.write(2, b"F0000 00:00 fake_native.cc:2] Check failed: x\\n")
        time.sleep(0.5)  # let the reader thread drain the pipe before exit
        print("python's own line", file=sys.stderr)
        """
    )
    quiet = subprocess.run([sys.executable, "-c", code, "warning"], capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert quiet.stderr.splitlines() == [
        "ERROR postureguard.native: F0000 00:00 fake_native.cc:2] Check failed: x",
        "python's own line",
    ]
    loud = subprocess.run([sys.executable, "-c", code, "debug"], capture_output=True, text=True, timeout=60)
    assert "DEBUG postureguard.native: I0000 00:00 fake_native.cc:1] hello from C++" in loud.stderr


def test_the_pose_model_loads_without_matplotlib():
    """The tray process must not carry what only reports need (MediaPipe imports pyplot otherwise)."""
    code = textwrap.dedent(
        """
        import sys
        from postureguard.vision.pose import MediaPipePose
        m = MediaPipePose(mode="video")
        m.close()
        import postureguard.runtime.app, postureguard.ui.tray, postureguard.commands.run  # noqa: F401
        print(sorted({k.split(".")[0] for k in sys.modules} & {"matplotlib", "skimage", "scipy"}))
        import matplotlib.figure  # a report afterwards still gets the real library
        print(matplotlib.figure.Figure.__name__)
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["[]", "Figure"]
