"""The geometry's hand-at-the-face and standing cues on real landmark recordings.

The landmarks are the real MediaPipe recordings of one person at a frontal webcam in
../shared/data/posture/webcam-landmarks-5class (MIT, NelsonAK47/GA-projects; skipped with the reason when
absent). A hand is brought to the face by placing the recorded hand landmarks at the recorded nose, and
standing up by the evaluation's ``shift`` transform (postureguard.commands.evaluate._transform).
"""

from __future__ import annotations

import pytest

import test_geometry_cues
from postureguard.commands.evaluate import _transform
from postureguard.engine.core import PostureEngine, judge, standing
from postureguard.engine.geometry import HAND_POINTS, STANDING_RISE, measure, shoulder_rise
from postureguard.engine.landmarks import Point, Pose, PoseIndex
from postureguard.engine.settings import EngineSettings

pytestmark = pytest.mark.shared_data
THRESHOLD = 5.0
# The fixtures: one upright session, its calibration, and the slouching session.
straight, cal, slouch = test_geometry_cues.straight, test_geometry_cues.cal, test_geometry_cues.slouch


def _hand_at_nose(pose: Pose, offset_sw: float) -> Pose:
    """``pose`` with its right hand's landmarks (wrist, fingers) ``offset_sw`` shoulder widths beside the
    nose, at its height, and visible, as a hand held in front of the face or at the cheek puts them."""
    width_px = measure(pose).shoulder_width_frac * pose.width
    nose = pose[PoseIndex.NOSE]
    dx = offset_sw * width_px / pose.width
    pts = list(pose.image)
    for i in HAND_POINTS:
        if i % 2 == 0:  # the right side's points (16, 18, 20, 22)
            pts[i] = Point(nose.x + dx, nose.y, pts[i].z, 0.9)
    return Pose(tuple(pts), pose.width, pose.height)


def test_resting_hands_are_not_at_the_face(straight, slouch, cal):
    for poses in (straight, slouch):
        assert not any(f.hand_at_face for f in map(measure, poses))


@pytest.mark.parametrize("offset_sw", [0.2, 0.45])
def test_a_hand_at_the_face_is_unknown_but_present(slouch, cal, offset_sw):
    # Even on a real slouch (every frame of it poor without the hand): the hand's arm lifts the shoulder
    # line and its fingers move the face landmarks, so no angle is claimed either way.
    bare = [p for p in slouch if not measure(p).hand_at_face]
    assert all(judge(measure(p), cal, THRESHOLD).poor for p in bare)
    engine = PostureEngine(EngineSettings(), cal)
    for i, pose in enumerate(bare[:40]):
        covered = _hand_at_nose(pose, offset_sw)
        features = measure(covered)
        assert features is not None and features.hand_at_face
        assert judge(features, cal, THRESHOLD) is None
        sample = engine.update(covered, i * 0.25).sample
        assert sample.person and sample.posture == "unknown"


def test_a_hand_a_shoulder_width_away_is_not_at_the_face(straight, cal):
    features = [measure(_hand_at_nose(p, 1.0)) for p in straight[40:]]
    assert not any(f.hand_at_face for f in features)
    assert not any(judge(f, cal, THRESHOLD).poor for f in features)


def test_seated_postures_never_read_as_standing(straight, slouch, cal):
    for poses in (straight, slouch):
        rises = [shoulder_rise(f, cal.shoulder_mid_y, cal.shoulder_width_frac, cal.head_height)
                 for f in map(measure, poses) if f is not None]  # fmt: skip
        assert max(rises) < STANDING_RISE
        assert not any(standing(f, cal) for f in map(measure, poses) if f is not None)


def test_standing_up_reads_as_away(straight, cal):
    # Raised by 0.35 picture heights, about one shoulder width: standing in front of the desk.
    risen = [_transform(p, {"shift": [0, -0.35]}) for p in straight[40:]]
    flagged = [measure(p) is None or standing(measure(p), cal) for p in risen]
    assert sum(flagged) >= 0.95 * len(flagged)
    settings = EngineSettings()
    engine = PostureEngine(settings, cal)
    t = 0.0
    for pose in straight[40:80]:
        assert engine.update(pose, t).sample.person
        t += 0.25
    samples = []
    for pose in risen[:200]:
        samples.append(engine.update(pose, t).sample)
        t += 0.25
    assert samples[-1].state == "away"
    assert all(s.posture != "poor" for s in samples)
    assert sum(not s.person for s in samples) >= 0.95 * len(samples)


def test_a_calibration_without_a_place_never_reads_standing(straight, cal):
    from dataclasses import replace

    old = replace(cal, shoulder_mid_x=None, shoulder_mid_y=None)  # a version-1 calibration file
    assert not standing(measure(_transform(straight[50], {"shift": [0, -0.35]})), old)
