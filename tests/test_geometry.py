"""Geometry of the head-forward angle on synthetic frontal poses with known angles."""

from __future__ import annotations

import math

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import judge
from postureguard.engine.geometry import forward_angle_deg, measure


@pytest.fixture
def upright():
    return calibrate([measure(frontal_pose()) for _ in range(5)])


def test_upright_reads_zero(upright):
    j = judge(measure(frontal_pose()), upright, 5.0)
    assert j.head_forward_deg == pytest.approx(0.0, abs=1e-6)
    assert not j.poor and not j.extension


@pytest.mark.parametrize("deg", [2, 4, 6, 8, 12, 20, 30])
def test_forward_angle_recovers_the_simulated_drop(upright, deg):
    j = judge(measure(frontal_pose(forward_deg=deg)), upright, 5.0)
    assert j.head_forward_deg == pytest.approx(deg, abs=0.05)
    assert j.poor == (deg > 5)


def test_angle_grows_monotonically_with_forward_head(upright):
    angles = [
        judge(measure(frontal_pose(forward_deg=d)), upright, 5).head_forward_deg for d in range(0, 40, 2)
    ]
    assert angles == sorted(angles) and angles[-1] > 35


def test_mapping_is_near_linear_close_to_upright():
    # 1 % loss of head height is well under a degree, unlike acos(0.99) = 8.1 degrees.
    assert 0.5 < forward_angle_deg(0.99) < 0.9
    assert forward_angle_deg(1.05) < 0  # head higher than calibrated: signed negative


@pytest.mark.parametrize("deg", [10, 20, 35])
def test_neck_extension_is_not_forward(upright, deg):
    j = judge(measure(frontal_pose(extension_deg=deg)), upright, 5.0)
    assert j.extension
    assert j.head_forward_deg == 0.0 and not j.poor


def test_slight_extension_is_never_poor(upright):
    # Below the pitch margin extension is not recognised, but the ears drop too little to alert.
    for deg in (2, 4, 6, 8):
        assert not judge(measure(frontal_pose(extension_deg=deg)), upright, 5.0).poor


@pytest.mark.parametrize("scale", [0.8, 1.15, 1.3])
def test_leaning_towards_or_away_from_the_screen_is_not_forward_head(upright, scale):
    j = judge(measure(frontal_pose(scale=scale)), upright, 5.0)
    assert j.head_forward_deg == pytest.approx(0.0, abs=1e-6)
    assert j.lean_in == pytest.approx(scale, rel=1e-6)


def test_a_glance_down_moves_the_nose_not_the_ears(upright):
    j = judge(measure(frontal_pose(nod_px=25)), upright, 5.0)
    assert j.head_forward_deg == pytest.approx(0.0, abs=1e-6)


def test_one_hidden_ear_still_measures_and_both_fall_back_to_the_eyes():
    assert measure(frontal_pose(visible_ears=(False, True))).head_height is not None
    hidden = measure(frontal_pose(visible_ears=(False, False)))
    assert hidden is not None and hidden.head_height is None and hidden.eye_height is not None
    assert measure(None) is None


@pytest.mark.parametrize("tilt", [-8.0, 0.0, 6.0])
def test_shoulder_tilt_in_degrees(tilt):
    # frontal_pose(tilt>0) raises the image-right shoulder, i.e. the image-left one is lower.
    f = measure(frontal_pose(tilt_deg=tilt))
    assert f.shoulder_tilt_deg == pytest.approx(tilt, abs=1e-6)
    assert math.isfinite(f.head_height)
