"""The tray app's controller: the one place that wires source, pose, engine, store, notifier and tray.

Threads and the two queues (see :mod:`postureguard.runtime.messages` for the messages):

* the **monitor** thread (:class:`~postureguard.runtime.monitor.Monitor`) owns the engine, the calibration
  in progress, the pause and the alert decisions (its :class:`~postureguard.runtime.monitor.Owner`). Every
  other thread changes them only by posting a command to the monitor's inbox (:meth:`App.post`),
  applied between two frames;
* the monitor emits events into :attr:`App.outbox`; ONE **sink** thread drains it: it writes
  history, shows notifications and redraws the tray. A notification server that hangs holds up the
  sink, never a frame;
* the tray's main loop owns the main thread; the screen-lock watcher, the settings watcher, the
  setup waiter and the report thread only post commands (or a :class:`~postureguard.runtime.messages.Notify`).

The tray's state is a pure fold of the events (:func:`postureguard.runtime.messages.reduce`), kept by the
sink as one immutable value that any thread may read. No lock is held around engine, history or
notification work; the only locks guard hand-overs (a command queued vs. applied in place, below).

Without a running monitor (tests, or once a recording has ended) a command is applied by the
thread that posts it, and without a running sink the poster drains the outbox itself; in both cases
nobody else holds the engine or the history at that moment.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from postureguard.engine.core import PostureEngine
from postureguard.engine.events import BreakTaken, CameraMoved, PostureAlert, PostureRecovered
from postureguard.engine.holdback import OUTSIDE_WORK_HOURS, HoldBack, busy_reasons, in_work_hours
from postureguard.engine.policy import NotificationPolicy, alert_text, alert_title, suggestion_text
from postureguard.engine.sample import PostureState
from postureguard.errors import CalibrationError, UserError
from postureguard.files import paths
from postureguard.history.aggregate import MinuteAggregator
from postureguard.history.base import AlertRecord, BreakRecord, HistoryStore
from postureguard.history.summary import DaySummary, daily_text, format_summary
from postureguard.i18n import N_, _, format_decimal, ngettext
from postureguard.platform.notifications import Notifier
from postureguard.runtime.cue_link import Cue, CueProcess
from postureguard.runtime.day import snooze_seconds, snooze_until_tomorrow, summary_due
from postureguard.runtime.messages import (
    AlertRaised,
    Analysed,
    AppEvent,
    ApplySettings,
    BusyChanged,
    Calibrate,
    CalibrationDone,
    CalibrationFailed,
    CalibrationStarted,
    Command,
    GuideClaimed,
    GuideReleased,
    MonitorState,
    MonitorStatus,
    Notify,
    Pause,
    Paused,
    PauseReason,
    ProfilesChanged,
    ProfileSwitched,
    Recount,
    Resume,
    Resumed,
    ScreenLocked,
    ScreenUnlocked,
    SettingsApplied,
    SittingFine,
    Snooze,
    Snoozed,
    StatusChanged,
    Suggested,
    SummaryDue,
    TrayModel,
    TrayState,
    UseCalibration,
    UseProfiles,
    reduce,
    tray_state,
)
from postureguard.runtime.monitor import CALIBRATION_DELAY_S, CALIBRATION_FRAMES, Monitor, Owner
from postureguard.settings.config import Settings, load_settings, save_settings, with_value

__all__ = ["CALIBRATION_DELAY_S", "CALIBRATION_FRAMES", "App", "Overrides", "TrayState", "View"]

log = logging.getLogger(__name__)

FALLBACK_TEXT = N_("Click the PostureGuard icon in the tray to start it.")
#: Seconds shutdown waits for the sink to write what is queued (a hung notification server aside).
SINK_JOIN_S = 4.0
#: The notification's third button (posture alerts): teaches the personal threshold.
FINE_LABEL = N_("I'm sitting fine")
#: Seconds between two looks at do-not-disturb, full-screen windows and the work hours.
BUSY_POLL_S = 2.0
#: How often (s) the app looks whether the routine player's camera guide holds the camera.
CLAIM_POLL_S = 0.5
#: Buttons a notification may carry: GNOME Shell shows three at most (dunst and KDE show more).
MAX_BUTTONS = 3
#: In the state folder: the local date (YYYY-MM-DD) of the last daily summary shown.
SUMMARY_STATE_FILE = "last-daily-summary"


class View(Protocol):
    """What the app needs from the tray: redraw from a :class:`TrayState`."""

    def refresh(self, state: TrayState) -> None: ...


class _EndSink(AppEvent):
    """Ends the sink thread once everything queued before it is handled."""


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
    from postureguard.runtime.children import launch_routine

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
        busy_probe: Callable[[], Any] | None = None,
        cue_factory: Callable[[Callable[[], None]], Cue] = CueProcess,
        sound: Any = None,
        profiles: bool = False,
        camera_name: str | None = None,
    ):
        """``cue_factory`` makes the on-screen cue from the callback for a right-click on it (default: the
        ``postureguard cue`` process); ``sound`` (default: :class:`~postureguard.platform.sound.AlertSound`)
        plays the alert sound. Both are alert forms beside the notification (see :meth:`_deliver`).

        ``profiles``: calibrations are the user's named profiles (:mod:`postureguard.settings.profiles`;
        the ``profile`` setting names the one in use, and ``calibration_path`` is not used); off when a
        calibration file was given on the command line. ``camera_name``: the system's name of the camera
        watched (``None`` for a recording), kept with each profile calibrated here."""
        self.settings = settings  # the newest settings; replaced whole, never changed in place
        self.settings_path = settings_path
        self.engine = engine  # the monitor thread's (through self.owner); read elsewhere by tests only
        self.store = store
        self.notifier = notifier
        self._recommender_factory = recommender_factory
        self.recommender = recommender_factory(settings)
        self.calibration_path = calibration_path
        self.overrides = overrides or Overrides()
        self._launch = launch_routine
        self._wall = wall_clock
        #: Events from the monitor (and messages from any thread) for the sink thread.
        self.outbox: queue.Queue[AppEvent] = queue.Queue()
        self.owner = Owner(
            engine,
            self.outbox.put,
            policy=NotificationPolicy(settings.max_notifications_per_hour, settings.quiet_window()),
            wall_clock=wall_clock,
            mono_clock=mono_clock,
        )
        self.monitor: Monitor | None = None
        self.view: View | None = None
        # The sink's own state (its thread's, or the draining caller's while it does not run).
        self.aggregator = MinuteAggregator()
        self.model = TrayModel(
            sensitivity=settings.sensitivity,
            sitting_limit_min=settings.sitting_limit_minutes,
            calibrating=engine.calibration is None,
        )
        self.suggestion = None  # the latest Recommendation
        self._store_warned = False  # "cannot save history" is said once per run
        self._sink: threading.Thread | None = None
        # Only for the thread-less case (see the module docstring): two posters at once take turns.
        self._inline = threading.RLock()
        self.children: list[Any] = []  # routine player processes, reaped as they end
        self._settings_mtime = self._mtime()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._setup_proc = None
        #: Alerts held while the user is busy (the sink's); ``busy_probe`` makes a BusyProbe-like object.
        self.holdback: HoldBack[tuple[Any, Any, str]] = HoldBack()
        self._busy_probe = busy_probe or _default_busy_probe
        #: The daily summary: the local date (ISO) of the last one shown at the end of the work hours
        #: (kept in the state folder: a restart does not repeat it), the day of one held under
        #: do-not-disturb (the sink's), and the day the busy watcher last asked for one (the watcher's).
        self._summary_last = _read_summary_date()
        self._summary_held: str | None = None
        self._summary_asked: str | None = None
        #: The alert forms beside the notification (see :meth:`_deliver`); the cue's process starts on
        #: its first alert. ``_cue_on``: the kind of alert the cue shows now, or None.
        self.cue: Cue = cue_factory(self._cue_fine)
        self.sound = sound if sound is not None else _default_sound()
        self._cue_on: str | None = None
        self._cue_angle: float | None = None
        self.profiles = profiles
        self.camera_name = camera_name

    # -- lifecycle ------------------------------------------------------------------------------
    def attach(self, monitor: Monitor, view: View | None) -> None:
        self.monitor = monitor
        self.view = view

    def start(self, *, setup_first: bool = False) -> None:
        """Start watching. ``setup_first`` opens the first-run walk-through before monitoring."""
        if self.profiles:
            self.load_profiles()
        if setup_first:
            self.open_setup()
        elif self.engine.calibration is None:
            self.begin_calibration()
        self._sink = threading.Thread(target=self._run_sink, name="postureguard-sink", daemon=True)
        self._sink.start()
        self._watcher = threading.Thread(target=self._watch_settings, name="settings-watcher", daemon=True)
        self._watcher.start()
        threading.Thread(target=self._watch_busy, name="busy-watcher", daemon=True).start()
        threading.Thread(target=self._watch_camera_claim, name="camera-claim-watcher", daemon=True).start()
        if self.monitor is not None:
            self.monitor.start()
        self._refresh()

    def shutdown(self) -> None:
        """Stop monitoring and release the camera; flush history. Safe to call more than once."""
        if self._stop.is_set():
            return
        self._stop.set()
        # The monitor is started by the tray's setup; when the tray failed before that, there is
        # no thread to join (joining an unstarted thread raises).
        if self.monitor is not None and self.monitor.ident is not None:
            self.monitor.stop()
            self.monitor.join(timeout=4.0)
            log.info("monitor stopped; source released: %s", not self.monitor.source_open)
        sink = self._sink
        if sink is not None and sink.is_alive():
            self.outbox.put(_EndSink())
            sink.join(timeout=SINK_JOIN_S)
            if sink.is_alive():
                log.warning("the sink is stuck (a notification server that does not answer?)")
        if sink is None or not sink.is_alive():
            self.drain()
        with self._inline:
            record = self.aggregator.flush()
            if record is not None:
                self._store_call(self.store.add_minute, record)
            if self.model.paused_since is not None:
                self._store_call(
                    self.store.add_gap, self.model.paused_since, self._wall(), self.model.pause_reason
                )
                self.model = replace(self.model, paused_since=None)
        self.cue.close()
        self.notifier.close()
        self.store.close()

    # -- the two queues ---------------------------------------------------------------------------
    def post(self, command: Command) -> None:
        """Hand ``command`` to the engine's owner (the monitor thread); from any thread, never blocks."""
        if self.monitor is not None and self.monitor.post(command):
            return
        with self._inline:  # no monitor thread runs: the engine is nobody else's now
            self.owner.apply(command)
        self._pump()

    def notify(self, title: str, body: str) -> None:
        """Show a plain message (from any thread): the sink sends it."""
        self.outbox.put(Notify(title, body))
        self._pump()

    def _pump(self) -> None:
        """With no sink thread running, whoever posted drains the outbox."""
        if self._sink is None or not self._sink.is_alive():
            self.drain()

    def drain(self) -> None:
        """Handle every queued event now, on this thread (the sink's step; used while it does not run)."""
        with self._inline:
            handled = False
            while True:
                try:
                    event = self.outbox.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(event, _EndSink):
                    self._handle_safely(event)
                    handled = True
            if handled:
                self._refresh()

    def _run_sink(self) -> None:
        while True:
            event = self.outbox.get()
            if isinstance(event, _EndSink):
                return
            self._handle_safely(event)
            if self.outbox.empty():  # a burst of events is drawn once
                self._refresh()

    def _handle_safely(self, event: AppEvent) -> None:
        try:
            self._handle(event)
        except Exception:  # noqa: BLE001 - one failed event must not end history or the tray
            log.exception("could not handle %s", type(event).__name__)

    # -- the sink: history, notifications, tray -------------------------------------------------------
    def _handle(self, event: AppEvent) -> None:
        before = self.model
        if isinstance(event, Analysed):
            record = self.aggregator.add(replace(event.update.sample, t=event.wall))
            if record is not None:
                self._store_call(self.store.add_minute, record)
            for e in event.update.events:
                if isinstance(e, BreakTaken):
                    self._store_call(self.store.add_break, BreakRecord(event.wall, e.away_s, e.sat_s))
                    if self.settings.notify_on_break:
                        away = round(e.away_s / 60)
                        text = ngettext(
                            "Welcome back: {n} minute away.", "Welcome back: {n} minutes away.", away
                        )
                        self._send(_("Break noted"), text.format(n=away))
                elif isinstance(e, CameraMoved):  # once per calibration (the engine's rule)
                    self._send(_("Has the camera moved?"),
                               _("For a minute someone has been in view, but not where you sat when "
                                 "PostureGuard was calibrated. If the camera or your seat moved, choose "
                                 "Calibrate now in the tray menu, or Profile, New profile to keep this "
                                 "setup beside the other."))  # fmt: skip
            self._cue_follow(event)
        elif isinstance(event, AlertRaised):
            self._alert(event)
        elif isinstance(event, StatusChanged):
            event = StatusChanged(self._explain(event.status))
            log.info("monitor: %s %s", event.status.state, event.status.detail)
        elif isinstance(event, Resumed):
            if before.paused_since is not None:
                self._store_call(self.store.add_gap, before.paused_since, event.wall, before.pause_reason)
        elif isinstance(event, CalibrationStarted):
            self._send(
                _("Calibrating PostureGuard"),
                _(
                    "Sit upright and look at your screen as you like to sit. In {n} seconds "
                    "PostureGuard measures this position as your upright reference."
                ).format(n=f"{event.delay_s:.0f}"),
            )
        elif isinstance(event, CalibrationDone) and event.made_here:
            self._save_calibration(event)
        elif isinstance(event, ProfileSwitched):
            self._profile_switched(event)
        elif isinstance(event, CalibrationFailed):
            self._send(_("Calibration failed"), event.message)
        elif isinstance(event, SettingsApplied):
            self.recommender = self._recommender_factory(event.settings)
        elif isinstance(event, Notify):
            self._send(event.title, event.body)
        elif isinstance(event, SittingFine):
            self._hide_cue("the user sits fine")
            self._learn_fine(event)
        elif isinstance(event, BusyChanged):
            log.info("alerts held: %s", ", ".join(event.reasons) or "no longer")
            self._release(event.reasons)
            self._release_summary(event.reasons)
        elif isinstance(event, SummaryDue):
            self._summary(event, self.model.held)
        if isinstance(event, Paused) or (
            isinstance(event, SettingsApplied) and not event.settings.alerts_as("cue")
        ):
            self._hide_cue("paused" if isinstance(event, Paused) else "the cue was switched off")
        self.model = reduce(self.model, event)

    def _explain(self, status: MonitorStatus) -> MonitorStatus:
        if status.state == MonitorState.CAMERA_UNAVAILABLE and self.settings.pause_during_calls:
            users = self._camera_users()
            if users:
                # A call (or another program) has the camera: wait for it politely, not as a fault.
                names = ", ".join(sorted({u.name for u in users}))
                return MonitorStatus(
                    MonitorState.CAMERA_IN_USE, _("the camera is in use by {names}").format(names=names)
                )
        return status

    def _camera_users(self):
        from postureguard.platform.camera_users import camera_device, users_of

        return users_of(camera_device(self.settings.camera))

    def _save_calibration(self, event: CalibrationDone) -> None:
        from postureguard.settings.calibration_file import save_calibration
        from postureguard.settings.profiles import save_profile

        try:
            if self.profiles and event.profile is not None:
                camera = self.settings.camera if self.camera_name else None
                save_profile(event.profile, event.calibration, camera=camera, camera_name=self.camera_name,
                             note="made by the tray app")  # fmt: skip
                self._remember_profile(event.profile)
            else:
                save_calibration(event.calibration, self.calibration_path, note="made by the tray app")
        except (OSError, UserError) as exc:
            log.warning("calibration not saved (%s); it is used for this run only", exc)
        text = _("PostureGuard now measures your posture against this position.")
        if self.profiles and event.profile is not None and len(self.model.profiles) > 1:
            text = _("PostureGuard now measures your posture against this position in the profile "
                     "{name}.").format(name=event.profile)  # fmt: skip
        self._send(_("Calibration done"), text)

    # -- profiles (named setups, each with its own calibration) -------------------------------------
    def calibration_file(self) -> Path:
        """The calibration file of the profile in use (or the one given on the command line)."""
        if not self.profiles:
            return self.calibration_path
        from postureguard.settings.profiles import profile_path

        return profile_path(self.settings.profile)

    def load_profiles(self) -> None:
        """Read the profiles from disk and give the calibrated ones to the monitor (any thread)."""
        from postureguard.settings.profiles import same_name, with_active

        wanted = self.settings.profile
        found = with_active(wanted)
        for p in found:
            if p.problem:
                log.warning("profile %s is not used: %s", p.name, p.problem)
        active = next(p.name for p in found if same_name(p.name, wanted))
        names = tuple(p.name for p in found)
        calibrations = {p.name: p.calibration for p in found if p.calibration is not None}
        self.post(UseProfiles(calibrations, active))
        self._post_event(ProfilesChanged(names, active))

    def _remember_profile(self, name: str) -> None:
        """Keep ``name`` as the profile in use in the settings file (the sink's, or the tray's thread)."""
        if self.settings.profile == name:
            return
        try:
            new = with_value(self.settings, "profile", name)
            save_settings(new, self.settings_path)
        except UserError as exc:
            log.warning("the profile in use is not saved: %s", exc)
            return
        self._settings_mtime = self._mtime()
        self.settings = new

    def _profile_switched(self, event: ProfileSwitched) -> None:
        log.info("profile switched to %s (%s)", event.name, event.reason)
        self._remember_profile(event.name)
        if event.reason == "camera":
            text = _("The camera in use is the one the profile {name} was calibrated with, so PostureGuard "
                     "uses that profile's calibration now.")  # fmt: skip
        else:
            text = _("You sit where the profile {name} was calibrated, so PostureGuard uses that "
                     "profile's calibration now. Choose another under Profile in the tray menu.")
        self._send(_("Profile: {name}").format(name=event.name), text.format(name=event.name))

    def use_profile(self, name: str) -> None:
        """Use the profile ``name`` (the tray's Profile menu, the settings file): its calibration from the
        next frame on, or, when it has none yet, a calibration for it now."""
        from postureguard.settings.profiles import read_profile

        try:
            found = read_profile(name)
        except UserError as exc:
            self.notify(_("Profile not changed"), str(exc))
            return
        self._remember_profile(found.name)
        if found.problem:
            self.notify(_("Profile {name}").format(name=found.name), found.problem)
        # The list first: it gives the monitor every profile afresh, and the choice below must come after
        # it, or the scene watch would no longer know that the user chose this one.
        self.load_profiles()
        if found.calibration is not None:
            log.info("profile %s chosen: its calibration is used", found.name)
            self.post(UseCalibration(found.calibration, profile=found.name))
        else:
            log.info("profile %s chosen: it has no calibration yet; calibrating", found.name)
            self.post(Calibrate(profile=found.name))

    def new_profile(self) -> None:
        """The tray's "New profile": a profile with the next free name ("Profile 2"), calibrated now."""
        from postureguard.settings.profiles import same_name, with_active

        taken = [p.name for p in with_active(self.settings.profile)]
        n = 2
        while any(same_name(t, _("Profile {n}").format(n=n)) for t in taken):
            n += 1
        name = _("Profile {n}").format(n=n)
        log.info("new profile %s", name)
        self._remember_profile(name)
        self.post(Calibrate(profile=name))
        self._post_event(ProfilesChanged((*self.model.profiles, name), name))

    def _alert(self, raised: AlertRaised) -> None:
        from postureguard.knowledge.recommender import Recommendation

        event, now = raised.alert, raised.wall
        rec = self.recommender.recommend(event.trigger)
        routine = rec.routine if isinstance(rec, Recommendation) else None
        if routine is not None:
            self.suggestion = rec
            self.model = reduce(self.model, Suggested(routine.title, routine.kind))
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
        if not raised.notify:
            log.info("alert not shown (%s): %s", raised.reason, alert_text(event))
            return
        reasons = self._reasons_now(now)
        action = self.holdback.offer((event, routine, getattr(rec, "reason", "")), kind, now, reasons)
        if action != "deliver":
            log.info("alert %s (%s): %s", "held" if action == "hold" else "not shown", ", ".join(reasons),
                     alert_text(event))  # fmt: skip
            if action == "drop":  # never shown: its place under the hourly cap is given back
                self.post(Recount(now, None))
            return
        self._deliver(event, routine, getattr(rec, "reason", ""))

    def _post_event(self, event: AppEvent) -> None:
        self.outbox.put(event)
        self._pump()

    def _learn_fine(self, event: SittingFine) -> None:
        """'I'm sitting fine': loosen the personal threshold by the pure rule, save it, say so."""
        from postureguard.engine.threshold import after_fine_answer

        sample = self.model.sample
        # The angle of this moment if measured, else the one the alert was about.
        angle = sample.head_forward_deg if sample is not None else None
        angle = event.angle_deg if angle is None else angle
        s = self.settings
        adj = after_fine_answer(s.to_engine().threshold_deg, angle, s.fine_answers)
        log.info("sitting fine at %s°: threshold %.1f°, %d answers", angle, adj.threshold_deg, adj.answers)
        new = replace(s, personal_threshold_tenths=round(adj.threshold_deg * 10), fine_answers=adj.answers)
        try:
            save_settings(new, self.settings_path)
        except UserError as exc:
            self._send(_("Setting not changed"), str(exc))
            return
        self._settings_mtime = self._mtime()
        self.apply_settings(new)
        text = _("Alerts now wait for about {angle}° forward of your upright.").format(
            angle=format_decimal(adj.threshold_deg, "0.0")
        )
        if adj.suggest_recalibration:
            text += " " + _("You have said so several times: Calibrate now (tray menu) may fit you better.")
        self._send(_("Thanks, noted"), text)

    def _reasons_now(self, now: float) -> tuple[str, ...]:
        """The reasons that hold alerts back at ``now`` (epoch seconds): the watcher's, work hours fresh."""
        local = datetime.fromtimestamp(now)
        work = in_work_hours(
            self.settings.work_day_numbers(),
            self.settings.work_window(),
            local.weekday(),
            local.hour * 60 + local.minute,
        )
        busy = tuple(r for r in self.model.held if r != OUTSIDE_WORK_HOURS)
        return (() if work else (OUTSIDE_WORK_HOURS,)) + busy

    def _release(self, reasons: tuple[str, ...]) -> None:
        """Deliver the held alerts, once, if no reason holds them now and they are still true."""
        sample = self.model.sample
        still = {
            "posture": sample is not None and sample.state == PostureState.POOR,
            "sitting": sample is not None and sample.state != PostureState.AWAY and sample.sitting_s > 0,
        }
        now = self._wall()
        delivered, given_up = self.holdback.settle(now, reasons, still)
        for held in given_up:
            self.post(Recount(held.since, None))
        for held in delivered:
            event, routine, reason = held.alert
            log.info("delivering a held alert: %s", alert_text(event))
            self._deliver(event, routine, reason)
            # It counts toward the hourly cap from now, when it is seen, not from when it was raised.
            self.post(Recount(held.since, now))

    def _deliver(self, event: Any, routine: Any, reason: str) -> None:
        """Deliver ``event`` (a posture or sitting alert, offering ``routine`` or None) in every form the
        ``alert_forms`` setting names: the sound, the on-screen cue, the notification with buttons.

        With ``tray`` alone nothing pops up: the tray icon (already drawn from the same events) is the
        alert, and the log says so.
        """
        forms = self.settings.alert_forms
        kind = "posture" if isinstance(event, PostureAlert) else "sitting"
        if "sound" in forms:
            self.sound.play()
        if "cue" in forms:
            self._cue_on, self._cue_angle = kind, getattr(event, "angle_deg", None)
            self.cue.show(kind, self.settings.cue_screens)
        if "notification" not in forms:
            log.info("alert shown as %s, no notification: %s", " and ".join(forms), alert_title(event))
            return
        body = (
            alert_text(event)
            + " "
            + suggestion_text(
                routine.title if routine else None,
                routine.minutes if routine else None,
                reason,
                routine.kind if routine else "points",
            )
        )
        buttons = []
        if routine is not None:
            rid = routine.id
            start = _("Start exercise") if routine.kind == "exercises" else _("Start routine")
            buttons.append((start, lambda: self.start_routine(rid, "notification")))
        minutes = self.settings.snooze_minutes
        buttons.append((_("Snooze {minutes} min").format(minutes=minutes), lambda: self.snooze(minutes * 60)))
        if isinstance(event, PostureAlert):
            angle = event.angle_deg
            buttons.append((_(FINE_LABEL), lambda: self._post_event(SittingFine(angle))))
        if len(buttons) < MAX_BUTTONS:  # GNOME Shell shows three buttons at most: the tray has the rest
            buttons.append((_("Snooze until tomorrow"), lambda: self.snooze_for(None)))
        self._send(
            alert_title(event),
            body,
            buttons=buttons,
            on_clicked=(lambda: self.start_routine(routine.id, "notification")) if routine else None,
            fallback=_(FALLBACK_TEXT),
        )

    def _cue_fine(self) -> None:
        """A right-click on the on-screen cue (its reader thread): the same answer as the notification's
        "I'm sitting fine" for a posture cue; a sitting cue just goes."""
        if self._cue_on == "posture":
            self._post_event(SittingFine(self._cue_angle))

    def _cue_follow(self, analysed: Analysed) -> None:
        """Let the cue go once what it shows has ended: posture recovered (or nobody in view) for a
        posture cue; a break taken or nobody in view for a sitting cue."""
        if self._cue_on is None:
            return
        state = analysed.update.sample.state
        events = analysed.update.events
        if self._cue_on == "posture":
            if any(isinstance(e, PostureRecovered) for e in events) or state != PostureState.POOR:
                self._hide_cue("posture recovered" if state == PostureState.GOOD else f"posture {state}")
        elif state == PostureState.AWAY or any(isinstance(e, BreakTaken) for e in events):
            self._hide_cue("a break")

    def _hide_cue(self, why: str) -> None:
        if self._cue_on is None:
            return
        self._cue_on = None
        log.info("on-screen cue goes: %s", why)
        self.cue.hide()

    def _send(self, title: str, body: str, **kw) -> None:
        """Show a notification now (the sink's thread; others use :meth:`notify`)."""
        try:
            self.notifier.send(title, body, **kw)
        except Exception:  # noqa: BLE001 - a notification must never stop the sink
            log.exception("could not show a notification")

    def _store_call(self, fn, *args):
        try:
            return fn(*args)
        except UserError as exc:
            # Disk full or a read-only folder: keep monitoring, say so once.
            if not self._store_warned:
                self._store_warned = True
                log.warning("history cannot be saved: %s", exc)
                self._send(_("PostureGuard cannot save history"), str(exc))
            return None

    # -- commands (tray menu, notification buttons, watchers) ---------------------------------------
    def start_routine(self, routine_id: str | None = None, source: str = "tray") -> None:
        """Open the routine player for ``routine_id`` (default: the current suggestion)."""
        if routine_id is None:
            suggestion = self.suggestion
            if suggestion is None:
                from postureguard.knowledge.recommender import Recommendation

                rec = self.recommender.recommend("neck_strain")
                suggestion = rec if isinstance(rec, Recommendation) else None
            if suggestion is None:
                self.notify(_("No routine fits"), _("Your safety settings exclude every routine for this."))
                return
            routine_id = suggestion.routine.id
        log.info("starting routine %s from %s", routine_id, source)
        try:
            child = self._launch(routine_id, source)
        except Exception:  # noqa: BLE001 - the tray must survive a failed launch
            log.exception("could not start the routine player")
            return
        self.children = [c for c in self.children if c.poll() is None] + [child]

    def snooze(self, seconds: float) -> None:
        """No posture or sitting alerts for ``seconds``; the tooltip says until when."""
        self.post(Snooze(seconds))
        until = self._wall() + seconds
        self._post_event(Snoozed(until, _clock_text(datetime.fromtimestamp(until),
                                                    datetime.fromtimestamp(self._wall()))))  # fmt: skip

    def snooze_for(self, minutes: int | None) -> None:
        """Snooze for ``minutes``, or (None) until the start of the next work day (see
        :func:`postureguard.runtime.day.snooze_until_tomorrow`: work hours, else 08:00 local time)."""
        s = self.settings
        now = datetime.fromtimestamp(self._wall())
        days, window = s.work_day_numbers(), s.work_window()
        seconds = snooze_seconds(now, minutes, days, window)
        if minutes is None:
            log.info("snooze until tomorrow: %s", snooze_until_tomorrow(now, days, window).isoformat())
        self.snooze(seconds)

    def pause(self, seconds: float | None, reason: PauseReason | str = PauseReason.PAUSED) -> None:
        """Release the camera; resume by itself after ``seconds`` (None: until Resume).

        ``reason`` is recorded with the gap in history (``paused``, ``locked``, ``setup``).
        """
        self.post(Pause(seconds, PauseReason(reason)))

    def resume(self) -> None:
        self.post(Resume())

    # -- screen lock (from the lock watcher's thread) ---------------------------------------------
    def on_lock(self) -> None:
        """The screen was locked: release the camera, unless the user had paused already."""
        self.post(ScreenLocked())

    def on_unlock(self) -> None:
        self.post(ScreenUnlocked())

    def set_setting(self, key: str, text: str) -> None:
        """Change one setting from the tray: validated, saved atomically, applied at once."""
        try:
            new = with_value(self.settings, key, text)
            save_settings(new, self.settings_path)
        except UserError as exc:
            self.notify(_("Setting not changed"), str(exc))
            return
        self._settings_mtime = self._mtime()
        self.apply_settings(new)

    def apply_settings(self, settings: Settings) -> None:
        changed_profile = settings.profile != self.settings.profile
        self.settings = settings
        self.post(ApplySettings(settings, settings.to_engine(**self.overrides.engine_kwargs())))
        if self.profiles and changed_profile:  # typed in the settings window or `config set profile`
            self.use_profile(settings.profile)

    def begin_calibration(self) -> None:
        self.post(Calibrate(self.settings.profile if self.profiles else None))

    def open_setup(self) -> None:
        """Open the first-run walk-through (its own process); the camera is released meanwhile."""
        from postureguard.runtime.children import start_postureguard

        if self._setup_proc is not None and self._setup_proc.poll() is None:
            return
        self.pause(None, reason=PauseReason.SETUP)
        try:
            proc = start_postureguard(["setup"], new_session=False)
        except OSError:
            log.exception("could not open the setup window")
            self.resume()
            return
        self._setup_proc = proc
        threading.Thread(target=self._after_setup, args=(proc,), name="setup-waiter", daemon=True).start()

    def _after_setup(self, proc) -> None:
        from postureguard.settings.calibration_file import load_calibration

        proc.wait()
        try:
            cal = load_calibration(self.calibration_file())
        except CalibrationError:
            cal = None
        if cal is not None:
            self.post(UseCalibration(cal, profile=self.settings.profile if self.profiles else None))
        if not self._stop.is_set():
            self.resume()
            if cal is None:
                self.begin_calibration()

    def open_report(self) -> None:
        """Draw today's report and open it in the default viewer, off the tray's thread."""

        def work() -> None:
            from postureguard.history.report_files import open_today_report

            try:
                open_today_report()
            except UserError as exc:
                self.notify(_("Report not available"), str(exc))

        threading.Thread(target=work, name="report", daemon=True).start()

    def open_log(self) -> None:
        """Open the tray app's log file (``paths.log_file()``) in the desktop's viewer, off the tray's
        thread; if there is none yet, say where it will be."""

        def work() -> None:
            from postureguard.files import paths
            from postureguard.history.report_files import open_in_viewer

            path = paths.log_file()
            try:
                if not path.exists():
                    raise UserError(_("nothing logged yet; the log will be {path}").format(path=path))
                open_in_viewer(path)
            except UserError as exc:
                self.notify(_("Log file"), str(exc))

        threading.Thread(target=work, name="open-log", daemon=True).start()

    def _day_summary(self, day: date) -> DaySummary:
        """The summary of the local day ``day`` from the history (the sink's, or a caller's while it
        does not run)."""
        from postureguard.history.summary import summarize_stored_day

        return summarize_stored_day(self.store, day)

    def summary_text(self) -> str:
        return format_summary(self._day_summary(datetime.fromtimestamp(self._wall()).date()))

    def show_summary(self) -> None:
        """The tray's "Today's summary": the day's summary notification now (from any thread)."""
        self._post_event(SummaryDue(datetime.fromtimestamp(self._wall()).date().isoformat(), on_demand=True))

    def _summary(self, event: SummaryDue, held: tuple[str, ...]) -> None:
        """Show the day's summary (the sink's): one notification with "Open report".

        The one at the end of the work hours comes once a day (the date is saved in the state folder)
        and waits while the user is busy (do-not-disturb, full screen: ``held``; being outside the work
        hours is when it is due, so that holds nothing). One asked for comes at once.
        """
        if not event.on_demand:
            if self._summary_last == event.day:
                return
            busy = tuple(r for r in held if r != OUTSIDE_WORK_HOURS)
            if busy:
                self._summary_held = event.day
                log.info("daily summary held (%s)", ", ".join(busy))
                return
        summary = self._day_summary(date.fromisoformat(event.day))
        text = daily_text(summary)
        if text is None and not event.on_demand:
            log.info("daily summary of %s: nothing recorded, none shown", event.day)
            return
        self._send(
            _("PostureGuard: your day"),
            text or format_summary(summary),
            buttons=[(_("Open report"), self.open_report)],
            on_clicked=self.open_report,
            fallback=_("The report is in the tray menu: Report…"),
        )
        log.info("daily summary of %s shown: %s", event.day, text)
        if not event.on_demand:
            self._summary_last = event.day
            _write_summary_date(event.day)

    def _release_summary(self, reasons: tuple[str, ...]) -> None:
        """Show a held daily summary once nothing but the end of the work hours holds alerts, the same
        day (after midnight it would describe yesterday as "today": it is dropped)."""
        if self._summary_held is None or any(r != OUTSIDE_WORK_HOURS for r in reasons):
            return
        day, self._summary_held = self._summary_held, None
        if day == datetime.fromtimestamp(self._wall()).date().isoformat():
            self._summary(SummaryDue(day), ())

    def _check_summary(self, local: datetime) -> None:
        """The busy watcher's look at the clock: ask the sink for the day's summary when it is due."""
        s = self.settings
        day = local.date().isoformat()
        if not s.daily_summary or self._summary_asked == day:
            return
        last = date.fromisoformat(self._summary_last) if self._summary_last else None
        if summary_due(local, last, s.work_day_numbers(), s.work_window()):
            self._summary_asked = day
            self._post_event(SummaryDue(day))

    # -- state for the tray ------------------------------------------------------------------------
    def tray_state(self) -> TrayState:
        """What the tray shows: a pure function of the events the sink has handled."""
        return tray_state(self.model)

    def _refresh(self) -> None:
        if self.view is not None:
            try:
                self.view.refresh(self.tray_state())
            except Exception:  # noqa: BLE001 - drawing must never stop the sink
                log.exception("tray refresh failed")

    # -- settings file watcher ---------------------------------------------------------------------
    def _mtime(self) -> float | None:
        try:
            return self.settings_path.stat().st_mtime_ns
        except OSError:
            return None

    def _watch_busy(self) -> None:
        """Tell the sink when the reasons to hold alerts change (do-not-disturb, full screen, work hours)."""
        try:
            probe = self._busy_probe()
        except Exception:  # noqa: BLE001 - without a probe alerts are simply never held for being busy
            log.exception("cannot watch do-not-disturb or full-screen windows")
            probe = None
        last: tuple[str, ...] = ()
        try:
            while not self._stop.wait(BUSY_POLL_S):
                busy = probe.poll() if probe is not None and self.settings.hold_when_busy else None
                local = datetime.fromtimestamp(self._wall())
                s = self.settings
                reasons = busy_reasons(
                    bool(busy and busy.do_not_disturb),
                    bool(busy and busy.full_screen),
                    in_work_hours(s.work_day_numbers(), s.work_window(), local.weekday(),
                                  local.hour * 60 + local.minute),  # fmt: skip
                )
                if reasons != last:
                    last = reasons
                    self.outbox.put(BusyChanged(reasons))
                    self._pump()
                self._check_summary(local)
        finally:
            if probe is not None:
                probe.close()

    def _watch_camera_claim(self) -> None:
        """One camera user: pause the monitor while the routine player's camera guide holds the camera
        (:mod:`postureguard.runtime.camera_claim`), and resume when it lets go or its process ends."""
        from postureguard.runtime.camera_claim import claimed_by_guide

        held = False
        while not self._stop.wait(CLAIM_POLL_S):
            now_held = claimed_by_guide()
            if now_held != held:
                held = now_held
                log.info("camera guide %s", "holds the camera" if held else "released the camera")
                self.post(GuideClaimed() if held else GuideReleased())

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


def _default_sound() -> Any:
    from postureguard.platform.sound import AlertSound

    return AlertSound()


def _clock_text(moment: datetime, now: datetime) -> str:
    """``moment`` (local) as the tooltip says it: the time today, else the weekday and the time."""
    from postureguard.i18n import format_date, format_time

    if moment.date() == now.date():
        return format_time(moment)
    return _("{day} {time}").format(day=format_date(moment.date(), "EEE"), time=format_time(moment))


def _summary_state_file() -> Path:
    return paths.state_dir() / SUMMARY_STATE_FILE


def _read_summary_date() -> str | None:
    """The local date (ISO) of the last daily summary shown, or None (none yet, or unreadable)."""
    try:
        text = _summary_state_file().read_text(encoding="utf-8").strip()
        return date.fromisoformat(text).isoformat()
    except (OSError, ValueError):
        return None


def _write_summary_date(day: str) -> None:
    try:
        paths.ensure_private_dir(paths.state_dir())
        paths.write_atomic(_summary_state_file(), (day + "\n").encode("utf-8"))
    except (OSError, UserError) as exc:  # then a restart today may show it again: no harm
        log.warning("cannot remember the daily summary's date: %s", exc)


def _default_busy_probe() -> Any:
    from postureguard.platform.busy import BusyProbe

    return BusyProbe()


def default_calibration_path() -> Path:
    return paths.calibration_file()
