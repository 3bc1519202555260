"""The tray app's controller: the one place that wires source, pose, engine, store, notifier and tray.

Data flows one way: the monitor thread hands each engine :class:`Update` to :meth:`App.on_update`,
which stores the minute aggregates, turns alerts into notifications (after the notification policy),
and asks the tray to redraw. Commands from the tray menu and from notification buttons come back
through the small public methods below; none of them blocks on the routine player, which runs as its
own process.

Threads: the tray's main loop owns the main thread; the monitor and the notifier each have a thread
of their own; a settings watcher polls the settings file. Shared state is guarded by ``self._lock``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from postureguard import paths
from postureguard.config import Settings, load_settings, save_settings, with_value
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine, Update
from postureguard.engine.events import BreakTaken, PostureAlert, SittingAlert
from postureguard.engine.geometry import Features, measure
from postureguard.errors import CalibrationError, UserError
from postureguard.monitor import Monitor, MonitorStatus
from postureguard.platform.notifications import Notifier
from postureguard.policy import NotificationPolicy, alert_text, alert_title, suggestion_text
from postureguard.store.aggregate import MinuteAggregator
from postureguard.store.base import AlertRecord, BreakRecord, HistoryStore
from postureguard.store.summary import format_summary, summarize_day

log = logging.getLogger(__name__)

#: Frames with a person needed for a calibration the app makes by itself.
CALIBRATION_FRAMES = 8
#: Seconds between the calibration notice and the first calibration frame.
CALIBRATION_DELAY_S = 5.0
FALLBACK_TEXT = "Click the PostureGuard icon in the tray to start it."


class View(Protocol):
    """What the app needs from the tray: redraw from a :class:`TrayState`."""

    def refresh(self, state: TrayState) -> None: ...


@dataclass(frozen=True)
class TrayState:
    """Everything the tray shows. ``icon`` is one of postureguard.ui.icons.STATES."""

    icon: str
    tooltip: str
    paused: bool
    sensitivity: str
    sitting_limit_min: int
    suggestion_title: str | None
    status_line: str


@dataclass
class Overrides:
    """Command-line values that win over the settings file for this run only (seconds)."""

    sustain_s: float | None = None
    cooldown_s: float | None = None
    sitting_limit_s: float | None = None
    break_s: float | None = None

    def engine_kwargs(self) -> dict[str, float]:
        return {k: v for k, v in vars(self).items() if v is not None}


def _launch_routine(routine_id: str, source: str) -> Any:
    from postureguard.launch import launch_routine

    return launch_routine(routine_id, source)


class App:
    def __init__(
        self,
        *,
        settings: Settings,
        settings_path: Path,
        engine: PostureEngine,
        store: HistoryStore,
        notifier: Notifier,
        recommender_factory: Callable[[Settings], Any],
        calibration_path: Path,
        overrides: Overrides | None = None,
        launch_routine: Callable[[str, str], Any] = _launch_routine,
        wall_clock: Callable[[], float] = time.time,
        mono_clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self.settings_path = settings_path
        self.engine = engine
        self.store = store
        self.notifier = notifier
        self._recommender_factory = recommender_factory
        self.recommender = recommender_factory(settings)
        self.calibration_path = calibration_path
        self.overrides = overrides or Overrides()
        self._launch = launch_routine
        self._wall = wall_clock
        self._mono = mono_clock
        self._lock = threading.RLock()
        self.monitor: Monitor | None = None
        self.view: View | None = None
        self.policy = NotificationPolicy(settings.max_notifications_per_hour, settings.quiet_window())
        self.aggregator = MinuteAggregator()
        self.last_sample = None
        self.monitor_status = MonitorStatus("starting")
        self.suggestion = None  # the latest Recommendation
        self.children: list[Any] = []  # routine player processes, reaped as they end
        self._paused_since: float | None = None
        self._resume_timer: threading.Timer | None = None
        self._calibrating = engine.calibration is None
        self._calibration_frames: list[Features] = []
        self._calibration_not_before = 0.0
        self._settings_mtime = self._mtime()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._setup_proc = None
        self._store_warned = False  # "cannot save history" is said once per run
        self._pause_reason = "paused"
        self._locked = False

    # -- lifecycle ------------------------------------------------------------------------------
    def attach(self, monitor: Monitor, view: View | None) -> None:
        self.monitor = monitor
        self.view = view

    def start(self, *, setup_first: bool = False) -> None:
        """Start watching. ``setup_first`` opens the first-run walk-through before monitoring."""
        if setup_first:
            self.open_setup()
        elif self._calibrating:
            self.begin_calibration()
        self._watcher = threading.Thread(target=self._watch_settings, name="settings-watcher", daemon=True)
        self._watcher.start()
        if self.monitor is not None:
            self.monitor.start()
        self._refresh()

    def shutdown(self) -> None:
        """Stop monitoring and release the camera; flush history. Safe to call more than once."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._resume_timer:
            self._resume_timer.cancel()
        # The monitor is started by the tray's setup; when the tray failed before that, there is
        # no thread to join (joining an unstarted thread raises).
        if self.monitor is not None and self.monitor.ident is not None:
            self.monitor.stop()
            self.monitor.join(timeout=4.0)
            log.info("monitor stopped; source released: %s", not self.monitor.source_open)
        with self._lock:
            record = self.aggregator.flush()
            if record is not None:
                self._store_call(self.store.add_minute, record)
            if self._paused_since is not None:
                self._store_call(self.store.add_gap, self._paused_since, self._wall(), self._pause_reason)
                self._paused_since = None
        self.notifier.close()
        self.store.close()

    # -- from the monitor thread ------------------------------------------------------------------
    def on_pose(self, pose, t: float) -> None:
        """Every analysed pose, before the engine: used only while calibrating."""
        if not self._calibrating or t < self._calibration_not_before:
            return
        features = measure(pose)
        if features is None:
            return
        with self._lock:
            self._calibration_frames.append(features)
            if len(self._calibration_frames) >= CALIBRATION_FRAMES:
                self._finish_calibration()

    def on_update(self, update: Update) -> None:
        now = self._wall()
        with self._lock:
            self.last_sample = update.sample
            record = self.aggregator.add(replace(update.sample, t=now))
            if record is not None:
                self._store_call(self.store.add_minute, record)
        for event in update.events:
            if isinstance(event, PostureAlert | SittingAlert):
                self._alert(event, now)
            elif isinstance(event, BreakTaken):
                self._store_call(self.store.add_break, BreakRecord(now, event.away_s, event.sat_s))
                if self.settings.notify_on_break:
                    self._send("Break noted", f"Welcome back: {round(event.away_s / 60)} minutes away.")
        self._refresh()

    def on_status(self, status: MonitorStatus) -> None:
        if status.state == "camera_unavailable" and self.settings.pause_during_calls:
            users = self._camera_users()
            if users:
                # A call (or another program) has the camera: wait for it politely, not as a fault.
                names = ", ".join(sorted({u.name for u in users}))
                status = MonitorStatus("camera_in_use", f"the camera is in use by {names}")
        with self._lock:
            self.monitor_status = status
        log.info("monitor: %s %s", status.state, status.detail)
        self._refresh()

    def _camera_users(self):
        from postureguard.platform.camera_users import camera_device, users_of

        return users_of(camera_device(self.settings.camera))

    # -- alerts -----------------------------------------------------------------------------------
    def _alert(self, event: PostureAlert | SittingAlert, now: float) -> None:
        from postureguard.recommender import Recommendation

        rec = self.recommender.recommend(event.trigger)
        routine = rec.routine if isinstance(rec, Recommendation) else None
        with self._lock:
            if routine is not None:
                self.suggestion = rec
        kind = "posture" if isinstance(event, PostureAlert) else "sitting"
        self._store_call(
            self.store.add_alert,
            AlertRecord(
                t=now,
                kind=kind,
                trigger=event.trigger,
                angle_deg=getattr(event, "angle_deg", None),
                duration_s=getattr(event, "duration_s", None),
                minutes=getattr(event, "minutes", None),
                routine_id=routine.id if routine else None,
            ),
        )
        local = datetime.fromtimestamp(now)
        decision = self.policy.decide(now, local.hour * 60 + local.minute)
        if not decision.notify:
            log.info("alert not shown (%s): %s", decision.reason, alert_text(event))
            return
        self.policy.record(now)
        body = (
            alert_text(event)
            + " "
            + suggestion_text(
                routine.title if routine else None,
                routine.minutes if routine else None,
                getattr(rec, "reason", ""),
            )
        )
        buttons = []
        if routine is not None:
            rid = routine.id
            buttons.append(("Start routine", lambda: self.start_routine(rid, "notification")))
        buttons.append(("Snooze 30 min", lambda: self.snooze(self.settings.snooze_minutes * 60)))
        self._send(
            alert_title(event),
            body,
            buttons=buttons,
            on_clicked=(lambda: self.start_routine(routine.id, "notification")) if routine else None,
            fallback=FALLBACK_TEXT,
        )

    def _send(self, title: str, body: str, **kw) -> None:
        try:
            self.notifier.send(title, body, **kw)
        except Exception:  # noqa: BLE001 - a notification must never stop monitoring
            log.exception("could not show a notification")

    def _store_call(self, fn, *args):
        try:
            return fn(*args)
        except UserError as exc:
            # Disk full or a read-only folder: keep monitoring, say so once.
            if not self._store_warned:
                self._store_warned = True
                log.warning("history cannot be saved: %s", exc)
                self._send("PostureGuard cannot save history", str(exc))
            return None

    # -- commands (tray menu, notification buttons) ------------------------------------------------
    def start_routine(self, routine_id: str | None = None, source: str = "tray") -> None:
        """Open the routine player for ``routine_id`` (default: the current suggestion)."""
        if routine_id is None:
            with self._lock:
                suggestion = self.suggestion
            if suggestion is None:
                from postureguard.recommender import Recommendation

                rec = self.recommender.recommend("neck_strain")
                suggestion = rec if isinstance(rec, Recommendation) else None
            if suggestion is None:
                self._send("No routine fits", "Your safety settings exclude every routine for this.")
                return
            routine_id = suggestion.routine.id
        log.info("starting routine %s from %s", routine_id, source)
        try:
            child = self._launch(routine_id, source)
        except Exception:  # noqa: BLE001 - the tray must survive a failed launch
            log.exception("could not start the routine player")
            return
        with self._lock:
            self.children = [c for c in self.children if c.poll() is None] + [child]

    def _with_engine(self, fn) -> None:
        """Apply ``fn(engine)`` between two monitor updates (directly when nothing monitors)."""
        if self.monitor is not None:
            self.monitor.with_engine(fn)
        else:
            fn(self.engine)

    def snooze(self, seconds: float) -> None:
        until = self._mono() + seconds
        self._with_engine(lambda e: e.snooze(until))
        log.info("alerts snoozed for %.0f minutes", seconds / 60)

    def pause(self, seconds: float | None, reason: str = "paused") -> None:
        """Release the camera; resume by itself after ``seconds`` (None: until Resume).

        ``reason`` is recorded with the gap in history (``paused``, ``locked``, ``setup``).
        """
        with self._lock:
            if self._resume_timer:
                self._resume_timer.cancel()
                self._resume_timer = None
            if self._paused_since is None:
                self._paused_since = self._wall()
                self._pause_reason = reason
            if seconds is not None:
                self._resume_timer = threading.Timer(seconds, self.resume)
                self._resume_timer.daemon = True
                self._resume_timer.start()
        if self.monitor is not None:
            self.monitor.pause()
        self._refresh()

    def resume(self) -> None:
        with self._lock:
            if self._resume_timer:
                self._resume_timer.cancel()
                self._resume_timer = None
            if self._paused_since is not None:
                self._store_call(self.store.add_gap, self._paused_since, self._wall(), self._pause_reason)
                self._paused_since = None
        if self.monitor is not None:
            self.monitor.resume()
        self._refresh()

    # -- screen lock (from the lock watcher's thread) ---------------------------------------------
    def on_lock(self) -> None:
        """The screen was locked: release the camera, unless the user had paused already."""
        with self._lock:
            if self._paused_since is not None:
                return  # a pause the user chose stays theirs to end
            self._locked = True
        log.info("screen locked: camera released")
        self.pause(None, reason="locked")

    def on_unlock(self) -> None:
        with self._lock:
            if not self._locked:
                return
            self._locked = False
        log.info("screen unlocked: monitoring again")
        self.resume()

    def set_setting(self, key: str, text: str) -> None:
        """Change one setting from the tray: validated, saved atomically, applied at once."""
        try:
            new = with_value(self.settings, key, text)
            save_settings(new, self.settings_path)
        except UserError as exc:
            self._send("Setting not changed", str(exc))
            return
        self._settings_mtime = self._mtime()
        self.apply_settings(new)

    def apply_settings(self, settings: Settings) -> None:
        with self._lock:
            self.settings = settings
            self.policy.configure(settings.max_notifications_per_hour, settings.quiet_window())
            self.recommender = self._recommender_factory(settings)
        engine_settings = settings.to_engine(**self.overrides.engine_kwargs())
        self._with_engine(lambda e: e.set_settings(engine_settings))
        log.info(
            "settings applied: sensitivity %s, sustain %.0f s, sitting limit %s min",
            settings.sensitivity,
            engine_settings.sustain_s,
            settings.sitting_limit_minutes,
        )
        self._refresh()

    def begin_calibration(self) -> None:
        with self._lock:
            self._calibrating = True
            self._calibration_frames = []
            self._calibration_not_before = self._mono() + CALIBRATION_DELAY_S
        self._send(
            "Calibrating PostureGuard",
            f"Sit upright and look at your screen as you like to sit. In {CALIBRATION_DELAY_S:.0f} seconds "
            "PostureGuard measures this position as your upright reference.",
        )
        self._refresh()

    def _finish_calibration(self) -> None:
        from postureguard.calibration_file import save_calibration

        try:
            cal = calibrate(self._calibration_frames)
        except CalibrationError as exc:
            self._calibration_frames = []
            self._send("Calibration failed", str(exc))
            return
        self._calibrating = False
        try:
            save_calibration(cal, self.calibration_path, note="made by the tray app")
        except OSError as exc:
            log.warning("calibration not saved (%s); it is used for this run only", exc)
        self._with_engine(lambda e: e.set_calibration(cal))
        self._send("Calibration done", "PostureGuard now measures your posture against this position.")

    def open_setup(self) -> None:
        """Open the first-run walk-through (its own process); the camera is released meanwhile."""
        from postureguard.launch import start_postureguard

        with self._lock:
            if self._setup_proc is not None and self._setup_proc.poll() is None:
                return
        self.pause(None, reason="setup")
        try:
            proc = start_postureguard(["setup"], new_session=False)
        except OSError:
            log.exception("could not open the setup window")
            self.resume()
            return
        with self._lock:
            self._setup_proc = proc
        threading.Thread(target=self._after_setup, args=(proc,), name="setup-waiter", daemon=True).start()

    def _after_setup(self, proc) -> None:
        from postureguard.calibration_file import load_calibration

        proc.wait()
        try:
            cal = load_calibration(self.calibration_path)
        except CalibrationError:
            cal = None
        if cal is not None:
            with self._lock:
                self._calibrating = False
            self._with_engine(lambda e: e.set_calibration(cal))
        if not self._stop.is_set():
            self.resume()
            if cal is None:
                self.begin_calibration()

    def open_report(self) -> None:
        """Draw today's report and open it in the default viewer, off the tray's thread."""

        def work() -> None:
            from postureguard.commands.report import open_today_report

            try:
                open_today_report()
            except UserError as exc:
                self._send("Report not available", str(exc))

        threading.Thread(target=work, name="report", daemon=True).start()

    def summary_text(self) -> str:
        now = datetime.now()
        start = datetime(now.year, now.month, now.day).timestamp()
        end = start + 86400
        s = self.store
        summary = summarize_day(
            s.minutes(start, end),
            s.alerts(start, end),
            s.routines(start, end),
            s.breaks(start, end),
            start,
            end,
            gaps=s.gaps(start, end),
        )
        return format_summary(summary)

    def show_summary(self) -> None:
        self._send("PostureGuard today", self.summary_text())

    # -- state for the tray ------------------------------------------------------------------------
    def tray_state(self) -> TrayState:
        with self._lock:
            status = self.monitor_status.state
            sample = self.last_sample
            paused = self.monitor.paused if self.monitor is not None else False
            if status in ("camera_unavailable", "model_error", "camera_covered", "camera_frozen"):
                icon = "camera_unavailable"
            elif paused or status == "camera_in_use":
                icon = "paused"
            elif self._calibrating:
                icon = "calibrating"
            elif sample is None or sample.state in ("away", "uncalibrated") or status == "finished":
                icon = "away"
            else:
                icon = "poor" if sample.state == "poor" else "good"
            parts = ["PostureGuard"]
            if status == "camera_in_use":
                parts.append(f"paused: {self.monitor_status.detail}")
            elif status == "camera_covered":
                parts.append("camera covered")
            elif status == "camera_frozen":
                parts.append("camera frozen, reopening")
            elif icon == "camera_unavailable":
                parts.append("camera unavailable, retrying")
            elif paused:
                parts.append("paused while the screen is locked" if self._locked else "paused")
            elif self._calibrating:
                parts.append("calibrating: sit upright")
            elif sample is not None and sample.head_forward_deg is not None:
                parts.append(f"head {sample.head_forward_deg:.0f}° forward")
            elif sample is None and status in ("starting", "running"):
                parts.append("starting")  # no frame analysed yet: say so rather than "nobody in view"
            elif status == "finished":
                parts.append("the recording has ended")
            elif icon == "away":
                parts.append("nobody in view")
            if sample is not None and sample.sitting_s:
                parts.append(f"sitting {sample.sitting_s / 60:.0f} min")
            suggestion = self.suggestion.routine.title if self.suggestion is not None else None
            return TrayState(
                icon=icon,
                tooltip=" · ".join(parts),
                paused=paused,
                sensitivity=self.settings.sensitivity,
                sitting_limit_min=self.settings.sitting_limit_minutes,
                suggestion_title=suggestion,
                status_line=self.monitor_status.detail,
            )

    def _refresh(self) -> None:
        if self.view is not None:
            try:
                self.view.refresh(self.tray_state())
            except Exception:  # noqa: BLE001 - drawing must never stop monitoring
                log.exception("tray refresh failed")

    # -- settings file watcher ---------------------------------------------------------------------
    def _mtime(self) -> float | None:
        try:
            return self.settings_path.stat().st_mtime_ns
        except OSError:
            return None

    def _watch_settings(self) -> None:
        """Reload the settings file when another program (the settings window, `config set`) changes it."""
        while not self._stop.wait(1.0):
            mtime = self._mtime()
            if mtime == self._settings_mtime:
                continue
            self._settings_mtime = mtime
            result = load_settings(self.settings_path)
            for warning in result.warnings:
                log.warning("%s", warning)
            self.apply_settings(result.settings)


def default_calibration_path() -> Path:
    return paths.calibration_file()
