"""Events the engine emits. All frozen; times in seconds on the caller's clock, angles in degrees."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    t: float
    kind: ClassVar[str] = "event"

    def to_record(self) -> dict[str, Any]:
        """A flat dict for JSON/CSV output and the history store (``event`` names the type)."""
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True)
class PostureAlert(Event):
    """Poor posture held for the sustain window.

    ``trigger`` is the knowledge base's trigger name (``neck_strain``); ``angle_deg`` the median
    head-forward angle over the window; ``duration_s`` how long the poor episode has lasted.
    """

    trigger: str
    angle_deg: float
    duration_s: float
    kind: ClassVar[str] = "posture_alert"


@dataclass(frozen=True)
class SittingAlert(Event):
    """Sitting without a break for ``minutes`` (at least the sitting limit)."""

    minutes: float
    trigger: str = "prolonged_sitting"
    kind: ClassVar[str] = "sitting_alert"


@dataclass(frozen=True)
class StandUpNudge(SittingAlert):
    """A light nudge to stand and walk for 2-5 minutes after ``minutes`` of sitting in one stretch.

    It runs on its own timer (``stand_up_nudge_s``, 30 minutes by default) beside the break reminder
    (:class:`SittingAlert`, 50-60 minutes); it is a kind of sitting alert, so history counts it as one.
    """

    kind: ClassVar[str] = "stand_up_nudge"


@dataclass(frozen=True)
class BreakTaken(Event):
    """The user has been away for at least the break length; sitting time restarts.

    ``sat_s`` is how long the sitting stretch lasted before the break.
    """

    away_s: float
    sat_s: float
    kind: ClassVar[str] = "break_taken"


@dataclass(frozen=True)
class PersonLeft(Event):
    """No person seen for ``away_after_s``; ``t`` is when they were last seen."""

    kind: ClassVar[str] = "person_left"


@dataclass(frozen=True)
class PersonReturned(Event):
    """A person is seen again after being away for ``away_s`` seconds."""

    away_s: float
    kind: ClassVar[str] = "person_returned"


@dataclass(frozen=True)
class PostureRecovered(Event):
    """Good posture held for the recovery window after a poor episode."""

    kind: ClassVar[str] = "posture_recovered"


@dataclass(frozen=True)
class CameraMoved(Event):
    """Someone has been in view for ``off_s`` seconds, but never where the calibrated user sat: the
    camera or the setup has probably changed, and a new calibration is needed (raised once per
    calibration; see :mod:`postureguard.engine.person`)."""

    off_s: float
    kind: ClassVar[str] = "camera_moved"
