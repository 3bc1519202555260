"""Start PostureGuard when the user logs in: one small adapter per platform.

* Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/postureguard.desktop`` (``~/.config`` when
  the variable is unset), a desktop entry whose ``Exec`` runs the installed ``postureguard`` program.
* Windows: the value ``PostureGuard`` under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.
* macOS: ``~/Library/LaunchAgents/io.postureguard.agent.plist`` with ``RunAtLoad``.

:func:`enable` and :func:`disable` are idempotent: enabling twice leaves one entry, disabling what is not
there is fine. The text of each entry is built by pure functions (:func:`desktop_entry`,
:func:`launch_agent_plist`, :func:`windows_command_line`) so it can be checked on any platform; only the
file and registry writes are platform-bound.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from postureguard.errors import UserError
from postureguard.i18n import _

log = logging.getLogger(__name__)

DESKTOP_FILE_NAME = "postureguard.desktop"
LAUNCH_AGENT_LABEL = "io.postureguard.agent"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_VALUE_NAME = "PostureGuard"


class AutostartError(UserError):
    """The autostart entry cannot be written or removed (the message names the file or key)."""


@dataclass(frozen=True)
class AutostartState:
    """Whether PostureGuard starts at login, and where that is recorded."""

    enabled: bool
    #: The file or registry value that holds the entry (present or not).
    location: str
    #: The command the entry runs (empty when there is no entry).
    command: str = ""


class Autostart(Protocol):
    """What the settings window, first-run setup and ``doctor`` need from a platform's mechanism."""

    def state(self) -> AutostartState: ...

    def enable(self) -> AutostartState: ...

    def disable(self) -> AutostartState: ...


# ----- what to run --------------------------------------------------------------


def launch_argv(executable: str | None = None, which: str | None = None) -> list[str]:
    """The command that starts the tray app: the installed ``postureguard`` script when there is one.

    The script beside the running interpreter (a virtualenv's ``bin/``) wins over one on ``PATH`` so the
    entry starts the same installation the user configured; without a script the interpreter runs the
    package as a module. ``executable`` and ``which`` default to ``sys.executable`` and the PATH lookup.
    """
    executable = executable or sys.executable
    script_name = "postureguard.exe" if sys.platform == "win32" else "postureguard"
    beside = Path(executable).parent / script_name
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = which if which is not None else shutil.which("postureguard")
    if found:
        return [str(Path(found).resolve())]
    return [executable, "-m", "postureguard"]


# ----- entry texts (pure) -------------------------------------------------------------------------

_DESKTOP_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _desktop_exec_arg(arg: str) -> str:
    """Quote one argument for a desktop entry's ``Exec`` key (Desktop Entry Specification, "Exec key").

    Arguments with reserved characters go in double quotes, with the double quote, backquote, dollar
    sign and backslash escaped by a backslash; ``%`` is doubled (field codes). The string-value escaping
    of the whole line (a backslash written as two) is applied by :func:`desktop_exec_line`.
    """
    arg = arg.replace("%", "%%")
    if arg and not any(ch in _DESKTOP_RESERVED for ch in arg):
        return arg
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
    return f'"{escaped}"'


def desktop_exec_line(argv: Sequence[str]) -> str:
    """The value of ``Exec=`` for ``argv``, already escaped as a desktop-entry string value."""
    line = " ".join(_desktop_exec_arg(a) for a in argv)
    # Desktop entry string values escape the backslash itself (so a quoted "\\" becomes "\\\\").
    return line.replace("\\", "\\\\")


def desktop_entry(argv: Sequence[str]) -> str:
    """The text of ``postureguard.desktop`` for an XDG autostart folder."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=PostureGuard\n"
        "GenericName=Posture reminder\n"
        "Comment=Watches your posture and suggests short acupressure breaks\n"
        f"Exec={desktop_exec_line(argv)}\n"
        "Icon=postureguard\n"
        "Terminal=false\n"
        "Categories=Utility;\n"
        "StartupNotify=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        # Give the panel a moment to start so the tray icon finds its host.
        "X-GNOME-Autostart-Delay=5\n"
    )


def launch_agent_plist(argv: Sequence[str]) -> bytes:
    """The macOS LaunchAgent property list that starts ``argv`` at login (not kept alive after Quit)."""
    import plistlib

    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(argv),
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
        }
    )


def windows_command_line(argv: Sequence[str]) -> str:
    """``argv`` as one Windows command line (the quoting the C runtime reads back)."""
    import subprocess

    return subprocess.list2cmdline(list(argv))


def parse_desktop_entry(text: str) -> dict[str, str]:
    """Keys of a desktop file's ``[Desktop Entry]`` group (later duplicates win; other groups ignored)."""
    values: dict[str, str] = {}
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        if group == "Desktop Entry" and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


# ----- adapters --------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    from postureguard.files.paths import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, mode=0o644)  # desktop sessions read autostart entries; 0644 is the norm


def xdg_autostart_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/autostart``, or ``~/.config/autostart`` when the variable is unset or relative."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    home = Path(env.get("HOME") or Path.home())
    root = Path(base) if base and Path(base).is_absolute() else home / ".config"
    return root / "autostart"


class FileAutostart:
    """An entry that is one file (XDG desktop entry, macOS LaunchAgent)."""

    def __init__(self, path: Path, content: bytes, command: str) -> None:
        self.path = path
        self._content = content
        self._command = command

    def state(self) -> AutostartState:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return AutostartState(False, str(self.path))
        except OSError as exc:
            reason = exc.strerror or exc
            raise AutostartError(
                _("cannot read the autostart entry {path}: {reason}").format(path=self.path, reason=reason)
            ) from None
        if self.path.suffix == ".desktop":
            entry = parse_desktop_entry(data.decode("utf-8", errors="replace"))
            # A desktop may keep the file but switch it off (Hidden=true or the GNOME key set to false).
            off = entry.get("Hidden", "").lower() == "true" or (
                entry.get("X-GNOME-Autostart-enabled", "true").lower() == "false"
            )
            return AutostartState(not off, str(self.path), entry.get("Exec", ""))
        return AutostartState(True, str(self.path), self._command)

    def enable(self) -> AutostartState:
        try:
            current = self.path.read_bytes() if self.path.exists() else None
            if current != self._content:
                _write_atomic(self.path, self._content)
                log.info("autostart entry written: %s", self.path)
        except OSError as exc:
            raise AutostartError(
                _("cannot write the autostart entry {path}: {reason}").format(
                    path=self.path, reason=exc.strerror or exc
                )
            ) from None
        return self.state()

    def disable(self) -> AutostartState:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(
                _("cannot remove the autostart entry {path}: {reason}").format(
                    path=self.path, reason=exc.strerror or exc
                )
            ) from None
        log.info("autostart entry removed: %s", self.path)
        return self.state()


class WindowsRunKeyAutostart:  # pragma: no cover - exercised on Windows only
    """The ``PostureGuard`` value under the current user's Run key."""

    def __init__(self, command: str) -> None:
        self._command = command
        self.location = f"HKEY_CURRENT_USER\\{WINDOWS_RUN_KEY}\\{WINDOWS_VALUE_NAME}"

    def state(self) -> AutostartState:
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, WINDOWS_VALUE_NAME)
        except FileNotFoundError:
            return AutostartState(False, self.location)
        except OSError as exc:
            text = _("cannot read {path}: {reason}")
            raise AutostartError(text.format(path=self.location, reason=exc)) from None
        return AutostartState(True, self.location, str(value))

    def enable(self) -> AutostartState:
        import winreg

        try:
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
                winreg.SetValueEx(key, WINDOWS_VALUE_NAME, 0, winreg.REG_SZ, self._command)
        except OSError as exc:
            text = _("cannot write {path}: {reason}")
            raise AutostartError(text.format(path=self.location, reason=exc)) from None
        return self.state()

    def disable(self) -> AutostartState:
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, WINDOWS_VALUE_NAME)
        except FileNotFoundError:
            pass  # nothing to remove: already disabled
        except OSError as exc:
            text = _("cannot remove {path}: {reason}")
            raise AutostartError(text.format(path=self.location, reason=exc)) from None
        return self.state()


def for_platform(
    platform: str | None = None, env: Mapping[str, str] | None = None, argv: Sequence[str] | None = None
) -> Autostart:
    """The autostart adapter for ``platform`` (default ``sys.platform``) and environment ``env``."""
    platform = platform or sys.platform
    env = os.environ if env is None else env
    argv = list(argv) if argv is not None else launch_argv()
    if platform == "win32":  # pragma: no cover - Windows only
        return WindowsRunKeyAutostart(windows_command_line(argv))
    if platform == "darwin":
        home = Path(env.get("HOME") or Path.home())
        path = home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        return FileAutostart(path, launch_agent_plist(argv), " ".join(argv))
    path = xdg_autostart_dir(env) / DESKTOP_FILE_NAME
    return FileAutostart(path, desktop_entry(argv).encode("utf-8"), desktop_exec_line(argv))


# ----- module-level conveniences (the current user on this machine) -------------------------------


def is_enabled() -> bool:
    """Whether PostureGuard is set to start at login for the current user."""
    return for_platform().state().enabled


def enable() -> AutostartState:
    """Install the autostart entry (rewritten only when its content differs); returns the new state."""
    return for_platform().enable()


def disable() -> AutostartState:
    """Remove the autostart entry if there is one; returns the new state."""
    return for_platform().disable()


def set_enabled(on: bool) -> AutostartState:
    """:func:`enable` or :func:`disable`."""
    return enable() if on else disable()


def describe(state: AutostartState | None = None) -> str:
    """One plain sentence about the autostart state, e.g. for ``postureguard doctor``."""
    state = state if state is not None else for_platform().state()
    if state.enabled:
        return _("starts at login (entry: {path})").format(path=state.location)
    return _("does not start at login (no entry at {path})").format(path=state.location)
