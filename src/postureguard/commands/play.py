"""``postureguard routine play ID``: the guided routine player (a Tk window, its own process)."""

from __future__ import annotations

import argparse

from postureguard.commands.routines import routine_actions
from postureguard.i18n import _

SOURCES = ("notification", "tray", "cli")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("must be a number of seconds, not {value}").format(value=repr(text))
        ) from None
    if not (value > 0 and value < 3600):
        raise argparse.ArgumentTypeError(
            _("must be more than 0 and less than 3600 seconds, not {value}").format(value=repr(text))
        )
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``play`` to ``postureguard routine``."""
    play = routine_actions(subparsers).add_parser(
        "play",
        help=_("play a routine step by step in a window (countdown, diagram, cautions)"),
        description=_("Open the routine player: cautions and evidence first, then one step at a time with "
                      "a diagram of the point and a countdown. Keys: space pause/resume, Right next, Left "
                      "back, Esc done. How far you got is written to the history."),
    )
    play.add_argument("id", metavar="ID", help=_("routine id, as listed by 'postureguard routines'"))
    play.add_argument("--short", action="store_true", help=_("play the short version of the routine"))
    play.add_argument(
        "--source",
        choices=SOURCES,
        default="cli",
        help=_("where the routine was started from, for the history (default: cli)"),
    )
    play.add_argument(
        "--step-seconds",
        type=_positive_seconds,
        metavar="N",
        help=_("give every step (each side of a two-sided step) N seconds instead of its own time; "
               "for demonstrations and tests"),
    )
    play.add_argument(
        "--camera",
        metavar="SOURCE",
        help=_("the camera guide's frames: a camera index or a recording (default: the camera setting)"),
    )
    play.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from postureguard.ui.player import run as run_player

    return run_player(args.id, source=args.source, short=args.short, step_seconds=args.step_seconds,
                      camera=args.camera)
