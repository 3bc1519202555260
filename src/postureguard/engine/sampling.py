"""When to look at a frame and when to run the pose model: a pure, time-driven policy.

Two rates, both in seconds between frames:

* **check interval**: how often a frame is looked at at all (decoded, shrunk to a tiny grey image and
  compared with the last analysed one). This is also the rate the camera is asked for.
* **analysis interval**: the longest the last pose analysis may age before the model runs again even
  though nothing changed.

A scene change seen by the cheap check (see :mod:`postureguard.vision.gate`) always triggers an analysis at
once, so a slow steady rate costs no reaction time: the user slouching changes the picture, and the
model runs on the next check. On top of that:

* after a scene change, and while a poor-posture episode is being confirmed, the model runs at the
  confirm rate, and once more exactly when the sustain window is due to end, so the alert is not
  late; once the episode has alerted, the steady rate is enough (the next alert waits for the
  cooldown, and sitting up again changes the scene);
* once the episode has lasted ``settled_confirm_after_s`` and several analyses in a row read poor,
  the confirm interval stretches to ``settled_confirm_s`` (a glance down, which ends within seconds,
  is followed at the confirm rate throughout): the alert does not wait for the schedule (the window's
  end is analysed exactly), sitting up again changes the scene, and the gate's small changes are
  still looked at every few seconds (:class:`postureguard.vision.analyzer.AdaptiveAnalyzer`); the
  schedule is only the net under the gate, and a verdict that keeps repeating needs it less often;
* nobody in view: checks slow down (a person coming back changes the scene and is seen at once);
* at start-up, the first frames are analysed quickly for a first verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from postureguard.engine.sample import Sample


@dataclass(frozen=True)
class SamplingSettings:
    """Intervals in seconds; see the module docstring. ``fixed`` analyses every check."""

    check_s: float = 0.5
    away_check_s: float = 1.0
    startup_s: float = 0.5
    steady_s: float = 8.0
    confirm_s: float = 2.0
    away_s: float = 15.0
    #: The confirm interval once :attr:`settled_after` analyses in a row read poor and the episode
    #: has lasted :attr:`settled_confirm_after_s` seconds (see the module docstring). On the bench
    #: recording it takes the analyses of a 60 s confirmation from 30 to about 17. (The steady
    #: interval is not stretched: with longer gaps the gate's small changes (fidgets) trigger the
    #: analyses instead, and after a long gap the tracker reads the same posture a few degrees off,
    #: which asks for a settling burst: 53 analyses against 55 on the bench with 16 s.)
    settled_confirm_s: float = 6.0
    settled_after: int = 3
    settled_confirm_after_s: float = 15.0
    #: Seconds after start-up during which frames are analysed at the start-up rate.
    startup_window_s: float = 2.0
    #: Seconds after a scene change that moved the verdict during which frames are analysed at the
    #: start-up rate: the tracker's smoothing needs a few frames to catch up with a real change. (2 s
    #: took four analyses per change where two do: the alert waits for the window's end, not for
    #: these; the evaluation's corpora read the same with 1 s, no false alert, no later alert.)
    settle_s: float = 1.0
    #: A change of the head-forward angle (degrees) that counts as "the verdict moved".
    moved_deg: float = 2.0
    fixed: bool = False

    def __post_init__(self) -> None:
        for name in ("check_s", "away_check_s", "startup_s", "steady_s", "confirm_s", "away_s",
                     "settled_confirm_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")

    @classmethod
    def every(cls, interval_s: float) -> SamplingSettings:
        """Analyse a frame every ``interval_s`` seconds, whatever happens (tests, comparisons)."""
        return cls(check_s=interval_s, away_check_s=interval_s, startup_s=interval_s, steady_s=interval_s,
                   confirm_s=interval_s, away_s=interval_s, fixed=True)  # fmt: skip


class SamplingPolicy:
    """Decides, from the engine's last sample and the time, whether a frame is checked or analysed.

    The caller tells it what happened with :meth:`analysed`; everything else is a question.
    """

    def __init__(self, settings: SamplingSettings | None = None, sustain_s: float = 60.0):
        self.settings = settings or SamplingSettings()
        self.sustain_s = sustain_s
        self._start: float | None = None
        self._last_t: float | None = None
        self._last: Sample | None = None
        self._changed_t: float | None = None
        self._poor_run = 0  # analyses in a row, the newest included, that read poor

    def analysed(self, t: float, sample: Sample, *, changed: bool = False) -> None:
        """Record that the model ran on the frame of time ``t`` and the engine said ``sample``.

        ``changed``: the analysis was triggered by a scene change rather than by the schedule.
        """
        previous = self._last
        self._last_t, self._last = t, sample
        if changed and previous is not None and self._moved(previous, sample):
            self._changed_t = t
        self._poor_run = self._poor_run + 1 if sample.person and sample.posture == "poor" else 0

    def _moved(self, before: Sample, after: Sample) -> bool:
        """Whether the verdict itself changed (a fidget changes the picture, not the posture)."""
        if before.person != after.person or before.posture != after.posture:
            return True
        if after.posture == "poor":
            # Poor then poor: a few degrees more or less forward decide nothing (the model's jitter on
            # a held slouch is 2-4 degrees); sitting up changes the verdict and is followed at once.
            return False
        if before.head_forward_deg is None or after.head_forward_deg is None:
            return False
        return abs(before.head_forward_deg - after.head_forward_deg) >= self.settings.moved_deg

    def check_interval(self) -> float:
        """Seconds between frames worth looking at (the rate to ask the camera for)."""
        s = self.settings
        if self._last is not None and not self._last.person and not s.fixed:
            return s.away_check_s
        return s.check_s

    def analysis_interval(self, t: float) -> float:
        """The longest the last analysis may age at time ``t`` before the model must run again."""
        s = self.settings
        last = self._last
        if s.fixed:
            return s.check_s
        if last is None or self._start is None or t - self._start < s.startup_window_s:
            return s.startup_s
        if not last.person:
            return s.away_s
        if self._changed_t is not None and t - self._changed_t < s.settle_s:
            return s.startup_s
        confirming = last.posture == "poor" and last.poor_for_s < self.sustain_s
        if confirming and self._poor_run >= s.settled_after and last.poor_for_s >= s.settled_confirm_after_s:
            return s.settled_confirm_s
        if confirming or last.posture == "unknown":
            return s.confirm_s
        return s.steady_s

    def due(self, t: float) -> bool:
        """Whether the model should run on the frame of time ``t`` even if the scene did not change."""
        if self._start is None:
            self._start = t
        if self._last_t is None:
            return True
        age = t - self._last_t
        if age >= self.analysis_interval(t) - 1e-6:
            return True
        last = self._last
        if last is not None and last.poor_for_s > 0 and not self.settings.fixed:
            # Be there when the sustain window ends, so the alert is on time.
            sustain_end = self._last_t + (self.sustain_s - last.poor_for_s)
            if self._last_t < sustain_end <= t + 1e-6:
                return True
        return False
