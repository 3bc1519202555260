"""Start the routine player as a separate process, without waiting for it (the tray calls this).

The player runs ``sys.executable -m postureguard routine play ID``: the same interpreter and the same
PostureGuard as the caller, even from a source checkout that is not installed (the package's folder
is put first on the child's ``PYTHONPATH``). A daemon thread reaps the child when it exits, so no
zombie is left and the caller never blocks; ``Popen.poll()`` still reports its exit status.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

_ROUTINE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCES = ("notification", "tray", "cli")


def player_command(
    routine_id: str, source: str, *, short: bool = False, step_seconds: float | None = None
) -> list[str]:
    """The argument list that starts the player (pure; raises ValueError for a bad argument)."""
    if not _ROUTINE_ID.match(routine_id):
        raise ValueError(f"not a routine id: {routine_id!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    argv = [sys.executable, "-m", "postureguard", "routine", "play", routine_id, "--source", source]
    if short:
        argv.append("--short")
    if step_seconds is not None:
        argv += ["--step-seconds", f"{step_seconds:g}"]
    return argv


def child_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's environment) with this PostureGuard first on PYTHONPATH and
    this process's language (:func:`postureguard.i18n.current_language`), so a window it opens speaks
    the language of the tray that opened it."""
    from postureguard.i18n import current_language
    from postureguard.settings.config import LANGUAGE_ENV

    out = dict(os.environ if env is None else env)
    out[LANGUAGE_ENV] = current_language()
    package_parent = str(Path(__file__).resolve().parents[2])  # the folder holding postureguard/
    parts = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]
    if package_parent not in parts:
        out["PYTHONPATH"] = os.pathsep.join([package_parent, *parts])
    return out


def launch_routine(
    routine_id: str,
    source: str,
    *,
    short: bool = False,
    env: Mapping[str, str] | None = None,
    step_seconds: float | None = None,
    stderr: int | IO[Any] | None = None,
) -> subprocess.Popen:
    """Start the player for ``routine_id`` and return at once with its process.

    ``source`` is 'notification', 'tray' or 'cli' (recorded in the history). ``env`` replaces the
    child's environment (e.g. a test session's DISPLAY). The child gets its own session, so a
    Ctrl+C meant for the caller does not close the routine, and stdin from /dev/null; its log
    output goes to ``stderr`` (a file, or by default the caller's stderr).
    """
    argv = player_command(routine_id, source, short=short, step_seconds=step_seconds)
    if logging.getLogger("postureguard").getEffectiveLevel() <= logging.INFO:
        argv.insert(3, "-v")  # a verbose app gets a verbose player: its log lands in the same place
    proc = start_postureguard(argv[3:], env=env, stderr=stderr)
    log.info("started the routine player for %s (pid %d)", routine_id, proc.pid)
    return proc


def start_postureguard(
    args: list[str],
    *,
    env: Mapping[str, str] | None = None,
    stderr: int | IO[Any] | None = None,
    new_session: bool = True,
    pipes: bool = False,
) -> subprocess.Popen:
    """Start ``postureguard ARGS...`` (this interpreter, this package) and return at once.

    The one way PostureGuard starts its own windows (player, settings, setup), so each child gets
    the same things: :func:`child_environment`, stdin from /dev/null, its own session (a Ctrl+C
    for the parent does not close it) unless ``new_session`` is False, and as stderr ``stderr`` or
    else the user's real stderr (not the pipe that carries native log lines, see
    :mod:`postureguard.platform.native_logs`). ``pipes`` gives it a stdin and a stdout pipe instead
    (text, line-buffered: the on-screen cue's commands and answers). The child inherits the kernel
    network filter. A daemon thread reaps it, so no zombie is left; ``Popen.poll()`` still reports
    its exit status.
    Raises :class:`OSError` when it cannot be started.
    """
    from postureguard.platform.native_logs import child_stderr

    proc = subprocess.Popen(
        [sys.executable, "-m", "postureguard", *args],
        env=child_environment(env),
        stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
        stdout=subprocess.PIPE if pipes else subprocess.DEVNULL,
        stderr=stderr if stderr is not None else child_stderr(),
        start_new_session=new_session,
        close_fds=True,
        text=pipes,
        bufsize=1 if pipes else -1,
    )
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc
