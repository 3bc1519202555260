"""The engine's per-sample result."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class TextEnum(str, Enum):
    """A str-valued enum that is its value everywhere text goes: ``==``, hashing (dict keys), ``str``,
    f-strings, JSON, CSV and SQLite all see ``"good"``, so logs, history and tests that compare with
    strings keep working."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    def __hash__(self) -> int:
        return hash(str(self.value))


class Posture(TextEnum):
    """This sample's own classification against the threshold (:attr:`Sample.posture`)."""

    GOOD = "good"
    POOR = "poor"
    UNKNOWN = "unknown"


class PostureState(TextEnum):
    """The smoothed state the tray shows (:attr:`Sample.state`)."""

    GOOD = "good"
    POOR = "poor"
    AWAY = "away"
    UNCALIBRATED = "uncalibrated"


#: Values of :attr:`Sample.posture`.
POSTURES = tuple(p.value for p in Posture)
#: Values of :attr:`Sample.state`.
STATES = tuple(s.value for s in PostureState)


@dataclass(frozen=True)
class Sample:
    """What the engine concluded from one frame.

    * ``t``: seconds, the caller's clock.
    * ``head_forward_deg``: degrees forward of the calibrated upright (0 = upright, never negative),
      ``None`` when no person or no calibration.
    * ``posture``: ``good`` / ``poor`` / ``unknown`` for this sample alone (photos are judged on their
      own); the sustain window, not this field, decides alerts. ``unknown`` with ``person`` true: the
      head cannot be compared with the calibration (ears and eyes hidden, a hand at the face).
    * ``state``: the smoothed state (``good``, ``poor`` while an episode lasts, ``away``,
      ``uncalibrated``).
    * ``shoulder_tilt_deg``: angle of the shoulder line against the image horizontal, degrees,
      positive when the shoulder on the image's left is lower.
    * ``lean_in``: shoulder width now / at calibration (1 = same distance, >1 = closer to the screen).
    * ``extension``: the head is tilted back (never counted as forward).
    * ``sitting_s``: seconds of the current sitting stretch (0 when away after a break).
    * ``poor_for_s``: seconds since the current poor-posture episode began (0 when there is none).
    """

    t: float
    person: bool
    head_forward_deg: float | None
    posture: Posture
    state: PostureState
    shoulder_tilt_deg: float | None = None
    lean_in: float | None = None
    extension: bool = False
    sitting_s: float = 0.0
    poor_for_s: float = 0.0

    def to_record(self) -> dict[str, Any]:
        return asdict(self)
