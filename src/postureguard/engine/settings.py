"""Engine settings: defaults as data, validated on construction, no I/O.

Times are seconds; thresholds are degrees of head-forward angle (see :mod:`.geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Head-forward angle (degrees, a drop of the craniovertebral-angle equivalent from the user's own
#: upright; see geometry.py) above which one sample counts as poor posture. The minimum detectable
#: change of the craniovertebral angle is about 5 degrees and a sustained drop of 5-8 degrees is the
#: usual alert point, so "medium" sits at 5, "low" waits for 8 and "high" reacts at 3.5.
SENSITIVITY_THRESHOLDS_DEG: dict[str, float] = {"low": 8.0, "medium": 5.0, "high": 3.5}

SENSITIVITIES = tuple(SENSITIVITY_THRESHOLDS_DEG)


@dataclass(frozen=True)
class EngineSettings:
    """How the engine turns samples into alerts.

    ``sitting_limit_s`` of ``None`` switches the sitting reminder off; ``stand_up_nudge_s`` of ``None``
    switches the stand-up nudge off.
    """

    sensitivity: str = "medium"
    #: Poor posture must fill at least ``sustain_share`` of the last ``sustain_s`` seconds to alert.
    sustain_s: float = 60.0
    sustain_share: float = 0.75
    #: After an alert, this long of good posture (at least ``sustain_share`` of it) ends the episode.
    recovery_s: float = 15.0
    #: Minimum time between two posture alerts, and between two sitting alerts.
    cooldown_s: float = 15 * 60.0
    sitting_limit_s: float | None = 50 * 60.0
    #: Seconds of sitting in one stretch between two stand-up nudges (2-5 minutes of light walking every
    #: 30 minutes is the dose with the clearest effect on blood glucose in the trials).
    stand_up_nudge_s: float | None = 30 * 60.0
    #: An absence at least this long is a break and resets the sitting time; shorter ones do not.
    break_s: float = 120.0
    #: A person missing for this long has "left" (shorter gaps are detector flicker).
    away_after_s: float = 5.0
    #: A sample older than this no longer describes the present (used when samples stop arriving).
    stale_after_s: float = 30.0
    #: Hysteresis of the poor/good verdict, degrees of head-forward angle: while a posture episode is
    #: open a reading counts as good only at or below the threshold minus this margin (see
    #: :func:`postureguard.engine.core.poor_reading`). One degree is two standard deviations of the pose
    #: model's jitter on an unchanged picture (0.36-0.55 degrees on the frontal webcam video of
    #: tests/test_evaluate.py, mediapipe 0.10.33 and 1.2.3), and a fifth of the 5-degree minimum
    #: detectable change of the craniovertebral angle. 0 switches the hysteresis off.
    release_margin_deg: float = 1.0
    thresholds_deg: dict[str, float] = field(default_factory=lambda: dict(SENSITIVITY_THRESHOLDS_DEG))

    def __post_init__(self) -> None:
        if self.sensitivity not in self.thresholds_deg:
            raise ValueError(
                f"sensitivity must be one of {', '.join(self.thresholds_deg)}, not {self.sensitivity!r}"
            )
        positives = {
            "sustain_s": self.sustain_s,
            "recovery_s": self.recovery_s,
            "break_s": self.break_s,
            "away_after_s": self.away_after_s,
            "stale_after_s": self.stale_after_s,
        }
        for name, value in positives.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, not {value!r}")
        if not 0 <= self.release_margin_deg < min(self.thresholds_deg.values()):
            raise ValueError(
                "release_margin_deg must be at least 0 and below every threshold, "
                f"not {self.release_margin_deg!r}"
            )
        if self.cooldown_s < 0:
            raise ValueError(f"cooldown_s must not be negative, not {self.cooldown_s!r}")
        if not 0 < self.sustain_share <= 1:
            raise ValueError(f"sustain_share must be in (0, 1], not {self.sustain_share!r}")
        if self.sitting_limit_s is not None and not self.sitting_limit_s > 0:
            raise ValueError(f"sitting_limit_s must be positive or None, not {self.sitting_limit_s!r}")
        if self.stand_up_nudge_s is not None and not self.stand_up_nudge_s > 0:
            raise ValueError(f"stand_up_nudge_s must be positive or None, not {self.stand_up_nudge_s!r}")

    @property
    def threshold_deg(self) -> float:
        """The head-forward angle (degrees) above which a sample is poor, for this sensitivity."""
        return self.thresholds_deg[self.sensitivity]
