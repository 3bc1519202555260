"""One tray app per user: an advisory lock (``fcntl.flock``) on ``instance.lock`` in the state folder.

The lock belongs to the open file, so it is released by the kernel however the process ends (Quit, a
signal, a crash): there is never a stale lock to clean up. The descriptor is not inherited by the
processes the app starts (Python opens files non-inheritable), so a routine player left open does not
keep the lock after the tray app has gone. The holder writes its pid into the file, for the message a
second start prints. Where ``fcntl`` does not exist (Windows) there is no lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from postureguard.errors import UserError
from postureguard.files.paths import ensure_private_dir, state_dir
from postureguard.i18n import _

log = logging.getLogger(__name__)

LOCK_NAME = "instance.lock"


class AlreadyRunning(UserError):
    """Another tray app of this user holds the instance lock; ``pid`` is its process id (or None)."""

    def __init__(self, message: str, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


#: The descriptor holding the lock while this process runs the tray app (None when not held).
_held_fd: int | None = None


def lock_path() -> Path:
    return state_dir() / LOCK_NAME


def holder_pid(path: Path | None = None) -> int | None:
    """The pid written in the lock file by its holder, or None when there is none or it is unreadable."""
    try:
        text = (path or lock_path()).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def acquire() -> Path:
    """Take the instance lock for the life of this process and return the lock file's path.

    Raises :class:`AlreadyRunning` when another process holds it, and :class:`OSError` when the state
    folder cannot be written (the caller decides whether to run unguarded). Calling it again while
    held is a no-op.
    """
    global _held_fd
    path = lock_path()
    if _held_fd is not None:
        return path
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, no guard
        return path
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = holder_pid(path)
        if pid:
            text = _(
                "PostureGuard is already running (process {pid}); its icon and menu are in the system tray"
            )
        else:
            text = _("PostureGuard is already running; its icon and menu are in the system tray")
        raise AlreadyRunning(text.format(pid=pid), pid) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    _held_fd = fd
    log.debug("instance lock held: %s", path)
    return path


def release() -> None:
    """Let go of the lock (the process ending does the same); the file stays, empty of meaning."""
    global _held_fd
    if _held_fd is None:
        return
    with contextlib.suppress(OSError):
        os.ftruncate(_held_fd, 0)
    os.close(_held_fd)
    _held_fd = None
