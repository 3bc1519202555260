"""Which other programs hold the camera open (Linux: /proc/<pid>/fd), so a video call is recognised.

When PostureGuard cannot open the camera because a call (or any other program) is using it, the tray
says who has it and waits politely instead of reporting the camera as broken. Only processes whose
/proc entries this user may read are seen, which covers the user's own programs. On other platforms
the answer is always "nobody known".
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CameraUser:
    pid: int
    name: str  # the program's short name, as /proc/<pid>/comm gives it


def camera_device(index: int) -> Path:
    return Path(f"/dev/video{index}")


def users_of(device: Path, *, exclude_pid: int | None = None, proc: Path = Path("/proc")) -> list[CameraUser]:
    """Processes (other than ``exclude_pid``, default this one) with ``device`` open."""
    if not sys.platform.startswith("linux") or not proc.is_dir():
        return []
    exclude = os.getpid() if exclude_pid is None else exclude_pid
    target = str(device)
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == exclude:
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue  # another user's process, or it ended while we looked
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    name = (entry / "comm").read_text(encoding="utf-8", errors="replace").strip()
                    found.append(CameraUser(int(entry.name), name))
                    break
            except OSError:
                continue
    return sorted(found, key=lambda u: u.pid)
