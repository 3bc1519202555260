"""Memory a process mapped once and no longer needs resident: code that ran only while starting.

A shared library's code is mapped from its file: every page the process has run (and, on Linux, the
pages around it: a fault maps 64 kB at a time) stays resident in its page tables and counts in its
RSS, although the page cache holds those pages anyway and they are read-only. Building a MediaPipe
landmarker runs code from all over ``libmediapipe.so`` (the graph's calculators, protobuf and
TFLite set-up), once: 40 MB of mediapipe 1.2.3's 89 MB of code, of which analysing a frame then runs
about 10 MB (0.10.33: 16 MB resident, 6 MB run per frame).

:func:`drop_resident_code` takes the resident pages of one library's code out of this process's page
tables (``madvise(MADV_DONTNEED)``). The pages stay in the page cache; those still run are mapped
again on their next use (a minor fault, no disk read). It changes no content: it only touches private
mappings that are not writable and hold no private copy of a page (``Anonymous: 0`` in smaps), so
every page of them is the file's page; relocated data (RELRO) and anything writable is left alone.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def _code_mappings(library: str) -> list[tuple[int, int, float]]:
    """``(start, end, resident MB)`` of the read-only, executable, private mappings of the file whose
    name is ``library`` that hold no private (anonymous) page, from ``/proc/self/smaps``."""
    found: list[tuple[int, int, float]] = []
    current: list | None = None  # [start, end, rss_mb, anonymous_kb] of a matching mapping
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if not head:
            continue
        if not head[0].endswith(":"):  # a mapping's header: address perms offset dev inode [path]
            if current is not None and current[3] == 0:
                found.append((current[0], current[1], current[2]))
            current = None
            if head[1] == "r-xp" and len(head) > 5 and Path(head[5]).name == library:
                start, end = (int(x, 16) for x in head[0].split("-"))
                current = [start, end, 0.0, -1]
        elif current is not None and head[0] == "Rss:":
            current[2] = int(head[1]) / 1024.0
        elif current is not None and head[0] == "Anonymous:":
            current[3] = int(head[1])
    if current is not None and current[3] == 0:
        found.append((current[0], current[1], current[2]))
    return found


def drop_resident_code(library: str) -> float:
    """Take the resident pages of ``library``'s code (a file name such as ``"libmediapipe.so"``) out of
    this process's page tables; return the resident MB they held (0.0 when the library is not loaded,
    or off Linux). Code that runs again is mapped back on its next use (module docstring)."""
    if not sys.platform.startswith("linux"):
        return 0.0
    import ctypes
    import mmap

    try:
        mappings = _code_mappings(library)
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:  # no /proc or no C library to ask: nothing to drop
        log.debug("resident code of %s not dropped: %s", library, exc)
        return 0.0
    madvise = libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    dropped = 0.0
    for start, end, rss_mb in mappings:
        if madvise(start, end - start, mmap.MADV_DONTNEED) == 0:
            dropped += rss_mb
        else:
            log.debug("resident code of %s not dropped: errno %d", library, ctypes.get_errno())
    return dropped
