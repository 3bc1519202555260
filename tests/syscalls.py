"""Read an ``strace -f`` log and name every system call that breaks the privacy promise.

The promise, checked where it can break (the kernel's view of every thread, native code included):

* no internet socket: a ``socket()`` in any family but AF_UNIX/AF_NETLINK that the kernel did not
  refuse, or a ``connect``/``sendto``/``sendmsg`` to an internet address;
* no name lookup: nothing sent to port 53, no connection to a local resolver daemon (nscd,
  systemd-resolved), which would ask the network on our behalf;
* no file written outside the folders the caller allows (PostureGuard's config/data/state folders and
  the test's own output paths), and no image or video file written anywhere.

The log must be made with ``-f -qq -o FILE`` and :data:`TRACE` as the system-call set (``strace``
quotes paths as C strings, which :func:`_unquote` reads).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: What to trace: everything that can create a socket, reach an address, or write a file.
TRACE = (
    "trace=socket,socketpair,connect,sendto,sendmsg,sendmmsg,io_uring_setup,"
    "open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,"
    "truncate,mkdir,mkdirat"
)

LOCAL_FAMILIES = ("AF_UNIX", "AF_LOCAL", "AF_NETLINK")
RESOLVER_SOCKETS = ("nscd", "resolve", "io.systemd.Resolve")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".ppm", ".pgm",
                  ".avi", ".mp4", ".mkv", ".mov", ".webm", ".y4m")  # fmt: skip
#: Places the kernel or libc write to that hold no user data.
ALWAYS_ALLOWED = ("/dev/null", "/dev/tty", "/dev/pts/", "/dev/shm/", "/proc/", "/sys/", "/dev/dri/")

_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+|\?)(?P<rest>.*)$")
_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")


@dataclass(frozen=True)
class Violation:
    pid: int
    what: str
    line: str

    def __str__(self) -> str:
        return f"{self.what}: {self.line}"


def _unquote(text: str) -> str:
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def _paths(args: str) -> list[str]:
    return [_unquote(m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', args)]


def _allowed(path: str, roots: Iterable[Path], cwd: Path) -> bool:
    if any(path == p.rstrip("/") or path.startswith(p) for p in ALWAYS_ALLOWED):
        return True
    full = Path(os.path.normpath(path if os.path.isabs(path) else cwd / path))
    return any(full == r or r in full.parents for r in roots)


def check_log(text: str, allowed_roots: Iterable[Path], cwd: Path) -> list[Violation]:
    """Every privacy violation in an ``strace -f -qq`` log (an empty list is a pass)."""
    roots = [Path(os.path.normpath(r)) for r in allowed_roots]
    out: list[Violation] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        call, args, ret, pid = m["call"], m["args"], m["ret"], int(m["pid"])
        ok = ret != "?" and int(ret) >= 0
        if call == "socket" and ok and not args.startswith(LOCAL_FAMILIES):
            out.append(Violation(pid, "internet socket created", raw))
        elif call == "io_uring_setup" and ok:
            out.append(Violation(pid, "io_uring created (can open sockets without socket())", raw))
        elif call in ("connect", "sendto", "sendmsg", "sendmmsg"):
            if re.search(r"sa_family=AF_INET6?\b", args):
                port53 = "htons(53)" in args
                out.append(Violation(pid, "DNS query" if port53 else f"{call} to an internet address", raw))
            elif ok and "sa_family=AF_UNIX" in args and any(r in args for r in RESOLVER_SOCKETS):
                # Only a connection that was made can carry a query (a missing daemon answers ENOENT).
                out.append(Violation(pid, "name lookup through a resolver daemon", raw))
        elif ok and call in ("open", "openat", "openat2", "creat"):
            paths = _paths(args)
            if not paths:
                continue
            writes = call == "creat" or any(flag in args for flag in _WRITE_FLAGS)
            if not writes:
                continue
            path = paths[0]
            if path.lower().endswith(IMAGE_SUFFIXES):
                out.append(Violation(pid, f"image or video written: {path}", raw))
            elif not _allowed(path, roots, cwd):
                out.append(Violation(pid, f"file written outside the allowed folders: {path}", raw))
        elif ok and call in ("rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
                             "truncate", "mkdir", "mkdirat"):  # fmt: skip
            paths = _paths(args)
            target = paths[-1] if paths else ""
            if target and not _allowed(target, roots, cwd):
                out.append(Violation(pid, f"{call} outside the allowed folders: {target}", raw))
    return out


def internet_sockets_refused(text: str) -> int:
    """How many internet sockets the kernel refused (EPERM) in the log: evidence the filter bit."""
    return sum(
        1
        for raw in text.splitlines()
        if (m := _LINE.match(raw)) and m["call"] == "socket" and not m["args"].startswith(LOCAL_FAMILIES)
        and "EPERM" in m["rest"]
    )
