"""The posture engine: one call per analysed frame, the caller owns the loop and the clock.

    engine = PostureEngine(EngineSettings(), calibration)
    for t, pose in frames:                       # t in seconds, any monotonic clock
        update = engine.update(pose, t)          # pose is None when no person was detected
        show(update.sample); handle(update.events)

Posture alerts
    A sample is *poor* when its head-forward angle exceeds the sensitivity's threshold; once a posture
    episode is open, a reading counts as good again only at or below the threshold minus
    ``release_margin_deg`` (hysteresis, :func:`poor_reading`), so readings that straddle the threshold
    by the pose model's jitter do not flip the verdict sample by sample. Each sample
    holds until the next one (at most ``stale_after_s``), so the share of poor posture over the last
    ``sustain_s`` seconds is a share of time, not of frames, and stays right when the sampling rate
    changes. An episode starts at the first poor sample; it raises a :class:`PostureAlert` once it
    has lasted ``sustain_s`` and poor posture fills at least ``sustain_share`` of the last
    ``sustain_s`` — so a glance at the keyboard or phone never alerts. The episode ends (and
    :class:`PostureRecovered` is emitted if it had alerted) when good posture fills
    ``sustain_share`` of the last ``recovery_s``, and quietly when the person leaves
    (:class:`PersonLeft`). Alerts are at least ``cooldown_s`` apart; a snooze suppresses them until a
    given time.

Unknown and away
    A frame whose head cannot be compared with the calibration (ears and eyes hidden, or a hand at the
    face: :mod:`postureguard.engine.geometry`) is ``unknown``: it holds no verdict, but the person counts
    as present. A person whose shoulders and head rose more than ``STANDING_RISE`` calibrated shoulder
    widths above their calibrated places is standing and reads as away (no verdict, no presence), so
    standing up from the desk starts the away debounce and a break rather than being judged as a
    posture.

Sitting
    Sitting time runs from the first sample that shows a person. Absences shorter than ``break_s``
    do not reset it; an absence of ``break_s`` or more is a break (:class:`BreakTaken`). A stretch of
    ``sitting_limit_s`` raises a :class:`SittingAlert`, repeated at most every ``cooldown_s``.
    When no samples arrive at all for ``break_s`` (app paused, camera lost) nobody knows what the
    user did; the stretch restarts quietly rather than risk a false sitting alert.

Stand-up nudge
    A second timer on the same stretch: every ``stand_up_nudge_s`` of sitting (30, 60, 90 minutes
    into it) raises a :class:`StandUpNudge`, a light "stand and walk for a few minutes". A break starts
    both timers over. When the break reminder is due in the same update, only the reminder is raised;
    a snooze silences both.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, replace

from postureguard.engine.calibration import Calibration
from postureguard.engine.events import (
    BreakTaken,
    CameraMoved,
    Event,
    PersonLeft,
    PersonReturned,
    PostureAlert,
    PostureRecovered,
    SittingAlert,
    StandUpNudge,
)
from postureguard.engine.geometry import (
    EXTENSION_PITCH_MARGIN,
    STANDING_RISE,
    Features,
    measure,
    shoulder_rise,
)
from postureguard.engine.landmarks import Pose
from postureguard.engine.person import CameraWatch, PersonMatcher, everyone
from postureguard.engine.sample import Posture, PostureState, Sample
from postureguard.engine.settings import EngineSettings

NECK_STRAIN = "neck_strain"


@dataclass(frozen=True)
class Update:
    """What one call to :meth:`PostureEngine.update` produced.

    ``look_for_others`` tells the loop that owns the pose model to have it look for everyone in view
    (several poses) on the next analyses: someone it found was not taken as the user (they are not
    where the user calibrated, so the user may be in view but not among the poses it returned), or
    there is no calibrated place to tell the user by (then the largest person is the user, and only a
    model that returns everyone can say who is largest). ``False`` when the frame showed nobody, or
    only the user. See :class:`postureguard.vision.pose.MediaPipePose` for what the adapter does with it.
    """

    sample: Sample
    events: tuple[Event, ...]
    look_for_others: bool = False


@dataclass(frozen=True)
class _Held:
    t: float
    poor: bool | None  # None: no person or no judgement
    angle: float | None


@dataclass(frozen=True)
class Judgement:
    """One sample judged against a calibration (all angles in degrees)."""

    head_forward_deg: float
    extension: bool
    poor: bool
    lean_in: float


def poor_reading(
    angle_deg: float, threshold_deg: float, in_episode: bool = False, margin_deg: float = 0.0
) -> bool:
    """Whether one head-forward reading (degrees from the user's upright, >= 0) counts as poor.

    Outside a posture episode a reading is poor above ``threshold_deg``. Inside one (a reading above the
    threshold opened it and recovery has not yet ended it) it stays poor down to ``threshold_deg -
    margin_deg`` and is good only at or below that: readings in the band between take the episode's
    side. An episode starts only on a reading above the threshold and ends only on readings clearly
    below it (the recovery rule counts good time, and good means at or below the band), so a posture
    held at the threshold, read a few tenths either side of it by the pose model's jitter (standard
    deviation about 0.5 degrees on an unchanged picture), is one posture rather than a flicker that
    decides whether the sustain share is reached. ``margin_deg`` 0 is a plain threshold.

    E.g. medium (5 degrees, margin 1): 4.6 is good before an episode and poor inside one; 3.9 is good
    in both; 5.2 is poor in both.
    """
    return angle_deg > (threshold_deg - margin_deg if in_episode else threshold_deg)


def judge(
    features: Features,
    calibration: Calibration,
    threshold_deg: float,
    in_episode: bool = False,
    margin_deg: float = 0.0,
) -> Judgement | None:
    """Judge ``features`` against ``calibration``: pure, used by the engine and by one-off photos.

    ``in_episode`` and ``margin_deg`` (degrees) are the hysteresis of :func:`poor_reading`; a one-off
    photo has no episode. ``None`` when the head cannot be compared with the calibration (ears and eyes
    hidden, or a hand at the face, whose arm lifts the shoulder line and whose fingers move the face
    landmarks): unknown.
    """
    if features.hand_at_face:
        return None
    signed = calibration.forward_deg(features)
    if signed is None:
        return None
    pitch = features.pitch
    extension = pitch is not None and (calibration.pitch - pitch) > EXTENSION_PITCH_MARGIN and signed > 0
    angle = 0.0 if extension else max(0.0, signed)
    return Judgement(
        head_forward_deg=angle,
        extension=extension,
        poor=poor_reading(angle, threshold_deg, in_episode, margin_deg),
        lean_in=features.shoulder_width_frac / calibration.shoulder_width_frac,
    )


def standing(features: Features, calibration: Calibration | None) -> bool:
    """Whether ``features`` show the calibrated user standing: shoulders and ears more than
    ``STANDING_RISE`` calibrated shoulder widths above where they were at calibration (see
    :mod:`postureguard.engine.geometry`). ``False`` without a calibration that says where the user sat."""
    if calibration is None or calibration.shoulder_mid_y is None:
        return False
    rise = shoulder_rise(
        features, calibration.shoulder_mid_y, calibration.shoulder_width_frac, calibration.head_height
    )
    return rise is not None and rise > STANDING_RISE


class PostureEngine:
    """Stateful, deterministic engine; see the module docstring. Not thread-safe: one owner."""

    def __init__(self, settings: EngineSettings | None = None, calibration: Calibration | None = None):
        self.settings = settings or EngineSettings()
        self.calibration = calibration
        self._matcher, self._camera = self._watchers(calibration)
        self._held: deque[_Held] = deque()
        self._last_t: float | None = None
        self._first_t: float | None = None
        # posture episode
        self._episode_start: float | None = None
        self._episode_alerted = False
        self._last_posture_alert: float | None = None
        # sitting
        self._sitting_start: float | None = None
        self._last_seen: float | None = None
        self._away_reported = False
        self._break_reported = False
        self._last_sitting_alert: float | None = None
        self._nudges_in_stretch = 0  # stand-up nudges raised since the stretch began
        self._snooze_until: float | None = None

    # -- controls -----------------------------------------------------------------------------
    def set_settings(self, settings: EngineSettings) -> None:
        self.settings = settings

    @staticmethod
    def _watchers(calibration: Calibration | None) -> tuple[PersonMatcher, CameraWatch]:
        anchor = None if calibration is None else calibration.anchor
        return PersonMatcher(anchor), CameraWatch(anchor)

    def set_calibration(self, calibration: Calibration | None) -> None:
        """Replace the upright reference; the current posture episode starts over."""
        self.calibration = calibration
        self._matcher, self._camera = self._watchers(calibration)
        self._held.clear()
        self._episode_start = None
        self._episode_alerted = False

    def snooze(self, until_t: float) -> None:
        """Suppress posture and sitting alerts until ``until_t`` (same clock as ``update``)."""
        self._snooze_until = until_t

    def snoozed(self, t: float) -> bool:
        return self._snooze_until is not None and t < self._snooze_until

    # -- the per-frame call -------------------------------------------------------------------
    def update(self, pose: Pose | None, t: float, *, still_since: float | None = None) -> Update:
        """Take the pose seen at time ``t`` (seconds; ``None`` = nobody detected) and advance.

        ``pose`` may carry other people (:attr:`Pose.others`); only the one matching the calibrated user
        (:class:`~postureguard.engine.person.PersonMatcher`) is judged and counts as presence.

        ``still_since`` (seconds, the same clock): the caller's word that the picture has not changed
        since then, so this frame's posture held since then too. A posture verdict then holds from
        ``still_since`` (clamped to after the previous sample), and an episode this frame opens starts
        there: a slouch first analysed a few seconds after the user settled into it is timed from
        when they did, not from when the sampling got round to it. Presence is not backdated.
        """
        if self._last_t is not None and t < self._last_t:
            raise ValueError(f"time went backwards: {t} after {self._last_t}")
        held_from = t
        if still_since is not None and still_since < t:
            held_from = still_since if self._last_t is None else max(still_since, self._last_t)
        s = self.settings
        events: list[Event] = []
        gap = None if self._last_t is None else t - self._last_t
        self._last_t = t
        if self._first_t is None:
            self._first_t = t

        seen = pose
        pose = self._matcher.choose(seen, t)
        people = everyone(seen)
        look_for_others = bool(people) and (
            self._matcher.reference is None or any(p is not pose for p in people)
        )
        features = measure(pose)
        if features is not None and self._matcher.occluded:
            # The user, taken with shoulders the model narrowed under a hand at the face: present, but
            # the head is not judged against guessed shoulders (engine.person, "Shoulders narrowed").
            features = replace(features, hand_at_face=True)
        if features is not None and standing(features, self.calibration):
            features = None  # standing up reads as away, not as a posture (module docstring)
        person = features is not None
        if self._camera.update(seen, t):
            events.append(CameraMoved(t=t, off_s=self._camera.off_for(t)))

        # A long silence (paused, camera lost) tells nothing about posture or sitting.
        if gap is not None and gap >= max(s.stale_after_s, s.break_s):
            self._sitting_start = None
            self._held.clear()
            self._episode_start = None
            self._episode_alerted = False

        events.extend(self._update_presence(person, t))

        judgement = None
        if features is not None and self.calibration is not None:
            # The hysteresis takes the episode as it stands before this sample (after a long silence
            # has ended it above).
            judgement = judge(
                features,
                self.calibration,
                s.threshold_deg,
                in_episode=self._episode_start is not None,
                margin_deg=s.release_margin_deg,
            )
        self._hold(
            _Held(
                held_from,
                None if judgement is None else judgement.poor,
                None if judgement is None else judgement.head_forward_deg,
            )
        )
        events.extend(self._update_posture(t, judgement, held_from))
        if person:
            events.extend(self._update_sitting(t))

        if not person:
            state = (
                PostureState.AWAY
                if self._away_reported
                else (PostureState.UNCALIBRATED if self.calibration is None else PostureState.GOOD)
            )
        elif self.calibration is None:
            state = PostureState.UNCALIBRATED
        else:
            poor = self._episode_alerted or self._alert_condition(t)
            state = PostureState.POOR if poor else PostureState.GOOD

        sample = Sample(
            t=t,
            person=person,
            head_forward_deg=None if judgement is None else judgement.head_forward_deg,
            posture=(
                Posture.UNKNOWN if judgement is None else (Posture.POOR if judgement.poor else Posture.GOOD)
            ),
            state=state,
            shoulder_tilt_deg=None if features is None else features.shoulder_tilt_deg,
            lean_in=None if judgement is None else judgement.lean_in,
            extension=False if judgement is None else judgement.extension,
            sitting_s=self.sitting_seconds(t),
            poor_for_s=0.0 if self._episode_start is None else t - self._episode_start,
        )
        return Update(sample, tuple(events), look_for_others=look_for_others)

    def sitting_seconds(self, t: float) -> float:
        return 0.0 if self._sitting_start is None else max(0.0, t - self._sitting_start)

    # -- presence and sitting -----------------------------------------------------------------
    def _update_presence(self, person: bool, t: float) -> list[Event]:
        s = self.settings
        events: list[Event] = []
        if person:
            if self._away_reported and self._last_seen is not None:
                events.append(PersonReturned(t=t, away_s=t - self._last_seen))
            self._away_reported = False
            self._break_reported = False
            self._last_seen = t
            return events
        if self._last_seen is None:
            # Nobody seen since the start: away once the debounce has passed, but nobody "left".
            if self._first_t is not None and t - self._first_t >= s.away_after_s:
                self._away_reported = True
            return events
        away = t - self._last_seen
        if not self._away_reported and away >= s.away_after_s:
            self._away_reported = True
            events.append(PersonLeft(t=self._last_seen))
            # Whoever sits down next starts afresh: an episode from before must not hold their first
            # readings on its side of the hysteresis band (see poor_reading).
            self._episode_start = None
            self._episode_alerted = False
        if not self._break_reported and away >= s.break_s and self._sitting_start is not None:
            self._break_reported = True
            events.append(BreakTaken(t=t, away_s=away, sat_s=self._last_seen - self._sitting_start))
            self._sitting_start = None
        return events

    def _update_sitting(self, t: float) -> list[Event]:
        if self._sitting_start is None:
            self._sitting_start = t
            self._nudges_in_stretch = 0
        sat = t - self._sitting_start
        if self.snoozed(t):
            self._catch_up_nudges(sat)  # a nudge missed while snoozed is dropped, not raised late
            return []
        reminder = self._sitting_reminder(t, sat)
        if reminder:
            self._catch_up_nudges(sat)  # the reminder already says "get up": no nudge on top of it
            return reminder
        return self._stand_up_nudge(t, sat)

    def _catch_up_nudges(self, sat: float) -> None:
        if self.settings.stand_up_nudge_s is not None:
            self._nudges_in_stretch = max(self._nudges_in_stretch, int(sat // self.settings.stand_up_nudge_s))

    def _stand_up_nudge(self, t: float, sat: float) -> list[Event]:
        """A nudge once per ``stand_up_nudge_s`` of the stretch; a late frame raises one, not several."""
        every = self.settings.stand_up_nudge_s
        if every is None:
            return []
        due = int(sat // every)
        if due <= self._nudges_in_stretch:
            return []
        self._nudges_in_stretch = due
        return [StandUpNudge(t=t, minutes=sat / 60.0)]

    def _sitting_reminder(self, t: float, sat: float) -> list[Event]:
        s = self.settings
        if s.sitting_limit_s is None or self._sitting_start is None:
            return []
        due = self._last_sitting_alert is None or t - self._last_sitting_alert >= s.cooldown_s
        # Only alert within the current stretch: an alert from an earlier stretch does not count.
        if self._last_sitting_alert is not None and self._last_sitting_alert < self._sitting_start:
            due = True
        if sat >= s.sitting_limit_s and due:
            self._last_sitting_alert = t
            return [SittingAlert(t=t, minutes=sat / 60.0)]
        return []

    # -- posture ------------------------------------------------------------------------------
    def _hold(self, item: _Held) -> None:
        self._held.append(item)
        horizon = item.t - max(self.settings.sustain_s, self.settings.recovery_s)
        # Keep one sample older than the horizon: it holds into the window.
        while len(self._held) >= 2 and self._held[1].t <= horizon:
            self._held.popleft()

    def _share(self, t: float, span: float, want_poor: bool) -> float:
        """Share of the last ``span`` seconds (up to ``t``) held by poor (or good) samples."""
        start = t - span
        stale = self.settings.stale_after_s
        covered = 0.0
        items = list(self._held)
        for i, item in enumerate(items):
            end = items[i + 1].t if i + 1 < len(items) else t
            end = min(end, item.t + stale)
            lo, hi = max(item.t, start), min(end, t)
            if hi > lo and item.poor is not None and item.poor == want_poor:
                covered += hi - lo
        # The newest sample itself describes the instant t; give a zero span the benefit of it.
        return covered / span

    def _alert_condition(self, t: float) -> bool:
        s = self.settings
        return (
            self._episode_start is not None
            and t - self._episode_start >= s.sustain_s
            and self._share(t, s.sustain_s, want_poor=True) >= s.sustain_share
        )

    def _update_posture(self, t: float, judgement: Judgement | None, held_from: float) -> list[Event]:
        s = self.settings
        events: list[Event] = []
        if judgement is not None and judgement.poor and self._episode_start is None:
            self._episode_start = held_from
            self._episode_alerted = False
        if self._episode_start is None:
            return events

        # Recovery: enough good posture recently ends the episode (a glance, or a real correction).
        recovered_span = min(s.recovery_s, t - self._episode_start)
        if (
            judgement is not None
            and not judgement.poor
            and recovered_span >= min(s.recovery_s, s.sustain_s) * 0.5
            and self._share(t, s.recovery_s, want_poor=False) >= s.sustain_share
        ):
            if self._episode_alerted:
                events.append(PostureRecovered(t=t))
            self._episode_start = None
            self._episode_alerted = False
            return events

        if judgement is None or not judgement.poor or self.snoozed(t):
            return events
        cooled = self._last_posture_alert is None or t - self._last_posture_alert >= s.cooldown_s
        if cooled and self._alert_condition(t):
            angles = [
                h.angle for h in self._held if h.poor and h.angle is not None and h.t >= t - s.sustain_s
            ]
            self._last_posture_alert = t
            self._episode_alerted = True
            events.append(
                PostureAlert(
                    t=t,
                    trigger=NECK_STRAIN,
                    angle_deg=statistics.median(angles) if angles else judgement.head_forward_deg,
                    duration_s=t - self._episode_start,
                )
            )
        return events
