"""Keep native libraries' own log lines off the user's terminal; route them into :mod:`logging`.

MediaPipe (glog/absl), LiteRT/TFLite, OpenCV and FFmpeg write notices straight to file descriptor 2
from C++ and from their own threads ("INFO: Created TensorFlow Lite XNNPACK delegate",
"DestroyAccelerator ...", "[ WARN:0@...] global cap_v4l.cpp ..."), at times no Python code chooses:
while a model loads, during a detection on a graph thread, when a model closes, at exit. None of
them reads one switch that silences it (MediaPipe 1.x ignores ``GLOG_minloglevel``), so filtering
must happen below them.

:func:`quiet_native_libraries` does that once per process, before any native library is loaded:

* file descriptor 2 becomes the write end of a pipe; a daemon thread reads it and logs each line on
  the ``postureguard.native`` logger at DEBUG (seen with ``-vv``), or at ERROR for a fatal line (glog's
  ``F`` prefix, ``Check failed``), which usually comes right before an abort;
* Python's ``sys.stderr`` is rebound to a duplicate of the original descriptor, so PostureGuard's
  own one-line errors, logging and tracebacks reach the terminal as before;
* the pipe's write end is non-blocking, so a library that logs faster than the thread reads, or after
  the thread stopped at exit, loses the line instead of blocking;
* the environment switches that some libraries do read are set (the user's own values win).

Children PostureGuard starts get :func:`child_stderr` (the original descriptor), not the pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading

log = logging.getLogger("postureguard.native")

#: Switches read by the libraries themselves (set only when the user has not set them).
ENV_DEFAULTS = {
    "GLOG_minloglevel": "2",  # glog (older MediaPipe): errors only
    "TF_CPP_MIN_LOG_LEVEL": "2",  # TensorFlow Lite
    "OPENCV_LOG_LEVEL": "ERROR",  # OpenCV's own logger ("[ WARN:0@...]")
    "OPENCV_FFMPEG_LOGLEVEL": "-8",  # FFmpeg's av_log through OpenCV: AV_LOG_QUIET
    "OPENCV_VIDEOIO_DEBUG": "0",
    # Mesa (loaded when MediaPipe or GTK make a GL context) keeps a shader cache under ~/.cache;
    # PostureGuard writes nothing outside its own folders, so the cache stays off.
    "MESA_SHADER_CACHE_DISABLE": "true",
    "MESA_GLSL_CACHE_DISABLE": "true",
}

_FATAL = re.compile(r"^(F\d{4} |FATAL|Check failed|.*\] Check failed)")
_MAX_LINE = 1000

_real_stderr_fd: int | None = None


def child_stderr() -> int | None:
    """The descriptor a child process should get as its stderr: the user's terminal or log, not
    the pipe (None when this process did not redirect, meaning: inherit as usual)."""
    return _real_stderr_fd


def quiet_native_libraries() -> bool:
    """Redirect native output on fd 2 into :mod:`logging` (see the module docstring).

    Safe to call more than once. Returns False (and changes nothing but the environment) when this
    process has no usable stderr.
    """
    global _real_stderr_fd
    for key, value in ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if _real_stderr_fd is not None:
        return True
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        real = os.dup(2)
    except (OSError, ValueError):
        return False
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    os.dup2(write_end, 2)  # fd 2 stays inheritable; dup2 clears close-on-exec on the target
    os.close(write_end)
    _real_stderr_fd = real
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr = open(  # noqa: SIM115 - lives as long as the process
        real, "w", buffering=1, encoding=encoding, errors="backslashreplace", closefd=False
    )
    with contextlib.suppress(Exception):
        import faulthandler

        if faulthandler.is_enabled():
            faulthandler.enable(sys.stderr)
    threading.Thread(target=_pump, args=(read_end,), name="native-log", daemon=True).start()
    return True


def _pump(fd: int) -> None:
    """Read native output line by line and log it until the pipe closes (never raises)."""
    with open(fd, "rb", buffering=0) as pipe:
        pending = b""
        while True:
            try:
                chunk = pipe.read(65536)
            except OSError:
                return
            if not chunk:
                if pending:
                    _log_line(pending)
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                _log_line(line)
            if len(pending) > _MAX_LINE:  # a line without end: log what there is
                _log_line(pending)
                pending = b""


def _log_line(raw: bytes) -> None:
    text = raw.decode("utf-8", "replace").rstrip()[:_MAX_LINE]
    if not text:
        return
    with contextlib.suppress(Exception):  # logging at interpreter exit may fail; the line is noise
        log.log(logging.ERROR if _FATAL.match(text) else logging.DEBUG, "%s", text)

