"""A camera that misbehaves on cue: fault-injecting frame sources built on real photos.

:class:`FaultyCamera` is an ``open_source`` factory for :class:`postureguard.runtime.monitor.Monitor`. Each
call plays the next :class:`Fault` of its plan, like a real camera would behave on that attempt:

* ``missing``: there is no camera (opening fails);
* ``busy``: another program holds it (opening fails with that message);
* ``unplug``: it opens, delivers ``frames`` real frames, then the cable is pulled (SourceError);
* ``black``: a privacy shutter is closed: near-black frames with sensor noise;
* ``frozen``: a stalled driver: the same frame, bit for bit, again and again;
* ``ok``: a working camera for ``frames`` frames (``None``: for ever).

When the plan is used up the factory opens a finite recording (``ok`` that ends), so a Monitor
driven by it finishes by itself. Frames are real photos with fresh noise each frame, as a sensor
gives. The factory counts opens and closes, so a test can prove every source was released.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from postureguard.errors import SourceError
from postureguard.vision.sources import Frame

FAULT_KINDS = ("missing", "busy", "unplug", "black", "frozen", "ok")

MISSING_MESSAGE = "camera 0 cannot be opened: no such device"
BUSY_MESSAGE = "camera 0 cannot be opened: another program is using it"
UNPLUGGED_MESSAGE = "camera 0 stopped delivering frames"


@dataclass(frozen=True)
class Fault:
    """One open attempt: ``kind`` (see :data:`FAULT_KINDS`), ``frames`` delivered (None = endless)."""

    kind: str
    frames: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}")


def real_frames(n: int = 8, size: tuple[int, int] = (128, 150), seed: int = 3) -> list[np.ndarray]:
    """``n`` frames of a real photo of a person (BGR ``uint8``, ``size`` = width x height), each
    with its own sensor noise (+-3 grey levels), so no two are identical."""
    import cv2

    from photos import photo

    base = cv2.resize(photo("grace_hopper"), size).astype(np.int16)
    rng = np.random.default_rng(seed)
    return [np.clip(base + rng.integers(-3, 4, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]


def shutter_frames(n: int, size: tuple[int, int] = (128, 150), seed: int = 5) -> list[np.ndarray]:
    """Frames from behind a closed privacy shutter: grey level about 4 with sensor noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    return [np.clip(rng.normal(4.0, 2.5, (h, w, 3)), 0, 255).astype(np.uint8) for _ in range(n)]


class FaultySource:
    """One opened "camera" (a FrameSource). Frames are stamped ``t0 + index * frame_dt`` seconds.

    ``pace``: real seconds to sleep before each frame (0: as fast as the consumer reads), so an
    endless source behaves like a camera rather than a busy loop.
    """

    is_stream = True
    is_live = True  # like a camera: the monitor must not pace it as a recording
    expected_frames: int | None = None

    def __init__(self, owner: FaultyCamera, fault: Fault, serial: int, *, live: bool = True):
        self._owner = owner
        self.fault = fault
        self.serial = serial
        self.is_live = live
        self.description = f"faulty camera #{serial} ({fault.kind})"
        self.closed = False

    def _images(self) -> Iterator[np.ndarray]:
        kind = self.fault.kind
        if kind == "black":
            shutter = self._owner.shutter
            return (shutter[i % len(shutter)] for i in itertools.count())
        if kind == "frozen":
            return itertools.repeat(self._owner.frames[0])  # the very same buffer each time
        frames = self._owner.frames
        return (frames[i % len(frames)] for i in itertools.count())

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, want: Callable[[float], bool] | None = None) -> Iterator[Frame]:
        """Frames whose time satisfies ``want`` (all when None); the others pass by unseen, as a
        camera's frames do when the monitor does not decode them."""
        limit = self.fault.frames
        for index, image in enumerate(self._images()):
            if self.closed:
                return
            if limit is not None and index >= limit:
                if self.fault.kind == "unplug":
                    raise SourceError(UNPLUGGED_MESSAGE)
                return
            if self._owner.pace > 0:
                time.sleep(self._owner.pace)
            t = self._owner.next_t()
            if want is None or want(t):
                yield Frame(image=image, t=t, index=index, source="faulty")

    def set_rate(self, fps: float) -> None:
        pass  # frames come at the plan's pace

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._owner._closed(self)


class FaultyCamera:
    """An ``open_source`` factory that plays ``plan`` (a sequence of :class:`Fault`), then ends.

    ``frames``: the real frames to deliver (default :func:`real_frames`); ``frame_dt``: seconds
    between frame stamps; ``pace``: real seconds slept per frame; ``final_frames``: length of the
    finite recording opened once the plan is used up.
    """

    def __init__(
        self,
        plan: Iterable[Fault],
        *,
        frames: Sequence[np.ndarray] | None = None,
        frame_dt: float = 0.1,
        pace: float = 0.0,
        final_frames: int = 2,
    ):
        self._plan = iter(plan)
        self.frames = list(frames) if frames is not None else real_frames()
        self.shutter = shutter_frames(4, size=(self.frames[0].shape[1], self.frames[0].shape[0]))
        self.frame_dt = frame_dt
        self.pace = pace
        self.final_frames = final_frames
        self._lock = threading.Lock()
        self._t = 0.0
        self.attempts = 0  # calls to the factory
        self.opened = 0  # sources handed out
        self.closed = 0  # sources released
        self.failures: list[str] = []  # messages of failed opens, in order
        self.exhausted = False

    def next_t(self) -> float:
        with self._lock:
            self._t += self.frame_dt
            return self._t

    @property
    def open_now(self) -> int:
        """Sources handed out and not yet closed."""
        with self._lock:
            return self.opened - self.closed

    def _closed(self, source: FaultySource) -> None:
        with self._lock:
            self.closed += 1

    def __call__(self) -> FaultySource:
        with self._lock:
            self.attempts += 1
            fault = next(self._plan, None)
            if fault is None:
                self.exhausted = True
                fault = Fault("ok", self.final_frames)
            if fault.kind in ("missing", "busy"):
                message = MISSING_MESSAGE if fault.kind == "missing" else BUSY_MESSAGE
                self.failures.append(message)
                raise SourceError(message)
            self.opened += 1
            serial = self.opened
        # The final source is a recording that ends, so the monitor reports "finished" and returns.
        return FaultySource(self, fault, serial, live=not self.exhausted)


def lose_and_return(cycles: int, frames_per_connection: int = 3) -> list[Fault]:
    """A plan of ``cycles`` lose/return cycles: each connection delivers a few frames and is
    unplugged; the camera is then missing or busy (alternately) for one attempt, and comes back."""
    plan: list[Fault] = []
    for i in range(cycles):
        plan.append(Fault("unplug", frames_per_connection))
        plan.append(Fault("busy" if i % 2 else "missing"))
    return plan
