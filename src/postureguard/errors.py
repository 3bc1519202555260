"""Errors that carry a message meant for the user.

The command line prints ``str(error)`` on one line of stderr and exits with ``exit_code``; it never
shows a traceback for these. Anything else escaping is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (a wrong path, a broken file, a missing package)."""

    exit_code = 2


class ModelError(UserError):
    """The pose model file is missing, altered or unreadable."""

    exit_code = 3


class SourceError(UserError):
    """A camera, video or image cannot be opened or read."""

    exit_code = 4


class CalibrationError(UserError):
    """A calibration cannot be made or loaded."""

    exit_code = 5


class DataError(UserError):
    """A data file (knowledge base, user routines, settings) is invalid."""

    exit_code = 6


class MissingDependency(UserError):
    """An optional heavy library is not installed; the message says what to install."""

    exit_code = 7


def require(module: str, purpose: str, install: str):
    """Import ``module`` or raise :class:`MissingDependency` naming what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only where the package is absent
        raise MissingDependency(
            f"{purpose} needs the Python package '{install}' ({exc}); install it with: pip install {install}"
        ) from exc
