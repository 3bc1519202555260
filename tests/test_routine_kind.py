"""What a suggestion offers, by the user's ``routine_kind``: a points routine or a 2-minute exercise.

From the setting through the real recommender and the app to what the user reads: the notification's
sentence and button, and the tray's first menu entry (built by pystray's own menu classes in a child
process, as tests/test_tray_menu.py does). The notification server is a recorder (test_app.py's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import EXIT_S, START_S
from postureguard.engine.policy import suggestion_text
from postureguard.knowledge.loader import load_knowledge
from postureguard.settings.config import DEFAULTS, Settings
from test_app import GOOD, POOR, feed, make_app


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


_MENU_CHILD = r"""
import json, sys, types
import pystray
from postureguard.runtime.messages import TrayIcon, TrayState
from postureguard.ui.tray import Tray

title, kind = sys.argv[1], sys.argv[2]
state = TrayState(icon=TrayIcon.POOR, tooltip="PostureGuard", paused=False, sensitivity="medium",
                  sitting_limit_min=50, suggestion_title=title, status_line="", suggestion_kind=kind)
holder = types.SimpleNamespace(state=state, app=None, routines=[])
menu = Tray._menu(holder, pystray)
print(json.dumps(menu.items[0].text))
"""


def _first_menu_entry(title: str, kind: str) -> str:
    env = {**os.environ, "PYSTRAY_BACKEND": "dummy"}
    run = subprocess.run([sys.executable, "-c", _MENU_CHILD, title, kind], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(
    ("kind", "routine_id", "sentence", "button", "entry"),
    [
        ("points", "neck-release", "Suggested: Neck release (points routine, 10 min).", "Start routine",
         "Start suggested routine: Neck release"),
        ("exercises", "chin-tucks", "Suggested exercise: Chin tucks (2-minute exercise).", "Start exercise",
         "Start suggested exercise: Chin tucks (2-minute exercise)"),
    ],
)  # fmt: skip
def test_a_posture_alert_offers_the_kind_the_user_prefers(tmp_path, kb, kind, routine_id, sentence, button,
                                                          entry):  # fmt: skip
    app, wall, mono, launched = make_app(tmp_path, kb, settings=Settings(routine_kind=kind))
    feed(app, wall, mono, GOOD, 10)
    feed(app, wall, mono, POOR, 8)
    (alert,) = app.store.alerts()
    assert alert.trigger == "neck_strain" and alert.routine_id == routine_id
    note = app.notifier.sent[-1]
    assert note["title"] == "Time to sit up" and note["body"].endswith(sentence), note["body"]
    other = {"Start routine": "Start exercise", "Start exercise": "Start routine"}[button]
    assert button in note["buttons"] and other not in note["buttons"]
    note["buttons"][button]()
    assert launched == [(routine_id, "notification")]
    state = app.tray_state()
    assert state.suggestion_kind == kind and state.suggestion_title == kb.routine(routine_id).title
    assert _first_menu_entry(state.suggestion_title, state.suggestion_kind) == entry


def test_the_sitting_alert_offers_stand_up_and_walk_to_those_who_prefer_exercise(tmp_path, kb):
    settings = Settings(routine_kind="exercises", sitting_limit_minutes=1)
    app, wall, mono, _launched = make_app(tmp_path, kb, settings=settings)
    feed(app, wall, mono, GOOD, 75)
    sitting = [n for n in app.notifier.sent if "sitting" in n["body"]]
    assert sitting, app.notifier.sent
    assert "Suggested exercise: Stand up and walk (2-5 minutes)." in sitting[-1]["body"]
    assert "Start exercise" in sitting[-1]["buttons"]


def test_the_sentence_names_the_kind_and_a_missing_routine_keeps_its_reason():
    assert suggestion_text("Neck release", 9.6) == "Suggested: Neck release (points routine, 10 min)."
    assert suggestion_text("Chin tucks", 2, kind="exercises") == "Suggested exercise: Chin tucks."
    assert suggestion_text(None, None, "Nothing fits.", kind="exercises") == "Nothing fits."


def test_the_default_is_points_for_existing_settings_files():
    # Settings files written before the preference existed keep what they offered (see README); the
    # first run asks new users, with the exercises preselected (the test below).
    assert DEFAULTS["routine_kind"] == "points"


# ===== the first run asks =========================================================================


def _walk_setup(session, home: Path, tmp_path: Path, name: str, *, first_time: bool) -> None:
    """Run ``postureguard setup`` at 200 % through to Finish with the keyboard, taking the step-4 shot."""
    from clips import posture_frames, write_clip
    from test_settings_window import _answer_step_one, _app_env, _shot, _wait_log, _window

    clip = write_clip(tmp_path / "upright.avi", posture_frames(30, 0), 10.0)
    log_name = f"{name}.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "setup", "--source", str(clip), "--countdown", "0",
            "--frames", "3"]  # fmt: skip
    proc = session.popen(argv, log_name, env=_app_env(session, home, "2"))
    try:
        window = _window(session, "PostureGuard setup", proc, log_name)
        _wait_log(session, log_name, "setup step 1")
        if first_time:
            _answer_step_one(session, window, pregnant=False, blood_thinners=False)
        else:
            session.key(window, "space")  # the answers are known: only the tick is needed
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 2")
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 3")
        session.key(window, "Return")  # Start calibrating
        _wait_log(session, log_name, "setup calibration saved", timeout=START_S)
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 4")
        _shot(session, window, f"{name}-4-settings.png")  # also checks the window stays on the screen
        session.key(window, "Return")  # Finish
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.e2e
def test_the_first_run_offers_exercises_to_a_new_user_and_keeps_a_returning_users_choice(
    desktop_session, isolated_home, tmp_path
):
    from postureguard.knowledge.recommender import Recommender, SafetySettings
    from postureguard.settings.config import load_settings, save_settings, with_value

    settings_file = isolated_home / "config" / "settings.toml"
    _walk_setup(desktop_session, isolated_home, tmp_path, "first-run-kind-new", first_time=True)
    saved = load_settings(settings_file)
    assert saved.warnings == [] and saved.settings.routine_kind == "exercises"
    kb = load_knowledge(include_user=False)
    neck = Recommender(kb, SafetySettings(**saved.settings.to_safety())).recommend("neck_strain")
    assert neck.routine.kind == "exercises" and neck.routine.id == "chin-tucks"

    # Set up again after choosing points in the settings: the walk-through shows and keeps that choice.
    save_settings(with_value(saved.settings, "routine_kind", "points"), settings_file)
    _walk_setup(desktop_session, isolated_home, tmp_path, "first-run-kind-again", first_time=False)
    again = load_settings(settings_file).settings
    assert again.routine_kind == "points"
    neck = Recommender(kb, SafetySettings(**again.to_safety())).recommend("neck_strain")
    assert neck.routine.kind == "points"
