"""Which cameras this computer has, found quickly and without ever hanging the caller.

Opening a camera can block for a long time (a device that is busy, a driver that waits for a USB
reset), and OpenCV offers no way to interrupt it. So :func:`probe_cameras` opens the cameras in a child
process (``python -m postureguard.platform.cameras``) with a time limit and kills it when the limit
passes; the caller always gets an answer: the cameras found, or an empty list, plus a note when the
probe itself failed.

On Linux the candidates are the ``/dev/video*`` capture nodes (a UVC webcam also creates a metadata node,
which is skipped); when there are none the answer is immediate and no process starts. Elsewhere the
first few indices are tried. The probe reads one frame from each camera to tell "present" from "works";
the frame is dropped at once (nothing is written anywhere).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from postureguard.i18n import _

log = logging.getLogger(__name__)

#: Indices tried on platforms without a device folder to list (Windows, macOS).
FALLBACK_INDICES = tuple(range(4))
#: Seconds the whole probe may take before the child process is killed.
PROBE_TIMEOUT_S = 8.0


@dataclass(frozen=True)
class CameraInfo:
    """One camera the probe looked at.

    ``index`` is what ``--source`` and the ``camera`` setting take. ``size`` is the first frame's
    ``(width, height)`` in pixels when a frame could be read.
    """

    index: int
    name: str
    device: str | None = None
    opened: bool = False
    readable: bool = False
    size: tuple[int, int] | None = None

    def label(self) -> str:
        """Short text for a list, e.g. ``Camera 0: Integrated Webcam (/dev/video0)``."""
        where = f" ({self.device})" if self.device else ""
        name = f": {self.name}" if self.name and self.name != f"camera {self.index}" else ""
        if self.readable:
            state = ""
        else:
            state = " - " + (_("opens but gives no picture") if self.opened else _("cannot open"))
        return _("Camera {index}").format(index=self.index) + f"{name}{where}{state}"


@dataclass(frozen=True)
class CameraReport:
    """What :func:`probe_cameras` found. ``problem`` is set when the probe itself did not finish."""

    cameras: tuple[CameraInfo, ...]
    problem: str | None = None

    @property
    def usable(self) -> tuple[CameraInfo, ...]:
        return tuple(c for c in self.cameras if c.readable)


def linux_candidates(
    dev: Path = Path("/dev"), sysfs: Path = Path("/sys/class/video4linux")
) -> list[CameraInfo]:
    """The ``/dev/videoN`` capture nodes, named from sysfs, in index order (no device is opened).

    A node whose sysfs ``index`` is not 0 is a second node of the same device (UVC metadata) and is skipped.
    """
    found: list[CameraInfo] = []
    for node in dev.glob("video*"):
        match = re.fullmatch(r"video(\d+)", node.name)
        if not match:
            continue
        index = int(match.group(1))
        info = sysfs / node.name
        try:
            if (info / "index").read_text().strip() not in ("", "0"):
                continue
        except OSError:
            pass  # no sysfs (a container): keep the node
        try:
            name = (info / "name").read_text().strip()
        except OSError:
            name = ""
        found.append(CameraInfo(index=index, name=name or f"camera {index}", device=str(node)))
    return sorted(found, key=lambda c: c.index)


def camera_name(
    index: int, dev: Path = Path("/dev"), sysfs: Path = Path("/sys/class/video4linux")
) -> str | None:
    """The system's name of camera ``index`` (Linux: its sysfs ``name``, e.g. ``Integrated Camera: Integr``),
    or ``None`` when it has none, is not there, or this is not Linux. Opens no device."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        found = {c.index: c.name for c in linux_candidates(dev, sysfs)}
    except OSError:
        return None
    name = found.get(index)
    return None if not name or name == f"camera {index}" else name


def _probe_one(candidate: CameraInfo) -> CameraInfo:
    """Open ``candidate`` with OpenCV, read one frame and release it (runs in the child process)."""
    import cv2

    api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    cap = cv2.VideoCapture(candidate.index, api)
    try:
        if not cap.isOpened():
            return candidate
        ok, frame = cap.read()
        size = (int(frame.shape[1]), int(frame.shape[0])) if ok and frame is not None else None
        return CameraInfo(candidate.index, candidate.name, candidate.device, True, size is not None, size)
    finally:
        cap.release()


def candidates() -> list[CameraInfo]:
    """The cameras worth trying on this platform (Linux: device nodes; elsewhere: the first indices)."""
    if sys.platform.startswith("linux"):
        return linux_candidates()
    return [CameraInfo(index=i, name=f"camera {i}") for i in FALLBACK_INDICES]


def probe_cameras(timeout: float = PROBE_TIMEOUT_S, *, read_frames: bool = True) -> CameraReport:
    """Find the cameras and (with ``read_frames``) whether each gives a picture, within ``timeout`` seconds.

    Never raises for a missing or stuck camera: "none found" is an empty report.
    """
    todo = candidates()
    if not todo:
        return CameraReport(())
    if not read_frames:
        return CameraReport(tuple(todo))
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # OpenCV's own warnings would only repeat our answer
    argv = [sys.executable, "-m", "postureguard.platform.cameras", *(str(c.index) for c in todo)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        # subprocess.run has killed the child; report the devices seen, unopened.
        return CameraReport(
            tuple(todo), _("the camera check did not finish within {n} s").format(n=f"{timeout:.0f}")
        )
    except OSError as exc:
        return CameraReport(tuple(todo), _("the camera check could not start: {error}").format(error=exc))
    try:
        rows = json.loads(done.stdout or "null")
        probed = {int(r["index"]): r for r in rows}
    except (ValueError, TypeError, KeyError):
        detail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        return CameraReport(tuple(todo), _("the camera check failed ({error})").format(error=detail[0]))
    result = []
    for cand in todo:
        row = probed.get(cand.index)
        if row is None:
            result.append(cand)
            continue
        size = tuple(row["size"]) if row.get("size") else None
        result.append(
            CameraInfo(cand.index, cand.name, cand.device, bool(row["opened"]), bool(row["readable"]), size)
        )  # type: ignore[arg-type]
    return CameraReport(tuple(result))


def _main(argv: list[str]) -> int:
    """Child process: probe the given indices and print a JSON list on stdout."""
    logging.basicConfig(level=logging.WARNING)
    by_index = {c.index: c for c in candidates()}
    rows = []
    for text in argv:
        index = int(text)
        info = _probe_one(by_index.get(index, CameraInfo(index=index, name=f"camera {index}")))
        rows.append(asdict(info))
    sys.stdout.write(json.dumps(rows) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover - run by probe_cameras in a child process
    raise SystemExit(_main(sys.argv[1:]))
