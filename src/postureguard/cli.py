"""The ``postureguard`` command line.

Each sub-command lives in its own module under :mod:`postureguard.commands` and exposes
``register(subparsers)``; this module only assembles them, so a command's heavy imports happen
when it runs, not when ``--help`` is printed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import logging.handlers
import os
import sys

from postureguard import __version__
from postureguard.errors import UserError, exit_code
from postureguard.i18n import _, set_language

log = logging.getLogger("postureguard")

#: Modules that contribute sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "postureguard.commands.analyze",
    "postureguard.commands.calibrate",
    "postureguard.commands.profile",
    "postureguard.commands.routines",
    "postureguard.commands.play",
    "postureguard.commands.config",
    "postureguard.commands.today",
    "postureguard.commands.summary",
    "postureguard.commands.report",
    "postureguard.commands.doctor",
    "postureguard.commands.settings",
    "postureguard.commands.cue",
    "postureguard.commands.desktop",
    "postureguard.commands.run",
    "postureguard.commands.bench",
    "postureguard.commands.evaluate",
)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line on stderr like every other user error."""

    def error(self, message: str):
        command = self.prog.partition(" ")[2]  # "analyze" of "postureguard analyze"
        where = f"{command}: " if command else ""
        hint = _("see '{command}'").format(command=f"{self.prog} --help")
        self.exit(2, f"postureguard: {where}{message} ({hint})\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="postureguard",
        description=_("PostureGuard: notices when your head drifts forward or you sit too long, "
                      "and suggests a short self-acupressure routine."),
    )
    parser.add_argument("--version", action="version", version=f"postureguard {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=_("more log output (repeatable)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def entry() -> int:
    """The ``postureguard`` program (console script and ``python -m postureguard``).

    Before anything native is imported: native libraries are told to keep quiet, and the kernel
    filter that refuses internet sockets is installed for this process and all it starts. Then
    :func:`main`. (Tests call :func:`main` directly, in their own process, without the filter.)
    """
    from postureguard.files.paths import settings_file
    from postureguard.platform import native_logs, network_filter

    native_logs.quiet_native_libraries()
    _limit_malloc_arenas()
    _choose_language()  # the filter's status is worded as it is installed
    status = network_filter.install(settings_path=settings_file())
    return main(None, network=status)


def _choose_language() -> None:
    """The language of every text from here on: ``$POSTUREGUARD_LANGUAGE`` (a parent's), else the
    ``language`` setting, else the desktop's locale. A broken settings file gives the desktop's: the
    command must still run (the commands that load the file name its problems)."""
    from postureguard.settings.config import language_setting

    set_language(language_setting())


def _limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at 2 (``mallopt(M_ARENA_MAX, 2)``, what ``MALLOC_ARENA_MAX=2`` does).

    MediaPipe and OpenCV run many native threads; by default glibc gives each busy thread an arena of
    its own, which made the monitored process's peak memory vary from about 235 to 275 MB between
    identical runs. Two arenas cost nothing measurable in CPU here. Other C libraries: nothing to do.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 2)  # M_ARENA_MAX from glibc's malloc.h
    except (OSError, AttributeError):  # musl and others have no mallopt: nothing to tune
        return


#: Commands whose libraries write scratch files (the tray backend hands its icon to the panel as a
#: temporary PNG). Tk windows write none, and read-only commands must create no folder.
_DESKTOP_COMMANDS = ("run",)


def _private_tmp() -> None:
    """Point ``TMPDIR`` (read by Python, GLib and the children we start) at a private folder."""
    import os
    import tempfile

    from postureguard.files.paths import ensure_private_dir, private_tmp_dir

    try:
        folder = ensure_private_dir(private_tmp_dir())
    except OSError:
        return  # an unwritable home: libraries fall back to the system's temporary folder
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # recomputed from TMPDIR on next use


#: Commands that also log to :func:`postureguard.files.paths.log_file`: the tray app, started at login with
#: no terminal to read, whose notices ("camera unavailable", "alert not shown") would otherwise be lost.
_LOGGED_COMMANDS = ("run",)
_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are readable by the user only (0600): they name the user's habits."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # one made before, under another umask, becomes private too
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # noqa: SIM115


def _configure_logging(verbose: int, command: str | None) -> None:
    """stderr at WARNING (INFO with ``-v``, DEBUG with ``-vv``); for :data:`_LOGGED_COMMANDS` also the
    log file, at INFO (DEBUG with ``-vv``), so native libraries' DEBUG lines stay out of it."""
    console = logging.WARNING - 10 * min(verbose, 2)
    terminal = logging.StreamHandler()  # sys.stderr
    terminal.setLevel(console)  # keeps its level when the root's is lowered for the file below
    terminal.setFormatter(logging.Formatter(_LOG_FORMAT))
    logging.basicConfig(level=console, handlers=[terminal])
    if command not in _LOGGED_COMMANDS:
        return
    from postureguard.files.paths import LOG_BACKUPS, LOG_MAX_BYTES, ensure_private_dir, log_file

    path = log_file()
    to_file = min(logging.INFO, console)
    try:
        ensure_private_dir(path.parent)
        handler = _PrivateRotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        # The tray must run even where its log cannot be written (a read-only home).
        log.warning("no log file: cannot write %s: %s", path, exc.strerror or exc)
        return
    handler.setLevel(to_file)
    handler.setFormatter(logging.Formatter("%(asctime)s " + _LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level, to_file))


def main(argv: list[str] | None = None, *, network=None) -> int:
    """Parse ``argv`` (default: the process's arguments), run the command, return the exit code.

    ``network`` is the :class:`~postureguard.platform.network_filter.FilterStatus` from :func:`entry`,
    logged once; None when called in-process without the filter.
    """
    # Before the parser: its help texts are looked up as the commands register them.
    _choose_language()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if "run" in parser._subparsers._group_actions[0].choices:  # type: ignore[union-attr,operator]  # noqa: SLF001
            # Only global options were given (e.g. `postureguard -v`): they go before the command.
            given = sys.argv[1:] if argv is None else argv
            args = parser.parse_args([*given, "run"])
        else:
            parser.print_help()
            return 0
    # After the command is known (the log file is the tray's), before the first line is logged.
    _configure_logging(args.verbose, args.command)
    if network is not None:
        if network.active:
            log.debug("network: %s", network.line())
        elif network.switched_off or not sys.platform.startswith("linux"):
            log.info("network: %s", network.line())
        else:
            log.warning("network: %s", network.line())
    if network is not None and args.command in _DESKTOP_COMMANDS:
        _private_tmp()
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"postureguard: {exc}", file=sys.stderr)  # noqa: T201 - the user-facing error line
        # At INFO, so the terminal keeps its one line; a tray app started at login has its log file
        # (INFO and up) say why it stopped.
        log.info("stopped (exit %d): %s", exit_code(exc), exc)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `postureguard analyze ... | head`): stop quietly, as cat does.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
