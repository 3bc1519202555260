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

#: The physically plausible range of each reference value, ``field: (low, high, unit)``, both ends
#: included. A person sitting upright in view of a webcam has the ears between a twentieth and three
#: shoulder widths above the shoulder line (real upright frames measure 0.2 to 0.7); the nose within a
#: shoulder width above or below the ears; shoulders at least as wide as the smallest measurable pose
#: (geometry's MIN_SHOULDER_WIDTH_FRACTION, 0.04 of the image) and at most one and a half image widths;
#: a shoulder line tilted at most 45 degrees. A value outside makes every later verdict meaningless
#: (1e308 reads every frame as poor, 1e-308 as good), so a calibration with one is refused.
REFERENCE_RANGES: dict[str, tuple[float, float, str]] = {
    "head_height": (0.05, 3.0, "shoulder widths"),
    "pitch": (-1.0, 1.0, "shoulder widths"),
    "shoulder_width_frac": (0.04, 1.5, "image widths"),
    "shoulder_tilt_deg": (-45.0, 45.0, "degrees"),
}
#: Most samples a calibration can say it was made from (a long video at 30 frames a second).
MAX_CALIBRATION_SAMPLES = 10_000_000


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
    cal = Calibration(
        head_height=head_height,
        pitch=_robust_centre([f.pitch for f in seen]),
        shoulder_width_frac=_robust_centre([f.shoulder_width_frac for f in seen]),
        shoulder_tilt_deg=_robust_centre([f.shoulder_tilt_deg for f in seen]),
        samples=len(seen),
    )
    for name, (low, high, unit) in REFERENCE_RANGES.items():
        value = getattr(cal, name)
        if not low <= value <= high:  # also refuses NaN
            raise CalibrationError(
                f"calibration frames give an implausible upright pose ({name} {value:g}, expected "
                f"{low:g} to {high:g} {unit}); sit upright facing the camera, shoulders in view"
            )
    return cal
