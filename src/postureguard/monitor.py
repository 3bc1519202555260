"""The monitor thread: source -> pose -> engine, handing each update to the app.

It owns the camera (or the replayed recording) and the pose model; the engine stays pure and is fed
the monitor's clock. A missing or lost camera never ends the thread: it reports
``camera_unavailable`` and retries with a growing delay (capped), and resumes by itself. Pausing
releases the camera, so its light goes off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from postureguard.engine.core import PostureEngine, Update
from postureguard.engine.sampling import SamplingPolicy, SamplingSettings
from postureguard.errors import ModelError, SourceError
from postureguard.pipeline import AdaptiveAnalyzer
from postureguard.sources import Frame, FrameSource

log = logging.getLogger(__name__)


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class MonitorStatus:
    """What the monitor is doing, for the tray: ``running``, ``paused``, ``camera_unavailable``,
    ``finished`` (a recording ended) or ``model_error``; ``detail`` says why in words."""

    state: str
    detail: str = ""


def paced(frames: Iterator[Frame], clock: Clock, stop: threading.Event) -> Iterator[Frame]:
    """Deliver a recording's frames at their timestamps, as a camera would (for demos and tests)."""
    start = None
    first_t = None
    for frame in frames:
        if start is None:
            start, first_t = clock.monotonic(), frame.t
        due = start + (frame.t - first_t)
        delay = due - clock.monotonic()
        if delay > 0 and stop.wait(delay):
            return
        yield frame


class Monitor(threading.Thread):
    """Runs the pipeline until :meth:`stop`; calls ``on_update`` and ``on_status`` from its thread.

    ``open_source`` returns a fresh :class:`FrameSource` (called again after a failure);
    ``open_model`` returns a pose model for that source. ``sampling`` says which frames are looked
    at and when the model runs (see :mod:`postureguard.engine.sampling`); frames in between are not
    even decoded.
    """

    def __init__(
        self,
        engine: PostureEngine,
        open_source: Callable[[], FrameSource],
        open_model: Callable[[FrameSource], object],
        on_update: Callable[[Update], None],
        on_status: Callable[[MonitorStatus], None],
        *,
        sampling: SamplingSettings | None = None,
        pace_recordings: bool = True,
        retry_delays: tuple[float, ...] = (2.0, 4.0, 8.0, 15.0, 30.0),
        clock: Clock | None = None,
        on_pose: Callable[[object, float], None] | None = None,
    ):
        super().__init__(name="postureguard-monitor", daemon=True)
        self.engine = engine
        self._open_source = open_source
        self._open_model = open_model
        self._on_update = on_update
        self._on_status = on_status
        self._on_pose = on_pose
        self.sampling = sampling or SamplingSettings()
        self.counts = None  # the running analyzer's counters, for tests and diagnostics
        self.pace_recordings = pace_recordings
        self.retry_delays = retry_delays
        self.clock = clock or SystemClock()
        self._halt = threading.Event()
        self._paused = threading.Event()
        self._wake = threading.Event()
        self._engine_lock = threading.Lock()
        self.source_open = False  # observable by tests: the camera/recording is held right now
        self._model = None
        self._model_key: bool | None = None

    # -- control (any thread) -----------------------------------------------------------------
    def stop(self) -> None:
        self._halt.set()
        self._wake.set()

    def pause(self) -> None:
        self._paused.set()
        self._wake.set()

    def resume(self) -> None:
        self._paused.clear()
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def with_engine(self, fn: Callable[[PostureEngine], object]):
        """Run ``fn(engine)`` while the monitor is not in the middle of an update."""
        with self._engine_lock:
            return fn(self.engine)

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        finally:
            self._close_model()

    def _loop(self) -> None:
        failures = 0
        while not self._halt.is_set():
            if self._paused.is_set():
                self._on_status(MonitorStatus("paused"))
                self._wait_while_paused()
                continue
            try:
                finished = self._run_source()
                failures = 0
                if finished:
                    self._on_status(MonitorStatus("finished", "the recording has ended"))
                    return
            except SourceError as exc:
                if self._paused.is_set() or self._halt.is_set():
                    continue  # the read was cut short by our own pause or stop, not by the camera
                delay = self.retry_delays[min(failures, len(self.retry_delays) - 1)]
                failures += 1
                log.info("camera unavailable (%s); retrying in %.0f s", exc, delay)
                self._on_status(MonitorStatus("camera_unavailable", str(exc)))
                self._wake.clear()
                self._wake.wait(delay)
            except ModelError as exc:
                self._on_status(MonitorStatus("model_error", str(exc)))
                return

    def _wait_while_paused(self) -> None:
        while self._paused.is_set() and not self._halt.is_set():
            self._wake.clear()
            self._wake.wait(1.0)

    def _model_for(self, source: FrameSource):
        """The pose model for ``source``, kept across reopens while the mode stays the same.

        Every new MediaPipe landmarker leaves some native memory behind when closed, and a camera
        that comes and goes (or a screen that is locked and unlocked) reopens the source often.
        """
        key = bool(source.is_stream)
        if self._model is not None and self._model_key == key:
            if hasattr(self._model, "reset"):
                self._model.reset()  # a new session starts with a fresh search, not an old track
            return self._model
        self._close_model()
        self._model = self._open_model(source)
        self._model_key = key
        return self._model

    def _close_model(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None

    def _run_source(self) -> bool:
        """Analyse one opened source until it ends (True), or pause/stop interrupts it (False)."""
        from postureguard.frame_health import FrameHealth, frame_stats

        source = self._open_source()
        self.source_open = True
        try:
            model = self._model_for(source)
            self._on_status(MonitorStatus("running", source.description))
            policy = SamplingPolicy(self.sampling, sustain_s=self.engine.settings.sustain_s)
            analyzer = AdaptiveAnalyzer(
                self.engine, model, policy, on_pose=self._on_pose, lock=self._engine_lock
            )
            self.counts = analyzer.counts
            health = FrameHealth()
            if hasattr(source, "set_rate"):
                source.set_rate(1.0 / policy.check_interval())
            frames = source.frames(analyzer.wants)
            if not getattr(source, "is_live", False) and self.pace_recordings:
                frames = paced(frames, self.clock, self._halt)
            for frame in frames:
                if self._halt.is_set() or self._paused.is_set():
                    return False
                verdict = health.update(frame_stats(frame.image), frame.t)
                if verdict.changed:
                    state = {"blank": "camera_covered", "frozen": "camera_frozen"}.get(
                        verdict.state, "running"
                    )
                    self._on_status(MonitorStatus(state, verdict.detail or source.description))
                if verdict.state == "frozen" and getattr(source, "is_live", False):
                    # A stalled driver: reopening the camera is the cure; the retry loop does it.
                    raise SourceError(verdict.detail or "the camera keeps sending the same frame")
                if verdict.state == "blank":
                    continue  # a covered lens shows nobody; the model would only waste time
                policy.sustain_s = self.engine.settings.sustain_s  # settings may change while running
                update = analyzer.process(frame, self.clock.monotonic())
                if update is not None:
                    self._on_update(update)
            return True
        finally:
            source.close()
            self.source_open = False
