"""Validation at the edge: numbers, days and the files a user can edit, checked once, in one way.

Everything a user types or edits passes through here before the rest of the program sees it:

* numbers (command-line options, settings, calibration values) must be finite and inside a stated
  range; the message names the range (:func:`check_range`, and :func:`finite_number` for argparse);
* days (``YYYY-MM-DD``) must lie between :data:`FIRST_DAY` and :data:`LAST_DAY` (:func:`parse_day`);
* user-editable files (``settings.toml``, ``routines.json``, calibration JSON) are read only up to a
  size limit (:func:`read_user_file`) and JSON only up to a nesting depth (:func:`load_json`);
* text quoted back in a message is shortened (:func:`quote`), and text shown on a terminal has its
  control characters removed or made visible (:func:`strip_controls`, :func:`visible_controls`).

Nothing here runs on import, and nothing writes.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from postureguard.errors import UserError
from postureguard.i18n import _

#: The first and last day a date option accepts. Local midnight of each must be an epoch time every
#: platform's clock functions handle (Windows' localtime stops at year 3000 and refuses times before
#: 1970), with room for a week report's six days before and the day after.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)

#: Largest user-editable file read (bytes). A settings file is a few hundred bytes, a calibration a few
#: hundred, a routines.json a few kilobytes per routine; a megabyte is far beyond any of them.
MAX_USER_FILE_BYTES = 1024 * 1024
#: Deepest nesting of JSON arrays/objects accepted in a user file (the real files nest at most 5).
MAX_JSON_DEPTH = 64
#: Longest piece of user text quoted back in a message (characters).
MAX_QUOTE_CHARS = 60

#: Limits of command-line options that no setting bounds (each a plain physical ceiling):
#: frames analysed a second (cameras deliver at most 60, slow-motion video 240),
MAX_FPS = 240
#: seconds between photos (or between analysed frames with ``run --sample-interval``),
MAX_PHOTO_INTERVAL_S = 3600
#: frames a calibration is asked to use,
MAX_CALIBRATE_FRAMES = 10_000
#: and seconds of countdown before a camera calibration records.
MAX_COUNTDOWN_S = 60

class OutOfRange(ValueError):
    """A value that is not a finite number inside its range; the message says what is allowed."""


def quote(value: Any, limit: int = MAX_QUOTE_CHARS) -> str:
    """``repr(value)``, cut to about ``limit`` characters (with ``…``) so a message stays one short line."""
    return shorten(repr(value), limit)


def shorten(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (the last one ``…``) when longer."""
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _number_text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def range_text(lo: float | None, hi: float | None, *, lo_open: bool = False, unit: str = "",
               integer: bool = False) -> str:
    """Words for a range: ``a whole number from 1 to 3600``, ``a number more than 0 and at most 240``."""
    if unit:
        kind = (_("a whole number of {unit}") if integer else _("a number of {unit}")).format(unit=unit)
    else:
        kind = _("a whole number") if integer else _("a number")
    low = _number_text(lo) if lo is not None else ""
    high = _number_text(hi) if hi is not None else ""
    if lo is None and hi is None:
        return kind
    if hi is None:
        text = _("{kind} more than {low}") if lo_open else _("{kind} at least {low}")
    elif lo is None:
        text = _("{kind} at most {high}")
    elif lo_open:
        text = _("{kind} more than {low} and at most {high}")
    else:
        text = _("{kind} from {low} to {high}")
    return text.format(kind=kind, low=low, high=high)


def check_range(value: Any, lo: float | None, hi: float | None, *, lo_open: bool = False, unit: str = "",
                integer: bool = False) -> float:
    """``value`` if it is a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), else
    :class:`OutOfRange` whose message reads ``must be <range>, not <value>``.

    ``None`` for a bound leaves that side open-ended. ``integer`` also demands a whole number and
    returns an ``int``; ``True``/``False`` are never numbers here. ``unit`` (``seconds``) only words
    the message.
    """
    allowed = range_text(lo, hi, lo_open=lo_open, unit=unit, integer=integer)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OutOfRange(_must_be(allowed, quote(value)))
    if isinstance(value, float) and not math.isfinite(value):
        raise OutOfRange(_must_be(allowed, repr(value)))
    if integer and isinstance(value, float):
        if not value.is_integer():
            raise OutOfRange(_must_be(allowed, f"{value:g}"))
        value = int(value)
    too_low = lo is not None and (value <= lo if lo_open else value < lo)
    if too_low or (hi is not None and value > hi):
        shown = _number_text(value) if isinstance(value, float) else quote(value)
        raise OutOfRange(_must_be(allowed, shown))
    return value


def _must_be(allowed: str, shown: str) -> str:
    return _("must be {allowed}, not {value}").format(allowed=allowed, value=shown)


def parse_number(text: str, *, integer: bool = False) -> float:
    """A number typed by a user (``ValueError`` when it is none); ``nan``/``inf`` parse so the range
    check can name the range instead of calling them "not a number"."""
    return int(text.strip(), 10) if integer else float(text.strip())


def finite_number(lo: float | None, hi: float | None, *, lo_open: bool = False, unit: str = "",
                  integer: bool = False) -> Callable[[str], float]:
    """An argparse ``type=`` that accepts a finite number in the range (see :func:`check_range`).

    argparse puts ``argument --NAME:`` before the message, so the message itself does not repeat it.
    """
    allowed = range_text(lo, hi, lo_open=lo_open, unit=unit, integer=integer)

    def convert(text: str) -> float:
        try:
            return check_range(parse_number(text, integer=integer), lo, hi, lo_open=lo_open, unit=unit,
                               integer=integer)
        except ValueError:  # OutOfRange included: the message shows what was typed (1e999, not inf)
            shown = shorten(text.strip()) if re.fullmatch(r"[\w.+-]+", text.strip()) else quote(text)
            raise argparse.ArgumentTypeError(_must_be(allowed, shown)) from None

    convert.__name__ = "whole number" if integer else "number"  # argparse names the type on errors
    return convert


def parse_day(text: str, option: str) -> date:
    """``YYYY-MM-DD`` as a date between :data:`FIRST_DAY` and :data:`LAST_DAY`, else a one-line
    :class:`UserError` naming ``option`` and the range."""
    first, last = FIRST_DAY.isoformat(), LAST_DAY.isoformat()
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        text = _("{option} must be a date like 2024-05-31, a day from {first} to {last}, not {value}").format(
            option=option, first=first, last=last, value=quote(text)
        )
        raise UserError(text) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UserError(
            _("{option} must be a day from {first} to {last}, not {value}").format(
                option=option, first=first, last=last, value=day.isoformat()
            )
        )
    return day


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} kB"


def read_user_file(path: Path, what: str, *, max_bytes: int = MAX_USER_FILE_BYTES,
                   error: type[UserError] = UserError) -> bytes:
    """The bytes of a file the user may edit, refusing one larger than ``max_bytes``.

    ``what`` names the file in messages (``"calibration file /x/cal.json"``). A missing file raises
    :class:`FileNotFoundError` (callers decide whether that is fine); any other failure raises
    ``error`` with one line giving the reason (``permission denied``, ``is a folder``, the size).
    Only ``max_bytes + 1`` bytes are ever read, so a huge or endless file (``/dev/zero``) costs nothing.
    """
    limit = _("at most {size} is read").format(size=_size_text(max_bytes))
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise error(_("cannot read {what} (it is a folder, not a file)").format(what=what)) from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise error(_("cannot read {what} ({reason})").format(what=what, reason=reason)) from None
    if len(data) > max_bytes:
        try:
            size = f"{_size_text(Path(path).stat().st_size)}; "
        except OSError:
            size = ""
        raise error(
            _("{what} is too large ({size}{limit}); it cannot be a file PostureGuard wrote").format(
                what=what, size=size, limit=limit
            )
        )
    return data


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_json(text: str, what: str, *, max_depth: int = MAX_JSON_DEPTH, error: type[UserError] = UserError,
              **json_options: Any) -> Any:
    """``json.loads(text)`` that refuses nesting deeper than ``max_depth`` with ``error`` naming ``what``.

    :class:`json.JSONDecodeError` passes through for the caller to word (line and column).
    """
    too_deep = _("{what} nests arrays or objects more than {n} levels deep").format(what=what, n=max_depth)
    try:
        doc = json.loads(text, **json_options)
    except RecursionError:
        # The parser gives up near the interpreter's recursion limit (about 1,000 levels).
        raise error(too_deep) from None
    if json_depth(doc) > max_depth:
        raise error(too_deep)
    return doc


# Terminal control: ESC sequences (CSI ``ESC [ ... final``, OSC ``ESC ] ... BEL/ST``, two-byte ESC x),
# the other C0 controls but newline, DEL, the C1 controls, and the bidirectional overrides that can make
# text read differently from what it is.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[@-_]?"  # other two-byte sequences, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (a tab becomes a space).

    Newlines stay; callers that need one line check for them.
    """
    text = _ESCAPES.sub("", text).replace("\t", " ")
    return _CONTROLS.sub("", text)


def visible_controls(text: str) -> str:
    """``text`` with every control character but newline shown as an escape (``\\x1b``), for a terminal."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
