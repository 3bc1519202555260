"""The geometry's cues on real landmark recordings: head roll, a turned head, hidden ears.

The landmarks are the real MediaPipe recordings in ../shared/data/posture/webcam-landmarks-5class
(skipped with the reason when absent); the roll, turn and hidden ears are applied to them with the
transforms the scenario evaluation uses (postureguard.commands.evaluate._transform).
"""

from __future__ import annotations

import csv
import statistics

import pytest

from postureguard.commands.evaluate import _transform
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import judge
from postureguard.engine.geometry import forward_angle_deg, measure
from postureguard.engine.landmarks import Point, Pose, PoseIndex

pytestmark = pytest.mark.shared_data
THRESHOLD = 5.0


def _load(posture_data, name):
    folder = posture_data / "webcam-landmarks-5class" / "project_capstone" / "Data"
    path = folder / f"coords_webcam_{name}_2.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        return [Pose(tuple(Point(float(r[f"x{k}"]), float(r[f"y{k}"]), float(r[f"z{k}"]), float(r[f"v{k}"]))
                           for k in range(1, 34)), 800, 600) for r in csv.DictReader(fh)]  # fmt: skip


@pytest.fixture(scope="module")
def straight(posture_data):
    return _load(posture_data, "straight")


@pytest.fixture(scope="module")
def cal(straight):
    return calibrate([measure(p) for p in straight[:40]])


@pytest.fixture(scope="module")
def slouch(posture_data):
    """The recorded slouching session (the other cue tests' poor frames)."""
    return _load(posture_data, "slouch")


def _angles(poses, cal, **transform):
    out = []
    for pose in poses:
        j = judge(measure(_transform(pose, transform)), cal, THRESHOLD)
        out.append(None if j is None else j.head_forward_deg)
    return out


@pytest.mark.parametrize("roll", [-25, 25])
def test_a_head_tilted_sideways_is_not_forward(straight, cal, roll):
    angles = _angles(straight[40:], cal, roll_deg=roll)
    assert statistics.median(angles) < 1.0 and sum(a > THRESHOLD for a in angles) <= len(angles) * 0.02
    # The vertical height alone (what the geometry measured before the roll cue) reads it as forward.
    vertical = []
    for pose in straight[40:]:
        p = _transform(pose, {"roll_deg": roll})
        ear_y = (p.px(PoseIndex.LEFT_EAR)[1] + p.px(PoseIndex.RIGHT_EAR)[1]) / 2
        mid_y = (p.px(PoseIndex.LEFT_SHOULDER)[1] + p.px(PoseIndex.RIGHT_SHOULDER)[1]) / 2
        width_px = measure(p).shoulder_width_frac * 800
        vertical.append(forward_angle_deg((mid_y - ear_y) / width_px / cal.head_height))
    assert statistics.median(vertical) > statistics.median(angles) + 2.5


@pytest.mark.parametrize("yaw", [-0.35, 0.35])
def test_a_head_turned_to_a_second_screen_is_not_forward(straight, cal, yaw):
    angles = _angles(straight[40:], cal, yaw=yaw)
    assert max(angles) < THRESHOLD


def test_both_ears_hidden_measures_from_the_eyes(posture_data, straight, cal):
    assert cal.eye_height is not None
    hidden = {"hide": [PoseIndex.LEFT_EAR, PoseIndex.RIGHT_EAR]}
    upright = _angles(straight[40:], cal, **hidden)
    assert all(a is not None for a in upright) and max(upright) < THRESHOLD
    slouch = _angles(_load(posture_data, "slouch"), cal, **hidden)
    assert sum(a > THRESHOLD for a in slouch) >= 0.95 * len(slouch)


def test_no_ear_and_no_eye_is_unknown_but_present(straight, cal):
    pose = _transform(straight[50], {"hide": [2, 5, 7, 8]})
    features = measure(pose)
    assert features is not None  # shoulders and nose: someone is there
    assert judge(features, cal, THRESHOLD) is None  # but the head cannot be judged
