"""One camera user at a time: the routine player's camera guide claims the camera, the monitor yields.

The claim is an advisory ``flock`` on ``camera-guide.lock`` in the state folder, held by the player
process for as long as its guide reads the camera. The kernel drops the lock when that process ends
in any way (closed, killed, crashed), so a stale claim cannot keep the monitor paused. The monitor
only tests the lock (take it without waiting, let go at once) between frames. Nothing but the
holder's process id (for the log) is written to the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path

from postureguard.files import paths

log = logging.getLogger(__name__)

LOCK_NAME = "camera-guide.lock"


def lock_path() -> Path:
    """The claim's file in the state folder."""
    return paths.state_dir() / LOCK_NAME


class CameraClaim:
    """The player's claim on the camera; :meth:`release` (or process exit) gives it back."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self._fd: int | None = None

    def acquire(self, timeout: float = 2.0) -> bool:
        """Take the claim, waiting up to ``timeout`` seconds (the monitor holds it only for an instant)."""
        paths.ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    log.warning("camera claim: %s is held by another camera guide", self.path)
                    return False
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        log.info("camera claim: taken (%s)", self.path)
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        log.info("camera claim: released")


def claimed_by_guide(path: Path | None = None) -> bool:
    """True while another process's camera guide holds the camera (a quick, non-blocking test)."""
    path = path or lock_path()
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # no file: nobody has ever claimed it
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
