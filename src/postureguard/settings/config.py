"""User settings: defaults as data, a forgiving TOML loader and an atomic writer.

The settings file (``settings.toml`` in the platform config folder, see :mod:`postureguard.files.paths`) is
grouped in sections; every key name is unique across sections, so the command line and the tray address
a key by its bare name (``sensitivity``) or, equally, as ``section.key`` (``posture.sensitivity``)::

    [posture]
    sensitivity = "medium"
    sustain_seconds = 60

A file that is broken, truncated, has unknown keys or values of the wrong type never stops the app:
every valid entry is kept, each bad one falls back to its default and is named in one warning line, and
the original bytes are copied to ``settings.toml.bak-YYYYmmdd-HHMMSS`` before anything could rewrite it.

Nothing here runs on import; reading and writing happen only in :func:`load_settings` and
:func:`save_settings`. Everything else (:class:`Settings`, :func:`with_value`, :func:`check_document`)
is pure.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from postureguard.engine.policy import is_quiet_time  # noqa: F401 - part of this module's interface
from postureguard.engine.settings import SENSITIVITIES, SENSITIVITY_THRESHOLDS_DEG, EngineSettings
from postureguard.errors import DataError
from postureguard.files.validate import (
    MAX_USER_FILE_BYTES,
    OutOfRange,
    check_range,
    finite_number,
    parse_number,
    quote,
    range_text,
    read_user_file,
    shorten,
)
from postureguard.i18n import LANGUAGES, N_, _, ngettext

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 uses the backport named in pyproject
    import tomli as tomllib  # type: ignore[no-redef]

log = logging.getLogger(__name__)


#: ``work_days`` choices -> weekday numbers (0 = Monday .. 6).
WORK_DAY_CHOICES: dict[str, frozenset[int]] = {
    "every_day": frozenset(range(7)),
    "mon-fri": frozenset(range(5)),
    "mon-sat": frozenset(range(6)),
    "sun-thu": frozenset({6, 0, 1, 2, 3}),
}


#: The forms an alert may take (the ``alert_forms`` setting; several at once): a notification with
#: buttons, a gentle on-screen cue (a coloured edge, X11), a short sound, and ``tray``: nothing but the
#: tray icon's colour (which every alert changes anyway), so it stands only alone.
ALERT_FORMS = ("notification", "cue", "sound", "tray")
#: Older names of a setting, still read from existing files and accepted by ``config set``.
LEGACY_KEYS = {"alert_form": "alert_forms"}
#: Where the on-screen cue is drawn (the ``cue_screens`` setting).
CUE_SCREENS = ("all", "primary")


@dataclass(frozen=True)
class KeySpec:
    """What one setting may hold.

    ``kind`` is one of ``choice`` (one of ``choices``), ``choices`` (one or more of ``choices``, kept in
    their order), ``int`` (an integer in ``[lo, hi]``), ``bool``, ``quiet`` (``"HH:MM-HH:MM"`` or empty),
    ``points`` (a list of acupoint codes) and ``name`` (a profile's name, see
    :mod:`postureguard.settings.profiles`).
    """

    name: str
    section: str
    kind: str
    default: Any
    help: str
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    #: Extra words a user may type for an int (``off`` for 0 where 0 switches a feature off).
    zero_words: tuple[str, ...] = ()


#: Every setting, in the order the file and ``config show`` list them. This table is the single source of
#: the defaults, the allowed values and the file layout.
SPECS: tuple[KeySpec, ...] = (
    KeySpec("sensitivity", "posture", "choice", "medium",
            N_("how far forward the head may drift before it counts as poor"), choices=tuple(SENSITIVITIES)),
    KeySpec("sustain_seconds", "posture", "int", 60,
            N_("seconds poor posture must last before an alert"), lo=1, hi=3600),
    KeySpec("recovery_seconds", "posture", "int", 15,
            N_("seconds of good posture that end a poor episode"), lo=1, hi=3600),
    KeySpec("cooldown_minutes", "posture", "int", 15,
            N_("minimum minutes between two alerts of the same kind"), lo=0, hi=1440),
    KeySpec("sitting_limit_minutes", "sitting", "int", 50,
            N_("minutes of sitting before a reminder (0 = off)"), lo=0, hi=600, zero_words=("off", "none")),
    KeySpec("stand_up_nudge_minutes", "sitting", "int", 30,
            N_("minutes of sitting between light stand-up-and-walk nudges (0 = off)"), lo=0, hi=600,
            zero_words=("off", "none")),
    KeySpec("break_minutes", "sitting", "int", 2,
            N_("minutes away from the desk that count as a break"), lo=1, hi=120),
    KeySpec("personal_threshold_tenths", "posture", "int", 0,
            N_("personal threshold, tenths of a degree, learnt from 'I'm sitting fine' "
               "(0 = the sensitivity's)"),
            lo=0, hi=80, zero_words=("off", "none")),
    KeySpec("fine_answers", "posture", "int", 0,
            N_("'I'm sitting fine' answers since the last calibration"), lo=0, hi=10000),
    KeySpec("snooze_minutes", "notifications", "int", 30,
            N_("minutes a 'Snooze' button silences alerts"), lo=1, hi=1440),
    KeySpec("quiet_hours", "notifications", "quiet", "",
            N_("local time span without notifications, e.g. 22:00-07:00 (empty = none)")),
    KeySpec("max_notifications_per_hour", "notifications", "int", 4,
            N_("cap on notifications in any hour (0 = no cap)"), lo=0, hi=60, zero_words=("off", "none")),
    KeySpec("notify_on_break", "notifications", "bool", False,
            N_("show a notification when a break is taken")),
    KeySpec("alert_forms", "notifications", "choices", ("notification",),
            N_("how an alert arrives, several at once: a notification with buttons, an on-screen cue (a soft "
            "edge, X11), a short sound; or the tray icon alone (it turns orange)"),
            choices=ALERT_FORMS),
    KeySpec("cue_screens", "notifications", "choice", "all",
            N_("where the on-screen cue is drawn: every monitor or the primary one"), choices=CUE_SCREENS),
    KeySpec("hold_when_busy", "notifications", "bool", True,
            N_("hold alerts under do-not-disturb or a full-screen window; deliver them once after")),
    KeySpec("work_hours", "notifications", "quiet", "",
            N_("local time span of work, e.g. 08:30-17:30; outside it no alerts (empty = all day)")),
    KeySpec("work_days", "notifications", "choice", "every_day",
            N_("days with alerts (with work_hours)"), choices=tuple(WORK_DAY_CHOICES)),
    KeySpec("daily_summary", "notifications", "bool", True,
            N_("one notification with the day's summary at the end of work hours (18:00 without them)")),
    KeySpec("camera", "camera", "int", 0, N_("camera index (0 = the first camera)"), lo=0, hi=63),
    KeySpec("camera_width", "camera", "int", 640, N_("requested capture width, pixels"), lo=160, hi=3840),
    KeySpec("camera_height", "camera", "int", 480, N_("requested capture height, pixels"), lo=120, hi=2160),
    KeySpec("profile", "camera", "name", "default",
            N_("the profile in use: a named setup (e.g. laptop, desk) with its own calibration; PostureGuard "
               "switches by itself when the camera or where you sit shows another profile")),
    KeySpec("guide", "camera", "bool", True,
            N_("camera guide in the routine player: your own image with the point drawn on you")),
    KeySpec("guide_press_timer", "camera", "bool", True,
            N_("with the camera guide, a point's clock runs only while you press it")),
    KeySpec("pregnancy_mode", "safety", "bool", False,
            N_("never suggest points traditionally avoided in pregnancy")),
    KeySpec("blood_thinners", "safety", "bool", False,
            N_("blood thinners or a bleeding disorder: light pressure only, gentlest routines first")),
    KeySpec("avoid_points", "safety", "points", (),
            N_("acupoint codes never to suggest, e.g. LI4, GB21 (empty = none)")),
    KeySpec("max_routine_minutes", "safety", "int", 0,
            N_("longest routine to suggest, minutes (0 = no limit)"), lo=0, hi=120,
            zero_words=("off", "none")),
    KeySpec("routine_kind", "safety", "choice", "points",
            N_("what to suggest: an acupressure points routine, a 2-minute desk exercise, or either"),
            choices=("points", "exercises", "either")),
    KeySpec("start_at_login", "app", "bool", False, N_("start PostureGuard when you log in")),
    KeySpec("pause_during_calls", "app", "bool", True,
            N_("pause while the camera is used by another program")),
    KeySpec("language", "app", "choice", "auto",
            N_("language of menus, windows and messages: auto follows the desktop's locale "
               "(restart to apply)"),
            choices=("auto", *LANGUAGES)),
    KeySpec("network_filter", "privacy", "bool", True,
            N_("refuse internet sockets in the kernel (Linux); turn off only to debug a native library")),
)

SPEC_BY_NAME: dict[str, KeySpec] = {s.name: s for s in SPECS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(s.section for s in SPECS))
#: The defaults as plain data: key name -> value.
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SPECS}

_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")
_QUIET_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# Acupoint codes: a meridian abbreviation then a number (LI4, GB21, EX-HN3); letters, digits and hyphens.
_POINT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,15}$")


class _Invalid(ValueError):
    """A value that does not fit its :class:`KeySpec`; the message says what is allowed."""


def allowed_text(spec: KeySpec) -> str:
    """Human words for what ``spec`` accepts (used in every error message)."""
    if spec.kind == "choice":
        return _("one of {choices}").format(choices=", ".join(spec.choices))
    if spec.kind == "choices":
        several, alone = ", ".join(spec.choices[:-1]), spec.choices[-1]
        return _("one or more of {several} (comma-separated), or {alone} alone").format(
            several=several, alone=alone
        )
    if spec.kind == "int":
        extra = f" ({spec.zero_words[0]} = 0)" if spec.zero_words else ""
        return range_text(spec.lo, spec.hi, integer=True) + extra
    if spec.kind == "bool":
        return _("true or false")
    if spec.kind == "quiet":
        return _("a time span HH:MM-HH:MM (e.g. 22:00-07:00) or empty for none")
    if spec.kind == "name":
        return _("a name of letters, digits, spaces, hyphens or underscores")
    return _("a list of acupoint codes such as LI4, GB21 (letters, digits, hyphens), or empty")


def _not(value: Any, spec: KeySpec) -> str:
    """'abc' is not one of low, medium, high: a refused value and what spec accepts."""
    return _("{value} is not {allowed}").format(value=quote(value), allowed=allowed_text(spec))


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """``"22:00-07:00"`` -> ``(1320, 420)``: start and end in minutes after local midnight (0..1439).

    Empty text gives ``None`` (no quiet hours). Raises ``ValueError`` for anything else, including a span
    that starts and ends at the same minute (which would be ambiguous: nothing or all day).
    """
    if not text.strip():
        return None
    m = _QUIET_RE.match(text)
    if not m:
        raise ValueError(_("not a time span HH:MM-HH:MM: {value}").format(value=quote(text)))
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(_("hours must be 0-23 and minutes 0-59: {value}").format(value=quote(text)))
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(_("quiet hours start and end at the same time: {value}").format(value=quote(text)))
    return start, end


def _check(spec: KeySpec, value: Any) -> Any:
    """Return ``value`` normalised for ``spec`` (as held in :class:`Settings`), or raise :class:`_Invalid`."""
    kind = spec.kind
    if kind == "choice":
        if isinstance(value, str) and value.strip().lower() in spec.choices:
            return value.strip().lower()
        raise _Invalid(_not(value, spec))
    if kind == "choices":
        return _check_choices(spec, value)
    if kind == "int":
        # bool is an int subclass in Python, but `true` for a number of minutes is a mistake, not a 1.
        whole = not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
        if not whole:
            raise _Invalid(_not(value, spec))
        try:
            return check_range(int(value), spec.lo, spec.hi, integer=True)
        except OutOfRange:
            text = _("{value} is out of range: use {allowed}")
            raise _Invalid(text.format(value=quote(int(value)), allowed=allowed_text(spec))) from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise _Invalid(_not(value, spec))
    if kind == "name":
        from postureguard.settings.profiles import check_name

        try:
            return check_name(value)
        except DataError as exc:
            raise _Invalid(str(exc)) from None
    if kind == "quiet":
        if not isinstance(value, str):
            raise _Invalid(_not(value, spec))
        try:
            window = parse_quiet_hours(value)
        except ValueError as exc:
            text = _("{reason}; use {allowed}")
            raise _Invalid(text.format(reason=exc, allowed=allowed_text(spec))) from None
        if window is None:
            return ""
        return f"{window[0] // 60:02d}:{window[0] % 60:02d}-{window[1] // 60:02d}:{window[1] % 60:02d}"
    # points
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _Invalid(_not(value, spec))
    codes: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _POINT_RE.match(item.strip()):
            text = _("{value} is not an acupoint code; use {allowed}")
            raise _Invalid(text.format(value=quote(item), allowed=allowed_text(spec)))
        code = item.strip()
        if code not in codes:  # a repeated code changes nothing; keep the first
            codes.append(code)
    return tuple(codes)


def _check_choices(spec: KeySpec, value: Any) -> tuple[str, ...]:
    """A ``choices`` value: a list of choices or one text (``"notification, cue"``), normalised to a tuple
    in the order of ``spec.choices``. The last choice (``tray``: nothing else) stands only alone: beside
    others it adds nothing and is left out; no choice at all means it."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise _Invalid(_not(value, spec))
    chosen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise _Invalid(_not(item, spec))
        for word in re.split(r"[,\s+]+", item.strip().lower()):
            if word and word not in spec.choices:
                raise _Invalid(_not(word, spec))
            if word:
                chosen.add(word)
    alone = spec.choices[-1]
    if len(chosen) > 1:
        chosen.discard(alone)
    return tuple(c for c in spec.choices if c in chosen) or (alone,)


@dataclass(frozen=True)
class Settings:
    """All user settings, validated on construction (a bad value raises :class:`DataError`).

    Times are in the unit their name says (seconds or minutes). See :data:`SPECS` for ranges.
    """

    sensitivity: str = DEFAULTS["sensitivity"]
    sustain_seconds: int = DEFAULTS["sustain_seconds"]
    recovery_seconds: int = DEFAULTS["recovery_seconds"]
    cooldown_minutes: int = DEFAULTS["cooldown_minutes"]
    sitting_limit_minutes: int = DEFAULTS["sitting_limit_minutes"]
    stand_up_nudge_minutes: int = DEFAULTS["stand_up_nudge_minutes"]
    break_minutes: int = DEFAULTS["break_minutes"]
    personal_threshold_tenths: int = DEFAULTS["personal_threshold_tenths"]
    fine_answers: int = DEFAULTS["fine_answers"]
    snooze_minutes: int = DEFAULTS["snooze_minutes"]
    quiet_hours: str = DEFAULTS["quiet_hours"]
    max_notifications_per_hour: int = DEFAULTS["max_notifications_per_hour"]
    notify_on_break: bool = DEFAULTS["notify_on_break"]
    alert_forms: tuple[str, ...] = field(default=DEFAULTS["alert_forms"])
    cue_screens: str = DEFAULTS["cue_screens"]
    hold_when_busy: bool = DEFAULTS["hold_when_busy"]
    work_hours: str = DEFAULTS["work_hours"]
    work_days: str = DEFAULTS["work_days"]
    daily_summary: bool = DEFAULTS["daily_summary"]
    camera: int = DEFAULTS["camera"]
    camera_width: int = DEFAULTS["camera_width"]
    camera_height: int = DEFAULTS["camera_height"]
    profile: str = DEFAULTS["profile"]
    guide: bool = DEFAULTS["guide"]
    guide_press_timer: bool = DEFAULTS["guide_press_timer"]
    pregnancy_mode: bool = DEFAULTS["pregnancy_mode"]
    blood_thinners: bool = DEFAULTS["blood_thinners"]
    avoid_points: tuple[str, ...] = field(default=DEFAULTS["avoid_points"])
    max_routine_minutes: int = DEFAULTS["max_routine_minutes"]
    routine_kind: str = DEFAULTS["routine_kind"]
    start_at_login: bool = DEFAULTS["start_at_login"]
    pause_during_calls: bool = DEFAULTS["pause_during_calls"]
    language: str = DEFAULTS["language"]
    network_filter: bool = DEFAULTS["network_filter"]

    def __post_init__(self) -> None:
        for spec in SPECS:
            try:
                value = _check(spec, getattr(self, spec.name))
            except _Invalid as exc:
                raise DataError(_("setting {key}: {reason}").format(key=spec.name, reason=exc)) from None
            # Normalised forms (a list of points becomes a tuple, "LOW" becomes "low") keep the
            # dataclass hashable and comparisons exact.
            object.__setattr__(self, spec.name, value)

    def as_dict(self) -> dict[str, Any]:
        """Key name -> value, in :data:`SPECS` order."""
        return {s.name: getattr(self, s.name) for s in SPECS}

    def changed(self) -> dict[str, Any]:
        """The keys whose value differs from the default."""
        return {k: v for k, v in self.as_dict().items() if v != DEFAULTS[k]}

    def alerts_as(self, form: str) -> bool:
        """Whether alerts take ``form`` (one of :data:`ALERT_FORMS`)."""
        return form in self.alert_forms

    def quiet_window(self) -> tuple[int, int] | None:
        """Quiet hours as minutes after local midnight ``(start, end)``, or ``None``."""
        return parse_quiet_hours(self.quiet_hours)

    def work_window(self) -> tuple[int, int] | None:
        """Work hours as minutes after local midnight ``(start, end)``, or ``None`` (all day)."""
        return parse_quiet_hours(self.work_hours)

    def work_day_numbers(self) -> frozenset[int]:
        """The work days as weekday numbers (0 = Monday .. 6)."""
        return WORK_DAY_CHOICES[self.work_days]

    def to_engine(self, **overrides: Any) -> EngineSettings:
        """The engine's settings (seconds); a sitting limit of 0 switches the reminder off (``None``).

        ``overrides`` replace EngineSettings fields afterwards (e.g. a command line's ``sustain_s``).
        """
        values: dict[str, Any] = {
            "sensitivity": self.sensitivity,
            "sustain_s": float(self.sustain_seconds),
            "recovery_s": float(self.recovery_seconds),
            "cooldown_s": self.cooldown_minutes * 60.0,
            "sitting_limit_s": self.sitting_limit_minutes * 60.0 if self.sitting_limit_minutes else None,
            "stand_up_nudge_s": self.stand_up_nudge_minutes * 60.0 if self.stand_up_nudge_minutes else None,
            "break_s": self.break_minutes * 60.0,
        }
        if self.personal_threshold_tenths:
            # The learnt threshold replaces the chosen sensitivity's, within the high..low bounds.
            learnt = min(max(self.personal_threshold_tenths / 10, min(SENSITIVITY_THRESHOLDS_DEG.values())),
                         max(SENSITIVITY_THRESHOLDS_DEG.values()))  # fmt: skip
            values["thresholds_deg"] = {**SENSITIVITY_THRESHOLDS_DEG, self.sensitivity: learnt}
        values.update(overrides)
        return EngineSettings(**values)

    def to_safety(self) -> dict[str, Any]:
        """Keyword arguments for the recommender's SafetySettings.

        ``max_minutes`` is ``None`` when there is no limit (a setting of 0).
        """
        return {
            "pregnancy": self.pregnancy_mode,
            "blood_thinners": self.blood_thinners,
            "avoid_points": tuple(self.avoid_points),
            "max_minutes": self.max_routine_minutes or None,
            "routine_kind": self.routine_kind,
        }


assert [f.name for f in fields(Settings)] == [s.name for s in SPECS], "Settings and SPECS must agree"


# ---------------------------------------------------------------------------------------------------
# Keys and values as text (command line, tray)


def resolve_key(name: str) -> KeySpec:
    """The spec for ``name`` (``sensitivity`` or ``posture.sensitivity``), else :class:`DataError`.

    The error names the closest key names so a typo is easy to fix.
    """
    raw = name.strip()
    bare = raw.split(".", 1)[1] if "." in raw else raw
    spec = SPEC_BY_NAME.get(LEGACY_KEYS.get(bare.lower(), bare.lower()))
    if spec is not None and ("." not in raw or raw.split(".", 1)[0].lower() == spec.section):
        return spec
    candidates = [s.name for s in SPECS] + [f"{s.section}.{s.name}" for s in SPECS]
    close = difflib.get_close_matches(raw.lower(), candidates, n=3, cutoff=0.6)
    close = list(dict.fromkeys(c.split(".", 1)[-1] for c in close))
    if close:
        text = _("unknown setting {key}; did you mean {close}? (see 'postureguard config show' for all keys)")
    else:
        text = _("unknown setting {key} (see 'postureguard config show' for all keys)")
    raise DataError(text.format(key=quote(raw), close=_(" or ").join(close)))


def parse_value(spec: KeySpec, text: str) -> Any:
    """Turn ``text`` typed by a user into a value for ``spec``; raises :class:`DataError` naming the key."""
    t = text.strip()
    try:
        if spec.kind == "int":
            if t.lower() in spec.zero_words:
                return _check(spec, 0)
            try:
                number = parse_number(t, integer=True)
            except ValueError:
                raise _Invalid(_not(text, spec)) from None
            return _check(spec, number)
        if spec.kind == "bool":
            if t.lower() in _TRUE_WORDS:
                return True
            if t.lower() in _FALSE_WORDS:
                return False
            raise _Invalid(_not(text, spec))
        if spec.kind == "points":
            if t.lower() in ("", "none", "off"):
                return ()
            return _check(spec, [p for p in re.split(r"[,\s]+", t) if p])
        if spec.kind == "choices" and t.lower() in ("none", "off"):
            return _check(spec, [])
        if spec.kind == "quiet" and t.lower() in ("none", "off"):
            return ""
        return _check(spec, t)
    except _Invalid as exc:
        raise DataError(_("setting {key}: {reason}").format(key=spec.name, reason=exc)) from None


def format_value(value: Any) -> str:
    """A value as text that :func:`parse_value` reads back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def with_value(settings: Settings, key: str, text: str) -> Settings:
    """``settings`` with ``key`` set from the user's ``text``.

    Raises :class:`DataError` naming the key and what it allows (unknown keys name the closest ones).
    Points to avoid must be points of the knowledge base (a code, alias or pinyin, kept as typed): an
    unknown one would only surface later, when a routine refuses to start.
    """
    spec = resolve_key(key)
    value = parse_value(spec, text)
    if spec.kind == "points":
        _codes, unknown = known_points(value)
        if unknown:
            raise DataError(_("setting {key}: {reason}").format(key=spec.name, reason=unknown[0]))
    return replace(settings, **{spec.name: value})


@functools.lru_cache(maxsize=1)
def _points_lookup():
    """The bundled knowledge base (without the user's routines, which add no points), or None."""
    from postureguard.errors import UserError
    from postureguard.knowledge.loader import load_knowledge

    try:
        return load_knowledge(include_user=False)
    except UserError as exc:  # pragma: no cover - the bundled file is checked by its own tests
        log.warning("acupoint codes cannot be checked: %s", exc)
        return None


def known_points(names: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """The canonical codes of the ``names`` the knowledge base knows, and one text per unknown name.

    Codes, aliases (``SJ3`` for ``TE3``) and pinyin count; the texts name close matches. Without a
    readable knowledge base every name is kept as given (only its format was checked).
    """
    kb = _points_lookup()
    if kb is None:
        return tuple(names), []
    codes: list[str] = []
    unknown: list[str] = []
    for name in names:
        point = kb.find_point(name)
        if point is None:
            close = kb.suggest_points(name)
            if close:
                text = _("unknown point {name} (did you mean {close}?); 'postureguard points' lists them")
            else:
                text = _("unknown point {name}; 'postureguard points' lists them")
            unknown.append(text.format(name=quote(name), close=_(" or ").join(close)))
        elif point.code not in codes:
            codes.append(point.code)
    return tuple(codes), unknown


# ---------------------------------------------------------------------------------------------------
# Documents (pure): a parsed TOML mapping -> Settings + problems


@dataclass(frozen=True)
class Checked:
    """Result of :func:`check_document`: the settings and one short text per bad entry."""

    settings: Settings
    problems: tuple[str, ...]


def check_document(doc: Mapping[str, Any]) -> Checked:
    """Build :class:`Settings` from a parsed TOML mapping, keeping every valid entry.

    A key is read from its own section or, leniently, from the top level. Unknown keys, keys in the wrong
    section and invalid values become problems (and the default is used for them).
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    # Values under an older key name (``alert_form``): used unless the file also has the new name.
    legacy: dict[str, Any] = {}

    def take(spec: KeySpec, value: Any, where: str, key: str) -> None:
        try:
            (legacy if key in LEGACY_KEYS else values)[spec.name] = _check(spec, value)
        except _Invalid as exc:
            problems.append(f"{where}: {exc}")

    def spec_of(key: str) -> KeySpec | None:
        return SPEC_BY_NAME.get(LEGACY_KEYS.get(key, key))

    # Flat keys first, so the same key inside its section (the written form) wins over a flat one.
    for key, value in doc.items():
        spec = spec_of(key)
        if key in SECTIONS and isinstance(value, Mapping):
            continue  # a section ("camera" is both a section and a key), read below
        if spec is not None:
            take(spec, value, key, key)
        else:
            unknown = _("{key}: unknown section") if isinstance(value, Mapping) else _("{key}: unknown key")
            problems.append(unknown.format(key=shorten(key)))
    for section in SECTIONS:
        table = doc.get(section)
        if not isinstance(table, Mapping):
            continue
        for key, value in table.items():
            spec = spec_of(key)
            if spec is None or spec.section != section:
                if spec:
                    text = _("[{section}] {key}: unknown key (it belongs in [{home}])")
                else:
                    text = _("[{section}] {key}: unknown key")
                home = spec.section if spec else ""
                problems.append(text.format(section=section, key=shorten(key), home=home))
                continue
            take(spec, value, f"[{section}] {key}", key)
    for name, value in legacy.items():
        values.setdefault(name, value)
    return Checked(Settings(**values), tuple(problems))


_HEADER_RE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")


def salvage_document(text: str) -> tuple[dict[str, Any], list[str]]:
    """Read a file that is not valid TOML line by line, keeping every entry that parses on its own.

    An entry is one line, or an array spread over several lines (as the writer lays out lists) up to the
    next key or header. Keys under a header that cannot be read are not guessed into a section.
    """
    doc: dict[str, Any] = {}
    problems: list[str] = []
    section: str | None = ""  # "" = top level, None = under a broken header
    # A file saved with CRLF line ends: drop the CR that split("\n") leaves behind.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER_RE.match(line)
        if header:
            section = header.group(1)
            continue
        if stripped.startswith("["):
            section = None
            problems.append(_("line {n}: unreadable section header").format(n=number))
            continue
        entry = _parse_entry(line)
        if entry is None and _ARRAY_START_RE.match(line):
            # Join the following lines one at a time until the array closes; stop at the next entry.
            for end in range(i, min(len(lines), i + 200)):
                if _HEADER_RE.match(lines[end]) or _KEY_START_RE.match(lines[end]):
                    break
                entry = _parse_entry("\n".join(lines[i - 1:end + 1]))
                if entry is not None:
                    i = end + 1
                    break
        if entry is None:
            problems.append(_("line {n}: not a readable 'key = value' line").format(n=number))
            continue
        if section is None:
            problems.append(_("line {n}: under an unreadable section header").format(n=number))
            continue
        target = doc if section == "" else doc.setdefault(section, {})
        if not isinstance(target, dict):  # e.g. "posture = 1" earlier, then a [posture] header
            clash = _("line {n}: [{section}] clashes with an earlier key")
            problems.append(clash.format(n=number, section=section))
            continue
        _merge(target, entry)
    return doc, problems


_KEY_START_RE = re.compile(r"^\s*[A-Za-z0-9_.\"' -]+=")
_ARRAY_START_RE = re.compile(r"^\s*[A-Za-z0-9_.\"' -]+=\s*\[")


def _parse_entry(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return None


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


# ---------------------------------------------------------------------------------------------------
# Files (imperative shell)


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_settings` found: the settings to use, and warnings to show the user.

    ``warnings`` is empty for a clean or missing file, else one line naming the file and every bad entry.
    ``backup`` is where the original was copied when it had problems.
    """

    settings: Settings
    warnings: list[str]
    path: Path
    backup: Path | None = None


def load_settings(
    path: str | Path | None = None, *, now: datetime | None = None, backup: bool = True
) -> LoadResult:
    """Read the settings file (default :func:`postureguard.files.paths.settings_file`); never raises for
    content.

    A missing file gives the defaults. ``now`` (local time) names a backup; it defaults to the clock.
    ``backup=False`` only reads: a broken file is reported but no backup copy is written (``doctor``).
    """
    from postureguard.files import paths

    path = Path(path) if path is not None else paths.settings_file()
    try:
        raw = read_user_file(
            path, _("settings file {path}").format(path=path), max_bytes=MAX_USER_FILE_BYTES, error=DataError
        )
    except FileNotFoundError:
        return LoadResult(Settings(), [], path)
    except DataError as exc:
        # Unreadable or far too large: nothing of it is used, and nothing of it is changed.
        return LoadResult(Settings(), [_("{reason}; using the defaults").format(reason=exc)], path)
    checked, preamble = _read(raw)
    checked = _drop_unknown_points(checked)
    if not checked.problems and not preamble:
        return LoadResult(checked.settings, [], path)
    copy = _backup(path, raw, now) if backup else None
    parts = list(preamble) + list(checked.problems)
    if not backup:
        kept = _("nothing was changed")
    else:
        kept = _("the original is kept as {name}").format(name=copy.name) if copy else ""
        kept = kept or _("could not write a backup copy")
    # A file of garbage has a problem on every line: name them while the line stays readable, count the rest.
    listed: list[str] = []
    used = 0
    for part in parts:
        if used + len(part) > MAX_LISTED_CHARS:
            listed.append(_("and {n} more").format(n=len(parts) - len(listed)))
            break
        listed.append(part)
        used += len(part) + 2
    parts = listed
    count = len(checked.problems) + len(preamble)
    warning = ngettext(
        "settings file {path}: {n} problem, defaults used for it: {problems} ({kept})",
        "settings file {path}: {n} problems, defaults used for them: {problems} ({kept})",
        count,
    ).format(path=path, n=count, problems="; ".join(parts), kept=kept)
    log.info("%s", warning)  # the caller shows result.warnings; logging it too would say it twice
    return LoadResult(checked.settings, [warning], path, copy)


#: Characters of problem texts named one by one in the warning (every key of a fully broken file fits);
#: the rest are counted.
MAX_LISTED_CHARS = 4000


def _drop_unknown_points(checked: Checked) -> Checked:
    """``checked`` without the points to avoid the knowledge base does not know, each named as a problem.

    Kept as written otherwise (an alias stays an alias): the file is the user's, only its meaning counts.
    """
    names = checked.settings.avoid_points
    _codes, unknown = known_points(names)
    if not unknown:
        return checked
    kb = _points_lookup()
    kept = tuple(name for name in names if kb is None or kb.find_point(name) is not None)
    problems = [_("[safety] avoid_points: {problem}, left out").format(problem=text) for text in unknown]
    return Checked(replace(checked.settings, avoid_points=kept), (*checked.problems, *problems))


def _read(raw: bytes) -> tuple[Checked, list[str]]:
    """Parse the file's bytes: strict TOML first, line by line when that fails.

    A file larger than :data:`~postureguard.files.validate.MAX_USER_FILE_BYTES` is not parsed at all (the
    defaults, and one problem saying why): no hand-edited settings file comes near that size.
    """
    preamble: list[str] = []
    if len(raw) > MAX_USER_FILE_BYTES:
        return Checked(Settings(), ()), [
            _("larger than {n} MB, not read").format(n=MAX_USER_FILE_BYTES // (1024 * 1024))
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Undecodable bytes break only their own line once replaced; the rest is still worth reading.
        text = raw.decode("utf-8", errors="replace")
        preamble.append(_("not UTF-8 text at byte {n}").format(n=exc.start))
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        preamble.append(
            _("not valid TOML ({error})").format(
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            )
        )
        doc, line_problems = salvage_document(text)
        preamble.extend(line_problems)
    return check_document(doc), preamble


def _backup(path: Path, raw: bytes, now: datetime | None) -> Path | None:
    """Copy ``raw`` beside ``path`` as ``NAME.bak-YYYYmmdd-HHMMSS`` (0600), unless an identical one exists."""
    try:
        for existing in sorted(path.parent.glob(path.name + ".bak-*")):
            try:
                if existing.read_bytes() == raw:
                    return existing
            except OSError:
                continue
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.bak-{stamp}")
        n = 1
        while target.exists():
            target = path.with_name(f"{path.name}.bak-{stamp}-{n}")
            n += 1
        _write_atomic(target, raw)
        return target
    except OSError as exc:
        log.warning("cannot back up settings file %s: %s", path, exc)
        return None


def settings_to_toml(settings: Settings) -> str:
    """The TOML text :func:`save_settings` writes (all keys, grouped by section)."""
    doc: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    for spec in SPECS:
        value = getattr(settings, spec.name)
        doc[spec.section][spec.name] = list(value) if isinstance(value, tuple) else value
    header = (
        "# PostureGuard settings. Change them with 'postureguard config set KEY VALUE', the tray menu,\n"
        "# or by hand; 'postureguard config show' lists every key with its allowed values.\n\n"
    )
    try:
        import tomli_w
    except ModuleNotFoundError:  # pragma: no cover - tomli-w is a dependency; keeps bare installs working
        return header + _dump_toml(doc)
    return header + tomli_w.dumps(doc)


def _dump_toml(doc: Mapping[str, Mapping[str, Any]]) -> str:
    """A minimal TOML writer for the value types settings use (str, int, bool, list of str)."""
    import json

    def scalar(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(scalar(v) for v in value) + "]"
        # JSON string escapes (\" \\ \n \uXXXX ...) are all valid TOML basic-string escapes.
        return json.dumps(str(value), ensure_ascii=False)

    out: list[str] = []
    for section, table in doc.items():
        out.append(f"[{section}]")
        out.extend(f"{key} = {scalar(value)}" for key, value in table.items())
        out.append("")
    return "\n".join(out)


def save_settings(settings: Settings, path: str | Path | None = None) -> Path:
    """Write ``settings`` atomically (temp file in the same folder, fsync, rename), mode 0600.

    A missing folder is made 0700; an existing one keeps the permissions its owner gave it. A symbolic
    link is written through to its target; a read-only file is never replaced (see
    :func:`postureguard.files.paths.write_atomic`). A file already there that does not read cleanly is backed
    up first, so hand edits are never lost. Raises :class:`DataError` naming the file when it cannot be
    written (read-only file or folder, disk full).
    """
    from postureguard.files import paths

    path = Path(path) if path is not None else paths.settings_file()
    try:
        paths.ensure_private_dir(path.parent)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raw = None
        if raw is not None:
            checked, preamble = _read(raw)
            if checked.problems or preamble:
                _backup(path, raw, None)
        _write_atomic(path, settings_to_toml(settings).encode("utf-8"))
    except OSError as exc:
        raise DataError(
            _("cannot save settings to {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    from postureguard.files.paths import write_atomic

    write_atomic(path, data)


def network_filter_setting(path: str | Path | None = None) -> bool | None:
    """``[privacy] network_filter`` as written in the settings file, or None when absent or unreadable.

    Read at the very start of every process, before the kernel filter is installed and before any
    native library loads: so it only parses TOML (no salvage, no backup, no logging). Anything but an
    explicit ``false`` keeps the filter on.
    """
    if path is None:
        from postureguard.files.paths import settings_file

        path = settings_file()
    try:
        with open(path, "rb") as fh:
            raw = fh.read(1 << 20)
        doc = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    section = doc.get("privacy")
    value = section.get("network_filter") if isinstance(section, dict) else None
    return value if isinstance(value, bool) else None


#: Set by a PostureGuard process for the children it starts (:mod:`postureguard.runtime.children`), so
#: they speak its language whatever the settings file says by then; a user may set it for one command.
LANGUAGE_ENV = "POSTUREGUARD_LANGUAGE"


def language_setting(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to start in: ``$POSTUREGUARD_LANGUAGE`` when valid, else ``[app] language`` as
    written in the settings file: ``auto`` or a code of :data:`postureguard.i18n.LANGUAGES`; ``auto``
    when absent, invalid or the file is unreadable.

    Read at the start of every command, before any text is made: so, like
    :func:`network_filter_setting`, it only parses TOML (no salvage, no backup, no logging); a broken
    file is reported by the command that loads it properly, in the desktop's language meanwhile.
    """
    import os

    spec = SPEC_BY_NAME["language"]
    inherited = (os.environ if environ is None else environ).get(LANGUAGE_ENV, "")
    if inherited.strip().lower() in spec.choices:
        return inherited.strip().lower()
    if path is None:
        from postureguard.files.paths import settings_file

        path = settings_file()
    try:
        with open(path, "rb") as fh:
            doc = tomllib.loads(fh.read(MAX_USER_FILE_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return "auto"
    section = doc.get("app")
    value = section.get("language") if isinstance(section, dict) else doc.get("language")  # flat files too
    try:
        return str(_check(spec, value))
    except _Invalid:
        return "auto"


def setting_option(key: str, *, scale: float = 1.0, unit: str = "") -> Callable[[str], float]:
    """An argparse ``type=`` for an option that overrides setting ``key`` for one run.

    The range is the setting's own (:data:`postureguard.settings.config.SPECS`), times ``scale`` when
    the option
    counts in another unit (``--cooldown`` in seconds for ``cooldown_minutes``: ``scale=60``). The
    option takes fractions; the setting file keeps whole numbers.
    """
    spec = SPEC_BY_NAME[key]
    assert spec.lo is not None and spec.hi is not None, key
    return finite_number(spec.lo * scale, spec.hi * scale, unit=unit)
