"""The applications-menu entry, the icon and one instance per user, with the real command and files.

The entry and icon are installed by the real ``postureguard install-desktop`` into a temporary
``XDG_DATA_HOME``, checked with desktop-file-validate, and then looked up the way menus do: GLib's
``Gio.DesktopAppInfo`` (what GNOME's and Xfce's menus and search use) must find the entry by a keyword,
and GTK's icon theme must find and draw the icon from the hicolor theme. The single-instance test
starts two real ``postureguard run`` processes in the private desktop session.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import COMMAND_S, EXIT_S, START_S, DesktopSession, wait_for
from postureguard.platform import desktop_menu
from postureguard.platform.autostart import parse_desktop_entry

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG menus are Linux/BSD")

POSTUREGUARD = [sys.executable, "-m", "postureguard"]


@pytest.fixture
def user(tmp_path) -> dict[str, str]:
    """An environment whose home, XDG folders and PostureGuard folder are all in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "POSTUREGUARD_HOME"}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / ".local" / "share"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        POSTUREGUARD_HOME=str(tmp_path / "pg"),
    )
    return env


def pg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*POSTUREGUARD, *args], env=env, capture_output=True, text=True, timeout=COMMAND_S)


def menu_lookup(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a fresh interpreter with ``env`` (GLib reads the XDG folders once, at start)."""
    prelude = "import gi; gi.require_version('Gtk', '3.0'); from gi.repository import Gio, Gtk\n"
    res = subprocess.run([sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True,
                         timeout=COMMAND_S)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@linux_only
def test_install_desktop_puts_a_valid_entry_and_icon_in_the_menu(user):
    data = Path(user["XDG_DATA_HOME"])
    entry = data / "applications" / "postureguard.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "postureguard.svg"
    res = pg(user, "install-desktop")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [f"icon: written {icon}", f"menu entry: written {entry}"]
    assert res.stderr == ""

    values = parse_desktop_entry(entry.read_text(encoding="utf-8"))
    assert values["Name"] == "PostureGuard" and values["Icon"] == "postureguard"
    assert values["GenericName"] and values["Comment"]
    assert {"posture", "neck", "break", "acupressure"} <= set(values["Keywords"].split(";"))
    assert "Utility" in values["Categories"].split(";")
    assert values["StartupNotify"] == "false" and values["Terminal"] == "false"
    # Exec starts this installation's program, which exists and is executable.
    program = values["Exec"].split(" ")[0]
    assert os.access(program, os.X_OK), values["Exec"]
    assert entry.stat().st_mode & 0o777 == 0o644 and icon.stat().st_mode & 0o777 == 0o644
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr

    # Found as menus find it: by a keyword, and with its icon drawn from the hicolor theme.
    found = menu_lookup(user, "print(Gio.DesktopAppInfo.search('acupressure'))")
    assert "postureguard.desktop" in found, found
    info = menu_lookup(user, (
        "i = Gio.DesktopAppInfo.new('postureguard.desktop')\n"
        "print(i.get_name(), i.get_icon().to_string(), i.list_actions(), i.should_show())"
    ))  # fmt: skip
    assert info == "PostureGuard postureguard ['settings'] True", info
    drawn = menu_lookup(user, (
        "t = Gtk.IconTheme.new(); i = t.lookup_icon('postureguard', 48, 0)\n"
        "p = i.load_icon(); print(i.get_filename(), p.get_width(), p.get_height())"
    ))  # fmt: skip
    assert drawn == f"{icon} 48 48", drawn


@linux_only
def test_install_desktop_twice_rewrites_nothing(user):
    assert pg(user, "install-desktop").returncode == 0
    entry = desktop_menu.menu_entry_path(user)
    icon = desktop_menu.icon_path(user)
    stamps = (entry.stat().st_mtime_ns, icon.stat().st_mtime_ns)
    res = pg(user, "install-desktop")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [f"icon: unchanged {icon}", f"menu entry: unchanged {entry}"]
    assert (entry.stat().st_mtime_ns, icon.stat().st_mtime_ns) == stamps
    assert sorted(p.name for p in entry.parent.iterdir()) == ["postureguard.desktop"]


@linux_only
def test_uninstall_desktop_removes_entry_icon_and_start_at_login(user):
    assert pg(user, "install-desktop").returncode == 0
    assert pg(user, "config", "set", "start_at_login", "true").returncode == 0
    enable = "from postureguard.platform import autostart; print(autostart.enable().location)"
    login = Path(subprocess.run([sys.executable, "-c", enable], env=user, capture_output=True, text=True,
                                check=True, timeout=COMMAND_S).stdout.strip())  # fmt: skip
    assert login.is_file() and login.is_relative_to(user["XDG_CONFIG_HOME"])
    entry, icon = desktop_menu.menu_entry_path(user), desktop_menu.icon_path(user)
    settings = Path(user["POSTUREGUARD_HOME"]) / "config" / "settings.toml"

    res = pg(user, "uninstall-desktop")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        f"menu entry: removed {entry}", f"icon: removed {icon}", f"start at login: removed {login}",
        f"start_at_login = false (saved to {settings})",
    ]  # fmt: skip
    assert not entry.exists() and not icon.exists() and not login.exists()
    assert pg(user, "config", "get", "start_at_login").stdout.strip() == "false"
    # The user's other folders and files are untouched.
    assert settings.exists() and entry.parent.is_dir()

    again = pg(user, "uninstall-desktop")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:2] == [f"menu entry: absent {entry}", f"icon: absent {icon}"]
    assert "start_at_login = false" not in again.stdout


@linux_only
def test_install_desktop_into_an_unwritable_folder_is_one_line(user):
    data = Path(user["XDG_DATA_HOME"])
    data.mkdir(parents=True)
    (data / "applications").write_text("not a folder")
    res = pg(user, "install-desktop")
    assert res.returncode == 2, res
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("postureguard: cannot write the menu entry "), lines
    assert (data / "applications").read_text() == "not a folder"


# ----- one instance per user ------------------------------------------------------------------------


def _postureguard_processes(home: str) -> dict[int, str]:
    """pid -> subcommand of the running ``postureguard`` processes whose POSTUREGUARD_HOME is ``home``."""
    found: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if f"POSTUREGUARD_HOME={home}".encode() not in environ or b"postureguard" not in argv:
            continue
        words = [a.decode() for a in argv[argv.index(b"postureguard") + 1:] if a and not a.startswith(b"-")]
        found[int(proc.name)] = words[0] if words else ""
    return found


@pytest.mark.e2e
@linux_only
def test_a_second_run_says_the_first_is_running(desktop_session: DesktopSession, tmp_path):
    from clips import posture_frames, write_clip

    clip = write_clip(tmp_path / "clip.avi", posture_frames(8, 400), fps=4)
    env = {**desktop_session.env, "POSTUREGUARD_HOME": str(tmp_path / "pg")}
    run = [*POSTUREGUARD, "-v", "run", "--source", str(clip), "--sample-interval", "0.5"]
    first = desktop_session.popen(run, "instance-first.log", env=env)
    try:
        def running() -> bool:
            if first.poll() is not None:
                raise AssertionError(desktop_session.read_log("instance-first.log"))
            return "monitor: running" in desktop_session.read_log("instance-first.log")

        wait_for(running, START_S, "the first instance to monitor")
        second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=COMMAND_S)
        assert second.returncode == 0, second
        lines = second.stderr.splitlines()
        assert lines == [f"postureguard: PostureGuard is already running (process {first.pid}); its icon "
                         "and menu are in the system tray; opened its settings window"], lines  # fmt: skip
        assert first.poll() is None, "the second start must leave the first one running"
        # ... and, started again from the menu, it shows the app's main window rather than nothing.
        window = wait_for(
            lambda: desktop_session.search_windows(name="^PostureGuard settings$", visible=True),
            START_S, "the settings window opened by the second start",
        )  # fmt: skip
        assert window
        desktop_session.screenshot("second-start-settings-window.png")
        ours = _postureguard_processes(env["POSTUREGUARD_HOME"])
        assert sorted(ours.values()) == ["run", "settings"], ours  # one monitor, plus the window
        for pid, command in ours.items():
            if command == "settings":
                os.kill(pid, signal.SIGTERM)

        # However the first ends (here: killed, as a crash), the lock goes with it.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=EXIT_S)
        take = "from postureguard.files import instance; print(instance.acquire())"
        after = subprocess.run([sys.executable, "-c", take], env=env, capture_output=True, text=True,
                               timeout=COMMAND_S)  # fmt: skip
        assert after.returncode == 0 and after.stdout.strip().endswith("instance.lock"), after
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=EXIT_S)
