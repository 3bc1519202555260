"""``postureguard settings`` (the settings window) and ``postureguard setup`` (the first-run walk-through)."""

from __future__ import annotations

from postureguard.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "settings",
        help=_("open the settings window"),
        description=_("Open the settings window. Changes are checked as you type and saved at once; a "
                      "running PostureGuard picks them up without a restart."),
    )
    p.set_defaults(func=run_settings)

    s = sub.add_parser(
        "setup",
        help=_("walk through the first-run setup (notice, camera, calibration, main settings)"),
        description=_("The first-run walk-through: the 'not medical advice' notice, choosing a camera with a "
                      "live preview, calibrating your upright posture, and the three main settings."),
    )
    s.add_argument(
        "--source",
        nargs="+",
        metavar="SOURCE",
        help=_("use a video file or photos instead of a camera (for demonstrations and tests)"),
    )
    s.add_argument("--countdown", type=int, default=5, metavar="S",
                   help=_("seconds to sit up before recording"))
    s.add_argument(
        "--frames", type=int, default=10, metavar="N",
        help=_("frames showing you to calibrate on (default 10)"),
    )
    s.add_argument("--model", metavar="PATH", help=_("another PoseLandmarker .task file"))
    s.set_defaults(func=run_setup)


def run_settings(args) -> int:
    from postureguard.ui.settings_window import open_settings_window

    return open_settings_window()


def run_setup(args) -> int:
    from postureguard.ui.first_run import SetupOptions, open_first_run

    return open_first_run(
        SetupOptions(
            source=tuple(args.source or ()),
            countdown_s=args.countdown,
            frames=args.frames,
            model=args.model,
        )
    )
