"""Wiring shared by the commands that analyse frames: source -> pose model -> engine.

Keeps the commands thin and makes sure every frame goes through the same steps whether it comes from
``analyze``, ``calibrate`` or (later) the tray's monitor thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from postureguard.engine.geometry import Features, measure
from postureguard.engine.landmarks import Pose
from postureguard.engine.person import jumped
from postureguard.vision.pose import SteerablePoseModel
from postureguard.vision.sources import Frame, FrameSource

if TYPE_CHECKING:
    from postureguard.engine.core import Update


def quiet_native_logs() -> None:
    """Keep MediaPipe's C++ start-up chatter off the user's terminal (set before it is imported)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Observation:
    frame: Frame
    pose: Pose | None
    features: Features | None


def open_model(source: FrameSource, model: str | None = None):
    """The pose model in the right mode for ``source``: VIDEO (tracking) for streams, IMAGE for photos."""
    quiet_native_logs()
    from postureguard.vision.pose import MediaPipePose

    return MediaPipePose(model, mode="video" if source.is_stream else "image")


def thin(frames: Iterable[Frame], min_gap: float) -> Iterator[Frame]:
    """Frames at least ``min_gap`` seconds apart in source time (all of them when ``min_gap`` is 0)."""
    last = None
    for frame in frames:
        if last is None or min_gap <= 0 or frame.t - last >= min_gap - 1e-6:
            last = frame.t
            yield frame


def observe(frames: Iterable[Frame], model) -> Iterator[Observation]:
    """Run ``model`` on each frame and measure the pose it finds."""
    for frame in frames:
        pose = model.detect(frame.image, frame.t)
        yield Observation(frame, pose, measure(pose))


@dataclass
class AnalyzerCounts:
    checks: int = 0  # frames looked at (decoded and shrunk)
    analyses: int = 0  # frames the pose model ran on
    by_change: int = 0  # analyses triggered by a scene change
    by_schedule: int = 0  # analyses because the last result had aged out
    resets: int = 0  # pose tracker restarts after a big scene change
    fresh_looks: int = 0  # tracker restarts because the tracked person jumped (a second model run each)
    by_others: int = 0  # analyses at once because the model had just started to look for several people


class Observer(Protocol):
    """What turns an analysed pose into the engine's update (``PostureEngine.update`` or the monitor
    owner's ``observe``); times in seconds of the engine's clock."""

    def __call__(self, pose: Pose | None, now: float, *, still_since: float | None = None) -> Update: ...


class AdaptiveAnalyzer:
    """The production path for a stream: check -> change gate -> pose model -> engine.

    ``wants(t)`` tells a source which frames to decode (one per check interval); ``process(frame, now)``
    runs the model only when the sampling policy says the last result is too old or the change gate
    sees a different scene, and returns the engine's update (``None`` when the frame was only checked).
    ``now`` is the monitor's clock in seconds (engine time); ``frame.t`` the source's.

    ``observe(pose, now, still_since=...)`` turns the model's pose into the engine's update; the default is
    ``engine.update``. The monitor passes its owner's, which also calibrates and decides alerts on
    the same (the monitor's) thread: nothing here is shared with another thread, so nothing is locked.

    Each analysis also tells ``observe`` since when the picture has stood still
    (``still_since``, in ``now``'s seconds; :meth:`postureguard.engine.core.PostureEngine.update`): the
    time of the first check whose picture every later check matched within the gate's thresholds. The
    gate already lets a frame that matches the last analysed one go unanalysed, on the ground that the
    same picture shows the same posture; the same ground dates a verdict back to when its picture first
    appeared, so analysing changes less often does not make a slouch that the user settled into
    (and then held still) count from later than it began.

    After each analysis a steerable model (:class:`~postureguard.vision.pose.SteerablePoseModel`) is
    told the update's :attr:`~postureguard.engine.core.Update.look_for_others`: it looks for one person
    while only the user is found (cheaper) and for several after someone else was. When it has just
    switched to several, the very next frame checked is analysed (half a second later, not at the next
    scheduled analysis): the pose it returned was not the user, so the user has not been seen yet.

    A tracked person who jumped between two analyses (:func:`postureguard.engine.person.jumped`) while
    a strong change moved the picture (more than the gate's ``strong_share`` of it) is looked for
    afresh in the same frame: the tracker is reset and the model runs again, and only that second
    result is judged. When the user leaves, a tracker can go on drawing a pose on the empty desk,
    which the engine would judge as the user (present, and often poor); a fresh search finds nobody.
    A pose that jumps while little of the picture moved is the model's own jitter (on a real clip, a
    hand at the face changed the guessed shoulders' width by 1.29 while 1 % of the picture moved), and
    a fresh search there loses more than it finds: the person detector needs a face, the tracker does
    not (a man turned to a second screen was lost for the rest of a real clip). A fresh look costs one
    more model run and the person detector, about 40 ms of CPU, once per such jump.
    """

    #: Seconds of source time between two tracker restarts at most (each costs about 0.5 s of CPU).
    RESET_SPACING_S = 30.0

    def __init__(
        self,
        engine,
        model,
        policy,
        gate=None,
        *,
        observe: Observer | None = None,
    ):
        from postureguard.vision.gate import ChangeGate

        self.engine = engine
        self.model = model
        self.policy = policy
        self.gate = gate or ChangeGate()
        policy.use_gate(self.gate.settings.changed_share, self.gate.settings.strong_share)
        self.observe = observe or engine.update
        self.counts = AnalyzerCounts()
        self._next_check: float | None = None
        self._last_reset: float | None = None
        self._last_analysis: float | None = None
        self._look_again = False
        self._last_pose: Pose | None = None  # what the last analysis found
        self._still_tiny: Any = None  # the picture every check since _still_since has matched
        self._still_since: float | None = None

    def wants(self, t: float) -> bool:
        return self._next_check is None or t >= self._next_check - 1e-6

    def process(self, frame: Frame, now: float, blocks=None):
        """Look at ``frame`` and analyse it if due (class docstring). ``blocks``: the frame's block
        means from the camera check (:attr:`~postureguard.vision.frame_health.FrameStats.blocks`), so
        the gate need not read the frame again; a caller passes them for every frame or for none."""
        from postureguard.vision.gate import tiny_from_blocks, tiny_grey

        self.counts.checks += 1
        self._next_check = frame.t + self.policy.check_interval()
        tiny = tiny_grey(frame.image) if blocks is None else tiny_from_blocks(blocks)
        if self.gate.share_between(self._still_tiny, tiny) > self.gate.settings.changed_share:
            self._still_tiny, self._still_since = tiny, now
        self.policy.threshold_deg = self.engine.settings.threshold_deg  # the sensitivity may change
        scheduled = self.policy.due(now)
        share = self.gate.changed_share(tiny)
        big = share > self.gate.settings.big_share
        changed = share > self.gate.settings.changed_share
        strong = share > self.gate.settings.strong_share
        if changed and not big and self._last_analysis is not None:
            # Small movements come all the time; they only need a look now and then (someone arriving
            # or leaving is looked at at once).
            spacing = self.policy.change_spacing(share, strong=strong)
            changed = now - self._last_analysis >= spacing - 1e-6
        again, self._look_again = self._look_again, False
        if not scheduled and not changed and not again:
            return None
        if scheduled:
            self.counts.by_schedule += 1
        elif changed:
            self.counts.by_change += 1
        else:
            self.counts.by_others += 1
        reset_allowed = self._last_reset is None or now - self._last_reset >= self.RESET_SPACING_S
        fresh = big and self._last_analysis is not None and reset_allowed
        if fresh:
            # Someone arrived or left: a tracker would keep following the old pose.
            self.model.reset()
            self._last_reset = now
            self.counts.resets += 1
        self._last_analysis = now
        self.counts.analyses += 1
        pose = self.model.detect(frame.image, frame.t)
        if strong and not fresh and jumped(self._last_pose, pose):
            self.model.reset()
            self.counts.fresh_looks += 1
            pose = self.model.detect(frame.image, frame.t)
        self._last_pose = pose
        update = self.observe(pose, now, still_since=self._still_since)
        self.policy.analysed(now, update.sample, changed=not scheduled, share=share)
        self.gate.analysed(tiny)
        if isinstance(self.model, SteerablePoseModel):
            self._look_again = self.model.need_others(update.look_for_others, frame.t)
        return update
