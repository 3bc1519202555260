"""The tray app's messages between threads, and what the tray shows. Pure: no I/O, no clock, no threads.

Two queues connect the app's threads (see :mod:`postureguard.runtime.app`):

* **commands** go into the monitor's inbox from any thread (the tray menu, notification buttons, the
  screen-lock and settings watchers, the setup waiter). The monitor thread, the one owner of the
  engine, the calibration in progress, the pause and the alert decisions, applies them between two
  frames (see :class:`postureguard.runtime.monitor.Owner`);
* **events** go from the monitor thread into the outbox, which one sink thread drains: history,
  notifications and the tray. A notification server that hangs stalls the sink, never a frame.

What the tray shows is a pure function of the events seen, folded one at a time (the Safe Eyes
model): :func:`reduce` takes a :class:`TrayModel` and an event and returns the next model;
:func:`tray_state` turns a model into the :class:`TrayState` the tray draws.

States are str-valued enums (:class:`~postureguard.engine.sample.TextEnum`): they compare, hash and
print as their values, so logs, the history database and tests that compare strings see ``"paused"``.
Times: ``wall`` fields are epoch seconds (history); everything else is the monitor's monotonic clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from postureguard.engine.events import CameraMoved, PostureAlert, SittingAlert
from postureguard.engine.holdback import held_text
from postureguard.engine.sample import PostureState, Sample, TextEnum
from postureguard.i18n import _

if TYPE_CHECKING:
    from collections.abc import Mapping

    from postureguard.engine.calibration import Calibration
    from postureguard.engine.core import Update
    from postureguard.engine.settings import EngineSettings
    from postureguard.settings.config import Settings


class MonitorState(TextEnum):
    """What the monitor is doing (:attr:`MonitorStatus.state`)."""

    STARTING = "starting"  # nothing opened yet
    RUNNING = "running"  # frames arrive and are analysed
    PAUSED = "paused"  # the camera is released (a pause, a locked screen, setup)
    CAMERA_UNAVAILABLE = "camera_unavailable"  # cannot be opened or was lost; retried with backoff
    CAMERA_IN_USE = "camera_in_use"  # unavailable because another program (a call) holds it
    CAMERA_COVERED = "camera_covered"  # frames are black: a shutter or a hand over the lens
    CAMERA_FROZEN = "camera_frozen"  # the same frame again and again: the camera is reopened
    FINISHED = "finished"  # a recording has ended
    MODEL_ERROR = "model_error"  # the pose model cannot be loaded: monitoring ends
    STOPPED = "stopped"  # an unexpected error ended the loop; it restarts after a delay


@dataclass(frozen=True)
class MonitorStatus:
    """What the monitor is doing, for the tray; ``detail`` says why in words."""

    state: MonitorState
    detail: str = ""


class PauseReason(TextEnum):
    """Why the camera is released; recorded with the gap in history."""

    PAUSED = "paused"  # the user chose it
    LOCKED = "locked"  # the screen is locked
    SETUP = "setup"  # the first-run walk-through has the camera
    GUIDE = "guide"  # the routine player's camera guide has the camera


class TrayIcon(TextEnum):
    """The tray icon's states (the same names as postureguard.ui.icons.STATES)."""

    GOOD = "good"
    POOR = "poor"
    AWAY = "away"
    PAUSED = "paused"
    CAMERA_UNAVAILABLE = "camera_unavailable"
    CALIBRATING = "calibrating"


# -- commands: any thread -> the monitor's inbox --------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """Something to apply on the monitor thread, between two frames."""


@dataclass(frozen=True)
class Pause(Command):
    """Release the camera; resume by itself after ``seconds`` (None: until :class:`Resume`)."""

    seconds: float | None = None
    reason: PauseReason = PauseReason.PAUSED


@dataclass(frozen=True)
class Resume(Command):
    """End any pause."""


@dataclass(frozen=True)
class ScreenLocked(Command):
    """The screen was locked: pause, unless a pause is already on (a pause the user chose stays theirs)."""


@dataclass(frozen=True)
class ScreenUnlocked(Command):
    """The screen was unlocked: end the pause the lock began (only that one)."""


@dataclass(frozen=True)
class GuideClaimed(Command):
    """The routine player's camera guide took the camera: pause, unless a pause is already on."""


@dataclass(frozen=True)
class GuideReleased(Command):
    """The camera guide gave the camera back: end the pause it began (only that one)."""


@dataclass(frozen=True)
class Snooze(Command):
    """No posture or sitting alerts for ``seconds`` from now."""

    seconds: float


@dataclass(frozen=True)
class Recount(Command):
    """A held alert, counted by the hourly cap when it was ``raised``, was shown at ``delivered`` (None:
    it never will be, and gives its place back). Epoch seconds; see ``NotificationPolicy.recount``."""

    raised: float
    delivered: float | None


@dataclass(frozen=True)
class ApplySettings(Command):
    """New settings: ``engine`` is what the engine uses (the command line's overrides applied)."""

    settings: Settings
    engine: EngineSettings


@dataclass(frozen=True)
class Calibrate(Command):
    """Start a calibration from the next upright frames (after a few seconds to sit up); ``profile``:
    the profile it is for (``None``: the one in use)."""

    profile: str | None = None


@dataclass(frozen=True)
class UseCalibration(Command):
    """Use ``calibration`` (made elsewhere, e.g. by the setup walk-through, or a profile chosen in the
    tray: ``profile``) from the next frame on."""

    calibration: Calibration
    profile: str | None = None


@dataclass(frozen=True)
class UseProfiles(Command):
    """The user's calibrated profiles (name -> calibration) and the name of the one in use: the monitor
    switches between them when the scene shows another (:mod:`postureguard.engine.profiles`)."""

    calibrations: Mapping[str, Calibration]
    active: str


@dataclass(frozen=True)
class Wake(Command):
    """Nothing to apply: wakes a monitor waiting on its inbox (stop)."""


# -- events: the monitor thread -> the outbox -> the sink thread ----------------------------------------
@dataclass(frozen=True)
class AppEvent:
    """Something the sink records, shows or tells."""


@dataclass(frozen=True)
class Analysed(AppEvent):
    """The engine's update for one analysed frame; ``wall`` is when (epoch seconds)."""

    update: Update
    wall: float


@dataclass(frozen=True)
class StatusChanged(AppEvent):
    status: MonitorStatus


@dataclass(frozen=True)
class AlertRaised(AppEvent):
    """An engine alert and the monitor's decision whether it becomes a notification (``reason``: why not)."""

    alert: PostureAlert | SittingAlert
    wall: float
    notify: bool
    reason: str = ""


@dataclass(frozen=True)
class Paused(AppEvent):
    """A pause began at ``wall`` (epoch seconds)."""

    reason: PauseReason
    wall: float


@dataclass(frozen=True)
class Resumed(AppEvent):
    """The pause ended at ``wall`` (epoch seconds)."""

    wall: float


@dataclass(frozen=True)
class CalibrationStarted(AppEvent):
    """A calibration began; frames are taken after ``delay_s`` seconds."""

    delay_s: float


@dataclass(frozen=True)
class CalibrationDone(AppEvent):
    """The engine uses ``calibration`` now; ``made_here``: the tray made it (to save and announce)."""

    calibration: Calibration
    made_here: bool = True
    profile: str | None = None  # the profile it was made for (None: no profiles, e.g. --calibration)


@dataclass(frozen=True)
class ProfileSwitched(AppEvent):
    """The monitor uses the profile ``name`` (its calibration) now, because ``reason``: ``scene`` (the
    user sits where it was calibrated) or ``camera`` (it was calibrated with the camera in use)."""

    name: str
    reason: str


@dataclass(frozen=True)
class ProfilesChanged(AppEvent):
    """The profiles the tray offers (``names``) and the one in use (``active``)."""

    names: tuple[str, ...]
    active: str


@dataclass(frozen=True)
class CalibrationFailed(AppEvent):
    """The frames did not give a calibration; a new attempt has begun."""

    message: str


@dataclass(frozen=True)
class SettingsApplied(AppEvent):
    settings: Settings


@dataclass(frozen=True)
class Suggested(AppEvent):
    """The routine the tray offers now (its title and kind), from the recommender after an alert."""

    title: str
    kind: str = "points"  # "points" or "exercises", as Routine.kind


@dataclass(frozen=True)
class BusyChanged(AppEvent):
    """The reasons that hold alerts back now (see :mod:`postureguard.engine.holdback`; empty: none)."""

    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SittingFine(AppEvent):
    """The user answered "I'm sitting fine" to a posture alert about ``angle_deg`` (degrees from upright)."""

    angle_deg: float | None


@dataclass(frozen=True)
class Notify(AppEvent):
    """A plain message for the user (from any thread); the sink shows it."""

    title: str
    body: str


@dataclass(frozen=True)
class SummaryDue(AppEvent):
    """Show the summary of the local day ``day`` (ISO date text, ``YYYY-MM-DD``): at the end of the
    work hours (``on_demand`` False: once a day, held under do-not-disturb) or because the user asked."""

    day: str
    on_demand: bool = False


@dataclass(frozen=True)
class Snoozed(AppEvent):
    """Alerts are snoozed until ``until`` (epoch seconds), which the tooltip says as ``until_text``
    (local time, e.g. ``08:00`` or ``Mon 08:30``)."""

    until: float
    until_text: str


# -- the tray's state: a pure fold of the events ----------------------------------------------------
@dataclass(frozen=True)
class TrayModel:
    """Everything the tray's state depends on, as the events left it."""

    status: MonitorStatus = MonitorStatus(MonitorState.STARTING)
    sample: Sample | None = None
    paused: bool = False
    pause_reason: PauseReason = PauseReason.PAUSED
    paused_since: float | None = None  # epoch seconds
    calibrating: bool = False
    suggestion_title: str | None = None
    suggestion_kind: str = "points"
    sensitivity: str = "medium"
    sitting_limit_min: int = 0
    held: tuple[str, ...] = ()  # why alerts are held back now ("do not disturb")
    snoozed_until: float | None = None  # epoch seconds; None: not snoozed
    snoozed_text: str = ""  # the same as local time, for the tooltip
    #: Someone has been in view, never where the user calibrated (the engine's CameraMoved), and the
    #: user has not been matched since: the tooltip suggests recalibrating.
    camera_moved: bool = False
    profile: str = "default"  # the profile in use
    profiles: tuple[str, ...] = ()  # every profile the tray offers


@dataclass(frozen=True)
class TrayState:
    """Everything the tray shows."""

    icon: TrayIcon
    tooltip: str
    paused: bool
    sensitivity: str
    sitting_limit_min: int
    suggestion_title: str | None
    status_line: str
    suggestion_kind: str = "points"  # "points" or "exercises": the tray's entry says which
    profile: str = "default"
    profiles: tuple[str, ...] = ()


def reduce(model: TrayModel, event: AppEvent) -> TrayModel:
    """The model after ``event`` (events that change nothing the tray shows return ``model``)."""
    if isinstance(event, Analysed):
        sample = event.update.sample
        moved = any(isinstance(e, CameraMoved) for e in event.update.events)
        model = replace(model, camera_moved=moved or (model.camera_moved and not sample.person))
        if model.snoozed_until is not None and event.wall >= model.snoozed_until:
            return replace(model, sample=sample, snoozed_until=None, snoozed_text="")
        return replace(model, sample=sample)
    if isinstance(event, Snoozed):
        return replace(model, snoozed_until=event.until, snoozed_text=event.until_text)
    if isinstance(event, StatusChanged):
        return replace(model, status=event.status)
    if isinstance(event, Paused):
        return replace(model, paused=True, pause_reason=event.reason, paused_since=event.wall)
    if isinstance(event, Resumed):
        return replace(model, paused=False, paused_since=None)
    if isinstance(event, CalibrationStarted):
        return replace(model, calibrating=True)
    if isinstance(event, CalibrationDone):
        model = replace(model, calibrating=False, camera_moved=False)
        if event.profile is not None:
            names = model.profiles if event.profile in model.profiles else (*model.profiles, event.profile)
            model = replace(model, profile=event.profile, profiles=names)
        return model
    if isinstance(event, ProfileSwitched):
        return replace(model, profile=event.name, camera_moved=False)
    if isinstance(event, ProfilesChanged):
        return replace(model, profile=event.active, profiles=event.names)
    if isinstance(event, SettingsApplied):
        return replace(
            model,
            sensitivity=event.settings.sensitivity,
            sitting_limit_min=event.settings.sitting_limit_minutes,
        )
    if isinstance(event, Suggested):
        return replace(model, suggestion_title=event.title, suggestion_kind=event.kind)
    if isinstance(event, BusyChanged):
        return replace(model, held=event.reasons)
    return model


_CAMERA_FAULTS = (
    MonitorState.CAMERA_UNAVAILABLE,
    MonitorState.MODEL_ERROR,
    MonitorState.CAMERA_COVERED,
    MonitorState.CAMERA_FROZEN,
    MonitorState.STOPPED,
)


def tray_icon(model: TrayModel) -> TrayIcon:
    """The icon: a fault first, then a pause, a calibration, nobody there, and the posture last."""
    status, sample = model.status.state, model.sample
    if status in _CAMERA_FAULTS:
        return TrayIcon.CAMERA_UNAVAILABLE
    if model.paused or status == MonitorState.CAMERA_IN_USE:
        return TrayIcon.PAUSED
    if model.calibrating:
        return TrayIcon.CALIBRATING
    if (
        sample is None
        or sample.state in (PostureState.AWAY, PostureState.UNCALIBRATED)
        or status == MonitorState.FINISHED
    ):
        return TrayIcon.AWAY
    return TrayIcon.POOR if sample.state == PostureState.POOR else TrayIcon.GOOD


def _what(model: TrayModel, icon: TrayIcon) -> str | None:
    """The tooltip's words for the state (None: nothing to add)."""
    status, sample = model.status.state, model.sample
    if status == MonitorState.CAMERA_IN_USE:
        return _("paused: {reason}").format(reason=model.status.detail)
    if status == MonitorState.STOPPED:
        return model.status.detail or _("monitoring stopped; restarting")
    if status == MonitorState.CAMERA_COVERED:
        return _("camera covered")
    if status == MonitorState.CAMERA_FROZEN:
        return _("camera frozen, reopening")
    if icon == TrayIcon.CAMERA_UNAVAILABLE:
        return _("camera unavailable, retrying")
    if model.paused:
        if model.pause_reason == PauseReason.LOCKED:
            return _("paused while the screen is locked")
        if model.pause_reason == PauseReason.GUIDE:
            return _("paused: camera guide")
        return _("paused")
    if model.calibrating:
        return _("calibrating: sit upright")
    if sample is not None and sample.head_forward_deg is not None:
        # An estimate of the change from the user's own calibrated upright, not an absolute angle.
        return _("head about {angle}° more forward than your upright").format(
            angle=f"{sample.head_forward_deg:.0f}"
        )
    if sample is None and status in (MonitorState.STARTING, MonitorState.RUNNING):
        return _("starting")  # no frame analysed yet: say so rather than "nobody in view"
    if status == MonitorState.FINISHED:
        return _("the recording has ended")
    if icon == TrayIcon.AWAY:
        return _("nobody in view")
    return None


def tray_state(model: TrayModel) -> TrayState:
    """What the tray shows for ``model`` (pure)."""
    icon = tray_icon(model)
    parts = ["PostureGuard"]
    what = _what(model, icon)
    if what:
        parts.append(what)
    if model.sample is not None and model.sample.sitting_s:
        parts.append(_("sitting {minutes} min").format(minutes=f"{model.sample.sitting_s / 60:.0f}"))
    if model.held:
        parts.append(held_text(model.held))
    if model.snoozed_until is not None:
        parts.append(_("alerts snoozed until {time}").format(time=model.snoozed_text))
    if model.camera_moved:
        parts.append(_("camera moved? Calibrate now"))
    if len(model.profiles) > 1:
        parts.append(_("profile {name}").format(name=model.profile))
    return TrayState(
        icon=icon,
        tooltip=" · ".join(parts),
        paused=model.paused,
        sensitivity=model.sensitivity,
        sitting_limit_min=model.sitting_limit_min,
        suggestion_title=model.suggestion_title,
        status_line=model.status.detail,
        suggestion_kind=model.suggestion_kind,
        profile=model.profile,
        profiles=model.profiles,
    )
