"""The user's upright reference, made from several upright samples.

Pure: :func:`calibrate` takes features and returns a frozen :class:`Calibration`; a
:class:`CalibrationSession` decides which frames of a camera, a video or photos go into it (the same
rules for ``calibrate``, ``analyze --calibrate-frames``, ``bench``, the first-run setup and the tray).
Reading and writing the JSON file lives in :mod:`postureguard.settings.calibration_file`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from postureguard.engine.errors import CalibrationError
from postureguard.engine.geometry import Features, forward_angle_deg, measure, pulled_up_height
from postureguard.engine.landmarks import Pose
from postureguard.engine.person import Anchor
from postureguard.i18n import N_, _

#: Calibration JSON schema version; bump when fields change meaning. Version 2 adds where the user
#: sits (``shoulder_mid_x``, ``shoulder_mid_y``); version 1 files are still read (without it).
CALIBRATION_VERSION = 2
#: Versions this program reads.
READABLE_VERSIONS = (1, 2)
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
    "head_height": (0.05, 3.0, N_("shoulder widths")),
    "pitch": (-1.0, 1.0, N_("shoulder widths")),
    "shoulder_width_frac": (0.04, 1.5, N_("image widths")),
    "shoulder_tilt_deg": (-45.0, 45.0, N_("degrees")),
}
#: The same for the optional values of version 2: where the user sits (the shoulder midpoint inside
#: the image) and the eyes' height above the shoulder line (used when both ears are hidden; the eyes
#: sit a little above the ears, so the same range as ``head_height``).
OPTIONAL_RANGES: dict[str, tuple[float, float, str]] = {
    "shoulder_mid_x": (0.0, 1.0, N_("image widths")),
    "shoulder_mid_y": (0.0, 1.0, N_("image heights")),
    "eye_height": (0.05, 3.0, N_("shoulder widths")),
}
#: Most samples a calibration can say it was made from (a long video at 30 frames a second).
MAX_CALIBRATION_SAMPLES = 10_000_000
#: Seconds between two frames of a stream taken for a calibration: a camera or a video gives many
#: near-identical frames a second, and a few a second are plenty.
CALIBRATION_SPACING_S = 0.3
#: A live calibration gives up after looking at this many times the frames it wants (the user is not
#: in view); a recording or photos are read to their end instead.
LOOK_LIMIT_FACTOR = 4


@dataclass(frozen=True)
class Calibration:
    """Upright reference values (same units as :class:`~postureguard.engine.geometry.Features`).

    ``shoulder_mid_x`` / ``shoulder_mid_y`` (normalised image coordinates) say where the user sat; they
    are ``None`` in a calibration from before version 2, which then judges the largest person in view.
    """

    head_height: float
    pitch: float
    shoulder_width_frac: float
    shoulder_tilt_deg: float
    samples: int
    shoulder_mid_x: float | None = None
    shoulder_mid_y: float | None = None
    eye_height: float | None = None

    @property
    def anchor(self) -> Anchor | None:
        """Where the calibrated user sits (see :mod:`postureguard.engine.person`), when recorded."""
        if self.shoulder_mid_x is None or self.shoulder_mid_y is None:
            return None
        return Anchor(self.shoulder_mid_x, self.shoulder_mid_y, self.shoulder_width_frac, self.head_height)

    def forward_deg(self, features: Features) -> float | None:
        """Signed CVA-equivalent drop (degrees) of ``features`` against this upright reference, from the
        ears' height, else (both ears hidden) from the eyes' height; ``None`` when neither can be
        compared. When the pose model has pulled its guessed shoulders up under the head (geometry's
        :func:`~postureguard.engine.geometry.pulled_up_height`), the smaller of that reading and the
        one from the ears' height above the calibrated shoulder line."""
        if features.head_height is not None:
            angle = forward_angle_deg(features.head_height / self.head_height)
            if self.shoulder_mid_y is not None:
                pulled = pulled_up_height(features, self.shoulder_mid_y, self.shoulder_width_frac,
                                          self.head_height)  # fmt: skip
                if pulled is not None:
                    angle = min(angle, forward_angle_deg(pulled / self.head_height))
            return angle
        if features.eye_height is not None and self.eye_height is not None:
            return forward_angle_deg(features.eye_height / self.eye_height)
        return None


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


def _centre_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return _robust_centre(known) if known and len(known) == len(values) else None


def calibrate(samples: Iterable[Features | None], minimum: int = MIN_CALIBRATION_SAMPLES) -> Calibration:
    """Build a calibration from upright samples (``None`` = no person in that frame).

    Raises :class:`CalibrationError` when fewer than ``minimum`` samples show a person, or when the
    measured head height is not positive (ears at or below the shoulders is not an upright pose).
    """
    looked = list(samples)
    # The reference needs the ears (and both shoulders); a frame with both ears hidden is not used, nor
    # one with a hand at the face (the raised arm lifts its shoulder and the hand moves the face's
    # landmarks: see geometry's hand_at_face), which would bias the upright reference.
    seen = [f for f in looked
            if f is not None and f.head_height is not None and f.pitch is not None and not f.hand_at_face]
    if len(seen) < minimum:
        raise CalibrationError(
            _("calibration needs at least {minimum} frames that show a person (head and both shoulders), "
              "found {seen} of {looked} looked at; sit upright, facing the camera, with your shoulders "
              "in view").format(minimum=minimum, seen=len(seen), looked=len(looked))
        )
    head_height = _robust_centre([f.head_height for f in seen if f.head_height is not None])
    if head_height <= 0:
        raise CalibrationError(
            _("calibration frames show the ears at or below the shoulders; sit upright facing the camera")
        )
    cal = Calibration(
        head_height=head_height,
        pitch=_robust_centre([f.pitch for f in seen if f.pitch is not None]),
        shoulder_width_frac=_robust_centre([f.shoulder_width_frac for f in seen]),
        shoulder_tilt_deg=_robust_centre([f.shoulder_tilt_deg for f in seen]),
        samples=len(seen),
        shoulder_mid_x=_centre_or_none([f.shoulder_mid_x for f in seen]),
        shoulder_mid_y=_centre_or_none([f.shoulder_mid_y for f in seen]),
        eye_height=_centre_or_none([f.eye_height for f in seen]),
    )
    for name, (low, high, unit) in (REFERENCE_RANGES | OPTIONAL_RANGES).items():
        value = getattr(cal, name)
        if value is None:  # an optional position not measured
            continue
        if not low <= value <= high:  # also refuses NaN
            raise CalibrationError(
                _("calibration frames give an implausible upright pose ({name} {value}, expected {low} to "
                  "{high} {unit}); sit upright facing the camera, shoulders in view").format(
                    name=name, value=f"{value:g}", low=f"{low:g}", high=f"{high:g}", unit=_(unit))
            )
    return cal


@dataclass(frozen=True)
class CalibrationProgress:
    """Where a :class:`CalibrationSession` stands after a frame.

    * ``taken``: this frame was one of the session's (not skipped for settling or spacing).
    * ``looked_at``: frames taken so far, with or without a person.
    * ``with_person``: of those, frames that show a person (head and both shoulders).
    * ``wanted``: frames with a person the session is after.
    * ``settling``: the frame came before the settle time ended (nothing is taken yet).
    * ``done``: no further frame changes anything (enough frames, or the look limit is reached);
      call :meth:`CalibrationSession.finish`.
    """

    taken: bool
    looked_at: int
    with_person: int
    wanted: int
    settling: bool
    done: bool


class CalibrationSession:
    """One calibration: feed it frames, get the upright reference. The same rules for every caller.

    Feed every analysed frame to :meth:`add` as ``(pose, t)``: ``pose`` is the model's
    :class:`~postureguard.engine.landmarks.Pose` (landmarks normalised to the analysed image, 0..1, x right,
    y down) or ``None`` when it found no one; ``t`` is seconds on any clock the caller chooses (a
    source's frame time, or the monitor's monotonic clock) that never goes backwards. The session
    reads no clock of its own and is not thread-safe: one thread feeds it, or the caller locks.

    The rules:

    * settle: frames before ``start_t + settle_s`` are ignored, the user is still sitting up
      (``start_t`` defaults to the first ``t`` the session sees; ``settle_s`` >= 0 seconds, default 0);
    * spacing: a frame less than ``min_spacing_s`` seconds (>= 0) after the last frame taken is skipped;
      :data:`CALIBRATION_SPACING_S` for a camera or a video, 0 for still photos (each is a picture of
      its own, their ``t`` only a display interval);
    * count: done once ``frames`` (>= 1) frames taken show a person;
    * look limit: done, too, after ``max_looked_at`` frames taken (``None``: no limit, the caller stops
      when its input ends; :data:`LOOK_LIMIT_FACTOR` times ``frames`` for a camera);
    * statistic: :meth:`finish` gives :func:`calibrate` of the frames taken (the trimmed mean), and
      needs at least ``min(MIN_CALIBRATION_SAMPLES, frames)`` of them to show a person; fewer raise
      :class:`~postureguard.engine.errors.CalibrationError` with the one refusal message of :func:`calibrate`.

    :meth:`wants` answers, before decoding or analysing a frame at ``t``, whether :meth:`add` would
    take it (suitable as a source's ``frames(want)`` filter).
    """

    def __init__(
        self,
        frames: int,
        *,
        min_spacing_s: float = CALIBRATION_SPACING_S,
        settle_s: float = 0.0,
        max_looked_at: int | None = None,
        start_t: float | None = None,
    ):
        if not 1 <= frames <= MAX_CALIBRATION_SAMPLES:
            raise ValueError(f"frames must be 1 to {MAX_CALIBRATION_SAMPLES}, not {frames}")
        if not (min_spacing_s >= 0 and settle_s >= 0):  # also refuses NaN
            raise ValueError("min_spacing_s and settle_s must be >= 0 seconds")
        if max_looked_at is not None and max_looked_at < 1:
            raise ValueError(f"max_looked_at must be at least 1, not {max_looked_at}")
        self.frames = frames
        self.min_spacing_s = min_spacing_s
        self.settle_s = settle_s
        self.max_looked_at = max_looked_at
        #: Frames with a person needed for :meth:`finish` to succeed.
        self.minimum = min(MIN_CALIBRATION_SAMPLES, frames)
        self._start_t = start_t
        self._last_t: float | None = None
        self._samples: list[Features | None] = []

    @classmethod
    def for_input(
        cls, frames: int, *, stream: bool, live: bool, settle_s: float = 0.0, start_t: float | None = None
    ) -> CalibrationSession:
        """The session for an input: ``stream`` (a camera or a video: frames spaced by
        :data:`CALIBRATION_SPACING_S`; photos: every one) and ``live`` (a camera: gives up after
        :data:`LOOK_LIMIT_FACTOR` times ``frames`` frames looked at; a recording is read to its end)."""
        return cls(
            frames,
            min_spacing_s=CALIBRATION_SPACING_S if stream else 0.0,
            settle_s=settle_s,
            max_looked_at=frames * LOOK_LIMIT_FACTOR if live else None,
            start_t=start_t,
        )

    @property
    def with_person(self) -> int:
        return sum(f is not None for f in self._samples)

    @property
    def looked_at(self) -> int:
        return len(self._samples)

    @property
    def done(self) -> bool:
        if self.with_person >= self.frames:
            return True
        return self.max_looked_at is not None and self.looked_at >= self.max_looked_at

    def _settling(self, t: float) -> bool:
        if self._start_t is None:
            self._start_t = t
        return t < self._start_t + self.settle_s

    def wants(self, t: float) -> bool:
        """Whether a frame at ``t`` seconds would be taken by :meth:`add`."""
        if self.done or self._settling(t):
            return False
        # The small tolerance keeps frames exactly ``min_spacing_s`` apart despite float rounding.
        return self._last_t is None or t - self._last_t >= self.min_spacing_s - 1e-6

    def add(self, pose: Pose | None, t: float) -> CalibrationProgress:
        """Offer the frame at ``t`` seconds, whose pose is ``pose`` (``None``: no one found)."""
        taken = self.wants(t)
        if taken:
            self._last_t = t
            self._samples.append(measure(pose))
        return self.progress(taken=taken, settling=not taken and not self.done and self._settling(t))

    def progress(self, *, taken: bool = False, settling: bool = False) -> CalibrationProgress:
        return CalibrationProgress(
            taken=taken,
            looked_at=self.looked_at,
            with_person=self.with_person,
            wanted=self.frames,
            settling=settling,
            done=self.done,
        )

    def finish(self) -> Calibration:
        """The calibration of the frames taken so far; raises :class:`CalibrationError` when too few
        show a person or their upright pose is implausible."""
        return calibrate(self._samples, minimum=self.minimum)
