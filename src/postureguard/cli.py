"""The ``postureguard`` command line.

Each sub-command lives in its own module under :mod:`postureguard.commands` and exposes
``register(subparsers)``; this module only assembles them, so a command's heavy imports happen
when it runs, not when ``--help`` is printed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from postureguard import __version__
from postureguard.errors import UserError

log = logging.getLogger("postureguard")

#: Modules that contribute sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "postureguard.commands.analyze",
    "postureguard.commands.calibrate",
    "postureguard.commands.routines",
    "postureguard.commands.play",
    "postureguard.commands.config",
    "postureguard.commands.today",
    "postureguard.commands.report",
    "postureguard.commands.doctor",
    "postureguard.commands.settings",
    "postureguard.commands.run",
    "postureguard.commands.bench",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postureguard",
        description="PostureGuard: notices when your head drifts forward or you sit too long, "
        "and suggests a short self-acupressure routine.",
    )
    parser.add_argument("--version", action="version", version=f"postureguard {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        if "run" in parser._subparsers._group_actions[0].choices:  # noqa: SLF001 - argparse has no API
            # Only global options were given (e.g. `postureguard -v`): they go before the command.
            given = sys.argv[1:] if argv is None else argv
            args = parser.parse_args([*given, "run"])
        else:
            parser.print_help()
            return 0
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"postureguard: {exc}", file=sys.stderr)  # noqa: T201 - the user-facing error line
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `postureguard analyze ... | head`): stop quietly, as cat does.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
