"""The user's upright reference, made from several upright samples.

Pure: :func:`calibrate` takes features and returns a frozen :class:`Calibration`; reading and writing
the JSON file lives in :mod:`postureguard.calibration_file`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from postureguard.engine.geometry import Features, forward_angle_deg
from postureguard.errors import CalibrationError

#: Calibration JSON schema version; bump when fields change meaning.
CALIBRATION_VERSION = 1
#: Fewer samples showing a person than this and calibration is refused.
MIN_CALIBRATION_SAMPLES = 3


@dataclass(frozen=True)
class Calibration:
    """Upright reference values (same units as :class:`~postureguard.engine.geometry.Features`)."""

    head_height: float
    pitch: float
    shoulder_width_frac: float
    shoulder_tilt_deg: float
    samples: int

    def forward_deg(self, features: Features) -> float:
        """Signed CVA-equivalent drop (degrees) of ``features`` against this upright reference."""
        return forward_angle_deg(features.head_height / self.head_height)


def _robust_centre(values: list[float]) -> float:
    """Mean of the middle values: drop the lowest and highest fifth (at least one each from 5 up).

    A plain median throws away most of a small sample; a plain mean follows one wild frame (a blink
    of the detector, the user reaching for a cup). Trimming the extremes keeps both in check.
    """
    ordered = sorted(values)
    n = len(ordered)
    cut = max(1, n // 5) if n >= 5 else 0
    middle = ordered[cut : n - cut]
    return statistics.fmean(middle)


def calibrate(samples: Iterable[Features | None], minimum: int = MIN_CALIBRATION_SAMPLES) -> Calibration:
    """Build a calibration from upright samples (``None`` = no person in that frame).

    Raises :class:`CalibrationError` when fewer than ``minimum`` samples show a person, or when the
    measured head height is not positive (ears at or below the shoulders is not an upright pose).
    """
    seen = [f for f in samples if f is not None]
    if len(seen) < minimum:
        raise CalibrationError(
            f"calibration needs at least {minimum} frames that show a person (head and both shoulders), "
            f"found {len(seen)}; sit upright, facing the camera, with your shoulders in view"
        )
    head_height = _robust_centre([f.head_height for f in seen])
    if head_height <= 0:
        raise CalibrationError(
            "calibration frames show the ears at or below the shoulders; sit upright facing the camera"
        )
    return Calibration(
        head_height=head_height,
        pitch=_robust_centre([f.pitch for f in seen]),
        shoulder_width_frac=_robust_centre([f.shoulder_width_frac for f in seen]),
        shoulder_tilt_deg=_robust_centre([f.shoulder_tilt_deg for f in seen]),
        samples=len(seen),
    )
