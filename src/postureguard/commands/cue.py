"""``postureguard cue``: the on-screen cue's own process (the tray app starts it; see postureguard.ui.cue)."""

from __future__ import annotations

from postureguard.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "cue",
        help=_("draw the on-screen cue (started by the tray app; reads its commands on stdin)"),
        description=_(
            "The on-screen cue's process: a soft coloured edge around the screen with a small tab, "
            "click-through except the tab. The tray app starts it and drives it with lines on stdin "
            "(show KIND SCREENS SECONDS, hide, quit); it answers on stdout (fine after a right-click on "
            "the tab)."
        ),
    )
    p.set_defaults(func=run_cue)


def run_cue(args) -> int:
    from postureguard.ui.cue import run_cue as run

    return run()
