"""A real, private desktop session for end-to-end tests: Xvfb, a D-Bus session bus, dunst and trayer.

Everything here starts real processes and observes them with the ordinary X11 and D-Bus tools
(xdotool, xwininfo, dbus-send, dunstctl, ImageMagick's ``import``). Nothing is simulated: if the
session cannot be brought up, :func:`start_session` raises :class:`SessionUnavailable` naming the
Debian package that is missing, and the pytest fixture turns that into a skip (or a failure on CI).

Each wait polls an observable condition until a deadline (:data:`START_S`, :data:`REACT_S`, ... below,
sized for a loaded 2-core machine and scaled by ``POSTUREGUARD_TEST_SLOWDOWN``); none sleeps and hopes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Screenshots and other artefacts a person should look at go here (gitignored).
RESULTS_DIR = Path(__file__).resolve().parents[1] / "test-results"

SCREEN_GEOMETRY = "1280x800x24"

#: Program -> Debian package that provides it (named in the skip/fail message when it is missing).
REQUIRED_PROGRAMS: dict[str, str] = {
    "Xvfb": "xvfb",
    "dbus-launch": "dbus-x11",
    "dbus-send": "dbus-bin",
    "dunst": "dunst",
    "dunstctl": "dunst",
    "trayer": "trayer",
    "xdotool": "xdotool",
    "xwininfo": "x11-utils",
    "xprop": "x11-utils",
    "import": "imagemagick",
}


#: The StatusNotifierItem host of ``start_session(with_sni=True)`` (program -> Debian package).
SNI_PROGRAMS: dict[str, str] = {"gtk-sni-tray-standalone": "haskell-gtk-sni-tray-utils"}

SNI_WATCHER = "org.kde.StatusNotifierWatcher"


def _slowdown() -> float:
    """``POSTUREGUARD_TEST_SLOWDOWN`` (a factor >= 1, default 1): for machines slower than the baseline."""
    raw = os.environ.get("POSTUREGUARD_TEST_SLOWDOWN", "").strip()
    try:
        factor = float(raw) if raw else 1.0
    except ValueError:
        raise ValueError(f"POSTUREGUARD_TEST_SLOWDOWN must be a number, not {raw!r}") from None
    return factor if factor >= 1.0 else 1.0


#: Every deadline below is multiplied by this factor.
SLOWDOWN = _slowdown()

# The deadlines (seconds) of every wait in the desktop tests. They are sized for the slowest machine
# the tests must pass on, a 2-core machine with both cores saturated by other work (``stress-ng --cpu
# 2``), where a new Python process that imports Tk, GTK or MediaPipe needs tens of seconds to show its
# window. A deadline only bounds how long a broken run takes: a passing wait returns at the event.

#: A new process (Python + Tk/GTK/MediaPipe, or a session daemon) to show its window, its tray icon,
#: own its bus name or otherwise become ready.
START_S = 120.0 * SLOWDOWN
#: A running process to react to something (a key, a click, a signal, a file) with a log line, a
#: window, a file or a database row.
REACT_S = 60.0 * SLOWDOWN
#: A process to exit once asked to (Quit, Escape, SIGTERM), and a teardown kill to take effect.
EXIT_S = 60.0 * SLOWDOWN
#: A command-line tool (xdotool, xwininfo, dunstctl, import, dbus-send) to finish.
TOOL_S = 60.0 * SLOWDOWN
#: A whole PostureGuard command (``calibrate``, ``config set``, a start that fails) to run to its end.
COMMAND_S = 300.0 * SLOWDOWN

#: Timeout (seconds) for each session process to become ready.
READY_TIMEOUT_S = START_S


class SessionUnavailable(RuntimeError):
    """The desktop session cannot be started here; the message says what to install."""


def missing_programs(programs: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``{program: debian_package}`` for every required program not found on PATH."""
    wanted = REQUIRED_PROGRAMS if programs is None else programs
    return {prog: pkg for prog, pkg in wanted.items() if shutil.which(prog) is None}


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``predicate`` until it returns a truthy value and return that value.

    ``timeout`` and ``interval`` are in seconds. Raises :class:`TimeoutError` naming ``what`` when the
    deadline passes; exceptions from the predicate count as "not yet" until then, except an
    :class:`AssertionError`, which a predicate raises when the condition can no longer come true (the
    process it waits on has exited): that fails at once instead of at the deadline.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = predicate()
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - the condition is simply not met yet
            last_error = exc
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


@dataclass(frozen=True)
class TrayClient:
    """A window embedded in the system tray (an XEmbed icon)."""

    window_id: int
    name: str
    width: int
    height: int
    #: Absolute position of the window's top-left corner on the root window, in pixels.
    x: int
    y: int


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes] | None = None
    #: For daemons that fork away from us (dbus-daemon): their pid, killed explicitly.
    pid: int | None = None


@dataclass
class DesktopSession:
    """A running private session. Use :attr:`env` for subprocesses that should join it."""

    display: str
    env: dict[str, str]
    workdir: Path
    bus_address: str | None = None
    bus_pid: int | None = None
    dunst_pid: int | None = None
    results_dir: Path = RESULTS_DIR
    _procs: list[_Proc] = field(default_factory=list)

    # ----- running tools inside the session -------------------------------------------------------

    def run(
        self, *argv: str, check: bool = True, timeout: float = TOOL_S
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with the session's environment and return its completed process (text)."""
        return subprocess.run(
            list(argv), env=self.env, capture_output=True, text=True, check=check, timeout=timeout
        )

    def popen(self, argv: list[str], log_name: str, **kwargs) -> subprocess.Popen[bytes]:
        """Start ``argv`` in the session, in its own process group, logging to ``workdir/log_name``.

        The process is registered so teardown kills it if the caller does not.
        """
        logfile = open(self.workdir / log_name, "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(
            argv,
            env=kwargs.pop("env", self.env),
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **kwargs,
        )
        logfile.close()  # the child holds its own copy of the descriptor
        self._procs.append(_Proc(Path(log_name).stem, proc))
        return proc

    def read_log(self, log_name: str) -> str:
        path = self.workdir / log_name
        return path.read_text(errors="replace") if path.exists() else ""

    # ----- X11 observation ------------------------------------------------------------------------

    def screenshot(self, name: str, crop: tuple[int, int, int, int] | None = None, zoom: int = 1) -> Path:
        """Capture the whole screen into ``results_dir/name`` (PNG) and return the path.

        ``crop`` is ``(x, y, width, height)`` in screen pixels; ``zoom`` (>= 1) enlarges the crop with
        nearest-neighbour sampling so small things like tray icons stay sharp.
        """
        self.results_dir.mkdir(parents=True, exist_ok=True)
        target = self.results_dir / name
        raw = self.workdir / f"raw-{os.getpid()}-{time.monotonic_ns()}.png"
        self.run("import", "-window", "root", str(raw))
        from PIL import Image

        with Image.open(raw) as image:
            shot = image.convert("RGB")
        raw.unlink()
        if crop is not None:
            x, y, w, h = crop
            shot = shot.crop((x, y, x + w, y + h))
        if zoom > 1:
            shot = shot.resize((shot.width * zoom, shot.height * zoom), Image.Resampling.NEAREST)
        shot.save(target)
        return target

    def search_windows(
        self, name: str | None = None, wm_class: str | None = None, visible: bool = False,
        pid: int | None = None,
    ) -> list[int]:  # fmt: skip
        """Window ids whose WM_NAME (``name``) or WM_CLASS (``wm_class``) matches the regex given, or
        (``pid``) whose ``_NET_WM_PID`` is that process (GTK sets it; Tk does not)."""
        argv = ["xdotool", "search"]
        if visible:
            argv.append("--onlyvisible")
        if name is not None:
            argv += ["--name", name]
        elif wm_class is not None:
            argv += ["--class", wm_class]
        elif pid is not None:
            argv += ["--pid", str(pid)]
        else:
            raise ValueError("give name, wm_class or pid")
        result = self.run(*argv, check=False)
        # xdotool exits 1 when nothing matches; that is an empty answer, not an error.
        return [int(line) for line in result.stdout.split()]

    def window_geometry(self, window_id: int) -> tuple[int, int, int, int]:
        """``(x, y, width, height)`` of a window in root coordinates, pixels (from xwininfo)."""
        out = self.run("xwininfo", "-id", str(window_id)).stdout
        values = {
            key: int(re.search(rf"{key}:\s+(-?\d+)", out).group(1))  # type: ignore[union-attr]
            for key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
        }
        return (
            values["Absolute upper-left X"],
            values["Absolute upper-left Y"],
            values["Width"],
            values["Height"],
        )

    def tray_selection_owner(self, screen: int = 0) -> int | None:
        """Window id owning ``_NET_SYSTEM_TRAY_S<screen>`` (the XEmbed tray host), or None."""
        from Xlib import X
        from Xlib.display import Display

        disp = Display(self.display)
        try:
            owner = disp.get_selection_owner(disp.intern_atom(f"_NET_SYSTEM_TRAY_S{screen}"))
            return None if owner in (X.NONE, 0) else int(owner.id)
        finally:
            disp.close()

    def trayer_window(self) -> int:
        """The id of trayer's panel window (raises :class:`LookupError` if trayer has none).

        trayer also keeps small helper windows of the same class; the panel is the largest one.
        """
        ids = self.search_windows(wm_class="^trayer$")
        best, best_area = None, 0
        for window_id in ids:
            with contextlib.suppress(subprocess.CalledProcessError):
                x, y, w, h = self.window_geometry(window_id)
                if x >= 0 and y >= 0 and w * h > best_area:
                    best, best_area = window_id, w * h
        if best is None:
            raise LookupError(f"trayer has no panel window (candidates: {ids})")
        return best

    def tray_clients(self) -> list[TrayClient]:
        """Icons embedded in trayer's panel, read from ``xwininfo -tree`` of the panel.

        trayer reparents each XEmbed icon into a socket window of its own, so the icons are the
        grandchildren of the panel: the second level of indentation in the tree. Sockets without an
        icon and the 1x1 helper windows GTK puts inside an icon are not reported.
        """
        panel = self.trayer_window()
        out = self.run("xwininfo", "-tree", "-id", str(panel)).stdout
        entries = []
        for match in re.finditer(
            # indent, id, name, then "WxH+x+y  +absx+absy" (the absolute position is what we keep)
            r"^( +)(0x[0-9a-f]+) (?:\(has no name\)|\"(.*?)\"):.*?"
            r"(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$",
            out,
            re.MULTILINE,
        ):
            indent = len(match.group(1))
            w, h, x, y = (int(match.group(i)) for i in (4, 5, 6, 7))
            entries.append((indent, TrayClient(int(match.group(2), 16), match.group(3) or "", w, h, x, y)))
        levels = sorted({indent for indent, _ in entries})
        if len(levels) < 2:
            return []
        return [client for indent, client in entries if indent == levels[1] and client.width >= 2]

    def window_pid(self, window_id: int) -> int | None:
        """The ``_NET_WM_PID`` a window advertises (the process that created it), or None."""
        out = self.run("xprop", "-id", str(window_id), "_NET_WM_PID", check=False).stdout
        match = re.search(r"=\s*(\d+)", out)
        return int(match.group(1)) if match else None

    def tree(self, window_id: int | None = None) -> str:
        """``xwininfo -tree`` of a window (default: the root), for diagnostics in failure messages."""
        target = ["-root"] if window_id is None else ["-id", str(window_id)]
        return self.run("xwininfo", "-tree", *target, check=False).stdout

    def settled_screenshot(
        self, name: str, crop: tuple[int, int, int, int] | None = None, timeout: float = REACT_S,
        drawn: Callable[[Path], bool] | None = None,
    ) -> Path:  # fmt: skip
        """Screenshot (as :meth:`screenshot`) once the picture has settled: two shots in a row agree.

        A program logs what it shows before its toolkit has drawn it, so one shot right after the log
        line may catch a half-drawn window. ``drawn`` (optional) must also accept the picture.
        """
        from PIL import Image

        previous: list[bytes] = []

        def settled() -> Path | None:
            path = self.screenshot(name, crop=crop)
            with Image.open(path) as image:
                pixels = image.tobytes()
            same = bool(previous) and previous[-1] == pixels
            previous[:] = [pixels]
            return path if same and (drawn is None or drawn(path)) else None

        return wait_for(settled, timeout, f"the screen to settle for {name}", interval=0.2)

    # ----- the keyboard ---------------------------------------------------------------------------
    #
    # Keys go in through XTEST (``xdotool key`` without ``--window``), exactly like a keyboard, so they
    # reach the window that has the X input focus. They are only sent once that is the wanted window
    # (there is no window manager to give it the focus on its own schedule). ``xdotool key --window``
    # is not used: when the key closes the window, xdotool's key release fails with BadWindow and the
    # key stays pressed in the X server, which then closes the next window that gets the focus.

    def focused_window(self) -> int | None:
        """The window that has the X input focus (None for none or the root / PointerRoot)."""
        from Xlib.display import Display

        disp = Display(self.display)
        try:
            focus = disp.get_input_focus().focus
            if isinstance(focus, int) or focus.id == disp.screen().root.id:
                return None
            return int(focus.id)
        finally:
            disp.close()

    def focus(self, window_id: int, timeout: float = REACT_S) -> None:
        """Give ``window_id`` the keyboard focus and wait until the X server says it has it.

        Asked again on every poll: the application may move the focus itself while it starts up.
        """

        def focused() -> bool:
            self.run("xdotool", "windowfocus", str(window_id), check=False)
            return self.focused_window() == window_id

        wait_for(focused, timeout, f"window {window_id:#x} to have the keyboard focus", interval=0.2)

    def key(self, window_id: int, *keys: str, delay_ms: int = 40) -> None:
        """Press and release ``keys`` (xdotool key names) in ``window_id`` once it has the focus."""
        self.focus(window_id)
        self._keyboard("key", "--delay", str(delay_ms), *keys)

    def type_text(self, window_id: int, text: str, delay_ms: int = 40) -> None:
        """Type ``text`` into ``window_id`` (its focused widget) once it has the focus."""
        self.focus(window_id)
        self._keyboard("type", "--delay", str(delay_ms), text)

    def key_to_grab(self, *keys: str, delay_ms: int = 40) -> None:
        """Press ``keys`` for whoever holds the keyboard (a popup menu grabs it; it has no focus)."""
        self._keyboard("key", "--delay", str(delay_ms), *keys)

    def keys_down(self) -> list[int]:
        """Keycodes the X server holds pressed (empty when the keyboard is at rest)."""
        from Xlib.display import Display

        disp = Display(self.display)
        try:
            keymap = disp.query_keymap()
        finally:
            disp.close()
        return [i * 8 + bit for i, byte in enumerate(keymap) for bit in range(8) if byte >> bit & 1]

    def _keyboard(self, *argv: str) -> None:
        self.run("xdotool", *argv)
        # Every key pressed is released again (one left down would go on into the next window). The
        # server may read xdotool's last requests after this query, hence a wait and not one look.
        try:
            wait_for(lambda: not self.keys_down(), TOOL_S, "the keyboard to be released")
        except TimeoutError:
            raise AssertionError(
                f"keys left pressed after xdotool {' '.join(argv)}: keycodes {self.keys_down()}"
            ) from None

    # ----- D-Bus and dunst ------------------------------------------------------------------------

    def bus_name_owner_pid(self, name: str) -> int | None:
        """Unix pid of the connection that owns ``name`` on the session bus, or None if unowned."""
        result = self.run(
            "dbus-send", "--session", "--print-reply=literal", "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus", "org.freedesktop.DBus.GetConnectionUnixProcessID", f"string:{name}",
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            return None
        match = re.search(r"uint32 (\d+)", result.stdout)
        return int(match.group(1)) if match else None

    def dbus_call(
        self, destination: str, path: str, interface: str, member: str, signature: str = "",
        body: list[object] | None = None,
    ) -> list[object]:  # fmt: skip
        """Call a D-Bus method on the session bus (dbus-fast) and return the reply's body, unwrapped.

        Variants in the reply become their values, recursively, so callers read plain Python data.
        Raises :class:`RuntimeError` with the D-Bus error name when the call fails.
        """
        import asyncio

        from dbus_fast import Message, MessageType
        from dbus_fast.aio import MessageBus

        assert self.bus_address is not None

        async def call() -> list[object]:
            bus = await asyncio.wait_for(MessageBus(bus_address=self.bus_address).connect(), TOOL_S)
            try:
                reply = await asyncio.wait_for(bus.call(Message(
                    destination=destination, path=path, interface=interface, member=member,
                    signature=signature, body=body or [],
                )), TOOL_S)  # fmt: skip
            finally:
                bus.disconnect()
            assert reply is not None
            if reply.message_type == MessageType.ERROR:
                raise RuntimeError(f"{member} on {destination}{path}: {reply.error_name} {reply.body}")
            return [_unwrap(value) for value in reply.body]

        return asyncio.run(call())

    def dbus_property(self, destination: str, path: str, interface: str, name: str) -> object:
        """One D-Bus property's value (org.freedesktop.DBus.Properties.Get), unwrapped."""
        return self.dbus_call(destination, path, "org.freedesktop.DBus.Properties", "Get", "ss",
                              [interface, name])[0]  # fmt: skip

    def sni_items(self) -> list[str]:
        """``RegisteredStatusNotifierItems`` of the watcher: ``"<bus name><object path>"`` strings."""
        items = self.dbus_property(SNI_WATCHER, "/StatusNotifierWatcher", SNI_WATCHER,
                                   "RegisteredStatusNotifierItems")  # fmt: skip
        return list(items)  # type: ignore[call-overload]

    def sni_item_path(self, entry: str) -> tuple[str, str]:
        """``(bus name, object path)`` of a watcher entry. Watchers keep ``name/path`` or only the bus
        name (gtk-sni-tray's does); then the path is found as hosts find it, by introspection: the
        first object that implements org.kde.StatusNotifierItem."""
        import xml.etree.ElementTree as ET

        name, slash, path = entry.partition("/")
        if slash:
            return name, "/" + path
        pending = ["/"]
        while pending:
            where = pending.pop(0)
            xml = self.dbus_call(name, where, "org.freedesktop.DBus.Introspectable", "Introspect")[0]
            root = ET.fromstring(str(xml))
            if any(i.get("name") == "org.kde.StatusNotifierItem" for i in root.findall("interface")):
                return name, where
            pending += [f"{where.rstrip('/')}/{node.get('name')}" for node in root.findall("node")]
        raise LookupError(f"{name} exports no org.kde.StatusNotifierItem")

    def dunst_history(self) -> list[dict[str, object]]:
        """Notifications dunst has closed, newest first, as ``{field: value}`` dicts.

        dunstctl wraps every value as ``{"type": ..., "data": ...}``; this unwraps them, so a caller
        reads ``entry["summary"]``, ``entry["body"]``, ``entry["id"]`` directly.
        """
        raw = json.loads(self.run("dunstctl", "history").stdout)
        entries = raw["data"][0] if raw.get("data") else []
        return [{key: value["data"] for key, value in entry.items()} for entry in entries]

    def dunst_count(self, which: str) -> int:
        """Number of notifications dunst has ``displayed``, in ``history`` or ``waiting``."""
        return int(self.run("dunstctl", "count", which).stdout.strip())

    def dunst_close_all(self) -> None:
        self.run("dunstctl", "close-all")

    def dunst_invoke_action(self, label: str, timeout: float = REACT_S) -> list[str]:
        """Choose the action whose menu line contains ``label`` from dunst's context menu.

        ``dunstctl context`` makes dunst run its configured ``dmenu`` with one line per action of the
        displayed notifications; ours is a script that picks the first line containing ``label`` and
        records what it was offered. Dunst then emits ``ActionInvoked`` exactly as if a person had
        picked the entry. Returns the menu lines dunst offered.
        """
        offered = self.workdir / "menu-offered.txt"
        offered.unlink(missing_ok=True)
        (self.workdir / "menu-choice.txt").write_text(label)
        self.run("dunstctl", "context")
        wait_for(offered.exists, timeout, "dunst to run its context menu")
        # dunst writes the lines and then waits for the menu's answer; the file is complete once the
        # script has printed its choice, which it records by touching menu-done.
        done = self.workdir / "menu-done"
        wait_for(done.exists, timeout, "the context menu script to answer")
        done.unlink()
        return offered.read_text().splitlines()

    def notification_window(self) -> int | None:
        """Id of dunst's visible popup window, or None when nothing is displayed."""
        ids = self.search_windows(wm_class="^Dunst$", visible=True)
        return ids[0] if ids else None

    # ----- lifecycle ------------------------------------------------------------------------------

    def pids(self) -> dict[str, int]:
        """``{name: pid}`` of every process this session started and still tracks."""
        return {
            proc.name: proc.popen.pid if proc.popen else proc.pid
            for proc in self._procs
            if proc.popen or proc.pid
        }

    def stop(self) -> None:
        """Kill everything this session started (process groups first, then forked daemons)."""
        for proc in reversed(self._procs):
            if proc.popen is not None and proc.popen.poll() is None:
                _kill_group(proc.popen)
            elif proc.popen is None and proc.pid:
                _kill_pid(proc.pid)
        self._procs.clear()


def _unwrap(value: object) -> object:
    """A D-Bus value with every ``Variant`` replaced by its value (lists, tuples and dicts walked)."""
    from dbus_fast import Variant

    if isinstance(value, Variant):
        return _unwrap(value.value)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item) for item in value)
    return value


def _kill_group(popen: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """SIGTERM the process group of ``popen``, then SIGKILL it if it has not gone after ``grace`` s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGTERM)
    try:
        popen.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(timeout=EXIT_S)
    # Children of the group (e.g. GTK helpers) may outlive the leader by a moment.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may itself contain spaces.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _kill_pid(pid: int, grace: float = 3.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    try:
        wait_for(lambda: not pid_alive(pid), grace, f"pid {pid} to exit")
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


_DUNSTRC = """\
# Written by tests/desktop.py for a private test session.
[global]
    font = DejaVu Sans 11
    origin = top-right
    offset = 12x44
    width = (300, 460)
    frame_width = 2
    frame_color = "#dddddd"
    padding = 10
    horizontal_padding = 12
    # "(A)" in front of a notification that carries actions, so screenshots show them.
    show_indicators = yes
    format = "<b>%s</b>\\n%b"
    # Our stand-in for dmenu: picks the entry the test asked for (see dunst_invoke_action).
    dmenu = {menu}
    mouse_left_click = do_action, close_current
    mouse_middle_click = close_current
    mouse_right_click = context
    history_length = 50
[urgency_low]
    background = "#222222"
    foreground = "#ffffff"
    timeout = 600
[urgency_normal]
    background = "#285577"
    foreground = "#ffffff"
    timeout = 600
[urgency_critical]
    background = "#900000"
    foreground = "#ffffff"
    timeout = 0
"""

_MENU_SCRIPT = """\
#!/bin/sh
# dmenu stand-in: record the offered lines, answer with the first one containing the wanted label.
dir={dir}
cat > "$dir/menu-offered.tmp"
mv "$dir/menu-offered.tmp" "$dir/menu-offered.txt"
grep -m1 -F -- "$(cat "$dir/menu-choice.txt" 2>/dev/null)" "$dir/menu-offered.txt" || true
touch "$dir/menu-done"
"""


def _start_xvfb(session_env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start Xvfb on a free display number and return it with ``:N`` once it accepts clients.

    ``-displayfd`` makes Xvfb pick a free number itself and write it to the pipe only when it is
    ready, which is both race-free and an exact readiness signal.
    """
    read_fd, write_fd = os.pipe()
    logfile = open(workdir / "xvfb.log", "ab")  # noqa: SIM115
    try:
        popen = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN_GEOMETRY, "-nolisten", "tcp",
             "-noreset"],
            env=session_env, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            pass_fds=(write_fd,), start_new_session=True,
        )  # fmt: skip
    finally:
        os.close(write_fd)
        logfile.close()
    try:
        data = b""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            if not ready:
                raise SessionUnavailable(f"Xvfb did not report a display within {READY_TIMEOUT_S:.0f} s")
            chunk = os.read(read_fd, 64)
            if not chunk:
                raise SessionUnavailable(
                    f"Xvfb exited before it was ready: {(workdir / 'xvfb.log').read_text(errors='replace')}"
                )
            data += chunk
    except BaseException:
        _kill_group(popen)
        raise
    finally:
        os.close(read_fd)
    return popen, f":{int(data.strip())}"


@contextlib.contextmanager
def start_session(
    with_dunst: bool = True, with_tray: bool = True, results_dir: Path = RESULTS_DIR, with_sni: bool = False
) -> Iterator[DesktopSession]:
    """Start a private desktop session and stop everything in it on exit, even after an error.

    ``with_dunst`` starts the notification server, ``with_tray`` the trayer panel (the XEmbed tray
    host); without them the session is a bare X server and bus, for "no tray host" tests. ``with_sni``
    starts gtk-sni-tray-standalone, a StatusNotifierItem host that is also the watcher
    (org.kde.StatusNotifierWatcher), drawn as a bar along the top of the screen.
    Raises :class:`SessionUnavailable` when a program is missing or a process does not come up.
    """
    wanted = dict(REQUIRED_PROGRAMS)
    if not with_dunst:
        wanted = {p: k for p, k in wanted.items() if not p.startswith("dunst")}
    if not with_tray:
        wanted.pop("trayer")
    if with_sni:
        wanted.update(SNI_PROGRAMS)
    missing = missing_programs(wanted)
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise SessionUnavailable(
            f"the desktop session needs {', '.join(sorted(missing))}; "
            f"install with: apt-get install {packages}"
        )

    workdir = Path(tempfile.mkdtemp(prefix="pg-desktop-"))
    runtime = workdir / "runtime"
    runtime.mkdir(mode=0o700)
    home = workdir / "home"
    (home / ".config").mkdir(parents=True)
    # Only what a desktop session needs; nothing of the outer environment's display or bus leaks in.
    env = {
        key: value
        for key, value in os.environ.items()
        # POSTUREGUARD_HOME is per test (conftest's isolated_home); callers set it per subprocess.
        if key
        not in {
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "DBUS_SESSION_BUS_ADDRESS",
            "PYSTRAY_BACKEND",
            "POSTUREGUARD_HOME",
        }
        and not key.startswith("XDG_")
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        NO_AT_BRIDGE="1",  # keeps GTK from spawning the accessibility bus in the test session
        GDK_BACKEND="x11",
    )
    session: DesktopSession | None = None
    xvfb = None
    try:
        xvfb, display = _start_xvfb(env, workdir)
        env["DISPLAY"] = display
        session = DesktopSession(display=display, env=env, workdir=workdir, results_dir=results_dir)
        session._procs.append(_Proc("xvfb", xvfb))

        _start_bus(session)
        if with_dunst:
            _start_dunst(session)
        if with_tray:
            _start_trayer(session)
        if with_sni:
            _start_sni_tray(session)
        yield session
    finally:
        if session is not None:
            session.stop()
        elif xvfb is not None:
            _kill_group(xvfb)
        shutil.rmtree(workdir, ignore_errors=True)


BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- A session bus for tests: like the standard one, but with no service directories, so nothing
     installed on the machine (dunst, the accessibility bus, ...) is started behind our back by
     D-Bus activation. Everything on this bus is a process the test session started itself. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _start_bus(session: DesktopSession) -> None:
    """Start a session bus with dbus-launch and record its address and daemon pid."""
    config = session.workdir / "session-bus.conf"
    config.write_text(BUS_CONFIG.format(runtime=session.env["XDG_RUNTIME_DIR"]))
    result = subprocess.run(
        ["dbus-launch", "--sh-syntax", f"--config-file={config}"],
        env=session.env, capture_output=True, text=True, timeout=READY_TIMEOUT_S, start_new_session=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise SessionUnavailable(f"dbus-launch failed: {result.stderr.strip()}")
    values = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(DBUS_SESSION_BUS_ADDRESS|DBUS_SESSION_BUS_PID)=(.*?);?$", line.strip())
        if match:
            values[match.group(1)] = shlex.split(match.group(2))[0]
    try:
        address = values["DBUS_SESSION_BUS_ADDRESS"]
        pid = int(values["DBUS_SESSION_BUS_PID"])
    except (KeyError, ValueError) as exc:
        raise SessionUnavailable(f"cannot parse dbus-launch output {result.stdout!r}") from exc
    session.bus_address, session.bus_pid = address, pid
    session.env["DBUS_SESSION_BUS_ADDRESS"] = address
    # dbus-daemon forks away from us, so it is killed by pid; dbus-launch's X11 watcher exits with it.
    session._procs.append(_Proc("dbus-daemon", pid=pid))
    wait_for(lambda: _bus_answers(session), READY_TIMEOUT_S, "the session bus to answer")


def _bus_answers(session: DesktopSession) -> bool:
    result = session.run(
        "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
        "org.freedesktop.DBus.ListNames", check=False,
    )  # fmt: skip
    return result.returncode == 0


def _start_dunst(session: DesktopSession) -> None:
    """Start dunst with a private config and wait until it owns org.freedesktop.Notifications."""
    menu = session.workdir / "menu.sh"
    menu.write_text(_MENU_SCRIPT.format(dir=shlex.quote(str(session.workdir))))
    menu.chmod(0o755)
    config = session.workdir / "dunstrc"
    config.write_text(_DUNSTRC.format(menu=menu))
    proc = session.popen(["dunst", "-config", str(config)], "dunst.log")
    session.dunst_pid = proc.pid

    def owned_by_dunst() -> bool:
        if proc.poll() is not None:
            raise SessionUnavailable(f"dunst exited: {session.read_log('dunst.log')}")
        return session.bus_name_owner_pid("org.freedesktop.Notifications") == proc.pid

    try:
        wait_for(owned_by_dunst, READY_TIMEOUT_S, "dunst to own org.freedesktop.Notifications")
    except TimeoutError as exc:
        raise SessionUnavailable(f"{exc}; dunst log: {session.read_log('dunst.log')}") from exc


def _start_trayer(session: DesktopSession) -> None:
    """Start trayer (an XEmbed system tray) and wait until it owns the tray selection and is mapped."""
    proc = session.popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32",
         "--transparent", "false", "--tint", "0x333333", "--SetDockType", "true", "--expand", "true"],
        "trayer.log",
    )  # fmt: skip

    def ready() -> bool:
        if proc.poll() is not None:
            raise SessionUnavailable(f"trayer exited: {session.read_log('trayer.log')}")
        return session.tray_selection_owner() is not None and bool(session.trayer_window())

    try:
        wait_for(ready, READY_TIMEOUT_S, "trayer to own _NET_SYSTEM_TRAY_S0")
    except TimeoutError as exc:
        raise SessionUnavailable(f"{exc}; trayer log: {session.read_log('trayer.log')}") from exc


def _start_sni_tray(session: DesktopSession) -> None:
    """Start gtk-sni-tray-standalone with its own watcher and wait until a host is registered with it."""
    proc = session.popen(
        ["gtk-sni-tray-standalone", "--top", "--end", "--size", "32", "--watcher", "--color", "#333333"],
        "sni-tray.log",
    )  # fmt: skip

    def ready() -> bool:
        if proc.poll() is not None:
            raise SessionUnavailable(f"gtk-sni-tray-standalone exited: {session.read_log('sni-tray.log')}")
        if session.bus_name_owner_pid(SNI_WATCHER) != proc.pid:
            return False
        return bool(session.dbus_property(SNI_WATCHER, "/StatusNotifierWatcher", SNI_WATCHER,
                                          "IsStatusNotifierHostRegistered"))  # fmt: skip

    try:
        wait_for(ready, READY_TIMEOUT_S, "gtk-sni-tray-standalone to own the watcher and register its host")
    except TimeoutError as exc:
        raise SessionUnavailable(f"{exc}; its log: {session.read_log('sni-tray.log')}") from exc
