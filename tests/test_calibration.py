"""Calibration: robust statistic, refusal without a person, versioned file with clear errors."""

from __future__ import annotations

import json
import stat

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import (
    CALIBRATION_SPACING_S,
    CalibrationProgress,
    CalibrationSession,
    calibrate,
)
from postureguard.engine.geometry import measure
from postureguard.errors import CalibrationError
from postureguard.settings.calibration_file import load_calibration, save_calibration


def test_one_wild_frame_does_not_move_the_reference():
    clean = calibrate([measure(frontal_pose())] * 6)
    wild = calibrate([measure(frontal_pose())] * 5 + [measure(frontal_pose(forward_deg=35))])
    assert wild.head_height == pytest.approx(clean.head_height, rel=1e-9)
    assert wild.samples == 6


def test_frames_with_a_hand_at_the_face_are_not_taken_into_the_reference():
    from dataclasses import replace

    from postureguard.engine.calibration import calibrate

    upright = measure(frontal_pose())
    # A raised hand lifts its shoulder and moves the face: such frames read as a lower, tilted head.
    hand = replace(upright, hand_at_face=True, head_height=upright.head_height * 0.8, shoulder_tilt_deg=9.0)
    assert calibrate([upright] * 4 + [hand] * 4) == calibrate([upright] * 4)
    with pytest.raises(CalibrationError):
        calibrate([upright] * 2 + [hand] * 6)  # only two frames can be used: too few


def test_refuses_when_too_few_frames_show_a_person():
    with pytest.raises(CalibrationError, match="at least 3 frames .* found 2"):
        calibrate([measure(frontal_pose()), None, measure(frontal_pose()), None, None])


def test_session_takes_frames_spaced_and_stops_at_the_count():
    session = CalibrationSession(4)
    taken = [session.add(frontal_pose(), i * 0.1).taken for i in range(40)]
    # Frames 0.1 s apart: every third one is at least CALIBRATION_SPACING_S (0.3 s) after the last.
    assert taken[:10] == [True, False, False, True, False, False, True, False, False, True]
    assert sum(taken) == 4 and session.done
    assert session.finish() == calibrate([measure(frontal_pose())] * 4)


def test_session_waits_for_the_settle_time_from_its_start():
    session = CalibrationSession(3, settle_s=5.0, start_t=100.0)
    early = session.add(frontal_pose(forward_deg=35), 104.9)
    assert early == CalibrationProgress(taken=False, looked_at=0, with_person=0, wanted=3, settling=True,
                                        done=False)
    assert not session.wants(104.0) and session.wants(105.0)
    for t in (105.0, 106.0, 107.0):
        session.add(frontal_pose(), t)
    assert session.finish() == calibrate([measure(frontal_pose())] * 3)
    # Without start_t the first frame seen starts the settle time.
    late = CalibrationSession(3, settle_s=2.0)
    assert [late.add(frontal_pose(), t).taken for t in (10.0, 11.0, 12.0)] == [False, False, True]


def test_session_photos_take_every_frame_and_a_live_one_gives_up():
    photos = CalibrationSession(3, min_spacing_s=0)
    assert [photos.add(None, 0.0).taken for _ in range(3)] == [True, True, True]
    live = CalibrationSession(3, max_looked_at=12)
    progress = [live.add(None, i * CALIBRATION_SPACING_S) for i in range(20)]
    assert [p.done for p in progress].index(True) == 11 and progress[-1].looked_at == 12
    assert not progress[-1].taken and progress[-1].with_person == 0
    with pytest.raises(CalibrationError, match="at least 3 frames .* found 0 of 12 looked at"):
        live.finish()


def test_session_needs_min_three_and_its_own_count_and_keeps_the_trimmed_mean():
    # Fewer frames than wanted still calibrate once three show a person (a short video, few photos).
    short = CalibrationSession(10, min_spacing_s=0)
    for pose in (frontal_pose(), None, frontal_pose(), frontal_pose()):
        short.add(pose, 0.0)
    assert not short.done and short.finish().samples == 3
    with pytest.raises(CalibrationError, match="at least 3 frames .* found 2 of 3"):
        two = CalibrationSession(10, min_spacing_s=0)
        for pose in (frontal_pose(), None, frontal_pose()):
            two.add(pose, 0.0)
        two.finish()
    # Asked for one frame, one is enough.
    one = CalibrationSession(1, min_spacing_s=0)
    assert one.add(frontal_pose(), 0.0).done and one.finish().samples == 1
    # The robust statistic: one wild frame among six does not move the reference.
    wild = CalibrationSession(6, min_spacing_s=0)
    for pose in [frontal_pose()] * 5 + [frontal_pose(forward_deg=35)]:
        wild.add(pose, 0.0)
    assert wild.finish().head_height == pytest.approx(calibrate([measure(frontal_pose())] * 6).head_height)


def test_session_for_an_input_picks_spacing_and_look_limit():
    camera = CalibrationSession.for_input(5, stream=True, live=True, settle_s=5.0, start_t=0.0)
    assert (camera.min_spacing_s, camera.max_looked_at, camera.settle_s) == (CALIBRATION_SPACING_S, 20, 5.0)
    video = CalibrationSession.for_input(5, stream=True, live=False)
    assert (video.min_spacing_s, video.max_looked_at) == (CALIBRATION_SPACING_S, None)
    photos = CalibrationSession.for_input(5, stream=False, live=False)
    assert (photos.min_spacing_s, photos.max_looked_at) == (0.0, None)


@pytest.mark.parametrize(
    "kwargs", [{"frames": 0}, {"frames": 3, "min_spacing_s": -1}, {"frames": 3, "settle_s": float("nan")},
               {"frames": 3, "max_looked_at": 0}],
)
def test_session_refuses_impossible_rules(kwargs):
    with pytest.raises(ValueError):
        CalibrationSession(**kwargs)


def test_file_round_trip_is_private(tmp_path):
    cal = calibrate([measure(frontal_pose())] * 5)
    path = tmp_path / "sub" / "cal.json"
    save_calibration(cal, path)
    assert load_calibration(path) == cal
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["schema"] == "postureguard.calibration" and doc["version"] == 2


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
