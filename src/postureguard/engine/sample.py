"""The engine's per-sample result."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: Values of :attr:`Sample.posture`: this sample's own classification against the threshold.
POSTURES = ("good", "poor", "unknown")
#: Values of :attr:`Sample.state`: the smoothed state the tray shows.
STATES = ("good", "poor", "away", "uncalibrated")


@dataclass(frozen=True)
class Sample:
    """What the engine concluded from one frame.

    * ``t``: seconds, the caller's clock.
    * ``head_forward_deg``: degrees forward of the calibrated upright (0 = upright, never negative),
      ``None`` when no person or no calibration.
    * ``posture``: ``good`` / ``poor`` / ``unknown`` for this sample alone (photos are judged on their
      own); the sustain window, not this field, decides alerts.
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
    posture: str
    state: str
    shoulder_tilt_deg: float | None = None
    lean_in: float | None = None
    extension: bool = False
    sitting_s: float = 0.0
    poor_for_s: float = 0.0

    def to_record(self) -> dict:
        return asdict(self)
