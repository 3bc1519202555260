"""The engine's own errors: inputs the user can fix, worded for them. No exit codes here.

The command line turns these into exit codes (:func:`postureguard.errors.exit_code`); the engine only
says what is wrong, in one line.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (a wrong path, a broken file, too few frames); ``str()`` is one line."""


class CalibrationError(UserError):
    """A calibration cannot be made or loaded (too few frames with a person, implausible values)."""
