"""``postureguard doctor``: check, in plain words, everything PostureGuard needs on this computer.

Each check returns a :class:`Check` (ok, warning or problem). Problems are what the tray app cannot run
without (the pose model, a display with a tray host); the exit status is 1 when there is one. A missing
camera, notification server or calibration is a warning: recordings still work, the tray still shows
alerts, and calibration is one click away.

The checks read the real system (files, D-Bus, the X display, cameras) but never change anything the
user has: the history database is opened read-only, and a damaged one is only reported.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from postureguard.i18n import N_, _, format_decimal

log = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warning", "problem"
_MARKS = {OK: "ok  ", WARN: "WARN", FAIL: "FAIL"}
#: The checks' names: a :class:`Check` keeps the English one, the report shows it translated.
CHECK_NAMES = (
    N_("network"), N_("pose model"), N_("knowledge base"), N_("camera"), N_("tray"), N_("notifications"),
    N_("settings"), N_("history"), N_("calibration"), N_("log"), N_("start at login"), N_("on-screen cue"),
    N_("sound"),
)


@dataclass(frozen=True)
class Check:
    """One finding: ``level`` is :data:`OK`, :data:`WARN` or :data:`FAIL`; ``text`` is one plain sentence."""

    name: str
    level: str
    text: str


def register(sub) -> None:
    p = sub.add_parser(
        "doctor",
        help=_("check the model, cameras, tray, notifications, files and autostart"),
        description=_("Check everything PostureGuard needs and say what is missing, in plain words. Exits "
                      "with 1 when something the app cannot run without is missing (the pose model, a "
                      "display with a system tray); a missing camera is only a warning."),
    )
    p.add_argument("--model", metavar="PATH", help=_("check this PoseLandmarker .task file instead"))
    p.add_argument("--no-camera", action="store_true", help=_("skip opening the cameras"))
    p.set_defaults(func=run)


# ----- the checks --------------------------------------------------------------


def check_model(custom: str | None = None) -> Check:
    from postureguard.errors import ModelError
    from postureguard.files.resources import POSE_MODEL_SHA256, verified_model_path

    try:
        path = verified_model_path(custom)
    except ModelError as exc:
        return Check("pose model", FAIL, str(exc))
    if custom:
        text = _("custom model {path} is a MediaPipe task bundle (no known hash)").format(path=path)
        return Check("pose model", OK, text)
    return Check("pose model", OK, _("present and intact (SHA-256 {hash}… matches): {path}").format(
        hash=POSE_MODEL_SHA256[:12], path=path))


def check_knowledge() -> Check:
    from postureguard.errors import UserError
    from postureguard.knowledge.loader import load_knowledge

    try:
        kb = load_knowledge()
    except UserError as exc:
        return Check("knowledge base", FAIL, str(exc))
    extra = ""
    if kb.user_source:
        extra = _(", including your own routines from {path}").format(path=kb.user_source)
    return Check("knowledge base", OK, _("{points} points and {routines} routines{extra}").format(
        points=len(kb.points), routines=len(kb.routines), extra=extra))


def check_cameras(probe: Callable[[], object] | None = None) -> Check:
    from postureguard.platform.cameras import probe_cameras

    report = (probe or probe_cameras)()
    cameras = report.cameras  # type: ignore[attr-defined]
    usable = report.usable  # type: ignore[attr-defined]
    note = f" ({report.problem})" if report.problem else ""  # type: ignore[attr-defined]
    if not cameras:
        return Check(
            "camera",
            WARN,
            _("no camera found{note}; live monitoring needs one, but recordings still work "
              "('postureguard analyze VIDEO' or 'postureguard run --source VIDEO')").format(note=note),
        )
    listed = "; ".join(c.label() for c in cameras)
    if not usable:
        text = _("found, but none gives a picture (busy elsewhere?){note}: {cameras}").format(
            note=note, cameras=listed)
        return Check("camera", WARN, text)
    return Check("camera", OK, _("{usable} of {found} camera(s) give a picture{note}: {cameras}").format(
        usable=len(usable), found=len(cameras), note=note, cameras=listed))


def check_tray() -> Check:
    from postureguard.platform.tray_backend import (
        TrayUnavailable,
        choose_backend,
        load_pystray,
        probe_desktop,
        tray_path,
    )

    choice = choose_backend(probe_desktop())
    if choice.problem:
        return Check("tray", FAIL, choice.problem)
    try:
        backend = load_pystray()
    except TrayUnavailable as exc:
        return Check("tray", FAIL, str(exc))
    # Which of the two ways the icon reaches the panel: support requests start from this.
    path = tray_path(backend.name)
    if backend.has_menu:
        return Check("tray", OK, _("{path}, backend '{backend}' with menus ({reason})").format(
            path=path, backend=backend.name, reason=choice.reason))
    hint = f"; {choice.hint}" if choice.hint else ""
    return Check(
        "tray",
        WARN,
        _("{path}, backend '{backend}' has no menus; clicking the icon starts the suggested routine{hint}")
        .format(path=path, backend=backend.name, hint=hint),
    )


def _server_name() -> str | None:
    """``name version`` of the freedesktop notification server on the session bus, or None."""
    if not sys.platform.startswith("linux"):
        return None
    import asyncio
    import os

    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        return None
    try:
        from dbus_fast import Message, MessageType
        from dbus_fast.aio import MessageBus
    except ImportError:  # pragma: no cover - dbus-fast comes with desktop-notifier on Linux
        return None

    async def ask() -> str | None:
        bus = await asyncio.wait_for(MessageBus(bus_address=address).connect(), 3)
        try:
            reply = await asyncio.wait_for(
                bus.call(
                    Message(
                        destination="org.freedesktop.Notifications",
                        path="/org/freedesktop/Notifications",
                        interface="org.freedesktop.Notifications",
                        member="GetServerInformation",
                    )
                ),
                3,
            )
        finally:
            bus.disconnect()
        if reply is None or reply.message_type != MessageType.METHOD_RETURN:
            return None
        name, _vendor, version, _spec = reply.body
        return f"{name} {version}".strip()

    try:
        return asyncio.run(ask())
    except Exception as exc:  # noqa: BLE001 - any failure only means "name unknown"
        log.debug("no notification server information: %s", exc)
        return None


def check_notifications() -> Check:
    from postureguard.errors import UserError
    from postureguard.platform.notifications import ACTIONS, DesktopNotifications

    # The adapter logs its own warning when no server answers; here that is the finding itself.
    quiet = logging.getLogger("postureguard.platform.notifications")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        notifier = DesktopNotifications()
        try:
            caps = notifier.capabilities()
        finally:
            notifier.close()
    except UserError as exc:
        return Check("notifications", WARN, str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken bus must be reported, not crash the doctor
        reason = f"{type(exc).__name__}: {exc}"
        text = _("cannot reach a notification server ({reason})").format(reason=reason)
        return Check("notifications", WARN, text)
    finally:
        quiet.setLevel(level)
    if not caps:
        return Check(
            "notifications",
            WARN,
            _("no notification server answered; alerts will only show on the tray icon"),
        )
    name = _server_name()
    who = _("server {name}").format(name=name) if name else _("the notification server")
    if ACTIONS in caps:
        return Check("notifications", OK, _("{server} supports buttons (actions): '{button}' works").format(
            server=who, button=_("Start routine")))
    return Check(
        "notifications",
        WARN,
        _("{server} shows no buttons (no 'actions'): alerts tell you to click the tray icon instead").format(
            server=who),
    )


def check_cue(on: bool) -> Check:
    """Whether the on-screen cue can be drawn here (X11; not a Wayland session without X): a warning
    only when the ``cue`` alert form is on."""
    from postureguard.runtime.cue_link import unavailable_reason

    reason = unavailable_reason()
    if reason is None:
        text = _("drawn on X11 display {display}").format(display=os.environ.get("DISPLAY", ""))
        return Check("on-screen cue", OK, text if on else _("{text} (off in alert_forms)").format(text=text))
    if on:
        return Check("on-screen cue", WARN, reason)
    return Check("on-screen cue", OK, _("off; {reason}").format(reason=reason))


def check_sound(on: bool) -> Check:
    """Which program plays the alert sound, or what to install: a warning only when ``sound`` is on."""
    from postureguard.platform.sound import find_player, status_line

    text = status_line()
    if find_player() is None:
        return Check("sound", WARN if on else OK, text if on else _("off; {text}").format(text=text))
    return Check("sound", OK, text if on else _("{text} (off in alert_forms)").format(text=text))


def check_settings() -> tuple[Check, object]:
    from postureguard.settings.config import Settings, load_settings

    result = load_settings(backup=False)  # doctor only reports: no backup copy of a broken file
    if result.warnings:
        return Check("settings", WARN, " ".join(result.warnings)), result.settings
    if not result.path.exists():
        text = _("none saved yet, defaults in use ({path})").format(path=result.path)
        return Check("settings", OK, text), Settings()
    return Check("settings", OK, _("readable: {path}").format(path=result.path)), result.settings


def check_history() -> Check:
    from postureguard.errors import UserError
    from postureguard.files import paths
    from postureguard.history.sqlite import inspect_history

    path = paths.history_file()
    if not path.exists():
        return Check("history", OK, _("not created yet; it starts with the first monitoring ({path})").format(
            path=path))
    try:
        # Read-only: the doctor reports a damaged file; moving it aside is left to the next real use.
        problem = inspect_history(path)
    except UserError as exc:
        return Check("history", FAIL, str(exc))
    if problem:
        return Check("history", WARN, (
            _("the history database {path} cannot be used: {problem}; the next monitoring will have it "
              "moved aside and start a new, empty history (nothing was changed now)").format(
                path=path, problem=problem[1])
        ))
    return Check("history", OK, _("readable: {path}").format(path=path))


def check_calibration() -> Check:
    from postureguard.errors import CalibrationError
    from postureguard.settings.calibration_file import load_calibration
    from postureguard.settings.config import load_settings
    from postureguard.settings.profiles import DEFAULT_PROFILE, profile_path, same_name

    profile = load_settings(backup=False).settings.profile  # the calibration of the profile in use
    path = profile_path(profile)
    named = "" if same_name(profile, DEFAULT_PROFILE) else _(" (profile {name})").format(name=profile)
    if not path.exists():
        text = _("not calibrated yet: run 'postureguard setup' or use {item}").format(item=_("Calibrate now"))
        return Check("calibration", WARN, text + named)
    try:
        cal = load_calibration(path)
    except CalibrationError as exc:
        return Check("calibration", WARN, str(exc))
    text = _("made from {n} frames: {path}").format(n=cal.samples, path=path)
    return Check("calibration", OK, text + named)


def check_log() -> Check:
    """Where the tray app (``postureguard run``) logs; only looked at, never created."""
    from postureguard.files import paths

    path = paths.log_file()
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        text = _("none written yet; the tray app ('postureguard run') logs to {path}").format(path=path)
        return Check("log", OK, text)
    except OSError as exc:
        text = _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        return Check("log", WARN, text)
    return Check("log", OK, _("the tray app logs to {path} ({size} kB)").format(
        path=path, size=format_decimal(size / 1000, "0")))


def check_autostart(start_at_login: bool) -> Check:
    from postureguard.errors import UserError
    from postureguard.platform import autostart

    try:
        state = autostart.for_platform().state()
    except UserError as exc:
        return Check("start at login", WARN, str(exc))
    text = autostart.describe(state)
    if state.enabled != start_at_login:
        want = _("on") if start_at_login else _("off")
        return Check(
            "start at login",
            WARN,
            _("the setting says {state} but PostureGuard {text}; toggle it in 'postureguard settings' to fix")
            .format(state=want, text=text),
        )
    return Check("start at login", OK, _("PostureGuard {text}").format(text=text))


# ----- running and reporting --------------------------------------------------------------


def check_network() -> Check:
    """Whether this process can create an internet socket, asked of the kernel (see
    :mod:`postureguard.platform.network_filter`): a warning when it can, naming why."""
    from postureguard.platform import network_filter

    # probe() asks the kernel and, when a socket could be made, carries the reason install() recorded.
    seen = network_filter.probe()
    return Check("network", OK if seen.active else WARN, seen.line())


def run_checks(model: str | None = None, cameras: bool = True) -> Iterator[Check]:
    """Every check in a sensible reading order; each is yielded as soon as it is done."""
    yield check_network()
    yield check_model(model)
    yield check_knowledge()
    if cameras:
        yield check_cameras()
    yield check_tray()
    yield check_notifications()
    settings_check, settings = check_settings()
    yield settings_check
    forms = getattr(settings, "alert_forms", ())
    yield check_cue("cue" in forms)
    yield check_sound("sound" in forms)
    yield check_history()
    yield check_calibration()
    yield check_log()
    yield check_autostart(bool(getattr(settings, "start_at_login", False)))


def format_check(check: Check) -> str:
    """One report line (pure)."""
    return f"{_MARKS[check.level]}  {_(check.name)}: {check.text}"


def summary(checks: Sequence[Check]) -> str:
    """The closing line (pure)."""
    fails = sum(c.level == FAIL for c in checks)
    warns = sum(c.level == WARN for c in checks)
    if fails:
        what = ", ".join(_(c.name) for c in checks if c.level == FAIL)
        return _("{fails} problem(s) stop PostureGuard from running ({what}); {warns} warning(s).").format(
            fails=fails, what=what, warns=warns)
    if warns:
        return _("PostureGuard can run; {warns} warning(s) above.").format(warns=warns)
    return _("Everything PostureGuard needs is in place.")


def exit_status(checks: Sequence[Check]) -> int:
    """1 when something the app cannot run without is missing, else 0 (pure)."""
    return 1 if any(c.level == FAIL for c in checks) else 0


def run(args) -> int:
    checks: list[Check] = []
    sys.stdout.write(_("PostureGuard doctor") + "\n")
    for check in run_checks(getattr(args, "model", None), cameras=not getattr(args, "no_camera", False)):
        checks.append(check)
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.write(format_check(check) + "\n")
            sys.stdout.flush()
    sys.stdout.write(summary(checks) + "\n")
    return exit_status(checks)
