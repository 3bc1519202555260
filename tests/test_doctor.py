"""``postureguard doctor``: real subprocesses against real, good and tampered model files; the desktop checks
in a real desktop session (Xvfb, D-Bus, dunst, trayer)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from postureguard.commands import doctor
from postureguard.commands.doctor import FAIL, OK, WARN, Check
from postureguard.platform.cameras import CameraInfo, CameraReport

REPO = Path(__file__).resolve().parents[1]


def _env(home: Path, pythonpath: Path = REPO / "src", base: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in (base or os.environ).items() if k not in ("PYTHONPATH", "POSTUREGUARD_HOME")}
    env.update(PYTHONPATH=str(pythonpath), POSTUREGUARD_HOME=str(home))
    return env


def _doctor(env: dict[str, str], *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "postureguard", "doctor", "--no-camera", *extra],
        env=env, capture_output=True, text=True, timeout=120, cwd=cwd or REPO,
    )  # fmt: skip


def _line(out: str, name: str) -> str:
    lines = [line for line in out.splitlines() if f"  {name}:" in line]
    assert len(lines) == 1, f"no single '{name}' line in:\n{out}"
    return lines[0]


def test_good_model_passes_the_model_check(tmp_path):
    env = _env(tmp_path / "home")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    result = _doctor(env)
    model = _line(result.stdout, "pose model")
    assert model.startswith("ok"), result.stdout
    assert "SHA-256" in model and "pose_landmarker_lite.task" in model
    assert _line(result.stdout, "knowledge base").startswith("ok")
    # Without a display the tray cannot run: a problem, in one line, and a non-zero exit.
    tray = _line(result.stdout, "tray")
    assert tray.startswith("FAIL") and "no display" in tray
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def _copied_tree(tmp_path: Path) -> Path:
    """A copy of the package and its data files, laid out as a source checkout (src/, data/, models/)."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "src" / "postureguard", root / "src" / "postureguard",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copytree(REPO / "data", root / "data")
    (root / "models").mkdir()
    return root


def test_tampered_model_fails_and_names_the_file(tmp_path):
    root = _copied_tree(tmp_path)
    original = (REPO / "models" / "pose_landmarker_lite.task").read_bytes()
    tampered = root / "models" / "pose_landmarker_lite.task"
    tampered.write_bytes(original[:-16] + bytes(16))  # same size, last bytes changed
    result = _doctor(_env(tmp_path / "home", root / "src"))
    assert result.returncode != 0
    model = _line(result.stdout, "pose model")
    assert model.startswith("FAIL"), result.stdout
    assert str(tampered) in model and "altered" in model
    assert "pose model" in result.stdout.splitlines()[-1], "the summary names what stops the app"


def test_missing_model_fails_and_names_the_file(tmp_path):
    root = _copied_tree(tmp_path)
    result = _doctor(_env(tmp_path / "home", root / "src"))
    assert result.returncode != 0
    model = _line(result.stdout, "pose model")
    assert model.startswith("FAIL") and "missing" in model
    # the path looked for first (inside the package, as an installed wheel has it) is named
    assert str(root / "src" / "postureguard" / "models" / "pose_landmarker_lite.task") in model


def test_missing_camera_is_a_warning_not_a_problem():
    check = doctor.check_cameras(lambda: CameraReport(()))
    assert check.level == WARN and "no camera found" in check.text
    busy = doctor.check_cameras(lambda: CameraReport((CameraInfo(0, "Webcam", "/dev/video0", True, False),)))
    assert busy.level == WARN and "/dev/video0" in busy.text
    good = doctor.check_cameras(
        lambda: CameraReport((CameraInfo(0, "Webcam", "/dev/video0", True, True, (640, 480)),))
    )
    assert good.level == OK and "1 of 1" in good.text
    assert doctor.exit_status([check, busy]) == 0


def test_summary_and_exit_status():
    checks = [
        Check("pose model", OK, "fine"),
        Check("camera", WARN, "none"),
        Check("tray", FAIL, "no display"),
    ]
    assert doctor.exit_status(checks) == 1
    assert doctor.exit_status(checks[:2]) == 0
    assert "tray" in doctor.summary(checks) and "1 problem" in doctor.summary(checks)
    assert doctor.format_check(checks[1]).startswith("WARN  camera: none")


def test_broken_settings_file_is_reported_by_name(isolated_home):
    from postureguard.files import paths

    path = paths.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text("[posture]\nsustain_seconds = 'soon'\n")
    check, settings = doctor.check_settings()
    assert check.level == WARN and str(path) in check.text and "sustain_seconds" in check.text
    assert settings.sustain_seconds == 60  # the default stands in for the bad value


def test_history_missing_then_readable(isolated_home):
    from postureguard.files import paths
    from postureguard.history import open_store

    assert doctor.check_history().level == OK and "not created yet" in doctor.check_history().text
    assert not paths.history_file().exists(), "the doctor must not create the history"
    open_store().close()
    assert doctor.check_history().text.startswith("readable")
    paths.history_file().write_bytes(b"this is not a database" * 100)
    damaged = doctor.check_history()
    assert damaged.level == WARN and "moved" in damaged.text


def test_autostart_disagreeing_with_the_setting_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert doctor.check_autostart(False).level == OK
    mismatch = doctor.check_autostart(True)
    assert mismatch.level == WARN and "setting says on" in mismatch.text


@pytest.mark.e2e
def test_doctor_in_a_desktop_session_reports_tray_menus_and_notification_actions(desktop_session, tmp_path):
    env = _env(tmp_path / "home", base=desktop_session.env)
    result = _doctor(env)
    tray = _line(result.stdout, "tray")
    assert tray.startswith("ok") and "with menus" in tray, result.stdout + result.stderr
    assert "XEmbed system tray (X11), backend 'gtk'" in tray, tray
    notes = _line(result.stdout, "notifications")
    assert notes.startswith("ok") and "dunst" in notes and "actions" in notes, result.stdout
    autostart_line = _line(result.stdout, "start at login")
    assert desktop_session.env["XDG_CONFIG_HOME"] in autostart_line
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.e2e
def test_doctor_names_the_status_notifier_path(sni_desktop_session, tmp_path):
    """With only a StatusNotifierItem host (KDE, Xfce, GNOME's extension, Wayland panels), that path."""
    result = _doctor(_env(tmp_path / "home", base=sni_desktop_session.env))
    tray = _line(result.stdout, "tray")
    wanted = "StatusNotifierItem over D-Bus, backend 'appindicator' with menus"
    assert tray.startswith("ok") and wanted in tray, result.stdout + result.stderr


@pytest.mark.e2e
def test_doctor_without_any_tray_says_what_to_install(bare_desktop_session, tmp_path):
    result = _doctor(_env(tmp_path / "home", base=bare_desktop_session.env))
    tray = _line(result.stdout, "tray")
    assert tray.startswith("FAIL") and "no tray host" in tray, result.stdout
    assert "AppIndicator extension" in tray and "gnome-shell-extension-appindicator" in tray, tray
    assert result.returncode == 1
