"""A moved camera reaches the user: the engine's CameraMoved becomes one notification and a tooltip hint.

The app is the real controller (real SQLite history, real knowledge base), with the notification server
replaced by test_app's recorder; the engine-level rule on real pictures is in test_person_real.py.
"""

from __future__ import annotations

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import calibrate
from postureguard.engine.geometry import measure
from postureguard.engine.person import CAMERA_MOVED_AFTER_S
from postureguard.knowledge.loader import load_knowledge
from postureguard.runtime.messages import CalibrationDone
from test_app import GOOD, feed, make_app

#: The user as the camera sees them after it was turned: a shoulder width and a half to the side.
MOVED = frontal_pose(centre=(620.0, 330.0), shoulder_width=200.0)


@pytest.fixture
def kb():
    return load_knowledge(include_user=False)


def _moved_notes(app):
    return [n for n in app.notifier.sent if n["title"] == "Has the camera moved?"]


def test_a_moved_camera_is_said_once_and_shown_until_recalibrated(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb)
    feed(app, wall, mono, GOOD, 10)
    assert "camera moved" not in app.tray_state().tooltip
    feed(app, wall, mono, MOVED, CAMERA_MOVED_AFTER_S - 5)
    assert _moved_notes(app) == []  # not yet: a minute of being elsewhere first
    feed(app, wall, mono, MOVED, 10)
    notes = _moved_notes(app)
    assert len(notes) == 1 and "Calibrate now" in notes[0]["body"]
    assert "camera moved? Calibrate now" in app.tray_state().tooltip
    feed(app, wall, mono, MOVED, 120)
    assert len(_moved_notes(app)) == 1  # once per calibration
    # Recalibrating where the user now sits clears the hint and judges them again.
    cal = calibrate([measure(MOVED)] * 5)
    app.owner.engine.set_calibration(cal)
    app.outbox.put(CalibrationDone(cal))
    feed(app, wall, mono, MOVED, 3)
    state = app.tray_state()
    assert "camera moved" not in state.tooltip and state.icon == "good"


def test_the_user_back_in_place_clears_the_hint(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb)
    feed(app, wall, mono, GOOD, 5)
    feed(app, wall, mono, MOVED, CAMERA_MOVED_AFTER_S + 5)
    assert "camera moved?" in app.tray_state().tooltip
    feed(app, wall, mono, GOOD, 3)  # the camera was put back
    assert "camera moved?" not in app.tray_state().tooltip
