"""``postureguard run`` (also plain ``postureguard``): the tray app.

This is the one place that builds the real parts and connects them: settings, calibration, history
store, knowledge base and recommender, notifier, frame source and pose model, monitor thread, tray.

Ending: Quit in the tray menu, SIGTERM and SIGINT all end the app the same way: monitoring stops,
history is flushed, exit status 0. A signal during start-up ends it there (status 0 too). Shutdown
is bounded: if the process is still alive :data:`SHUTDOWN_DEADLINE_S` seconds after it began (a
thread that will not stop), it is ended with status 0 after logging which threads were left.

A desktop without a notification server still gets the tray: the icon's colour and tooltip show
the state, and the log says once that notifications are unavailable (see
postureguard.platform.notifications). No tray host is an error (exit 8, one line).
"""

from __future__ import annotations

import io
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from postureguard.errors import UserError
from postureguard.files.validate import MAX_PHOTO_INTERVAL_S, finite_number
from postureguard.i18n import _
from postureguard.settings.config import setting_option

log = logging.getLogger(__name__)

#: Seconds from the start of shutdown after which the process is ended even if a thread is stuck.
SHUTDOWN_DEADLINE_S = 10.0

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stopped(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT before the tray's loop runs (not an error)."""


#: Whether the tray's loop has been entered; from then on the tray and shutdown handle signals.
_tray_entered = threading.Event()


def _on_signal(signum, _frame) -> None:
    """Python's handler for SIGTERM/SIGINT whenever the tray's own is not installed."""
    if not _tray_entered.is_set():
        raise _Stopped(signum)
    # The loop has ended and shutdown is under way, bounded by the watchdog; interrupting the
    # history flush would only lose data.
    log.info("signal %d: already quitting", signum)


def _start_exit_watchdog(deadline_s: float = SHUTDOWN_DEADLINE_S) -> None:
    """End the process ``deadline_s`` seconds from now if it is still alive (a daemon timer).

    It is never cancelled: if ``run`` returns normally the interpreter exits long before it fires;
    if some non-daemon thread keeps the interpreter waiting, this ends the wait.
    """

    def force_exit() -> None:
        me = threading.current_thread()
        stuck = [t.name for t in threading.enumerate() if t is not me and t.is_alive()]
        log.error("shutdown took over %.0f s (threads still running: %s); exiting", deadline_s, stuck)
        logging.shutdown()
        sys.stderr.flush()
        os._exit(0)

    timer = threading.Timer(deadline_s, force_exit)
    timer.daemon = True
    timer.name = "exit-watchdog"
    timer.start()


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help=_("start the tray app (the default when no command is given)"),
        description=_("Start PostureGuard in the system tray. It watches your posture through the camera "
                      "(or a recording given with --source) and suggests a routine when poor posture lasts."),
    )
    p.add_argument(
        "--source",
        nargs="+",
        metavar="SOURCE",
        help=_("camera index, video file or photos instead of the camera in your settings"),
    )
    p.add_argument("--calibration", metavar="FILE", help=_("upright reference (default: your saved one)"))
    p.add_argument("--sustain", type=setting_option("sustain_seconds", unit=_("seconds")), metavar="S",
                   help=_("sustain window in seconds (1 to 3600), this run only"))
    p.add_argument("--cooldown", type=setting_option("cooldown_minutes", scale=60, unit=_("seconds")),
                   metavar="S", help=_("seconds between alerts (0 to 86400), this run only"))
    p.add_argument(
        "--sitting-limit", type=setting_option("sitting_limit_minutes", unit=_("minutes")), metavar="MIN",
        help=_("sitting reminder in minutes (up to 600), this run only"),
    )
    p.add_argument(
        "--sample-interval",
        type=finite_number(0, MAX_PHOTO_INTERVAL_S, lo_open=True, unit=_("seconds")),
        metavar="S",
        help=_("analyse a frame every S seconds instead of the adaptive rate (demos, tests)"),
    )
    p.add_argument("--interval", type=finite_number(0, MAX_PHOTO_INTERVAL_S, lo_open=True, unit=_("seconds")),
                   default=1.0, help=_("seconds between photos given with --source"))
    p.add_argument("--model", metavar="PATH", help=_("another PoseLandmarker .task file"))
    p.set_defaults(func=run)


def _load_calibration(path: Path, explicit: bool):
    from postureguard.errors import CalibrationError
    from postureguard.settings.calibration_file import load_calibration

    if not explicit and not path.exists():
        return None
    try:
        return load_calibration(path)
    except CalibrationError as exc:
        if explicit:
            raise
        log.warning("%s; PostureGuard will calibrate again", exc)
        return None


def _profile_file(name: str) -> Path:
    from postureguard.settings.profiles import profile_path

    return profile_path(name)


def _profile_for_camera(settings, camera_name: str | None):
    """``settings`` with the profile the camera in use calls for (see engine.profiles.by_camera), and
    that profile's name when it differs from the saved one (else None)."""
    from dataclasses import replace

    from postureguard.engine.profiles import by_camera
    from postureguard.settings.profiles import list_profiles

    if camera_name is None:
        return settings, None
    found = list_profiles()
    choice = by_camera({p.name: p.camera_name for p in found if p.calibration is not None}, camera_name,
                       settings.profile)  # fmt: skip
    if choice is None:
        return settings, None
    from postureguard.files import paths
    from postureguard.settings.config import save_settings

    log.info("profile %s was calibrated with the camera in use (%s): using it", choice, camera_name)
    chosen = replace(settings, profile=choice)
    try:
        save_settings(chosen, paths.settings_file())
    except UserError as exc:
        log.warning("the profile in use is not saved: %s", exc)
    return chosen, choice


def run(args) -> int:
    """Start the tray app and return its exit status (0 after Quit, SIGTERM or SIGINT)."""
    from postureguard.files import instance

    try:
        # One tray app per user: a second start (the menu entry clicked again) only says so.
        instance.acquire()
    except instance.AlreadyRunning as exc:
        # Started again from the applications menu: the user wants to see the app, so open its main
        # window (the settings window, its own process; the running app follows the settings file).
        opened = _open_main_window()
        line = f"postureguard: {exc}" + (_("; opened its settings window") if opened else "")
        print(line, file=sys.stderr)  # noqa: T201 - the user-facing line; not an error
        return 0
    except OSError as exc:
        log.warning("cannot take the instance lock %s (%s); a second start would not be noticed",
                    instance.lock_path(), exc.strerror or exc)
    _tray_entered.clear()
    for sig in _SIGNALS:
        signal.signal(sig, _on_signal)
    try:
        return _run(args)
    except _Stopped as stop:
        log.info("signal %s during start-up: quitting", stop.args[0])
        return 0
    finally:
        for sig in _SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        instance.release()


def _open_main_window() -> bool:
    """Open the settings window for a second start inside a desktop session; False without a display."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        import subprocess

        from postureguard.runtime.children import start_postureguard

        # Not this process's stderr: the caller (a menu launcher, a terminal, a test) would wait for
        # the window to close before seeing the end of this command's output.
        start_postureguard(["settings"], stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.warning("could not open the settings window: %s", exc)
        return False
    return True


def notification_icon() -> Path:
    """Draw the icon notifications show into the data folder and return its path (PNG, 128 px).

    It is the application icon (``data/postureguard.svg``), not a tray state: one icon serves every
    notification the app sends, and the tray's green tick would say "good posture" on a "Time to sit
    up" alert. Written through :func:`postureguard.files.paths.write_atomic`: mode 0600 like every
    other file of ours, and never half an image. Raises :class:`OSError` when the data folder cannot
    be written.
    """
    from postureguard.files import paths
    from postureguard.ui.icons import app_icon

    path = paths.ensure_private_dir(paths.data_dir()) / "notification-icon.png"
    png = io.BytesIO()
    app_icon(128).save(png, format="PNG")
    return paths.write_atomic(path, png.getvalue())


def _run(args) -> int:
    from postureguard.files import paths
    from postureguard.platform.tray_backend import load_pystray

    # Fail fast, in one line, when there is no desktop to show a tray in.
    backend = load_pystray()

    from postureguard.engine.core import PostureEngine
    from postureguard.engine.sampling import SamplingSettings
    from postureguard.history import open_store
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.knowledge.recommender import Recommender, SafetySettings, resolve_avoid_points
    from postureguard.platform.notifications import DesktopNotifications
    from postureguard.runtime.app import App, Overrides
    from postureguard.runtime.monitor import Monitor
    from postureguard.settings.config import load_settings
    from postureguard.ui.tray import Tray
    from postureguard.vision.analyzer import open_model
    from postureguard.vision.sources import open_source

    kb = load_knowledge()  # a broken knowledge base or routines.json stops here, before anything starts
    loaded = load_settings()
    settings = loaded.settings
    overrides = Overrides(
        sustain_s=args.sustain,
        cooldown_s=args.cooldown,
        sitting_limit_s=None if args.sitting_limit is None else args.sitting_limit * 60,
    )
    if args.sitting_limit == 0:
        raise UserError(_("{option} 0 is not allowed here; switch the reminder off in the settings").format(
            option="--sitting-limit"))
    from postureguard.platform.cameras import camera_name as name_of_camera

    camera_name = None if args.source else name_of_camera(settings.camera)
    by_camera = None
    if not args.calibration:
        settings, by_camera = _profile_for_camera(settings, camera_name)
    cal_path = Path(args.calibration) if args.calibration else _profile_file(settings.profile)
    calibration = _load_calibration(cal_path, explicit=bool(args.calibration))
    engine = PostureEngine(settings.to_engine(**overrides.engine_kwargs()), calibration)

    def recommender_for(s):
        safety = s.to_safety()
        try:
            avoid = resolve_avoid_points(kb, safety["avoid_points"])
        except UserError as exc:
            log.warning("%s; that entry is ignored", exc)
            avoid = frozenset(p.code for name in safety["avoid_points"] if (p := kb.find_point(name)))
        return Recommender(
            kb,
            SafetySettings(
                pregnancy=safety["pregnancy"],
                blood_thinners=safety["blood_thinners"],
                avoid_points=avoid,
                max_minutes=safety["max_minutes"],
                routine_kind=safety["routine_kind"],
            ),
        )

    store = open_store()
    icon_path = notification_icon()
    notifier = DesktopNotifications(app_icon=icon_path)
    # Asked now so a missing notification server is reported once at start-up (the app goes on
    # with the tray alone), not at the first alert.
    notifier.capabilities()

    app = App(
        settings=settings,
        settings_path=paths.settings_file(),
        engine=engine,
        store=store,
        notifier=notifier,
        recommender_factory=recommender_for,
        calibration_path=cal_path,
        overrides=overrides,
        profiles=not args.calibration,
        camera_name=camera_name,
    )
    if by_camera is not None and calibration is not None:
        from postureguard.runtime.messages import ProfileSwitched

        app.outbox.put(ProfileSwitched(by_camera, "camera"))  # said once the sink runs
    specs = args.source or [str(settings.camera)]
    if args.source and len(args.source) == 1 and args.source[0].isdigit():
        # The routine players this app starts use the same camera for their camera guide.
        from postureguard.ui.guide_view import GUIDE_SOURCE_ENV

        os.environ[GUIDE_SOURCE_ENV] = args.source[0]

    def make_source():
        return open_source(
            specs, interval=args.interval, camera_size=(settings.camera_width, settings.camera_height)
        )

    # The monitor thread owns the engine (through app.owner); the app's sink thread does the rest.
    monitor = Monitor(
        app.owner,
        make_source,
        lambda source: open_model(source, args.model),
        sampling=SamplingSettings.every(args.sample_interval) if args.sample_interval else SamplingSettings(),
    )
    routines = sorted(((r.id, r.title) for r in kb.routines), key=lambda r: r[1])
    from postureguard.ui.first_run import is_done

    # A real first start (no recording, no calibration named) walks through setup; demos do not.
    setup_first = not args.source and not args.calibration and not is_done()
    tray = Tray(backend, app, routines, setup_first=setup_first)
    app.attach(monitor, tray)
    for warning in loaded.warnings:
        log.warning("%s", warning)
    if loaded.warnings or store.notice:
        message = " ".join([*loaded.warnings, store.notice or ""]).strip()
        app.notify(_("PostureGuard settings"), message)  # the one-off start-up notice
    log.info("tray backend %s (menus: %s); source %s", backend.name, backend.has_menu, " ".join(specs))
    from postureguard.platform.screenlock import ScreenLockWatcher

    # The camera is released while the screen is locked (its light goes off) and reopened on unlock;
    # the watcher's thread only posts the commands.
    lock_watcher = ScreenLockWatcher(app.on_lock, app.on_unlock)
    try:
        lock_watcher.start()
        _tray_entered.set()
        tray.run()
    finally:
        _start_exit_watchdog()
        lock_watcher.stop()
        app.shutdown()
    sys.stderr.flush()
    return 0
