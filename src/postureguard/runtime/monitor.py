"""The monitor thread: source -> pose -> engine, and the one owner of everything the engine touches.

The thread owns the camera (or the replayed recording), the pose model and an :class:`Owner`: the
engine, the calibration in progress, the pause and the alert decisions. Nothing else touches them.
Other threads post commands (:mod:`postureguard.runtime.messages`) to :attr:`Monitor.inbox`; they are applied
between two frames. What happens is emitted as events through the owner's ``emit`` (the app's
outbox, drained by its sink thread), so nothing slow (history, notifications, the tray) ever runs
between two frames.

A missing or lost camera never ends the thread: it reports ``camera_unavailable`` and retries with a
growing delay (capped), and resumes by itself. Any other unexpected error in a stage is logged with
its traceback, reported as ``stopped`` ("monitoring stopped: <error>; restarting") and the loop
starts again after a growing delay (:attr:`Monitor.restart_delays`). Pausing releases the camera, so
its light goes off.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from postureguard.engine.calibration import Calibration, CalibrationSession
from postureguard.engine.core import PostureEngine, Update
from postureguard.engine.events import PostureAlert, SittingAlert
from postureguard.engine.landmarks import Pose
from postureguard.engine.policy import NotificationPolicy
from postureguard.engine.profiles import SceneWatch
from postureguard.engine.sampling import SamplingPolicy, SamplingSettings
from postureguard.errors import CalibrationError, ModelError, SourceError
from postureguard.i18n import _
from postureguard.runtime.messages import (
    AlertRaised,
    Analysed,
    AppEvent,
    ApplySettings,
    Calibrate,
    CalibrationDone,
    CalibrationFailed,
    CalibrationStarted,
    Command,
    GuideClaimed,
    GuideReleased,
    MonitorState,
    MonitorStatus,
    Pause,
    Paused,
    PauseReason,
    ProfileSwitched,
    Recount,
    Resume,
    Resumed,
    ScreenLocked,
    ScreenUnlocked,
    SettingsApplied,
    Snooze,
    StatusChanged,
    UseCalibration,
    UseProfiles,
    Wake,
)
from postureguard.vision.analyzer import AdaptiveAnalyzer
from postureguard.vision.pose import PoseModel
from postureguard.vision.sources import Frame, FrameSource

__all__ = ["Monitor", "MonitorState", "MonitorStatus", "Owner", "paced"]

log = logging.getLogger(__name__)


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


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


#: Frames with a person needed for a calibration the tray makes by itself.
CALIBRATION_FRAMES = 8
#: Seconds between the calibration notice and the first calibration frame (time to sit up).
CALIBRATION_DELAY_S = 5.0


class Owner:
    """What the monitor thread owns besides the camera: the engine, the calibration in progress, the
    pause and the alert decisions (quiet hours and the hourly cap, ``policy``).

    Not thread-safe, by design: one thread calls it, the monitor's while it runs (before the monitor
    starts or after it ends, whoever posts a command). Every change is told through ``emit`` as an
    event of :mod:`postureguard.runtime.messages`; ``emit`` must be quick (the app's outbox ``put``).
    ``wall_clock`` gives epoch seconds (history, quiet hours), ``mono_clock`` the engine's seconds
    (snooze, calibration delay, timed pauses).
    """

    def __init__(
        self,
        engine: PostureEngine,
        emit: Callable[[AppEvent], None],
        *,
        policy: NotificationPolicy | None = None,
        wall_clock: Callable[[], float] = time.time,
        mono_clock: Callable[[], float] = time.monotonic,
    ):
        self.engine = engine
        self.policy = policy
        self._emit = emit
        self._wall = wall_clock
        self._mono = mono_clock
        self.calibration: CalibrationSession | None = None  # the calibration in progress
        #: The profile the calibration in progress is for (None: no profiles in use).
        self._calibrating_for: str | None = None
        #: The user's calibrated profiles and the one in use (see UseProfiles); the scene watch
        #: switches between them. Empty without profiles (a calibration given with --calibration).
        self.profiles: dict[str, Calibration] = {}
        self.profile: str | None = None
        self._scene: SceneWatch | None = None
        self.pause_reason: PauseReason | None = None  # None: not paused
        self._resume_at: float | None = None  # mono seconds of a timed pause's end
        self._locked = False  # the current pause began with a screen lock

    @property
    def paused(self) -> bool:
        return self.pause_reason is not None

    @property
    def calibrating(self) -> bool:
        return self.calibration is not None

    # -- commands ---------------------------------------------------------------------------------
    def apply(self, command: Command) -> None:
        """Apply one command (see :mod:`postureguard.runtime.messages`)."""
        if isinstance(command, Pause):
            self._pause(command.seconds, command.reason)
        elif isinstance(command, Resume):
            self._resume()
        elif isinstance(command, ScreenLocked):
            if not self.paused:  # a pause the user chose stays theirs to end
                log.info("screen locked: camera released")
                self._pause(None, PauseReason.LOCKED)
                self._locked = True
        elif isinstance(command, ScreenUnlocked):
            if self._locked:
                log.info("screen unlocked: monitoring again")
                self._resume()
        elif isinstance(command, GuideClaimed):
            if not self.paused:  # one camera user: the routine player's guide has it now
                log.info("camera guide: camera released to the routine player")
                self._pause(None, PauseReason.GUIDE)
        elif isinstance(command, GuideReleased):
            if self.pause_reason == PauseReason.GUIDE:
                log.info("camera guide closed: monitoring again")
                self._resume()
        elif isinstance(command, Snooze):
            self.engine.snooze(self._mono() + command.seconds)
            log.info("alerts snoozed for %.0f minutes", command.seconds / 60)
        elif isinstance(command, Recount):
            if self.policy is not None:
                self.policy.recount(command.raised, command.delivered)
        elif isinstance(command, ApplySettings):
            self.engine.set_settings(command.engine)
            if self.policy is not None:
                s = command.settings
                self.policy.configure(s.max_notifications_per_hour, s.quiet_window())
            log.info(
                "settings applied: sensitivity %s, sustain %.0f s, sitting limit %s min",
                command.settings.sensitivity,
                command.engine.sustain_s,
                command.settings.sitting_limit_minutes,
            )
            self._emit(SettingsApplied(command.settings))
        elif isinstance(command, Calibrate):
            self.begin_calibration(command.profile)
        elif isinstance(command, UseCalibration):
            self.calibration = None
            self.engine.set_calibration(command.calibration)
            if command.profile is not None:  # chosen by the user: the scene does not undo it at once
                self._use_profile(command.profile, command.calibration, held=True)
            self._emit(CalibrationDone(command.calibration, made_here=False, profile=command.profile))
        elif isinstance(command, UseProfiles):
            self.profiles = dict(command.calibrations)
            self.profile = command.active
            self._watch_scene()
        elif not isinstance(command, Wake):
            raise TypeError(f"not a monitor command: {command!r}")

    def _pause(self, seconds: float | None, reason: PauseReason) -> None:
        self._resume_at = None if seconds is None else self._mono() + seconds
        if not self.paused:
            self.pause_reason = reason
            self._emit(Paused(reason, self._wall()))

    def _resume(self) -> None:
        self._resume_at = None
        self._locked = False
        if self.paused:
            self.pause_reason = None
            self._emit(Resumed(self._wall()))

    def tick(self) -> float | None:
        """End a timed pause that is due; the seconds until it is due (None: no timed pause)."""
        if self._resume_at is None:
            return None
        left = self._resume_at - self._mono()
        if left <= 0:
            self._resume()
            return None
        return left

    def _use_profile(self, name: str, calibration: Calibration, *, held: bool = False) -> None:
        self.profiles[name] = calibration
        self.profile = name
        self._watch_scene(held=held)

    def _watch_scene(self, *, held: bool = False) -> None:
        """Watch for another profile's scene, when there is another calibrated profile to switch to;
        ``held``: the user chose the profile in use (see
        :class:`~postureguard.engine.profiles.SceneWatch`)."""
        refs = {name: cal.anchor for name, cal in self.profiles.items()}
        active = self.profile
        useful = active is not None and any(a is not None for n, a in refs.items() if n != active)
        self._scene = SceneWatch(refs, active, held=held) if useful and active is not None else None

    def begin_calibration(self, profile: str | None = None) -> None:
        """Take the next upright frames as the reference, after :data:`CALIBRATION_DELAY_S` seconds;
        ``profile``: the profile it is for (``None``: the one in use).

        The tray waits for a person as long as it takes (no look limit): the user may step away.
        """
        self._calibrating_for = profile if profile is not None else self.profile
        self.calibration = CalibrationSession(
            CALIBRATION_FRAMES, settle_s=CALIBRATION_DELAY_S, start_t=self._mono()
        )
        self._emit(CalibrationStarted(CALIBRATION_DELAY_S))

    # -- the monitor's reports ----------------------------------------------------------------------
    def report(self, status: MonitorStatus) -> None:
        self._emit(StatusChanged(status))

    def observe(self, pose: Pose | None, now: float, *, still_since: float | None = None) -> Update:
        """One analysed frame (``now``: the engine's seconds): calibrate, update the engine, decide alerts.
        ``still_since``: since when the picture has not changed (see ``PostureEngine.update``)."""
        session = self.calibration
        if session is not None and session.add(pose, now).done:
            self._finish_calibration(session)
        update = self.engine.update(pose, now, still_since=still_since)
        scene = self._scene
        if self.calibration is None and session is None and scene is not None:
            name = scene.update(pose, now)
            if name is not None and name in self.profiles:
                log.info("profile %s fits where the user sits: switching to it", name)
                self.profile = name
                self.engine.set_calibration(self.profiles[name])
                self._emit(ProfileSwitched(name, "scene"))
        if session is not None:
            # A calibration takes the largest person in view: several poses while several are found;
            # one pose when one is alone, as the user will be judged (see vision.pose.MediaPipePose).
            update = dataclasses.replace(update, look_for_others=pose is not None and bool(pose.others))
        wall = self._wall()
        self._emit(Analysed(update, wall))
        for event in update.events:
            if isinstance(event, PostureAlert | SittingAlert):
                self._emit(self._decide(event, wall))
        return update

    def _finish_calibration(self, session: CalibrationSession) -> None:
        try:
            cal = session.finish()
        except CalibrationError as exc:
            # Start again at once (the user is sitting up already) and say why.
            self.calibration = CalibrationSession(CALIBRATION_FRAMES)
            self._emit(CalibrationFailed(str(exc)))
            return
        self.calibration = None
        self.engine.set_calibration(cal)
        target = self._calibrating_for
        if target is not None:
            self._use_profile(target, cal)
        self._emit(CalibrationDone(cal, profile=target))

    def _decide(self, alert: PostureAlert | SittingAlert, wall: float) -> AlertRaised:
        """Whether ``alert`` becomes a notification now (quiet hours, hourly cap)."""
        if self.policy is None:
            return AlertRaised(alert, wall, True)
        local = datetime.fromtimestamp(wall)
        decision = self.policy.decide(wall, local.hour * 60 + local.minute)
        if decision.notify:
            self.policy.record(wall)
        return AlertRaised(alert, wall, decision.notify, decision.reason)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Monitor(threading.Thread):
    """Runs the pipeline until :meth:`stop`, for its :class:`Owner`.

    ``open_source`` returns a fresh :class:`FrameSource` (called again after a failure);
    ``open_model`` returns a pose model for that source. ``sampling`` says which frames are looked
    at and when the model runs (see :mod:`postureguard.engine.sampling`); frames in between are not
    even decoded. ``retry_delays`` (seconds) space the attempts to open a missing camera;
    ``restart_delays`` (seconds) space the restarts after an unexpected error, the last one
    repeating (1, 2, 4 ... 60 by default).
    """

    def __init__(
        self,
        owner: Owner,
        open_source: Callable[[], FrameSource],
        open_model: Callable[[FrameSource], PoseModel],
        *,
        sampling: SamplingSettings | None = None,
        pace_recordings: bool = True,
        retry_delays: tuple[float, ...] = (2.0, 4.0, 8.0, 15.0, 30.0),
        restart_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0),
        clock: Clock | None = None,
    ):
        super().__init__(name="postureguard-monitor", daemon=True)
        self.owner = owner
        self._open_source = open_source
        self._open_model = open_model
        self.sampling = sampling or SamplingSettings()
        self.counts = None  # the running analyzer's counters, for tests and diagnostics
        self.pace_recordings = pace_recordings
        self.retry_delays = retry_delays
        self.restart_delays = restart_delays
        self.clock = clock or SystemClock()
        #: Commands from other threads, applied between two frames.
        self.inbox: queue.Queue[Command] = queue.Queue()
        self._halt = threading.Event()
        # Guards only the hand-over: once the thread has ended, a command is no longer queued.
        self._accept_lock = threading.Lock()
        self._accepting = False
        self.source_open = False  # observable by tests: the camera/recording is held right now
        self.restarts = 0  # loops restarted after an unexpected error
        self._analysed = 0  # frames analysed by this monitor, all runs together
        self._model: PoseModel | None = None
        self._model_key: bool | None = None

    @property
    def engine(self) -> PostureEngine:
        return self.owner.engine

    # -- control (any thread) -----------------------------------------------------------------
    def start(self) -> None:
        with self._accept_lock:
            self._accepting = True
        super().start()

    def post(self, command: Command) -> bool:
        """Queue ``command`` for the monitor thread; False (nothing queued) when it is not running."""
        with self._accept_lock:
            if not self._accepting:
                return False
            self.inbox.put(command)
            return True

    def submit(self, command: Command) -> None:
        """Queue ``command``, or apply it here when no monitor thread runs (nobody else owns the engine)."""
        if not self.post(command):
            self.owner.apply(command)

    def stop(self) -> None:
        self._halt.set()
        self.inbox.put(Wake())

    def pause(self) -> None:
        self.submit(Pause())

    def resume(self) -> None:
        self.submit(Resume())

    @property
    def paused(self) -> bool:
        return self.owner.paused

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._supervise()
        finally:
            self._close_model()
            with self._accept_lock:
                self._accepting = False
            self._drain()  # what came in as it ended still counts (a Resume closes a gap in history)

    def _supervise(self) -> None:
        """Run the loop; after an unexpected error, say so and start it again after a growing delay."""
        failures = 0
        while not self._halt.is_set():
            analysed = self._analysed
            try:
                self._loop()
                return
            except Exception as exc:  # noqa: BLE001 - any stage may fail; the monitor must come back
                if self._analysed > analysed:
                    failures = 0  # it ran well for a while: this is a new failure, not the same one
                delay = self.restart_delays[min(failures, len(self.restart_delays) - 1)]
                failures += 1
                self.restarts += 1
                log.exception("monitoring stopped (%s); restarting in %.0f s", _describe(exc), delay)
                self.owner.report(
                    MonitorStatus(
                        MonitorState.STOPPED,
                        _("monitoring stopped: {error}; restarting").format(error=_describe(exc)),
                    )
                )
                # A model that raised may be in any state: the next run starts with a fresh one.
                self._close_model()
                self._wait(delay)

    def _drain(self, timeout: float | None = None) -> None:
        """Apply every queued command; wait up to ``timeout`` seconds for the first (None: no wait)."""
        try:
            command = self.inbox.get(timeout=timeout) if timeout else self.inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            try:
                self.owner.apply(command)
            except Exception:  # noqa: BLE001 - one bad command must not stop monitoring
                log.exception("command %r failed", command)
            try:
                command = self.inbox.get_nowait()
            except queue.Empty:
                return

    def _wait(self, seconds: float) -> None:
        """Wait ``seconds``, applying commands meanwhile; return early on stop or a pause change."""
        deadline = time.monotonic() + seconds
        paused = self.owner.paused
        while not self._halt.is_set() and self.owner.paused == paused:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._drain(timeout=min(left, 1.0))

    def _loop(self) -> None:
        failures = 0
        while not self._halt.is_set():
            self._drain()
            if self.owner.paused:
                self.owner.report(MonitorStatus(MonitorState.PAUSED))
                self._wait_while_paused()
                continue
            try:
                finished = self._run_source()
                failures = 0
                if finished:
                    self.owner.report(MonitorStatus(MonitorState.FINISHED, _("the recording has ended")))
                    return
            except SourceError as exc:
                self._drain()
                if self.owner.paused or self._halt.is_set():
                    continue  # the read was cut short by our own pause or stop, not by the camera
                delay = self.retry_delays[min(failures, len(self.retry_delays) - 1)]
                failures += 1
                log.info("camera unavailable (%s); retrying in %.0f s", exc, delay)
                self.owner.report(MonitorStatus(MonitorState.CAMERA_UNAVAILABLE, str(exc)))
                self._wait(delay)
            except ModelError as exc:
                self.owner.report(MonitorStatus(MonitorState.MODEL_ERROR, str(exc)))
                return

    def _wait_while_paused(self) -> None:
        while self.owner.paused and not self._halt.is_set():
            due = self.owner.tick()  # a timed pause ends here
            if self.owner.paused:
                self._drain(timeout=1.0 if due is None else max(0.01, min(due, 1.0)))

    def _model_for(self, source: FrameSource) -> PoseModel:
        """The pose model for ``source``, kept across reopens while the mode stays the same.

        Every new MediaPipe landmarker leaves some native memory behind when closed, and a camera
        that comes and goes (or a screen that is locked and unlocked) reopens the source often.
        """
        key = bool(source.is_stream)
        if self._model is not None and self._model_key == key:
            self._model.reset()  # a new session starts with a fresh search, not an old track
            return self._model
        self._close_model()
        self._model = self._open_model(source)
        self._model_key = key
        return self._model

    def _close_model(self) -> None:
        model, self._model = self._model, None
        if model is not None:
            try:
                model.close()
            except Exception:  # noqa: BLE001 - a model that failed may fail to close too
                log.exception("the pose model did not close cleanly")

    def _run_source(self) -> bool:
        """Analyse one opened source until it ends (True), or pause/stop interrupts it (False)."""
        from postureguard.vision.frame_health import FrameHealth, frame_stats

        source = self._open_source()
        self.source_open = True
        try:
            model = self._model_for(source)
            self.owner.report(MonitorStatus(MonitorState.RUNNING, source.description))
            policy = SamplingPolicy(self.sampling, sustain_s=self.engine.settings.sustain_s)
            analyzer = AdaptiveAnalyzer(self.engine, model, policy, observe=self.owner.observe)
            self.counts = analyzer.counts
            health = FrameHealth()
            source.set_rate(1.0 / policy.check_interval())
            frames = source.frames(analyzer.wants)
            if not source.is_live and self.pace_recordings:
                frames = paced(frames, self.clock, self._halt)
            for frame in frames:
                self._drain()
                if self._halt.is_set() or self.owner.paused:
                    return False
                stats = frame_stats(frame.image)
                verdict = health.update(stats, frame.t)
                if verdict.changed:
                    state = {"blank": MonitorState.CAMERA_COVERED, "frozen": MonitorState.CAMERA_FROZEN}.get(
                        verdict.state, MonitorState.RUNNING
                    )
                    self.owner.report(MonitorStatus(state, verdict.detail or source.description))
                if verdict.state == "frozen" and source.is_live:
                    # A stalled driver: reopening the camera is the cure; the retry loop does it.
                    raise SourceError(verdict.detail or _("the camera keeps sending the same frame"))
                if verdict.state == "blank":
                    continue  # a covered lens shows nobody; the model would only waste time
                policy.sustain_s = self.engine.settings.sustain_s  # settings may change while running
                if analyzer.process(frame, self.clock.monotonic(), stats.blocks) is not None:
                    self._analysed += 1
            return True
        finally:
            source.close()
            self.source_open = False
