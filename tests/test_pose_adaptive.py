"""One pose while only the user is in view, several once someone else is: cheaper, and still only the user.

The engine says, on every update, whether the pose model should look for everyone
(``Update.look_for_others``); the analyzer passes that to the pose adapter, which asks MediaPipe for one
pose (it then tracks the user and skips its person detector) or for several (see
``postureguard.vision.pose.MediaPipePose``). The real-model tests run the production path (change
gate, sampling policy, engine) with the real pose model in VIDEO mode on the composed pictures of
test_person_real.py: real frontal webcam frames of one man beside a second real frame or an empty room
(../shared/data/posture; skipped with the reason when absent).
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

import test_person_real as real
from poses import frontal_pose
from postureguard.engine.calibration import CalibrationSession, calibrate
from postureguard.engine.core import PostureEngine
from postureguard.engine.geometry import measure
from postureguard.engine.sampling import SamplingPolicy, SamplingSettings
from postureguard.engine.settings import EngineSettings
from postureguard.runtime.monitor import Owner
from postureguard.vision.analyzer import AdaptiveAnalyzer
from postureguard.vision.pose import NUM_POSES, QUIET_S, MediaPipePose, SteerablePoseModel
from postureguard.vision.sources import Frame
from test_person_real import _pair, _panel

# The real pictures, the IMAGE-mode model and the calibration on the user alone, as test_person_real has them.
frames, model, calibration = real.frames, real.model, real.calibration

USER = frontal_pose()
#: Someone a shoulder width and a half beside where the user calibrated.
BESIDE = frontal_pose(centre=(620.0, 330.0))


def _with(pose, *others):
    return dataclasses.replace(pose, others=tuple(others))


# -- the engine's word (pure, synthetic landmarks) ---------------------------------------------------


def test_the_engine_asks_for_others_only_when_someone_else_is_found():
    engine = PostureEngine(EngineSettings(), calibrate([measure(USER)] * 5))
    assert not engine.update(USER, 0.0).look_for_others  # the user alone
    assert not engine.update(None, 1.0).look_for_others  # nobody
    assert engine.update(BESIDE, 2.0).look_for_others  # the one pose found is not the user
    both = engine.update(_with(USER, BESIDE), 3.0)
    assert both.look_for_others and both.sample.person  # the user is judged, the other is seen


def test_without_a_calibrated_place_everyone_is_looked_for():
    # Uncalibrated (or a calibration from before the place was recorded): the largest is the user,
    # which only a model returning everyone can tell.
    engine = PostureEngine(EngineSettings(), None)
    assert engine.update(USER, 0.0).look_for_others
    assert not engine.update(None, 1.0).look_for_others


def test_while_the_monitor_calibrates_one_person_alone_is_followed_with_one_pose():
    # Calibrated with the landmarks it will be judged with (one pose), yet the largest person when
    # several are found (then everyone is looked for).
    owner = Owner(PostureEngine(EngineSettings(), None), [].append)
    assert owner.observe(USER, 0.0).look_for_others  # uncalibrated: the largest is the user
    owner.calibration = CalibrationSession(50, min_spacing_s=0)
    assert not owner.observe(USER, 1.0).look_for_others
    assert owner.observe(_with(USER, BESIDE), 2.0).look_for_others
    assert not owner.observe(None, 3.0).look_for_others


# -- the adapter and the production path with the real model ------------------------------------------


def test_the_adapter_switches_between_one_and_several_poses():
    with MediaPipePose(mode="video") as m:
        assert isinstance(m, SteerablePoseModel)
        assert m.poses_asked == NUM_POSES  # unsteered, it sees everyone
        assert not m.need_others(False, 0.0)  # that first look found only the user: one pose
        assert m.poses_asked == 1
        assert m.need_others(True, 1.0) and m.poses_asked == NUM_POSES  # someone else: several at once
        m.need_others(False, 1.0 + QUIET_S - 1)
        assert m.poses_asked == NUM_POSES  # not yet quiet for long enough
        m.need_others(False, 1.0 + QUIET_S)
        assert m.poses_asked == 1 and m.switches == 3
    with MediaPipePose(mode="image") as m:
        m.need_others(False, 0.0)  # nothing is tracked between photos: no switching
        assert m.poses_asked == NUM_POSES and m.switches == 0


@pytest.mark.shared_data
def test_unsteered_it_tracks_one_person_alone_as_the_monitor_will_judge_them(frames):
    # A calibration or a preview: nobody steers, so one person alone is tracked with one pose (the
    # landmarks the monitor judges with), and a frame without anyone (a reset) brings back the search
    # for everyone.
    alone = _pair(_panel(frames["upright"][5]), frames["empty"])
    beside = _pair(_panel(frames["slouch"][0], 1.1), _panel(frames["upright"][6]))  # as test_person_real
    with MediaPipePose(mode="video") as m:
        assert len(m.detect_all(beside, 0.0)) == 2 and m.poses_asked == NUM_POSES  # two: everyone
        assert len(m.detect_all(alone, 0.5)) == 1 and m.poses_asked == 1
        assert m.detect(alone, 1.0) is not None and m.poses_asked == 1
        m.reset()  # a different scene: the tracked person is dropped (a frame without anyone)
        assert m.poses_asked == NUM_POSES
        assert len(m.detect_all(beside, 2.0)) == 2


def _replay(scenes, calibration, step=0.5):
    """Run the production path over ``scenes`` ((label, pictures, seconds), each picture held 4 s) in
    VIDEO mode; returns (label, update, poses asked at that analysis) for every analysis, and the
    analyzer."""
    engine = PostureEngine(EngineSettings(), calibration)
    model = MediaPipePose(mode="video")
    analyzer = AdaptiveAnalyzer(engine, model, SamplingPolicy(SamplingSettings()))
    out = []
    t, index = 0.0, 0
    try:
        for label, pictures, seconds in scenes:
            end = t + seconds
            for picture in itertools.cycle(pictures):
                held = t + 4.0
                while t < min(held, end) - 1e-9:
                    frame = Frame(image=picture, t=t, index=index, source="composed")
                    asked = model.poses_asked
                    if analyzer.wants(t):
                        update = analyzer.process(frame, t)
                        if update is not None:
                            out.append((label, update, asked))
                    t, index = t + step, index + 1
                if t >= end - 1e-9:
                    break
    finally:
        model.close()
    return out, analyzer


@pytest.mark.shared_data
def test_a_colleague_switches_to_several_poses_and_the_user_is_still_the_one_judged(frames, calibration):
    threshold = EngineSettings().threshold_deg
    empty = frames["empty"]
    alone = [_pair(_panel(up), empty) for up in frames["upright"][5:10]]
    # The colleague sits on the other half, nearer the camera and slouching: judged, they read as poor.
    colleague = [_pair(empty, _panel(sl, 1.1)) for sl in frames["slouch"][:5]]
    pairs = zip(frames["upright"][5:10], frames["slouch"][:5], strict=True)
    both = [_pair(_panel(up), _panel(sl, 1.1)) for up, sl in pairs]
    scenes = [
        ("alone", alone, 30.0),
        ("away", [_pair(empty, empty)], 10.0),
        ("colleague", colleague, 20.0),
        ("both", both, 60.0),
        ("alone again", alone, QUIET_S + 40.0),
    ]
    out, analyzer = _replay(scenes, calibration)

    def phase(label):
        return [(u, asked) for lab, u, asked in out if lab == label]

    # The user alone: one pose from the second analysis on, the user judged upright.
    alone_first = phase("alone")
    assert all(u.sample.person and not u.look_for_others for u, _ in alone_first)
    assert all(asked == 1 for _, asked in alone_first[1:]), [a for _, a in alone_first]
    assert max(u.sample.head_forward_deg for u, _ in alone_first) < threshold
    # The user gone (half the picture changed: a strong change, not a different scene): the tracker
    # went on drawing a pose on the empty desk, judged as the user and poor, until a jump of the
    # tracked pose brought a fresh search. From the first analysis after leaving, nobody is present.
    gone = phase("away")
    assert gone and not any(u.sample.person for u, _ in gone), [u.sample.head_forward_deg for u, _ in gone]
    assert analyzer.counts.fresh_looks >= 1
    # The colleague alone in view: the one pose is theirs, not the user's; the model looks for everyone.
    with_colleague = phase("colleague")
    assert not any(u.sample.person for u, _ in with_colleague)
    assert any(u.look_for_others for u, _ in with_colleague)
    assert analyzer.counts.by_others >= 1
    assert with_colleague[-1][1] == NUM_POSES
    # The user back beside the colleague: several poses, both found, only the user judged.
    beside = phase("both")
    assert all(asked == NUM_POSES for _, asked in beside)
    judged = [u for u, _ in beside if u.sample.person]
    assert len(judged) >= len(beside) // 2 and len(judged) >= 3
    angles = [u.sample.head_forward_deg for u in judged]
    assert max(angles) < threshold, angles
    assert any(u.look_for_others for u, _ in beside)  # the colleague was seen (and not judged)
    # The colleague gone: after QUIET_S of only the user, one pose again, the user still judged.
    again = phase("alone again")
    assert all(u.sample.person for u, _ in again)
    assert again[0][1] == NUM_POSES and again[-1][1] == 1
    assert max(u.sample.head_forward_deg for u, _ in again) < threshold


@pytest.mark.shared_data
def test_a_colleague_arriving_while_one_pose_tracks_the_user_never_moves_the_angle(frames, calibration):
    threshold = EngineSettings().threshold_deg
    empty = frames["empty"]
    alone = [_pair(_panel(up), empty) for up in frames["upright"][5:10]]
    pairs = zip(frames["upright"][5:10], frames["slouch"][5:10], strict=True)
    both = [_pair(_panel(up), _panel(sl, 1.1)) for up, sl in pairs]
    out, _ = _replay([("alone", alone, 20.0), ("both", both, 60.0)], calibration)
    beside = [u for label, u, _ in out if label == "both"]
    assert beside
    judged = [u for u in beside if u.sample.person]
    assert len(judged) >= len(beside) // 2
    # Whether the one pose kept tracking the user or a fresh search found the colleague first (then the
    # model switched to several), the angle is always the user's upright one.
    for u in judged:
        assert u.sample.head_forward_deg < threshold
