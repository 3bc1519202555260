"""Start at login: real files under a temporary XDG_CONFIG_HOME (Linux), pure entry texts elsewhere."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from postureguard.platform import autostart
from postureguard.platform.autostart import (
    DESKTOP_FILE_NAME,
    desktop_entry,
    desktop_exec_line,
    launch_agent_plist,
    launch_argv,
    parse_desktop_entry,
    windows_command_line,
    xdg_autostart_dir,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is Linux/BSD")


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    config = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


@linux_only
def test_enable_twice_leaves_one_valid_entry(xdg):
    assert not autostart.is_enabled()
    first = autostart.enable()
    entry = xdg / "autostart" / DESKTOP_FILE_NAME
    assert first.enabled and first.location == str(entry)
    content = entry.read_bytes()
    mtime = entry.stat().st_mtime_ns
    second = autostart.enable()
    assert second.enabled
    assert sorted(p.name for p in (xdg / "autostart").iterdir()) == [DESKTOP_FILE_NAME]
    assert entry.read_bytes() == content
    assert entry.stat().st_mtime_ns == mtime, "an identical entry must not be rewritten"
    assert autostart.is_enabled()

    values = parse_desktop_entry(content.decode("utf-8"))
    assert values["Type"] == "Application"
    assert values["Name"] == "PostureGuard"
    assert values["Exec"] == desktop_exec_line(launch_argv())
    assert values["Terminal"] == "false"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr


@linux_only
def test_disable_twice_is_fine_and_removes_the_entry(xdg):
    autostart.enable()
    entry = xdg / "autostart" / DESKTOP_FILE_NAME
    assert entry.exists()
    assert not autostart.disable().enabled
    assert not entry.exists()
    assert not autostart.disable().enabled  # nothing there: still fine
    assert not autostart.is_enabled()
    assert "does not start at login" in autostart.describe()


@linux_only
def test_entry_switched_off_by_the_desktop_counts_as_disabled(xdg):
    autostart.enable()
    entry = xdg / "autostart" / DESKTOP_FILE_NAME
    entry.write_text(entry.read_text() + "Hidden=true\n")
    assert not autostart.is_enabled()
    # enabling again restores our own entry (idempotent: the content is what enable writes)
    assert autostart.enable().enabled
    assert "Hidden" not in entry.read_text()


@linux_only
def test_unwritable_folder_gives_one_clear_error(xdg):
    # A file where the folder should be stops even root (folder permissions would not).
    xdg.mkdir(parents=True)
    (xdg / "autostart").write_text("not a folder")
    with pytest.raises(autostart.AutostartError, match=r"autostart/postureguard\.desktop") as info:
        autostart.enable()
    assert "\n" not in str(info.value)
    assert (xdg / "autostart").read_text() == "not a folder", "nothing the user had is touched"


def test_xdg_dir_honours_the_variable_and_ignores_relative_values(tmp_path):
    assert xdg_autostart_dir({"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/h"}) == tmp_path / "autostart"
    assert xdg_autostart_dir({"XDG_CONFIG_HOME": "rel/dir", "HOME": "/h"}) == Path("/h/.config/autostart")
    assert xdg_autostart_dir({"HOME": "/h"}) == Path("/h/.config/autostart")


def test_launch_argv_prefers_the_script_beside_the_interpreter(tmp_path):
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text("")
    assert launch_argv(str(python), which="") == [str(python), "-m", "postureguard"]
    script = bin_dir / ("postureguard.exe" if sys.platform == "win32" else "postureguard")
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert launch_argv(str(python), which="/usr/bin/postureguard") == [str(script)]


def test_exec_line_quotes_as_the_desktop_entry_spec_says():
    assert desktop_exec_line(["/usr/bin/postureguard"]) == "/usr/bin/postureguard"
    assert desktop_exec_line(["/opt/my apps/postureguard"]) == '"/opt/my apps/postureguard"'
    # a dollar sign is escaped inside quotes, then the backslash itself is escaped for the string value
    assert desktop_exec_line(["/a$b/pg"]) == '"/a\\\\$b/pg"'
    assert desktop_exec_line(["/x/100%/pg"]) == "/x/100%%/pg"
    assert "Exec=/usr/bin/python3 -m postureguard\n" in desktop_entry(
        ["/usr/bin/python3", "-m", "postureguard"]
    )


def test_other_platform_entries_hold_the_command():
    doc = plistlib.loads(launch_agent_plist(["/Applications/PG/bin/postureguard"]))
    assert doc["ProgramArguments"] == ["/Applications/PG/bin/postureguard"]
    assert doc["RunAtLoad"] is True and doc["Label"] == autostart.LAUNCH_AGENT_LABEL
    assert windows_command_line([r"C:\Program Files\PG\postureguard.exe"]) == (
        r'"C:\Program Files\PG\postureguard.exe"'
    )
