"""The acupressure knowledge base: points, routines, triggers, red flags, and a validating loader.

The data lives in ``data/acupoints.json`` (found through :func:`postureguard.files.resources.acupoints_path`);
a user may add routines in ``routines.json`` in their config folder
(:func:`postureguard.files.paths.user_routines_file`). :func:`load_knowledge` reads both, checks every entry
and field, and returns an immutable :class:`KnowledgeBase`; any problem raises
:class:`postureguard.errors.DataError` with one line naming the file, the entry and the field, so the
program never starts with half-valid data. This module does no GUI, camera or database work.

Units: durations are seconds (``Step.seconds`` > 0 and at most :data:`MAX_STEP_SECONDS`; a routine at
most :data:`MAX_ROUTINE_SECONDS`). Distances in the written locations use cun: the B-cun is
proportional (elbow crease to wrist crease = 12 B-cun; back-of-knee crease to outer ankle bone = 16),
and one thumb width = 1 cun, four finger widths = 3 cun.

Anchors (where a point lies relative to MediaPipe landmarks, so a player can draw it on a diagram or
on the user's own camera image):

* ``model`` is ``"pose"`` (the 33 BlazePose landmarks, lower_snake names such as ``left_shoulder``)
  or ``"hand"`` (the 21 hand landmarks, e.g. ``wrist``, ``thumb_cmc``, ``index_finger_mcp``). Pose
  anchors may also use the virtual landmarks in :data:`VIRTUAL_POSE_LANDMARKS`, each the midpoint of
  two real ones (``neck_base`` = midpoint of the shoulders, ``mid_hips``, ``mid_ears``, ``mid_eyes``,
  ``mid_mouth``).
* With ``A`` = ``from`` and ``B`` = ``to`` in image coordinates (x to the right, y downward, the same
  unit on both axes, e.g. pixels), ``d = B - A`` and ``L = |d|``::

      P = A + (t + offset[0]) * d + offset[1] * L * n,     n = (-d.y, d.x) / L

  ``n`` is ``d`` turned a quarter turn clockwise on screen, i.e. the right-hand side when looking
  along from -> to on the picture. ``t`` is in 0..1; ``offset[0]`` (along) and ``offset[1]`` (across)
  are fractions of ``L``.
* ``view`` names the canonical picture: ``"front"`` (the person faces the viewer, their left on the
  picture's right) or ``"back"`` (seen from behind, their left on the picture's left) for pose
  anchors; ``"back"`` (back of the left hand facing the viewer, thumb on the right) or ``"palm"``
  for hand anchors.
* Anchors describe the left side of a bilateral point. For the right side swap ``left_`` and
  ``right_`` in the names and negate ``offset[1]``; a picture that mirrors the canonical view (a
  selfie-flipped frame, a hand seen from its other face) negates ``offset[1]`` as well.
  :meth:`Anchor.resolve` does all of this.

A point may also carry a ``guide`` (:class:`Guide`): how the routine player's camera guide finds it on
the user's own image. It reuses the figure's anchor unless it names one of its own over landmarks the
figure does not have (the face mesh, or hand and pose landmarks together for the forearm), and says in
``measure`` which of the user's own lengths its proportions (cun) are taken from.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from postureguard.engine.landmarks import PoseIndex
from postureguard.errors import DataError, UserError
from postureguard.files.validate import load_json, quote, read_user_file, strip_controls
from postureguard.i18n import N_, _, current_language, knowledge_text

log = logging.getLogger(__name__)

#: The document version this code reads (top-level ``version`` of both files).
SUPPORTED_VERSION = 1

#: Events the engine (and the user) can ask a routine for.
TRIGGERS: tuple[str, ...] = (
    "neck_strain",
    "shoulder_tension",
    "prolonged_sitting",
    "eye_strain",
    "headache",
    "stress",
    "low_back",
)
ACTIONS: tuple[str, ...] = ("press", "move", "rest", "look_away", "exercise")
#: Stick figures the player can draw for an ``exercise`` step (see :mod:`postureguard.ui.figures`).
EXERCISE_FIGURES: tuple[str, ...] = (
    "chin-tuck",
    "scapular-retraction",
    "doorway-stretch",
    "thoracic-extension",
    "stand-walk",
)
#: Routine kinds, as the ``routine_kind`` setting names them: acupressure points or desk exercises.
ROUTINE_KINDS: tuple[str, ...] = ("points", "exercises")
#: Most repetitions in one exercise step, and the longest hold or rest (seconds) of one repetition.
MAX_REPS = 30
MAX_HOLD_SECONDS = 60
SIDES: tuple[str, ...] = ("left", "right", "both", "center")
EVIDENCE_LEVELS: tuple[str, ...] = ("moderate", "low to moderate", "low", "traditional use", "none")
REGIONS: tuple[str, ...] = (
    "head",
    "face",
    "neck",
    "shoulder",
    "upper_back",
    "lower_back",
    "forearm",
    "wrist",
    "hand",
    "leg",
    "knee",
    "foot",
)
PRESSURES: tuple[str, ...] = ("light", "moderate", "firm")
VARIANTS: tuple[str, ...] = ("full", "short")

#: Points traditionally avoided in pregnancy whatever the data file says (BL67 is not in every text).
PREGNANCY_AVOID: frozenset[str] = frozenset({"LI4", "SP6", "GB21", "BL60", "BL67"})

#: A single step longer than this (seconds) is a data error: nobody presses one point for 15 minutes.
MAX_STEP_SECONDS = 15 * 60
#: A routine longer than this (seconds) is a data error.
MAX_ROUTINE_SECONDS = 60 * 60
#: An instruction is one line on the player's screen.
MAX_INSTRUCTION_CHARS = 200
#: Any other text field (a caution, a location, the evidence) is at most this long; the longest
#: bundled text is about 1,600 characters. Longer text is a broken or hostile file, not advice.
MAX_TEXT_CHARS = 4000
#: Largest routines.json read (bytes); a routine takes about two kilobytes.
MAX_USER_FILE_BYTES = 1024 * 1024
#: Largest bundled knowledge base read (bytes); the real one is about 50 kB.
MAX_KNOWLEDGE_BYTES = 16 * 1024 * 1024

POSE_LANDMARKS: tuple[str, ...] = tuple(index.name.lower() for index in PoseIndex)
#: MediaPipe's 21 hand landmarks (HandLandmark enum), in index order.
HAND_LANDMARKS: tuple[str, ...] = (
    "wrist",
    "thumb_cmc",
    "thumb_mcp",
    "thumb_ip",
    "thumb_tip",
    "index_finger_mcp",
    "index_finger_pip",
    "index_finger_dip",
    "index_finger_tip",
    "middle_finger_mcp",
    "middle_finger_pip",
    "middle_finger_dip",
    "middle_finger_tip",
    "ring_finger_mcp",
    "ring_finger_pip",
    "ring_finger_dip",
    "ring_finger_tip",
    "pinky_mcp",
    "pinky_pip",
    "pinky_dip",
    "pinky_tip",
)
#: Virtual pose landmarks: each is the midpoint of two real ones.
VIRTUAL_POSE_LANDMARKS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "neck_base": ("left_shoulder", "right_shoulder"),
        "mid_hips": ("left_hip", "right_hip"),
        "mid_ears": ("left_ear", "right_ear"),
        "mid_eyes": ("left_eye", "right_eye"),
        "mid_mouth": ("mouth_left", "mouth_right"),
    }
)
ANCHOR_MODELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "pose": frozenset(POSE_LANDMARKS) | frozenset(VIRTUAL_POSE_LANDMARKS),
        "hand": frozenset(HAND_LANDMARKS),
    }
)
ANCHOR_VIEWS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"pose": ("front", "back"), "hand": ("back", "palm")}
)

#: Named landmarks of MediaPipe's 478-point face mesh (index in the mesh) that guide anchors use.
#: ``left_`` is the person's own left (on the right of an unmirrored camera frame).
FACE_LANDMARKS: Mapping[str, int] = MappingProxyType(
    {
        "left_eye_outer": 263,
        "right_eye_outer": 33,
        "left_eye_inner": 362,
        "right_eye_inner": 133,
        "left_brow_inner": 285,  # lower edge of the brow's inner end
        "right_brow_inner": 55,
        "left_brow_inner_upper": 336,
        "right_brow_inner_upper": 107,
        "left_brow_outer": 300,
        "right_brow_outer": 70,
        "left_face_edge": 356,  # the face outline at the level of the outer eye corner
        "right_face_edge": 127,
        "between_brows": 9,
        "nose_bridge": 168,
    }
)
#: Landmark sets a camera-guide anchor may use: the figure's two, the face mesh, and ``arm`` (the
#: hand landmarks together with the pose landmarks, for forearm points measured from the hand's
#: wrist to the pose's elbow).
GUIDE_MODELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        **ANCHOR_MODELS,
        "face": frozenset(FACE_LANDMARKS),
        "arm": frozenset(HAND_LANDMARKS) | frozenset(POSE_LANDMARKS),
    }
)
#: The canonical picture of each guide model (see :class:`Guide`).
GUIDE_VIEWS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {**ANCHOR_VIEWS, "face": ("front",), "arm": ("palm", "back")}
)

_ROUTINE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_POINT_CODE = re.compile(r"^[A-Z]{1,3}(?:-[A-Z]{1,3})?[0-9]{1,3}$")


# --------------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class Anchor:
    """Where a point lies relative to two landmarks; see the module docstring for the geometry."""

    model: str
    view: str
    from_: str
    to: str
    t: float
    offset: tuple[float, float] = (0.0, 0.0)

    def landmarks(self, side: str = "left") -> tuple[str, str]:
        """The (from, to) landmark names for ``side`` ('right' swaps left_/right_; others keep them)."""
        if side != "right":
            return self.from_, self.to
        return _swap_side(self.from_), _swap_side(self.to)

    def resolve(
        self,
        coords: Mapping[str, tuple[float, float]],
        side: str = "left",
        *,
        mirrored: bool = False,
    ) -> tuple[float, float]:
        """The point's (x, y) in the units of ``coords`` (x right, y down).

        ``coords`` maps landmark names of :attr:`model` to positions; virtual pose landmarks are
        computed from their two real landmarks when absent. ``side`` is 'left' or 'right' for a
        bilateral point ('center'/'both' act like 'left', which a midline anchor describes).
        ``mirrored`` is True when the picture mirrors the canonical :attr:`view`. Raises ValueError
        when a landmark is missing or ``from`` and ``to`` coincide.
        """
        a_name, b_name = self.landmarks(side)
        ax, ay = _landmark_xy(coords, a_name)
        bx, by = _landmark_xy(coords, b_name)
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        if length == 0:
            raise ValueError(f"anchor landmarks {a_name} and {b_name} coincide")
        across = self.offset[1] * (-1 if side == "right" else 1) * (-1 if mirrored else 1)
        along = self.t + self.offset[0]
        # n = (-dy, dx) / L, scaled by L, is simply (-dy, dx).
        return ax + along * dx - across * dy, ay + along * dy + across * dx


def _swap_side(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name[len("left_") :]
    if name.startswith("right_"):
        return "left_" + name[len("right_") :]
    return name


def _landmark_xy(coords: Mapping[str, tuple[float, float]], name: str) -> tuple[float, float]:
    if name in coords:
        x, y = coords[name]
        return float(x), float(y)
    if name in VIRTUAL_POSE_LANDMARKS:
        first, second = (_landmark_xy(coords, n) for n in VIRTUAL_POSE_LANDMARKS[name])
        return (first[0] + second[0]) / 2, (first[1] + second[1]) / 2
    raise ValueError(f"landmark {name!r} is missing")


@dataclass(frozen=True)
class Guide:
    """Where the camera guide finds a point on the user's own image (the ``guide`` field of a point).

    ``anchor`` uses the same geometry as the figure anchors (module docstring), over the landmark
    set named by its ``model`` (:data:`GUIDE_MODELS`): ``pose``, ``hand``, ``face`` (the face mesh,
    names in :data:`FACE_LANDMARKS`; view ``front`` = the face seen from the camera, the person's
    left on the picture's right) or ``arm`` (hand and pose landmarks together; view ``palm`` = the
    inner side of the left forearm facing the viewer, thumb on the picture's right, as in the pose
    figure's front view; ``back`` its outer side). When the point has no ``anchor`` of its own
    (``own_anchor`` False) the figure's anchor is used, so the figure and the guide cannot disagree.
    Because ``t`` and ``offset`` are fractions of the from->to line, they are proportional measures
    (cun) taken from the user's own body; ``measure`` names that line in words (for example "the
    wrist crease to the elbow crease, 12 B-cun"). ``behind`` marks a point on the back of the body,
    which a camera in front only sees the height of.
    """

    anchor: Anchor
    measure: str
    own_anchor: bool = False
    behind: bool = False


@dataclass(frozen=True)
class Technique:
    """How to press: ``pressure`` in :data:`PRESSURES`, ``motion`` in words, seconds per side (> 0)."""

    pressure: str
    motion: str
    seconds_per_side: float


@dataclass(frozen=True)
class Point:
    """One acupoint. ``code`` is the WHO 2008 code (extra points: WHO 1991 ``EX-…``)."""

    code: str
    aliases: tuple[str, ...]
    pinyin: str
    english: str
    meridian: str
    region: str
    bilateral: bool
    location: str
    find: str
    technique: Technique
    pregnancy_caution: bool
    light_pressure: bool
    cautions: str
    anchor: Anchor
    note: str = ""
    #: How the camera guide finds the point (None: the guide does not cover it; the figure only).
    guide: Guide | None = None

    @property
    def avoid_in_pregnancy(self) -> bool:
        """True when the point must not be suggested in pregnancy mode."""
        return self.pregnancy_caution or self.code in PREGNANCY_AVOID

    @property
    def label(self) -> str:
        """``"TE3 Zhongzhu (Central Islet)"``, for display."""
        return f"{self.code} {self.pinyin} ({self.english})"


@dataclass(frozen=True)
class Step:
    """One step of a routine.

    ``point`` is a point code for ``action == "press"`` and None for the others (move, rest,
    look_away, exercise). ``seconds`` is the full duration, ``short_seconds`` (0 < short <= seconds) the
    one used by the short variant.

    An ``exercise`` step is counted, not timed by a press: ``reps`` repetitions (1..:data:`MAX_REPS`),
    each held ``hold_seconds`` then followed by ``rest_seconds`` (each 0..:data:`MAX_HOLD_SECONDS`, a
    repetition at least 1 s), so ``seconds == reps * (hold_seconds + rest_seconds)``; ``figure`` names
    its stick figure in :data:`EXERCISE_FIGURES`. Other steps have ``reps == 0`` and no figure.
    """

    point: str | None
    action: str
    side: str
    seconds: float
    short_seconds: float
    instruction: str
    reps: int = 0
    hold_seconds: float = 0.0
    rest_seconds: float = 0.0
    figure: str = ""

    @property
    def rep_seconds(self) -> float:
        """Seconds of one repetition of an exercise step (hold then rest); 0 for other steps."""
        return self.hold_seconds + self.rest_seconds


@dataclass(frozen=True)
class Evidence:
    """How well the routine's approach is supported: ``level`` in :data:`EVIDENCE_LEVELS`."""

    level: str
    source: str

    @property
    def level_text(self) -> str:
        """:attr:`level` in the user's language, for display (``level`` itself stays a fixed key)."""
        return knowledge_text(self.level)


@dataclass(frozen=True)
class Routine:
    """A named sequence of steps; ``origin`` is 'built-in' or 'user'."""

    id: str
    title: str
    triggers: tuple[str, ...]
    steps: tuple[Step, ...]
    evidence: Evidence
    cautions: str
    origin: str = "built-in"
    variant: str = "full"

    @property
    def total_seconds(self) -> float:
        """Duration of the routine as it stands (sum of its steps' ``seconds``)."""
        return float(sum(step.seconds for step in self.steps))

    @property
    def short_total_seconds(self) -> float:
        """Duration of the short variant (sum of ``short_seconds``)."""
        return float(sum(step.short_seconds for step in self.steps))

    @property
    def minutes(self) -> float:
        return self.total_seconds / 60.0

    @property
    def point_codes(self) -> tuple[str, ...]:
        """Codes of the pressed points, in order of first use."""
        return tuple(dict.fromkeys(step.point for step in self.steps if step.point is not None))

    @property
    def press_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.action == "press")

    @property
    def kind(self) -> str:
        """'exercises' for a routine of counted desk exercises, 'points' for an acupressure one."""
        return "exercises" if any(step.action == "exercise" for step in self.steps) else "points"

    def with_variant(self, variant: str) -> Routine:
        """This routine timed as ``variant``: 'full' keeps it, 'short' uses each step's short time.

        The short variant's steps carry ``seconds == short_seconds``, so a player simply reads
        ``step.seconds``. Only a full routine can be shortened.
        """
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
        if variant == self.variant:
            return self
        if self.variant != "full":
            raise ValueError("only a full routine can be turned into another variant")
        # An exercise keeps its repetitions (a short variant of a counted set is the same set).
        steps = tuple(
            step if step.action == "exercise" else replace(step, seconds=step.short_seconds)
            for step in self.steps
        )
        return replace(self, steps=steps, variant=variant)


@dataclass(frozen=True)
class RedFlag:
    """A sign that means "see a doctor instead".

    ``emergency``: get urgent care now (call emergency services); ``same_day``: see a doctor today.
    Neither: see a doctor soon. A flag is never both.
    """

    text: str
    emergency: bool
    same_day: bool = False


class UnknownName(UserError, LookupError):
    """A point code or routine id that the knowledge base does not know; lists close matches."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        texts = _UNKNOWN.get(kind, (N_("no {kind} {name}"), N_("no {kind} {name}; did you mean {close}?")))
        text = _(texts[1] if self.suggestions else texts[0])
        super().__init__(text.format(kind=kind, name=repr(name), close=", ".join(self.suggestions)))

    def __str__(self) -> str:  # LookupError/KeyError would otherwise quote the message
        return str(self.args[0])


#: UnknownName's sentences by kind: (without, with close matches).
_UNKNOWN = {
    "point": (N_("no point {name}"), N_("no point {name}; did you mean {close}?")),
    "routine": (N_("no routine {name}"), N_("no routine {name}; did you mean {close}?")),
    "trigger": (N_("no trigger {name}"), N_("no trigger {name}; did you mean {close}?")),
}


def _norm(name: str) -> str:
    """Compare codes without case, spaces, dots or hyphens ('ex-hn3' == 'EXHN3', 'sj 3' == 'SJ3')."""
    return re.sub(r"[\s.\-_]", "", name).lower()


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything loaded and validated. ``triggers`` maps each trigger to routine ids, best first."""

    version: int
    points: tuple[Point, ...]
    routines: tuple[Routine, ...]
    triggers: Mapping[str, tuple[str, ...]]
    red_flags: tuple[RedFlag, ...]
    disclaimer: str
    anchor_spec: str = ""
    #: Shown on the first screen of every routine: light pressure only with blood thinners or a
    #: bleeding disorder (firm pressure bruises).
    bleeding_caution: str = ""
    source: Path | None = None
    user_source: Path | None = None
    _point_index: Mapping[str, Point] = field(init=False, repr=False, compare=False)
    _routine_index: Mapping[str, Routine] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Point] = {}
        for point in self.points:
            for name in (point.code, *point.aliases):
                index.setdefault(_norm(name), point)
        for point in self.points:  # pinyin last so a code always wins; "Wailaogong (Luozhen)" gives both
            for name in re.split(r"[()]", point.pinyin):
                if name.strip():
                    index.setdefault(_norm(name), point)
        object.__setattr__(self, "_point_index", MappingProxyType(index))
        object.__setattr__(self, "_routine_index", MappingProxyType({r.id: r for r in self.routines}))

    # Points ---------------------------------------------------------------------------------------
    def find_point(self, name: str) -> Point | None:
        """The point with this code, alias or pinyin (case-insensitive), or None."""
        return self._point_index.get(_norm(name))

    def point(self, name: str) -> Point:
        """The point with this code, alias or pinyin; raises :class:`UnknownName` with suggestions."""
        found = self.find_point(name)
        if found is None:
            raise UnknownName("point", name, self.suggest_points(name))
        return found

    def suggest_points(self, name: str, n: int = 3) -> tuple[str, ...]:
        """Up to ``n`` point codes that look like ``name``."""
        keys = list(self._point_index)
        close = difflib.get_close_matches(_norm(name), keys, n=n * 2, cutoff=0.6)
        return tuple(dict.fromkeys(self._point_index[k].code for k in close))[:n]

    # Routines -------------------------------------------------------------------------------------
    def find_routine(self, routine_id: str) -> Routine | None:
        return self._routine_index.get(routine_id.strip().lower())

    def routine(self, routine_id: str) -> Routine:
        """The routine with this id; raises :class:`UnknownName` listing close matches."""
        found = self.find_routine(routine_id)
        if found is None:
            raise UnknownName("routine", routine_id, self.suggest_routines(routine_id))
        return found

    def suggest_routines(self, routine_id: str, n: int = 3) -> tuple[str, ...]:
        return tuple(
            difflib.get_close_matches(routine_id.strip().lower(), list(self._routine_index), n=n, cutoff=0.5)
        )

    def routines_for(self, trigger: str) -> tuple[Routine, ...]:
        """Routines for ``trigger`` in preference order; raises :class:`UnknownName` for a bad trigger."""
        if trigger not in self.triggers:
            raise UnknownName(
                "trigger", trigger, difflib.get_close_matches(trigger, list(self.triggers), n=3)
            )
        return tuple(self._routine_index[rid] for rid in self.triggers[trigger])

    def steps_with_points(self, routine: Routine) -> tuple[tuple[Step, Point | None], ...]:
        """Each step of ``routine`` paired with its :class:`Point` (None for movement steps)."""
        return tuple((step, self.point(step.point) if step.point else None) for step in routine.steps)


# --------------------------------------------------------------------------------------------------
# Loading and validation


class _Obj(dict):
    """A JSON object that remembers keys given twice (json keeps only the last silently)."""

    duplicates: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _Obj:
    obj = _Obj()
    dupes = []
    for key, value in pairs:
        if key in obj:
            dupes.append(key)
        obj[key] = value
    obj.duplicates = tuple(dupes)
    return obj


def _display(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read_json(path: Path, max_bytes: int = MAX_USER_FILE_BYTES) -> Any:
    """The JSON document in ``path``: at most ``max_bytes`` and
    :data:`~postureguard.files.validate.MAX_JSON_DEPTH`
    levels deep, else :class:`DataError` naming the file and the limit."""
    name = _display(path)
    try:
        text = read_user_file(path, name, max_bytes=max_bytes, error=DataError).decode("utf-8")
    except FileNotFoundError:
        raise DataError(_("{name}: file not found").format(name=name)) from None
    except UnicodeDecodeError as exc:
        text = _("{name}: not UTF-8 text ({reason} at byte {n})")
        raise DataError(text.format(name=name, reason=exc.reason, n=exc.start)) from None
    try:
        return load_json(text, name, error=DataError, object_pairs_hook=_pairs_hook)
    except json.JSONDecodeError as exc:
        raise DataError(
            _("{name}: not valid JSON: {error} at line {line} column {column}").format(
                name=name, error=exc.msg, line=exc.lineno, column=exc.colno
            )
        ) from None


class _Checker:
    """Reads typed fields from one JSON object, raising DataError that names file, entry and field."""

    def __init__(self, file: str, entry: str, obj: Any, allowed: Sequence[str], required: Sequence[str]):
        self.file = file
        self.entry = entry
        if not isinstance(obj, dict):
            self.fail(_("must be a JSON object, not {type}").format(type=_type_name(obj)))
        self.obj = obj
        for key in getattr(obj, "duplicates", ()):
            self.fail(_("field {name} is given twice").format(name=quote(key)), field_name=None)
        for key in obj:
            if key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1)
                if close:
                    self.fail(_("unknown field {name} (did you mean {close}?)").format(
                        name=quote(key), close=repr(close[0])
                    ))  # fmt: skip
                self.fail(_("unknown field {name}").format(name=quote(key)))
        for key in required:
            if key not in obj:
                self.fail(_("is missing"), field_name=key)

    def fail(self, message: str, field_name: str | None = None) -> None:
        where = f"{self.file}: {self.entry}"
        if field_name is not None:
            where += ": " + _("field {name}").format(name=repr(field_name))
        raise DataError(f"{where}: {message}")

    def has(self, key: str) -> bool:
        return key in self.obj

    def str(self, key: str, *, one_line: bool = False, max_chars: int = MAX_TEXT_CHARS) -> str:
        """The text in ``key``, stripped of spaces at the ends and of terminal control characters
        (escape sequences would reach the user's terminal raw); at most ``max_chars`` long."""
        value = self.obj[key]
        if not isinstance(value, str):
            self.fail(_("must be text, not {type}").format(type=_type_name(value)), key)
        if len(value) > 4 * max_chars:  # do not even clean up a megabyte of text
            self.fail(_too_long(len(value), max_chars), key)
        cleaned = strip_controls(value)
        if cleaned != value:
            log.info("%s: %s: field %r: control characters removed", self.file, self.entry, key)
        value = cleaned.strip()
        if not value:
            self.fail(_("must not be empty"), key)
        if one_line and "\n" in value:
            self.fail(_("must be a single line"), key)
        if len(value) > max_chars:
            self.fail(_too_long(len(value), max_chars), key)
        return value

    def choice(self, key: str, choices: Sequence[str]) -> str:
        value = self.obj[key]
        if not isinstance(value, str) or value not in choices:
            text = _("must be one of {choices}, not {value}")
            self.fail(text.format(choices=", ".join(choices), value=quote(value)), key)
        return value

    def bool(self, key: str) -> bool:
        value = self.obj[key]
        if not isinstance(value, bool):
            self.fail(_("must be true or false, not {type}").format(type=_type_name(value)), key)
        return value

    def number(self, key: str, *, low: float, high: float, low_open: bool = True) -> float:
        value = self.obj[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(_("must be a number, not {type}").format(type=_type_name(value)), key)
        too_low = value <= low if low_open else value < low
        if too_low or value > high:
            if low_open:
                text = _("must be more than {low} and at most {high}, not {value}")
            else:
                text = _("must be at least {low} and at most {high}, not {value}")
            self.fail(text.format(low=f"{low:g}", high=f"{high:g}", value=f"{value:g}"), key)
        return float(value)

    def list(self, key: str, *, non_empty: bool = True) -> list:
        value = self.obj[key]
        if not isinstance(value, list):
            self.fail(_("must be a list, not {type}").format(type=_type_name(value)), key)
        if non_empty and not value:
            self.fail(_("must not be empty"), key)
        return value

    def str_list(self, key: str, *, non_empty: bool = True) -> tuple[str, ...]:
        items = self.list(key, non_empty=non_empty)
        for i, item in enumerate(items, 1):
            if not isinstance(item, str) or not item.strip():
                text = _("item {n} must be non-empty text, not {value}")
                self.fail(text.format(n=i, value=quote(item)), key)
        return tuple(item.strip() for item in items)


def _too_long(length: int, limit: int) -> str:
    return _("is {n} characters long; at most {limit} fit").format(n=length, limit=limit)


def _type_name(value: Any) -> str:
    names = {
        type(None): "null",
        bool: "true/false",
        int: N_("a number"),
        float: N_("a number"),
        str: N_("text"),
        list: N_("a list"),
    }
    if type(value) in names:
        return _(names[type(value)])
    return _("an object") if isinstance(value, dict) else type(value).__name__


_POINT_FIELDS = (
    "code",
    "aliases",
    "pinyin",
    "english",
    "meridian",
    "region",
    "bilateral",
    "location",
    "find",
    "technique",
    "pregnancy_caution",
    "light_pressure",
    "cautions",
    "anchor",
)
_ROUTINE_FIELDS = ("id", "title", "triggers", "steps", "evidence", "cautions")
_ROUTINE_OPTIONAL = ("total_seconds", "short_total_seconds")
_STEP_FIELDS = ("point", "action", "side", "seconds", "instruction")


def _check_version(file: str, doc: Any, allowed: Sequence[str], required: Sequence[str]) -> _Checker:
    top = _Checker(file, "top level", doc, allowed, required)
    version = top.obj["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        top.fail(_("must be a whole number, not {type}").format(type=_type_name(version)), "version")
    if version != SUPPORTED_VERSION:
        top.fail(
            f"version {version} is not supported (this PostureGuard reads version {SUPPORTED_VERSION})",
            "version",
        )
    return top


def _parse_anchor(
    file: str,
    entry: str,
    raw: Any,
    models: Mapping[str, frozenset[str]] = ANCHOR_MODELS,
    views: Mapping[str, tuple[str, ...]] = ANCHOR_VIEWS,
) -> Anchor:
    c = _Checker(
        file,
        f"{entry} anchor",
        raw,
        ("model", "view", "from", "to", "t", "offset"),
        ("model", "view", "from", "to", "t"),
    )
    model = c.choice("model", tuple(models))
    view = c.choice("view", views[model])
    names = {}
    for key in ("from", "to"):
        name = c.str(key)
        if name not in models[model]:
            close = difflib.get_close_matches(name, sorted(models[model]), n=1)
            hint = " " + _("(did you mean {close}?)").format(close=repr(close[0])) if close else ""
            text = _("{name} is not a MediaPipe {model} landmark{hint}")
            c.fail(text.format(name=quote(name), model=model, hint=hint), key)
        names[key] = name
    if names["from"] == names["to"]:
        c.fail(_("must differ from 'from'"), "to")
    t = c.number("t", low=0.0, high=1.0, low_open=False)
    offset = (0.0, 0.0)
    if c.has("offset"):
        raw_offset = c.list("offset")
        if len(raw_offset) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= 2
            for v in raw_offset
        ):
            c.fail(_("must be two numbers [along, across], each between -2 and 2"), "offset")
        offset = (float(raw_offset[0]), float(raw_offset[1]))
    return Anchor(model=model, view=view, from_=names["from"], to=names["to"], t=t, offset=offset)


def _parse_guide(file: str, entry: str, raw: Any, figure_anchor: Anchor) -> Guide:
    c = _Checker(file, f"{entry} guide", raw, ("measure", "anchor", "behind"), ("measure",))
    measure = c.str("measure")
    own = c.has("anchor")
    anchor = figure_anchor
    if own:
        anchor = _parse_anchor(file, f"{entry} guide", c.obj["anchor"], GUIDE_MODELS, GUIDE_VIEWS)
    behind = c.bool("behind") if c.has("behind") else False
    return Guide(anchor=anchor, measure=measure, own_anchor=own, behind=behind)


def _parse_point(file: str, index: int, raw: Any) -> Point:
    entry = f"point #{index}"
    if isinstance(raw, dict) and isinstance(raw.get("code"), str):
        entry = f"point {quote(raw['code'])}"
    c = _Checker(file, entry, raw, (*_POINT_FIELDS, "note", "guide"), _POINT_FIELDS)
    code = c.str("code")
    if not _POINT_CODE.match(code):
        c.fail(_("{code} is not a point code like 'LI4' or 'EX-HN3'").format(code=quote(code)), "code")
    aliases = c.str_list("aliases", non_empty=False)
    technique_check = _Checker(
        file,
        f"{entry} technique",
        c.obj["technique"],
        ("pressure", "motion", "seconds_per_side"),
        ("pressure", "motion", "seconds_per_side"),
    )
    technique = Technique(
        pressure=technique_check.choice("pressure", PRESSURES),
        motion=technique_check.str("motion"),
        seconds_per_side=technique_check.number("seconds_per_side", low=0, high=MAX_STEP_SECONDS),
    )
    light = c.bool("light_pressure")
    if light and technique.pressure != "light":
        technique_check.fail(_("must be 'light' because the point has light_pressure: true"), "pressure")
    pregnancy = c.bool("pregnancy_caution")
    if code in PREGNANCY_AVOID and not pregnancy:
        text = _("must be true: {code} is traditionally avoided in pregnancy")
        c.fail(text.format(code=code), "pregnancy_caution")
    anchor = _parse_anchor(file, entry, c.obj["anchor"])
    return Point(
        code=code,
        aliases=aliases,
        pinyin=c.str("pinyin"),
        english=c.str("english"),
        meridian=c.str("meridian"),
        region=c.choice("region", REGIONS),
        bilateral=c.bool("bilateral"),
        location=c.str("location"),
        find=c.str("find"),
        technique=technique,
        pregnancy_caution=pregnancy,
        light_pressure=light,
        cautions=c.str("cautions"),
        anchor=anchor,
        note=c.str("note") if c.has("note") else "",
        guide=_parse_guide(file, entry, c.obj["guide"], anchor) if c.has("guide") else None,
    )


def _parse_points(file: str, raw_points: list) -> tuple[Point, ...]:
    points: list[Point] = []
    owner: dict[str, str] = {}  # normalised code/alias -> code of the point that has it
    for i, raw in enumerate(raw_points, 1):
        point = _parse_point(file, i, raw)
        entry = f"point {point.code!r}"
        for key, names in (("code", (point.code,)), ("aliases", point.aliases)):
            for name in names:
                other = owner.get(_norm(name))
                if other is not None:
                    what = "code" if key == "code" else "alias"
                    used = "another point" if other == point.code else f"point {other!r}"
                    raise DataError(
                        f"{file}: {entry}: field {key!r}: duplicate {what} {name!r} (already used by {used})"
                    )
                owner[_norm(name)] = point.code
        points.append(point)
    return tuple(points)


def _parse_routine(
    file: str,
    index: int,
    raw: Any,
    points: Mapping[str, Point],
    origin: str,
) -> Routine:
    entry = f"routine #{index}"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        entry = f"routine {quote(raw['id'])}"
    c = _Checker(file, entry, raw, (*_ROUTINE_FIELDS, *_ROUTINE_OPTIONAL), _ROUTINE_FIELDS)
    routine_id = c.str("id")
    if not _ROUTINE_ID.match(routine_id):
        text = _("{id} must be lower-case words joined by hyphens, like 'neck-release'")
        c.fail(text.format(id=quote(routine_id)), "id")
    triggers = c.str_list("triggers")
    for trigger in triggers:
        if trigger not in TRIGGERS:
            close = difflib.get_close_matches(trigger, TRIGGERS, n=1)
            hint = " " + _("(did you mean {close}?)").format(close=repr(close[0])) if close else ""
            text = _("unknown trigger {name}{hint}; known: {known}")
            c.fail(text.format(name=quote(trigger), hint=hint, known=", ".join(TRIGGERS)), "triggers")
    if len(set(triggers)) != len(triggers):
        c.fail(_("lists a trigger twice"), "triggers")

    steps = tuple(
        _parse_step(file, f"{entry} step {i}", raw_step, points)
        for i, raw_step in enumerate(c.list("steps"), 1)
    )
    presses = any(step.action == "press" for step in steps)
    exercises = any(step.action == "exercise" for step in steps)
    if not presses and not exercises:
        c.fail(_("needs at least one 'press' step (a points routine) or 'exercise' step"), "steps")
    if presses and exercises:
        c.fail(_("mixes 'press' and 'exercise' steps; a routine is either points or exercises"), "steps")
    if "prolonged_sitting" in triggers and not any(step.action == "move" for step in steps):
        c.fail(_("a routine for prolonged_sitting needs a 'move' step (stand up, walk)"), "steps")
    if "eye_strain" in triggers and not any(step.action == "look_away" for step in steps):
        c.fail(_("a routine for eye_strain needs a 'look_away' step (the 20-20-20 habit)"), "steps")

    total = sum(step.seconds for step in steps)
    short_total = sum(step.short_seconds for step in steps)
    if total > MAX_ROUTINE_SECONDS:
        c.fail(
            f"the steps add up to {total / 60:g} minutes; a routine may last at most "
            f"{MAX_ROUTINE_SECONDS // 60} minutes",
            "steps",
        )
    for key, derived in (("total_seconds", total), ("short_total_seconds", short_total)):
        if c.has(key):
            stated = c.number(key, low=0, high=MAX_ROUTINE_SECONDS)
            if abs(stated - derived) > 1e-6:
                text = _("says {stated} but the steps add up to {derived}")
                c.fail(text.format(stated=f"{stated:g}", derived=f"{derived:g}"), key)

    evidence_check = _Checker(
        file, f"{entry} evidence", c.obj["evidence"], ("level", "source"), ("level", "source")
    )
    evidence = Evidence(
        level=evidence_check.choice("level", EVIDENCE_LEVELS), source=evidence_check.str("source")
    )
    return Routine(
        id=routine_id,
        title=c.str("title", one_line=True, max_chars=80),
        triggers=triggers,
        steps=steps,
        evidence=evidence,
        cautions=c.str("cautions"),
        origin=origin,
    )


def _parse_step(file: str, entry: str, raw: Any, points: Mapping[str, Point]) -> Step:
    if isinstance(raw, dict) and raw.get("action") == "exercise":
        return _parse_exercise_step(file, entry, raw)
    c = _Checker(file, entry, raw, (*_STEP_FIELDS, "short_seconds"), _STEP_FIELDS)
    action = c.choice("action", ACTIONS)
    side = c.choice("side", SIDES)
    seconds = c.number("seconds", low=0, high=MAX_STEP_SECONDS)
    short = c.number("short_seconds", low=0, high=MAX_STEP_SECONDS) if c.has("short_seconds") else seconds
    if short > seconds:
        text = _("must not be longer than 'seconds' ({seconds}), not {short}")
        c.fail(text.format(seconds=f"{seconds:g}", short=f"{short:g}"), "short_seconds")
    raw_point = c.obj["point"]
    code: str | None = None
    if action == "press":
        if raw_point is None:
            c.fail(_("a 'press' step needs a point code"), "point")
        if not isinstance(raw_point, str):
            c.fail(_("must be a point code or null, not {type}").format(type=_type_name(raw_point)), "point")
        point = points.get(_norm(raw_point))
        if point is None:
            close = difflib.get_close_matches(_norm(raw_point), list(points), n=3, cutoff=0.6)
            codes = list(dict.fromkeys(points[k].code for k in close))
            hint = " " + _("(did you mean {close}?)").format(close=", ".join(codes)) if codes else ""
            c.fail(_("unknown point {name}{hint}").format(name=quote(raw_point), hint=hint), "point")
        code = point.code
        if point.bilateral and side == "center":
            text = _("{code} is on both sides of the body: use left, right or both, not 'center'")
            c.fail(text.format(code=code), "side")
        if not point.bilateral and side != "center":
            text = _("{code} lies on the midline: use 'center', not {side}")
            c.fail(text.format(code=code, side=repr(side)), "side")
    else:
        if raw_point is not None:
            text = _("a {action} step has no point; use null, not {value}")
            c.fail(text.format(action=repr(action), value=quote(raw_point)), "point")
        if side != "center":
            text = _("a {action} step uses side 'center', not {side}")
            c.fail(text.format(action=repr(action), side=repr(side)), "side")
    return Step(
        point=code,
        action=action,
        side=side,
        seconds=seconds,
        short_seconds=short,
        instruction=c.str("instruction", one_line=True, max_chars=MAX_INSTRUCTION_CHARS),
    )


_EXERCISE_FIELDS = (
    "point", "action", "side", "reps", "hold_seconds", "rest_seconds", "figure", "instruction"
)


def _parse_exercise_step(file: str, entry: str, raw: Any) -> Step:
    """An ``exercise`` step: counted repetitions with a hold and a rest, no point, side 'center'."""
    c = _Checker(file, entry, raw, (*_EXERCISE_FIELDS, "seconds"), _EXERCISE_FIELDS)
    if c.obj["point"] is not None:
        text = _("an 'exercise' step has no point; use null, not {value}")
        c.fail(text.format(value=quote(str(c.obj["point"]))), "point")
    side = c.choice("side", SIDES)
    if side != "center":
        c.fail(_("an 'exercise' step uses side 'center', not {side}").format(side=repr(side)), "side")
    reps_raw = c.obj["reps"]
    if not isinstance(reps_raw, int) or isinstance(reps_raw, bool) or not 1 <= reps_raw <= MAX_REPS:
        text = _("must be a whole number of repetitions from 1 to {n}, not {value}")
        c.fail(text.format(n=MAX_REPS, value=repr(reps_raw)), "reps")
    hold = c.number("hold_seconds", low=0, high=MAX_HOLD_SECONDS, low_open=False)
    rest = c.number("rest_seconds", low=0, high=MAX_HOLD_SECONDS, low_open=False)
    if hold + rest < 1:
        c.fail(_("a repetition must last at least 1 second (hold_seconds + rest_seconds)"), "hold_seconds")
    seconds = reps_raw * (hold + rest)
    if c.has("seconds"):
        stated = c.number("seconds", low=0, high=MAX_STEP_SECONDS)
        if abs(stated - seconds) > 1e-6:
            text = _("says {stated} but reps x (hold_seconds + rest_seconds) is {seconds}")
            c.fail(text.format(stated=f"{stated:g}", seconds=f"{seconds:g}"), "seconds")
    if seconds > MAX_STEP_SECONDS:
        text = _("the repetitions add up to {seconds} s; a step lasts at most {n} s")
        c.fail(text.format(seconds=f"{seconds:g}", n=MAX_STEP_SECONDS), "reps")
    figure = c.str("figure")
    if figure not in EXERCISE_FIGURES:
        close = difflib.get_close_matches(figure, EXERCISE_FIGURES, n=1)
        hint = " " + _("(did you mean {close}?)").format(close=repr(close[0])) if close else ""
        text = _("unknown figure {name}{hint}; known: {known}")
        c.fail(text.format(name=quote(figure), hint=hint, known=", ".join(EXERCISE_FIGURES)), "figure")
    return Step(
        point=None,
        action="exercise",
        side="center",
        seconds=seconds,
        short_seconds=seconds,
        instruction=c.str("instruction", one_line=True, max_chars=MAX_INSTRUCTION_CHARS),
        reps=reps_raw,
        hold_seconds=hold,
        rest_seconds=rest,
        figure=figure,
    )


def _parse_routines(
    file: str,
    raw_routines: list,
    points: Mapping[str, Point],
    origin: str,
) -> tuple[Routine, ...]:
    routines: list[Routine] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_routines, 1):
        routine = _parse_routine(file, i, raw, points, origin)
        if routine.id in seen:
            raise DataError(
                f"{file}: routine {routine.id!r} (entry {i}): field 'id': duplicate id {routine.id!r}"
            )
        seen.add(routine.id)
        routines.append(routine)
    return tuple(routines)


def _parse_triggers(file: str, raw: Any, routines: Mapping[str, Routine]) -> dict[str, tuple[str, ...]]:
    c = _Checker(file, "triggers", raw, TRIGGERS, TRIGGERS)
    result: dict[str, tuple[str, ...]] = {}
    for trigger in TRIGGERS:
        ids = c.str_list(trigger)
        if len(set(ids)) != len(ids):
            c.fail(_("lists a routine twice"), trigger)
        for rid in ids:
            if rid not in routines:
                close = difflib.get_close_matches(rid, list(routines), n=1)
                hint = " " + _("(did you mean {close}?)").format(close=repr(close[0])) if close else ""
                c.fail(_("unknown routine {name}{hint}").format(name=quote(rid), hint=hint), trigger)
            if trigger not in routines[rid].triggers:
                text = _("routine {name} does not list {trigger} among its triggers")
                c.fail(text.format(name=quote(rid), trigger=repr(trigger)), trigger)
        for routine in routines.values():
            if trigger in routine.triggers and routine.id not in ids:
                text = _("routine {name} lists {trigger} but is missing here")
                c.fail(text.format(name=repr(routine.id), trigger=repr(trigger)), trigger)
        result[trigger] = ids
    return result


def _parse_red_flags(file: str, raw_flags: list) -> tuple[RedFlag, ...]:
    flags = []
    for i, raw in enumerate(raw_flags, 1):
        allowed = ("text", "emergency", "same_day")
        c = _Checker(file, f"red_flags item {i}", raw, allowed, ("text", "emergency"))
        emergency = c.bool("emergency")
        same_day = c.bool("same_day") if c.has("same_day") else False
        if emergency and same_day:
            c.fail(_("an emergency flag is not also a same-day one; set one of them"), "same_day")
        flags.append(RedFlag(text=c.str("text"), emergency=emergency, same_day=same_day))
    return tuple(flags)


def load_knowledge(
    path: str | Path | None = None,
    user_file: str | Path | None = None,
    *,
    include_user: bool = True,
) -> KnowledgeBase:
    """Load, validate and merge the knowledge base.

    ``path`` defaults to the bundled ``data/acupoints.json``. ``user_file`` defaults to the user's
    ``routines.json`` (:func:`postureguard.files.paths.user_routines_file`), which is optional: a missing
    default file means no user routines, while a missing file named explicitly is an error. With
    ``include_user=False`` no user file is read. User routines are validated like the built-in ones;
    one with a built-in routine's id replaces it. Raises :class:`DataError` naming file, entry and field.

    The bundled file is validated in English and its user-facing text (point names, channels, where
    and how to find a point, motions, cautions, notes, routine titles, steps, cautions and evidence,
    red flags, the bleeding caution and the disclaimer) is returned in the language chosen with
    :func:`postureguard.i18n.set_language` (catalog domain ``knowledge``); the user's routines are
    returned as written. Ids, codes, pinyin and choice fields (``evidence.level``: see
    :attr:`Evidence.level_text`) stay as in the file.
    """
    from postureguard.files import paths, resources

    kb_path = Path(path) if path is not None else resources.acupoints_path()
    file = _display(kb_path)
    doc = _read_json(kb_path, MAX_KNOWLEDGE_BYTES)
    top = _check_version(
        file,
        doc,
        ("version", "anchor_spec", "points", "routines", "triggers", "red_flags", "bleeding_caution",
         "disclaimer"),
        ("version", "points", "routines", "triggers", "red_flags", "bleeding_caution", "disclaimer"),
    )
    points = _parse_points(file, top.list("points"))
    index = {_norm(name): p for p in points for name in (p.code, *p.aliases)}
    routines = _parse_routines(file, top.list("routines"), index, "built-in")
    triggers = _parse_triggers(file, top.obj["triggers"], {r.id: r for r in routines})
    red_flags = _parse_red_flags(file, top.list("red_flags"))
    disclaimer = top.str("disclaimer")
    bleeding_caution = top.str("bleeding_caution")
    anchor_spec = top.str("anchor_spec") if top.has("anchor_spec") else ""
    if current_language() != "en":
        # The bundled text is checked above in English (the source language) and then shown in the
        # user's language; the user's own routines below are in their own words and stay as written.
        points = tuple(_localised_point(p) for p in points)
        routines = tuple(_localised_routine(r) for r in routines)
        red_flags = tuple(replace(flag, text=knowledge_text(flag.text)) for flag in red_flags)
        disclaimer, bleeding_caution = knowledge_text(disclaimer), knowledge_text(bleeding_caution)

    user_path: Path | None = None
    if include_user:
        explicit = user_file is not None
        candidate = Path(user_file) if explicit else paths.user_routines_file()
        if explicit or candidate.exists():
            user_path = candidate
    if user_path is not None:
        user_routines = _load_user_routines(user_path, index)
        routines, triggers = _merge(routines, triggers, user_routines)

    return KnowledgeBase(
        version=top.obj["version"],
        points=points,
        routines=routines,
        triggers=MappingProxyType(triggers),
        red_flags=red_flags,
        disclaimer=disclaimer,
        anchor_spec=anchor_spec,
        bleeding_caution=bleeding_caution,
        source=kb_path,
        user_source=user_path,
    )


#: The fields of a point that a user reads (scripts/extract_knowledge.py extracts the same ones).
_POINT_TEXT = ("english", "meridian", "location", "find", "cautions", "note")


def _localised(value: Any) -> Any:
    """A text (or a tuple of texts) of the bundled knowledge base in the current language."""
    if isinstance(value, str):
        return knowledge_text(value)
    if isinstance(value, tuple):
        return tuple(_localised(item) for item in value)
    return value


def _localised_point(point: Point) -> Point:
    changes = {name: _localised(getattr(point, name)) for name in _POINT_TEXT if hasattr(point, name)}
    technique = replace(point.technique, motion=knowledge_text(point.technique.motion))
    return replace(point, technique=technique, **changes)


def _localised_routine(routine: Routine) -> Routine:
    steps = tuple(replace(step, instruction=knowledge_text(step.instruction)) for step in routine.steps)
    evidence = replace(routine.evidence, source=knowledge_text(routine.evidence.source))
    return replace(
        routine,
        title=knowledge_text(routine.title),
        cautions=knowledge_text(routine.cautions),
        steps=steps,
        evidence=evidence,
    )


def _load_user_routines(path: Path, points: Mapping[str, Point]) -> tuple[Routine, ...]:
    file = _display(path)
    top = _check_version(file, _read_json(path), ("version", "routines"), ("version", "routines"))
    routines = _parse_routines(file, top.list("routines", non_empty=False), points, "user")
    log.info("loaded %d user routine(s) from %s", len(routines), file)
    return routines


def _merge(
    builtin: tuple[Routine, ...],
    triggers: Mapping[str, tuple[str, ...]],
    user: tuple[Routine, ...],
) -> tuple[tuple[Routine, ...], dict[str, tuple[str, ...]]]:
    """Built-in routines with user ones replacing by id or appended; trigger lists follow suit.

    A trigger keeps the built-in preference order for the routines that still list it; other
    routines that list it (the user's new ones) follow in file order.
    """
    by_id = {r.id: r for r in builtin}
    for routine in user:
        if routine.id in by_id:
            log.info("user routine %r replaces the built-in one", routine.id)
        by_id[routine.id] = routine
    merged_routines = tuple(by_id.values())
    merged: dict[str, tuple[str, ...]] = {}
    for trigger in TRIGGERS:
        ordered = [rid for rid in triggers.get(trigger, ()) if trigger in by_id[rid].triggers]
        ordered += [r.id for r in merged_routines if trigger in r.triggers and r.id not in ordered]
        merged[trigger] = tuple(ordered)
    return merged_routines, merged
