"""Errors that carry a message meant for the user, and the exit code of each.

The command line prints ``str(error)`` on one line of stderr and exits with :func:`exit_code`; it never
shows a traceback for these. Anything else escaping is a bug. The base class and the calibration error
live in the engine (:mod:`postureguard.engine.errors`), which imports nothing outside itself.
"""

from __future__ import annotations

from postureguard.engine.errors import CalibrationError, UserError
from postureguard.i18n import _

__all__ = [
    "EXIT_CODES", "CalibrationError", "DataError", "MissingDependency", "ModelError", "SourceError",
    "TrayUnavailable", "UserError", "exit_code",
]  # fmt: skip


class ModelError(UserError):
    """The pose model file is missing, altered or unreadable."""


class SourceError(UserError):
    """A camera, video or image cannot be opened or read."""


class DataError(UserError):
    """A data file (knowledge base, user routines, settings) is invalid."""


class MissingDependency(UserError):
    """An optional heavy library is not installed; the message says what to install."""


def require(module: str, purpose: str, install: str):
    """Import ``module`` or raise :class:`MissingDependency` naming what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only where the package is absent
        raise MissingDependency(
            _("{purpose} needs the Python package '{package}' ({error}); install it with: pip install "
              "{package}").format(purpose=purpose, package=install, error=exc)
        ) from exc


class TrayUnavailable(UserError):
    """No tray can be shown: no display, no tray host, or no usable pystray backend."""


#: The documented exit codes (README). A class not listed takes its nearest listed base's code.
EXIT_CODES: dict[type, int] = {
    UserError: 2,
    ModelError: 3,
    SourceError: 4,
    CalibrationError: 5,
    DataError: 6,
    MissingDependency: 7,
    TrayUnavailable: 8,
}


def exit_code(error: BaseException | type) -> int:
    """The exit code for ``error`` (an instance or a class): its own, or its nearest base's, else 2."""
    cls = error if isinstance(error, type) else type(error)
    for base in cls.__mro__:
        if base in EXIT_CODES:
            return EXIT_CODES[base]
    return 2
