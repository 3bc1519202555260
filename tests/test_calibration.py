"""Calibration: robust statistic, refusal without a person, versioned file with clear errors."""

from __future__ import annotations

import json
import stat

import pytest

from poses import frontal_pose
from postureguard.calibration_file import load_calibration, save_calibration
from postureguard.engine.calibration import calibrate
from postureguard.engine.geometry import measure
from postureguard.errors import CalibrationError


def test_one_wild_frame_does_not_move_the_reference():
    clean = calibrate([measure(frontal_pose())] * 6)
    wild = calibrate([measure(frontal_pose())] * 5 + [measure(frontal_pose(forward_deg=35))])
    assert wild.head_height == pytest.approx(clean.head_height, rel=1e-9)
    assert wild.samples == 6


def test_refuses_when_too_few_frames_show_a_person():
    with pytest.raises(CalibrationError, match="at least 3 frames .* found 2"):
        calibrate([measure(frontal_pose()), None, measure(frontal_pose()), None, None])


def test_file_round_trip_is_private(tmp_path):
    cal = calibrate([measure(frontal_pose())] * 5)
    path = tmp_path / "sub" / "cal.json"
    save_calibration(cal, path)
    assert load_calibration(path) == cal
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["schema"] == "postureguard.calibration" and doc["version"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "postureguard.calibration", "version": 99, "reference": {}}', "version 99"),
        ('{"schema": "something.else", "version": 1}', "not a PostureGuard calibration"),
        ('{"schema": "postureguard.calibration", "version": 1, "reference": {"pitch": 1}}', "lacks"),
        ("{not json", "not readable JSON"),
        (
            '{"schema": "postureguard.calibration", "version": 1, "reference": {"head_height": "x", '
            '"pitch": 0, "shoulder_width_frac": 0.3, "shoulder_tilt_deg": 0, "samples": 5}}',
            "non-numeric",
        ),
        (
            '{"schema": "postureguard.calibration", "version": 1, "reference": {"head_height": -1, '
            '"pitch": 0, "shoulder_width_frac": 0.3, "shoulder_tilt_deg": 0, "samples": 5}}',
            "impossible",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "cal.json"
    path.write_text(content)
    with pytest.raises(CalibrationError, match=message) as info:
        load_calibration(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CalibrationError, match="not found"):
        load_calibration(tmp_path / "nope.json")
