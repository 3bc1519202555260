"""The calibration records where the user sat; files from before (version 1) keep working."""

from __future__ import annotations

import json

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine
from postureguard.engine.geometry import measure
from postureguard.errors import CalibrationError
from postureguard.settings.calibration_file import load_calibration, save_calibration

V1 = {
    "schema": "postureguard.calibration",
    "version": 1,
    "created": "2026-11-01T10:00:00+00:00",
    "note": "",
    "reference": {"head_height": 0.55, "pitch": 0.1, "shoulder_width_frac": 0.3, "shoulder_tilt_deg": 0.0,
                  "samples": 10},
}  # fmt: skip


def test_calibration_records_the_shoulder_midpoint(tmp_path):
    pose = frontal_pose()
    cal = calibrate([measure(pose)] * 5)
    anchor = cal.anchor
    assert anchor is not None
    left, right = pose[11], pose[12]
    assert anchor.x == pytest.approx((left.x + right.x) / 2)
    assert anchor.y == pytest.approx((left.y + right.y) / 2)
    path = tmp_path / "cal.json"
    save_calibration(cal, path)
    doc = json.loads(path.read_text())
    assert doc["reference"]["shoulder_mid_x"] == pytest.approx(anchor.x)
    assert load_calibration(path).anchor == anchor


def test_a_version_1_file_still_judges(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(V1))
    cal = load_calibration(path)
    assert cal.anchor is None and cal.head_height == 0.55
    update = PostureEngine(calibration=cal).update(frontal_pose(), 0.0)
    assert update.sample.person and update.sample.head_forward_deg is not None


@pytest.mark.parametrize(("value", "message"), [(1.5, "shoulder_mid_x"), ("left", "shoulder_mid_x"),
                                                (True, "shoulder_mid_x")])  # fmt: skip
def test_an_impossible_position_is_refused(tmp_path, value, message):
    reference = {**V1["reference"], "shoulder_mid_x": value, "shoulder_mid_y": 0.5}
    doc = {**V1, "version": 2, "reference": reference}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(CalibrationError, match=message):
        load_calibration(path)
