"""Frame sources: a camera, a video file, or still images, each frame stamped with a time in seconds.

* camera: ``time.monotonic()`` when the frame was grabbed (the camera's clock as the app sees it);
* video: the frame's presentation time from the container (``CAP_PROP_POS_MSEC``), or index / fps;
* images: ``index * interval`` (default 1 s apart), in natural order (``img-2`` before ``img-10``).

Images are BGR ``uint8`` arrays (OpenCV's layout). Nothing here writes a frame anywhere.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from postureguard.errors import SourceError, require
from postureguard.i18n import _, ngettext

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
#: Recordings, decoded frame by frame by OpenCV's FFmpeg backend. An animated GIF is a recording too
#: (FFmpeg gives each frame its display time); a one-frame GIF is a recording of one frame.
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv", ".gif"}


#: OpenCV's own switches, read when cv2 and its FFmpeg backend are first used. Every failure to open a
#: camera or a video is reported here in one line, so OpenCV's warnings ("[ WARN:0@...] global
#: cap_v4l.cpp ...") and FFmpeg's ("moov atom not found") would only be noise before it. The command
#: line sets them too (postureguard.platform.native_logs); this covers other callers.
_OPENCV_ENV = ("OPENCV_LOG_LEVEL", "OPENCV_FFMPEG_LOGLEVEL")


def _cv2():
    from postureguard.platform.native_logs import ENV_DEFAULTS

    for key in _OPENCV_ENV:
        os.environ.setdefault(key, ENV_DEFAULTS[key])  # the user's own value wins
    return require("cv2", _("reading cameras, videos and images"), "opencv-contrib-python")


@contextlib.contextmanager
def _opencv_silent(cv2) -> Iterator[None]:
    """OpenCV's logger silent while a capture opens: what fails there is ours to report.

    Left alone when the user chose an OpenCV log level of their own (e.g. to debug a camera).
    """
    from postureguard.platform.native_logs import ENV_DEFAULTS

    api = getattr(getattr(cv2, "utils", None), "logging", None)
    key = _OPENCV_ENV[0]
    if api is None or os.environ.get(key, ENV_DEFAULTS[key]) != ENV_DEFAULTS[key]:
        yield
        return
    previous = api.getLogLevel()
    api.setLogLevel(api.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        api.setLogLevel(previous)


@dataclass(frozen=True)
class Frame:
    image: Any  # numpy.ndarray, H x W x 3, BGR uint8
    t: float  # seconds (see module docstring)
    index: int  # position in this source, from 0
    source: str  # the path as given, or the camera index


Want = Callable[[float], bool]


class FrameSource(Protocol):
    """What every source offers, and all that its users call (no attribute is probed for)."""

    #: True for a continuous stream (camera, video) where tracking between frames helps.
    is_stream: bool
    #: True when frames arrive in real time (a camera); recordings are paced by the monitor instead.
    is_live: bool
    description: str
    #: How many frames the source will give, when known in advance (photos, most videos); None for a
    #: camera or a video whose container does not say.
    expected_frames: int | None

    def __iter__(self) -> Iterator[Frame]: ...

    def frames(self, want: Want | None = None) -> Iterator[Frame]:
        """Frames whose time ``t`` satisfies ``want(t)``; the others are skipped without decoding."""
        ...

    def set_rate(self, fps: float) -> None:
        """Ask for about ``fps`` frames a second (a camera's driver); a no-op for recordings and photos."""
        ...

    def close(self) -> None: ...


def natural_key(text: str) -> list:
    """Sort key that orders embedded numbers by value: ``img-2`` before ``img-10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


class ImageSource:
    """Still images, read one at a time when iterated."""

    is_stream = False
    is_live = False

    def __init__(self, paths: Sequence[tuple[Path, str]], interval: float = 1.0):
        if interval <= 0:
            raise SourceError(_("--interval must be positive, not {value}").format(value=interval))
        self._paths = list(paths)
        self.interval = interval
        self.description = ngettext("{n} image", "{n} images", len(self._paths)).format(n=len(self._paths))
        self.expected_frames: int | None = len(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, want: Want | None = None) -> Iterator[Frame]:
        cv2 = _cv2()
        for index, (path, label) in enumerate(self._paths):
            if want is not None and not want(index * self.interval):
                continue
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                reason = _unreadable_reason(path)
                raise SourceError(_("cannot read image {label}: {reason}").format(label=label, reason=reason))
            yield Frame(image=image, t=index * self.interval, index=index, source=label)

    def set_rate(self, fps: float) -> None:
        pass  # photos are read as fast as they are asked for

    def close(self) -> None:
        pass


def _unreadable_reason(path: Path, otherwise: str | None = None) -> str:
    """Why OpenCV read nothing: the operating system's reason (``permission denied``) when the file
    cannot be opened, else ``otherwise`` (the file opens, so its content is what OpenCV refused)."""
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return (exc.strerror or type(exc).__name__).lower()
    return otherwise if otherwise is not None else _("not a readable image file")


class VideoSource:
    """A video file, decoded frame by frame."""

    is_stream = True
    is_live = False

    def __init__(self, path: Path, label: str):
        cv2 = _cv2()
        with _opencv_silent(cv2):
            self._cap = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            self._cap.release()
            reason = _unreadable_reason(path, _("the file is not a video OpenCV can decode"))
            raise SourceError(_("cannot open video {label}: {reason}").format(label=label, reason=reason))
        self.label = label
        self.fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 else None
        self.expected_frames = self.frame_count
        self.description = _("video {label}").format(label=label)

    def __len__(self) -> int:
        return self.frame_count or 0

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, want: Want | None = None) -> Iterator[Frame]:
        cv2 = _cv2()
        index = 0
        last_t = -1.0
        while True:
            # grab() reads the compressed frame; retrieve() decodes it, only for frames wanted.
            if not self._cap.grab():
                break
            t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if self.fps > 0 and (t <= last_t or t == 0.0 and index > 0):
                t = index / self.fps  # containers without per-frame times
            last_t = t
            if want is None or want(t):
                ok, image = self._cap.retrieve()
                if ok:
                    yield Frame(image=image, t=t, index=index, source=self.label)
            index += 1
        if index == 0:
            raise SourceError(_("video {label} has no readable frames").format(label=self.label))

    def set_rate(self, fps: float) -> None:
        pass  # a recording's rate is its own; the monitor paces it

    def close(self) -> None:
        self._cap.release()


class CameraSource:
    """A live camera, opened at a modest resolution with a one-frame buffer (no stale frames)."""

    is_stream = True
    is_live = True  # frames arrive in real time; recordings are paced by the monitor instead
    expected_frames: int | None = None  # a camera has no end

    def __init__(self, index: int, width: int = 640, height: int = 480, fps: float = 5.0):
        cv2 = _cv2()
        self.index = index
        with _opencv_silent(cv2):
            self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(
                _(
                    "camera {index} cannot be opened: no such device, or another program is using it "
                    "(use --source with a video file or images to run without a camera)"
                ).format(index=index)
            )
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_FPS, fps)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self.description = _("camera {index}").format(index=index)

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def set_rate(self, fps: float) -> None:
        """Ask the driver for about ``fps`` frames a second (drivers may round or ignore it)."""
        cv2 = _cv2()
        self._cap.set(cv2.CAP_PROP_FPS, max(1.0, fps))

    def frames(self, want: Want | None = None) -> Iterator[Frame]:
        index = 0
        while True:
            if not self._cap.grab():
                raise SourceError(_("camera {index} stopped delivering frames").format(index=self.index))
            t = time.monotonic()
            if want is None or want(t):
                ok, image = self._cap.retrieve()
                if not ok:
                    raise SourceError(
                        _("camera {index} delivered a frame that cannot be decoded").format(index=self.index)
                    )
                yield Frame(image=image, t=t, index=index, source=str(self.index))
            index += 1

    def close(self) -> None:
        self._cap.release()


def _walk(folder: Path, spec: str) -> Iterator[Path]:
    """Every file under ``folder``, sub-folders (and links to folders) included, each folder once.

    A sub-folder that cannot be listed stops with :class:`SourceError` naming it and the reason:
    skipping it silently would analyse part of what the user asked for and call it the whole.
    """

    def refuse(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(folder) if exc.filename else Path(".")
        label = Path(spec) / where if str(where) != "." else Path(spec)
        reason = (exc.strerror or type(exc).__name__).lower()
        raise SourceError(_("cannot read folder {label}: {reason}").format(label=label, reason=reason))

    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, onerror=refuse, followlinks=True):
        try:
            st = os.stat(root)
        except OSError as exc:
            refuse(exc)
        if (st.st_dev, st.st_ino) in seen:  # a link back up the tree: do not walk it again
            dirs.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        for name in files:
            path = Path(root, name)
            if path.is_file():  # not a dangling link, socket or device
                yield path


def _expand(spec: str) -> list[tuple[Path, str]]:
    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceError(_("no such file or folder: {name}").format(name=spec))
    if path.is_dir():
        # Sub-folders are included (a capture tool often files frames by label or session), ordered
        # by their relative path so a folder's frames stay together and in natural order.
        found = [p for p in _walk(path, spec) if p.suffix.lower() in IMAGE_SUFFIXES]
        if not found:
            suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
            text = _("folder {name} has no images ({suffixes})")
            raise SourceError(text.format(name=spec, suffixes=suffixes))
        found.sort(key=lambda p: natural_key(p.relative_to(path).as_posix()))
        return [(p, str(Path(spec) / p.relative_to(path))) for p in found]
    return [(path, spec)]


def open_source(specs: Sequence[str], *, interval: float = 1.0, camera_size=(640, 480)) -> FrameSource:
    """Open what the user named: one camera index, one video, or any number of images and folders."""
    specs = [str(s) for s in specs]
    if not specs:
        raise SourceError(_("no source given: name a camera index, a video file, images or a folder"))
    if len(specs) == 1 and specs[0].isdigit():
        return CameraSource(int(specs[0]), *camera_size)
    files: list[tuple[Path, str]] = []
    for spec in specs:
        files.extend(_expand(spec))
    videos = [f for f in files if f[0].suffix.lower() in VIDEO_SUFFIXES]
    if videos:
        if len(files) > 1:
            raise SourceError(_("give one video at a time (videos cannot be mixed with other sources)"))
        return VideoSource(*videos[0])
    unknown = [label for p, label in files if p.suffix.lower() not in IMAGE_SUFFIXES]
    if unknown:
        text = _("{name} is neither an image nor a video this program reads")
        raise SourceError(text.format(name=unknown[0]))
    return ImageSource(files, interval=interval)
