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
* quiet: once a few changes of the picture in a row have left a good verdict where it was (someone
  talking, reading, looking about), strong changes wait 4 s and, while those harmless changes were
  small, small changes and the schedule wait 12 s, except a small change clearly larger than the
  harmless ones, which is analysed at once; a reading near the threshold or any verdict but good
  ends the quiet (:class:`SamplingSettings`). A slouch analysed a few seconds late still counts from
  its first frame when the picture stood still since
  (:class:`postureguard.vision.analyzer.AdaptiveAnalyzer`, ``still_since``);
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
    #: interval is stretched only while quiet: on its own, with longer gaps the gate's small changes
    #: (fidgets) triggered the analyses instead: 53 analyses against 55 on the bench with 16 s.)
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
    #: A rise of the head-forward angle (degrees) that counts as "the verdict moved" (a fall while the
    #: posture is good moves nothing that matters: the user is further from an alert).
    moved_deg: float = 2.0
    #: A small change of the picture (see :class:`postureguard.vision.gate.GateSettings`) is analysed
    #: only when the last analysis is at least this old; a strong one at once.
    small_change_s: float = 4.0
    #: Quiet: after this many analyses in a row that a change of the picture triggered and that left a
    #: good verdict where it was (someone talking, reading, looking about: on the real desk clips three
    #: in four analyses were of this kind), a strong change waits :attr:`quiet_strong_change_s` since
    #: the last analysis, and a small one :attr:`quiet_change_s` unless it is *notable*: larger than
    #: :attr:`notable_factor` times the median changed share of those harmless changes
    #: (:attr:`harmless_kept` of the newest are kept) and than the gate's own "changed" share; a notable
    #: one is analysed at once. So a person whose harmless movements change little of the picture
    #: teaches the policy how little, and a slouch that changes more is still analysed at once (the
    #: landmark corpus's slouches: 0.11 of the cells against 0.04-0.07 for the landmarks' jitter).
    #: That holds only while the notable share is at most the gate's "strong" share: when harmless movement
    #: changes the picture as much as a slouch does, a small change may be the slouch, so small
    #: changes wait :attr:`small_change_s` as outside the quiet (a real sitter's upright frames seconds
    #: apart differ by 0.12-0.37 of the cells and his slouch by 0.34-0.44, so share alone cannot tell
    #: them apart; on a video of those photos the quiet's 12 s made a mild slouch 12 s late). The
    #: first analysis that changes the verdict, any verdict but good, or a reading near the threshold
    #: ends the quiet.
    #: Never quiet while the last reading is within this many degrees of the posture threshold
    #: (:attr:`SamplingPolicy.threshold_deg`): a user that near to poor posture may tip over with any
    #: small movement (the real frontal sitter's upright readings of 4-4.8 degrees against 5).
    quiet_margin_deg: float = 2.0
    quiet_after: int = 2
    quiet_change_s: float = 12.0
    quiet_strong_change_s: float = 4.0
    notable_factor: float = 2.0
    harmless_kept: int = 5
    fixed: bool = False

    def __post_init__(self) -> None:
        for name in ("check_s", "away_check_s", "startup_s", "steady_s", "confirm_s", "away_s",
                     "settled_confirm_s", "small_change_s", "quiet_change_s", "quiet_strong_change_s",
                     "notable_factor"):
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

    def __init__(
        self,
        settings: SamplingSettings | None = None,
        sustain_s: float = 60.0,
        threshold_deg: float | None = None,
    ):
        self.settings = settings or SamplingSettings()
        self.sustain_s = sustain_s
        #: The engine's posture threshold (degrees), for :attr:`quiet`; its owner keeps it current.
        self.threshold_deg = threshold_deg
        self._start: float | None = None
        self._last_t: float | None = None
        self._last: Sample | None = None
        self._changed_t: float | None = None
        self._poor_run = 0  # analyses in a row, the newest included, that read poor
        self._unmoved = 0  # change-triggered analyses in a row that left a good verdict where it was
        self._harmless: list[float] = []  # changed shares (0..1) of the newest such analyses
        self._gate_shares: tuple[float, float] | None = None  # the gate's changed and strong shares

    def use_gate(self, changed_share: float, strong_share: float) -> None:
        """Tell the policy the change gate's "changed" and "strong" shares (0..1 of its cells; see
        :class:`postureguard.vision.gate.GateSettings`), the floor and the cap of :meth:`notable_share`.
        The gate's owner (:class:`postureguard.vision.analyzer.AdaptiveAnalyzer`) hands them over, so the
        two cannot drift apart; without them small changes wait :attr:`SamplingSettings.small_change_s`
        even while quiet."""
        if not 0 <= changed_share <= strong_share <= 1:
            raise ValueError("expected 0 <= changed_share <= strong_share <= 1")
        self._gate_shares = (changed_share, strong_share)

    def analysed(
        self, t: float, sample: Sample, *, changed: bool = False, share: float | None = None
    ) -> None:
        """Record that the model ran on the frame of time ``t`` and the engine said ``sample``.

        ``changed``: the analysis was triggered by a scene change rather than by the schedule;
        ``share``: how much of the picture (0..1 of the gate's cells) had changed since the analysis
        before.
        """
        previous = self._last
        self._last_t, self._last = t, sample
        moved = previous is not None and self._moved(previous, sample)
        if changed and moved:
            self._changed_t = t
        # The quiet ends with the verdict, not with the angle's jitter (0-3 degrees on a head that rolls
        # as its owner talks); a reading near the threshold ends it too (``quiet``).
        if not (sample.person and sample.posture == "good") or (
            previous is not None and (previous.person, previous.posture) != (sample.person, sample.posture)
        ):
            self._unmoved = 0
            self._harmless.clear()
        elif changed:
            self._unmoved += 1
            if share is not None:
                self._harmless = [*self._harmless, share][-self.settings.harmless_kept :]
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
        return after.head_forward_deg - before.head_forward_deg >= self.settings.moved_deg

    @property
    def quiet(self) -> bool:
        """Whether changes of the picture have stopped moving a good verdict (see
        :attr:`SamplingSettings.quiet_after`)."""
        s, last = self.settings, self._last
        if s.fixed or self._unmoved < s.quiet_after or last is None:
            return False
        angle = last.head_forward_deg
        near = self.threshold_deg is not None and (
            angle is None or angle > self.threshold_deg - s.quiet_margin_deg
        )
        return not near

    def notable_share(self) -> float | None:
        """While :attr:`quiet` and harmless changes are small: the changed share (0..1) above which a
        small change is notable; else ``None`` (see :attr:`SamplingSettings.quiet_after` and
        :meth:`use_gate`)."""
        if not self.quiet or not self._harmless or self._gate_shares is None:
            return None
        floor, cap = self._gate_shares
        ordered = sorted(self._harmless)
        median = ordered[len(ordered) // 2]
        notable = max(self.settings.notable_factor * median, floor)
        return notable if notable <= cap else None

    def change_spacing(self, share: float, strong: bool) -> float:
        """Seconds the last analysis must be old before a change of ``share`` (0..1 of the gate's cells)
        is analysed: 0 for a strong change, :attr:`SamplingSettings.small_change_s` for a small one;
        while :attr:`quiet`, 0 for a notable small change, :attr:`SamplingSettings.quiet_change_s` for
        the other small ones and :attr:`SamplingSettings.quiet_strong_change_s` for a strong one (see
        :class:`SamplingSettings`)."""
        s = self.settings
        if strong:
            return s.quiet_strong_change_s if self.quiet else 0.0
        notable = self.notable_share()
        if notable is None:
            return s.small_change_s
        return 0.0 if share > notable else s.quiet_change_s

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
        return s.quiet_change_s if self.notable_share() is not None else s.steady_s

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
