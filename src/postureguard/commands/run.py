"""``postureguard run`` (also plain ``postureguard``): the tray app.

This is the one place that builds the real parts and connects them: settings, calibration, history
store, knowledge base and recommender, notifier, frame source and pose model, monitor thread, tray.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

from postureguard.errors import UserError

log = logging.getLogger(__name__)


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="start the tray app (the default when no command is given)",
        description="Start PostureGuard in the system tray. It watches your posture through the camera "
        "(or a recording given with --source) and suggests a routine when poor posture lasts.",
    )
    p.add_argument(
        "--source",
        nargs="+",
        metavar="SOURCE",
        help="camera index, video file or photos instead of the camera in your settings",
    )
    p.add_argument("--calibration", metavar="FILE", help="upright reference (default: your saved one)")
    p.add_argument("--sustain", type=float, metavar="S", help="sustain window in seconds, this run only")
    p.add_argument("--cooldown", type=float, metavar="S", help="seconds between alerts, this run only")
    p.add_argument(
        "--sitting-limit", type=float, metavar="MIN", help="sitting reminder in minutes, this run only"
    )
    p.add_argument(
        "--sample-interval",
        type=float,
        metavar="S",
        help="analyse a frame every S seconds instead of the adaptive rate (demos, tests)",
    )
    p.add_argument("--interval", type=float, default=1.0, help="seconds between photos given with --source")
    p.add_argument("--model", metavar="PATH", help="another PoseLandmarker .task file")
    p.set_defaults(func=run)


def _load_calibration(path: Path, explicit: bool):
    from postureguard.calibration_file import load_calibration
    from postureguard.errors import CalibrationError

    if not explicit and not path.exists():
        return None
    try:
        return load_calibration(path)
    except CalibrationError as exc:
        if explicit:
            raise
        log.warning("%s; PostureGuard will calibrate again", exc)
        return None


def notification_icon() -> Path:
    """Draw the icon notifications show into the data folder and return its path (PNG, 128 px).

    Written through :func:`postureguard.paths.write_atomic`: mode 0600 like every other file of ours,
    and never half an image. Raises :class:`OSError` when the data folder cannot be written.
    """
    from postureguard import paths
    from postureguard.ui.icons import icon_for

    path = paths.ensure_private_dir(paths.data_dir()) / "notification-icon.png"
    png = io.BytesIO()
    icon_for("good", 128).save(png, format="PNG")
    return paths.write_atomic(path, png.getvalue())


def run(args) -> int:
    from postureguard import paths
    from postureguard.platform.tray_backend import load_pystray

    # Fail fast, in one line, when there is no desktop to show a tray in.
    backend = load_pystray()

    from postureguard.app import App, Overrides
    from postureguard.config import load_settings
    from postureguard.engine.core import PostureEngine
    from postureguard.engine.sampling import SamplingSettings
    from postureguard.knowledge import load_knowledge
    from postureguard.monitor import Monitor
    from postureguard.pipeline import open_model
    from postureguard.platform.notifications import DesktopNotifications
    from postureguard.recommender import Recommender, SafetySettings, resolve_avoid_points
    from postureguard.sources import open_source
    from postureguard.store import open_store
    from postureguard.tray import Tray

    kb = load_knowledge()  # a broken knowledge base or routines.json stops here, before anything starts
    loaded = load_settings()
    settings = loaded.settings
    overrides = Overrides(
        sustain_s=args.sustain,
        cooldown_s=args.cooldown,
        sitting_limit_s=None if args.sitting_limit is None else args.sitting_limit * 60,
    )
    if args.sitting_limit == 0:
        raise UserError("--sitting-limit 0 is not allowed here; switch the reminder off in the settings")
    cal_path = Path(args.calibration) if args.calibration else paths.calibration_file()
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
                pregnancy=safety["pregnancy"], avoid_points=avoid, max_minutes=safety["max_minutes"]
            ),
        )

    store = open_store()
    icon_path = notification_icon()
    notifier = DesktopNotifications(app_icon=icon_path)

    app = App(
        settings=settings,
        settings_path=paths.settings_file(),
        engine=engine,
        store=store,
        notifier=notifier,
        recommender_factory=recommender_for,
        calibration_path=cal_path,
        overrides=overrides,
    )
    specs = args.source or [str(settings.camera)]

    def make_source():
        return open_source(
            specs, interval=args.interval, camera_size=(settings.camera_width, settings.camera_height)
        )

    monitor = Monitor(
        engine,
        make_source,
        lambda source: open_model(source, args.model),
        app.on_update,
        app.on_status,
        on_pose=app.on_pose,
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
        app._send("PostureGuard settings", message)  # noqa: SLF001 - the one-off start-up notice
    log.info("tray backend %s (menus: %s); source %s", backend.name, backend.has_menu, " ".join(specs))
    from postureguard.platform.screenlock import ScreenLockWatcher

    # The camera is released while the screen is locked (its light goes off) and reopened on unlock.
    lock_watcher = ScreenLockWatcher(app.on_lock, app.on_unlock)
    lock_watcher.start()
    try:
        tray.run()
    finally:
        lock_watcher.stop()
        app.shutdown()
    sys.stderr.flush()
    return 0
