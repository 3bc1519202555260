"""The on-screen cue as the sink sees it: a :class:`Cue` with three calls, and the process that draws it.

The drawing runs in its own process (``postureguard cue``, :mod:`postureguard.ui.cue`) with its own GTK
main loop, so it works the same whichever tray backend owns this process's main thread (GTK, AppIndicator
or plain Xlib). :class:`CueProcess` starts it on the first alert, writes one command a line to its stdin
and reads its answers on a daemon thread: a right-click on the cue's tab arrives as ``fine`` and is
handed to ``on_fine`` (the sink posts "I'm sitting fine" from there).
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from postureguard.i18n import _

log = logging.getLogger(__name__)

#: Seconds the cue stays at most when posture does not recover (it goes by itself then).
CUE_MAX_S = 600.0
#: Times a cue process that ended unexpectedly is started again in one run.
MAX_RESTARTS = 3
#: Seconds :meth:`CueProcess.close` waits for the process to end before it is killed.
CLOSE_WAIT_S = 2.0
#: Seconds after a hide without a new show at which the cue's process ends: it holds about 45 MB
#: (bench/cue.py), and alerts are 15 minutes apart by default; starting it again takes about 1 s.
RETIRE_S = 300.0


class Cue(Protocol):
    """What the sink needs from an on-screen cue."""

    def show(self, kind: str, screens: str) -> None:
        """Draw the cue for an alert of ``kind`` (``posture`` or ``sitting``) on ``screens``
        (``all`` or ``primary``); never blocks."""

    def hide(self) -> None:
        """Let the cue go (it fades where a compositor allows)."""

    def close(self) -> None:
        """End the cue for good (the app shuts down)."""


def wayland_only(environ: Mapping[str, str] | None = None) -> bool:
    """A Wayland session without X (``WAYLAND_DISPLAY`` set, ``DISPLAY`` not): no cue can be drawn."""
    env = os.environ if environ is None else environ
    return bool(env.get("WAYLAND_DISPLAY")) and not env.get("DISPLAY")


def unavailable_reason(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the on-screen cue cannot be drawn in this session (for the log and ``doctor``), or None."""
    env = os.environ if environ is None else environ
    if wayland_only(env):
        return _(
            "the on-screen cue is not available on Wayland without X11 (the compositor does not let a "
            "program draw over other windows); the notification, sound and tray icon still work"
        )
    if not env.get("DISPLAY"):
        return _("the on-screen cue needs an X11 display (DISPLAY is not set)")
    return None


def _start_cue() -> subprocess.Popen:
    from postureguard.runtime.children import start_postureguard

    return start_postureguard(["cue"], pipes=True)


class CueProcess:
    """The ``postureguard cue`` child, started on the first :meth:`show` (and again if it died)."""

    def __init__(
        self,
        on_fine: Callable[[], None],
        *,
        start: Callable[[], subprocess.Popen] = _start_cue,
        environ: Mapping[str, str] | None = None,
        max_s: float = CUE_MAX_S,
        retire_s: float = RETIRE_S,
    ) -> None:
        self._on_fine = on_fine
        self.retire_s = retire_s
        self._shows = 0  # counts shows, so a retirement planned before a newer show does nothing
        self._start = start
        self._environ = environ
        self.max_s = max_s
        self.proc: subprocess.Popen | None = None
        self._crashes = 0  # unexpected ends; past MAX_RESTARTS the cue is given up for this run
        #: Why the cue cannot be drawn here (said once), or None.
        self.refused: str | None = None
        self._lock = threading.Lock()  # show/hide (the sink) vs. close (shutdown)

    def show(self, kind: str, screens: str) -> None:
        if self.refused is None:
            reason = unavailable_reason(self._environ)
            if reason is not None:
                self._refuse(reason)
        if self.refused is not None:
            return
        with self._lock:
            self._shows += 1
            proc = self._ensure()
            if proc is not None:
                self._write(proc, f"show {kind} {screens} {self.max_s:g}")

    def hide(self) -> None:
        with self._lock:
            if self.proc is not None and self.proc.poll() is None:
                self._write(self.proc, "hide")
                timer = threading.Timer(self.retire_s, self._retire, args=(self._shows,))
                timer.daemon = True
                timer.start()

    def _retire(self, shows: int) -> None:
        """End the idle process (no show since the hide that planned this); the next show starts one."""
        with self._lock:
            if shows != self._shows or self.proc is None:
                return
            proc, self.proc = self.proc, None
        log.info("the on-screen cue's process ends while no cue is shown")
        self._end(proc)

    def close(self) -> None:
        with self._lock:
            proc, self.proc = self.proc, None
        self._end(proc)

    def _end(self, proc: subprocess.Popen | None) -> None:
        if proc is None or proc.poll() is not None:
            return
        self._write(proc, "quit")
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=CLOSE_WAIT_S)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()

    def _refuse(self, reason: str) -> None:
        self.refused = reason
        log.warning("on-screen cue not available: %s", reason)

    def _ensure(self) -> subprocess.Popen | None:
        if self.proc is not None and self.proc.poll() is None:
            return self.proc
        if self.proc is not None:  # it ended by itself (retired processes are set aside as None)
            self._crashes += 1
            log.warning("the on-screen cue's process ended (exit %s)%s", self.proc.returncode,
                        "; starting it again" if self._crashes <= MAX_RESTARTS else "")  # fmt: skip
            self.proc = None
        if self._crashes > MAX_RESTARTS:
            return None
        try:
            proc = self._start()
        except OSError as exc:
            log.warning("cannot start the on-screen cue: %s", exc)
            self._crashes = MAX_RESTARTS + 1
            return None
        self.proc = proc
        threading.Thread(target=self._read, args=(proc,), name="cue-answers", daemon=True).start()
        log.info("started the on-screen cue (pid %d)", proc.pid)
        return proc

    def _write(self, proc: subprocess.Popen, line: str) -> None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        except (OSError, ValueError):  # it ended meanwhile; the next show starts it again
            log.debug("the on-screen cue did not take %r", line)

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.strip()
            word, _sep, rest = line.partition(" ")
            if word == "fine":
                log.info("on-screen cue: right-click, sitting fine")
                self._on_fine()
            elif word == "unavailable":
                self._refuse(rest)
            elif word == "shown":
                log.info("on-screen cue shown on %s screen(s)", rest)
            elif word in ("hidden", "dismissed"):
                log.info("on-screen cue %s", word)
            elif line:
                log.debug("on-screen cue said %r", line)
