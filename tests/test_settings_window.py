"""The settings window and the first-run setup: the logic directly, the windows in a real X session.

The ``e2e`` tests start ``postureguard settings`` / ``postureguard setup`` as real processes in the shared
private desktop (tests/desktop.py), find the windows by title with xdotool, type into them with XTEST key
events, and observe the results: the settings file on disk, the calibration file, the process logs and
screenshots (saved to test-results/ for a person to look at).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from desktop import COMMAND_S, EXIT_S, REACT_S, RESULTS_DIR, START_S, DesktopSession, wait_for
from postureguard.errors import DataError
from postureguard.knowledge.loader import load_knowledge
from postureguard.settings.config import Settings, load_settings, save_settings
from postureguard.ui import first_run
from postureguard.ui.settings_window import SettingsController, sensitivity_text, validate_change
from postureguard.ui.tk_support import ERROR_FG, font_sizes, ui_scale

REPO = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".webp"}


# ----- logic ------------------------------------------------------------------------------------------


def test_sensitivity_texts_name_the_engine_angles():
    assert "8°" in sensitivity_text("low")
    assert "5°" in sensitivity_text("medium")
    assert "3.5°" in sensitivity_text("high")


def test_points_to_avoid_are_checked_against_the_knowledge_base():
    kb = load_knowledge()
    s = Settings()
    assert validate_change(s, "avoid_points", "hegu, gb21", kb).avoid_points == ("LI4", "GB21")
    assert validate_change(s, "avoid_points", "", kb).avoid_points == ()
    with pytest.raises(DataError, match=r"'LI44' is not a point.*did you mean"):
        validate_change(s, "avoid_points", "LI4, LI44", kb)
    with pytest.raises(DataError, match="not an acupoint code"):
        validate_change(s, "avoid_points", "LI4; drop table", kb)


def test_controller_saves_valid_changes_only_and_keeps_other_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "settings.toml"
    save_settings(Settings(), path)
    c = SettingsController(path, load_knowledge())
    before = path.read_bytes()
    bad = c.apply("quiet_hours", "22:00-25:00")
    assert bad.error and not bad.saved and path.read_bytes() == before
    # Another program (the tray) changes a different key meanwhile; the window's save must keep it.
    save_settings(Settings(sensitivity="high"), path)
    good = c.apply("quiet_hours", "22:00-07:00")
    assert good.saved and good.error is None
    on_disk = load_settings(path).settings
    assert (on_disk.quiet_hours, on_disk.sensitivity) == ("22:00-07:00", "high")
    # Start at login installs the real entry before the setting is saved.
    assert c.apply("start_at_login", "true").saved
    assert (tmp_path / "xdg" / "autostart" / "postureguard.desktop").exists()
    assert load_settings(path).settings.start_at_login is True
    assert c.apply("start_at_login", "false").saved
    assert not (tmp_path / "xdg" / "autostart" / "postureguard.desktop").exists()


def test_the_profile_is_chosen_among_those_on_disk(isolated_home):
    from postureguard.engine.calibration import Calibration
    from postureguard.settings.profiles import save_profile
    from postureguard.ui.settings_window import SettingsWindow

    path = isolated_home / "config" / "settings.toml"
    save_settings(Settings(), path)
    save_profile("desk", Calibration(0.6, 0.0, 0.3, 0.0, 5, 0.5, 0.7, 0.7))
    assert SettingsWindow._profile_names("default") == ["desk", "default"]  # in use, not yet calibrated
    c = SettingsController(path, load_knowledge())
    assert c.apply("profile", "desk").saved and load_settings(path).settings.profile == "desk"
    assert c.apply("profile", "../x").error and load_settings(path).settings.profile == "desk"


def test_ui_scale_from_the_environment():
    assert ui_scale({"POSTUREGUARD_UI_SCALE": "2"}) == 2.0
    assert ui_scale({"POSTUREGUARD_UI_SCALE": "125%"}) == 1.25
    assert ui_scale({"POSTUREGUARD_UI_SCALE": "huge", "GDK_SCALE": "2"}) == 2.0
    assert ui_scale({"POSTUREGUARD_UI_SCALE": "40"}) == 1.0
    assert font_sizes(2.0)["body"] == 2 * font_sizes(1.0)["body"]


def test_setup_state_round_trip(tmp_path):
    path = tmp_path / "setup.json"
    assert not first_run.is_done(path)
    path.write_text("{broken")
    assert not first_run.is_done(path)
    first_run.mark_done(datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc), True, path)
    assert first_run.is_done(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_sitting_choices_and_fit():
    assert first_run.sitting_choices(50) == [30, 45, 50, 60, 90, 0]
    assert first_run.sitting_choices(0) == [30, 45, 60, 90, 0]
    assert first_run.fit_size(640, 480, 400, 300) == (400, 300)
    assert first_run.fit_size(320, 375, 400, 300) == (256, 300)


def test_landmarks_are_drawn_on_a_real_photo():
    from photos import photo
    from postureguard.vision.pose import MediaPipePose

    image = photo("grace_hopper")
    with MediaPipePose(mode="image") as model:
        pose = model.detect(image, 0.0)
    assert pose is not None
    drawn = first_run.draw_pose(image, pose)
    assert drawn.shape == image.shape and drawn is not image
    h, w = image.shape[:2]
    ear = pose.image[7]
    x, y = round(ear.x * w), round(ear.y * h)
    patch = (slice(max(0, y - 3), y + 4), slice(max(0, x - 3), x + 4))
    assert not np.array_equal(drawn[patch], image[patch]), "the ear landmark is marked"
    assert np.array_equal(first_run.draw_pose(image, None), image)


# ----- real windows --------------------------------------------------------------------------------------


def _app_env(session: DesktopSession, home: Path, scale: str) -> dict[str, str]:
    env = dict(session.env)
    env.update(PYTHONPATH=str(REPO / "src"), POSTUREGUARD_HOME=str(home), POSTUREGUARD_UI_SCALE=scale)
    return env


def _window(session: DesktopSession, title: str, proc: subprocess.Popen, log_name: str) -> int:
    def found() -> int | None:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}: {session.read_log(log_name)}")
        ids = session.search_windows(name=f"^{title}$", visible=True)
        return ids[0] if ids else None

    try:
        window = wait_for(found, START_S, f"the window titled {title!r}")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; log: {session.read_log(log_name)}") from None
    return window


def _wait_log(session: DesktopSession, log_name: str, text: str, timeout: float = REACT_S) -> None:
    try:
        wait_for(lambda: text in session.read_log(log_name), timeout, f"{text!r} in {log_name}")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; log:\n{session.read_log(log_name)}") from None


def _shot(session: DesktopSession, window: int, name: str) -> np.ndarray:
    from PIL import Image

    x, y, w, h = session.window_geometry(window)
    sw, sh = 1280, 800
    assert x >= 0 and y >= 0 and x + w <= sw and y + h <= sh, (
        f"{name}: window {w}x{h}+{x}+{y} leaves the screen"
    )
    path = session.screenshot(name, crop=(x, y, w, h))
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _error_pixels(image: np.ndarray) -> int:
    """Pixels close to the inline error colour (anti-aliased text shades are near it, not equal)."""
    target = np.array([int(ERROR_FG[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image.astype(int) - target).sum(axis=2) < 40).sum())


def _shot_until(session: DesktopSession, window: int, name: str, wanted) -> np.ndarray:
    """Screenshot the window until ``wanted(error pixel count)`` holds (the drawing may lag the log)."""

    def attempt() -> list[np.ndarray] | None:
        image = _shot(session, window, name)
        return [image] if wanted(_error_pixels(image)) else None

    return wait_for(attempt, REACT_S, f"{name} to show the expected inline error state")[0]


@pytest.mark.e2e
def test_settings_window_validates_inline_and_saves_atomically(desktop_session, isolated_home):
    session = desktop_session
    path = isolated_home / "config" / "settings.toml"
    save_settings(Settings(), path)
    log_name = "settings-window.log"
    proc = session.popen(
        [sys.executable, "-m", "postureguard", "-v", "settings"],
        log_name,
        env=_app_env(session, isolated_home, "2"),
    )
    try:
        window = _window(session, "PostureGuard settings", proc, log_name)
        _wait_log(session, log_name, "cameras:")  # the bounded camera probe answered
        clean = _shot(session, window, "settings-window-200.png")
        assert _error_pixels(clean) < 20, "no error is shown before anything is typed"

        before = path.read_bytes()
        inode = path.stat().st_ino
        # The first field (sustain seconds) has the focus with its text selected: typing replaces it.
        session.type_text(window, "abc")
        _wait_log(session, log_name, "not saved: sustain_seconds = 'abc'")
        marked = _shot_until(session, window, "settings-window-200-invalid.png", lambda n: n > 200)
        assert _error_pixels(marked) > 200
        assert path.read_bytes() == before, "an invalid entry must not be saved"

        # Meanwhile the tray (here: the config command) changes another key; the window must keep it.
        subprocess.run(
            [sys.executable, "-m", "postureguard", "config", "set", "sensitivity", "high"],
            env=_app_env(session, isolated_home, "1"), check=True, capture_output=True, timeout=COMMAND_S,
        )  # fmt: skip
        # The window's save must replace the file, not write into it: a new inode. (Compared with the
        # file as `config set` left it; the first file's inode may be free for reuse by now.)
        inode = path.stat().st_ino
        session.key(window, "BackSpace", "BackSpace", "BackSpace", "9", "0")
        wait_for(
            lambda: load_settings(path).settings.sustain_seconds == 90, REACT_S, "sustain_seconds = 90 saved"
        )
        saved = load_settings(path)
        assert saved.warnings == []
        assert saved.settings.sensitivity == "high", "a change made elsewhere survives the window's save"
        assert path.stat().st_ino != inode, "saved by writing a new file and renaming it over the old one"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        # The lock file beside it goes when the save lets go of it, a moment after the rename (under
        # load the folder was once seen in between): wait for the save to finish, then nothing is left.
        wait_for(lambda: sorted(p.name for p in path.parent.iterdir()) == ["settings.toml"], REACT_S,
                 "no temporary or lock files left once the save is done")  # fmt: skip
        fixed = _shot_until(session, window, "settings-window-200-saved.png", lambda n: n < 20)
        assert _error_pixels(fixed) < 20

        session.key(window, "Escape")
        assert proc.wait(timeout=EXIT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.e2e
def test_settings_window_at_125_percent(desktop_session, isolated_home):
    session = desktop_session
    from postureguard.engine.calibration import Calibration
    from postureguard.settings.profiles import save_profile

    for name in ("laptop", "desk"):  # the Camera section offers the profiles on disk
        save_profile(name, Calibration(0.6, 0.0, 0.3, 0.0, 5, 0.5, 0.7, 0.7))
    log_name = "settings-window-125.log"
    proc = session.popen(
        [sys.executable, "-m", "postureguard", "-v", "settings"],
        log_name,
        env=_app_env(session, isolated_home, "1.25"),
    )
    try:
        window = _window(session, "PostureGuard settings", proc, log_name)
        _wait_log(session, log_name, "cameras:")  # the bounded probe answered ("none found" is valid)
        _shot(session, window, "settings-window-125.png")
        # Scroll to the lower sections (camera, safety, start-up) with the mouse wheel, as a person would.
        x, y, w, h = session.window_geometry(window)
        session.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2))
        session.run("xdotool", "click", "--repeat", "15", "--delay", "30", "5")
        _shot(session, window, "settings-window-125-lower.png")
        session.key(window, "Escape")
        assert proc.wait(timeout=EXIT_S) == 0
        assert not (isolated_home / "config" / "settings.toml").exists(), "opening and closing saves nothing"
    finally:
        if proc.poll() is None:
            proc.kill()


def _answer_step_one(session: DesktopSession, window: int, *, pregnant: bool, blood_thinners: bool) -> None:
    """Tick "I understand", then answer the two safety questions with the keyboard.

    The focus starts on the tick box; Tab then visits Yes and No of the first question, then of the second.
    """
    keys = ["space", "Tab"]  # tick; focus on the first question's Yes
    keys += ["space", "Tab", "Tab"] if pregnant else ["Tab", "space", "Tab"]
    keys += ["space"] if blood_thinners else ["Tab", "space"]
    session.key(window, *keys)


@pytest.mark.e2e
@pytest.mark.parametrize("pregnant, blood_thinners", [(True, False), (False, True)])
def test_first_run_asks_the_safety_questions_and_the_answers_change_the_suggestions(
    desktop_session, isolated_home, tmp_path, pregnant, blood_thinners
):
    from clips import posture_frames, write_clip
    from postureguard.knowledge.recommender import Recommender, SafetySettings

    session = desktop_session
    clip = write_clip(tmp_path / "upright.avi", posture_frames(30, 0), 10.0)
    log_name = f"first-run-safety-{int(pregnant)}{int(blood_thinners)}.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "setup", "--source", str(clip), "--countdown", "0",
            "--frames", "3"]  # fmt: skip
    proc = session.popen(argv, log_name, env=_app_env(session, isolated_home, "2"))
    try:
        window = _window(session, "PostureGuard setup", proc, log_name)
        _wait_log(session, log_name, "setup step 1")
        session.key(window, "space", "Return")  # tick only, then try Next: the questions are unanswered
        _wait_log(session, log_name, "setup answers: pregnancy_mode=unanswered, blood_thinners=unanswered")
        session.key(window, "Tab", "space")  # answer the first question Yes: logged after the Return
        _wait_log(session, log_name, "setup answers: pregnancy_mode=yes")
        assert "setup step 2" not in session.read_log(log_name), "Next works only once both are answered"
        session.key(window, *(["Tab"] if pregnant else ["Tab", "space"]))  # keep Yes, or change it to No
        session.key(window, *(["Tab", "space"] if blood_thinners else ["Tab", "Tab", "space"]))
        words = {True: "yes", False: "no"}
        _wait_log(session, log_name, f"setup answers: pregnancy_mode={words[pregnant]}, "
                  f"blood_thinners={words[blood_thinners]}")  # fmt: skip
        _shot(session, window, f"first-run-1-safety-{int(pregnant)}{int(blood_thinners)}.png")
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 2")
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 3")
        session.key(window, "Return")  # Start calibrating
        _wait_log(session, log_name, "setup calibration saved", timeout=START_S)
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 4")
        session.key(window, "Return")  # Finish
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()
    saved = load_settings(isolated_home / "config" / "settings.toml")
    assert saved.warnings == []
    assert (saved.settings.pregnancy_mode, saved.settings.blood_thinners) == (pregnant, blood_thinners)

    # The answers as the tray app reads them, through the real knowledge base and recommender; the
    # points routines are asked for (a new user's suggestions are exercises, which press nothing).
    kb = load_knowledge(include_user=False)
    safety = SafetySettings(**{**saved.settings.to_safety(), "routine_kind": "points"})
    neck = Recommender(kb, safety).recommend("neck_strain")
    sitting = Recommender(kb, safety).recommend("prolonged_sitting")
    neck_codes = set(neck.routine.point_codes)
    sitting_codes = set(sitting.routine.point_codes)
    assert ("GB21" in neck_codes) != pregnant and ("BL23" in sitting_codes) != pregnant
    assert neck.light_only == blood_thinners and sitting.light_only == blood_thinners
    assert ("Press every point lightly" in neck.reason) == blood_thinners
    # Blood thinners: the sitting routine with less firm pressing comes first.
    if blood_thinners:
        assert sitting.routine.id == "low-back-release"


@pytest.mark.e2e
def test_first_run_walks_through_and_calibrates_from_real_frames(desktop_session, isolated_home, tmp_path):
    from clips import posture_frames, write_clip
    from postureguard.settings.calibration_file import load_calibration

    session = desktop_session
    clip = write_clip(tmp_path / "upright.avi", posture_frames(30, 0), 10.0)
    log_name = "first-run.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "setup", "--source", str(clip), "--countdown", "2"]
    proc = session.popen(argv, log_name, env=_app_env(session, isolated_home, "2"))
    calibration = isolated_home / "config" / "calibration.json"
    try:
        window = _window(session, "PostureGuard setup", proc, log_name)
        _wait_log(session, log_name, "setup step 1")
        _shot(session, window, "first-run-1-notice.png")
        _answer_step_one(session, window, pregnant=False, blood_thinners=False)
        session.key(window, "Return")  # Next
        _wait_log(session, log_name, "setup step 2")
        _wait_log(session, log_name, "setup preview: first frame shown (You are in view")
        _shot(session, window, "first-run-2-camera.png")
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 3")
        session.key(window, "Return")  # Start
        _wait_log(session, log_name, "setup calibration: countdown of 2 s")
        _shot(session, window, "first-run-3-countdown.png")
        # Recording runs MediaPipe on the clip's frames: the slowest reaction here.
        _wait_log(session, log_name, "setup calibration saved", timeout=START_S)
        cal = load_calibration(calibration)
        assert cal.samples >= 3 and cal.head_height > 0
        _shot(session, window, "first-run-3-calibrated.png")
        session.key(window, "Return")
        _wait_log(session, log_name, "setup step 4")
        _shot(session, window, "first-run-4-settings.png")
        session.key(window, "Return")  # Finish
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert first_run.is_done(first_run.state_file())
    assert load_settings(isolated_home / "config" / "settings.toml").warnings == []
    written = [p for p in isolated_home.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
    assert written == [], f"frames must stay in memory, found {written}"
    assert not Path(session.env["XDG_CONFIG_HOME"], "autostart", "postureguard.desktop").exists()
    assert os.path.exists(RESULTS_DIR / "first-run-3-calibrated.png")


def test_the_routine_kind_choices_are_the_settings_own(tmp_path):
    from postureguard.settings.config import SPEC_BY_NAME
    from postureguard.ui.settings_window import ROUTINE_KIND_LABELS

    assert tuple(v for v, _ in ROUTINE_KIND_LABELS) == SPEC_BY_NAME["routine_kind"].choices
    path = tmp_path / "settings.toml"
    save_settings(Settings(), path)
    c = SettingsController(path, load_knowledge())
    assert c.apply("routine_kind", "exercises").saved
    assert load_settings(path).settings.routine_kind == "exercises"
    assert c.apply("routine_kind", "yoga").error
    assert load_settings(path).settings.routine_kind == "exercises"


def test_the_alert_form_choices_are_the_settings_own(tmp_path):
    from postureguard.settings.config import SPEC_BY_NAME
    from postureguard.ui.settings_window import ALERT_FORM_LABELS, forms_text

    # One check box per form; "tray" (the icon alone) is what none ticked means.
    assert (*(v for v, _ in ALERT_FORM_LABELS), "tray") == SPEC_BY_NAME["alert_forms"].choices
    path = tmp_path / "settings.toml"
    save_settings(Settings(), path)
    controller = SettingsController(path, load_knowledge())
    assert controller.apply("alert_forms", forms_text({"cue": True, "sound": True})).saved
    assert load_settings(path).settings.alert_forms == ("cue", "sound")
    assert controller.apply("alert_forms", forms_text({})).saved
    assert load_settings(path).settings.alert_forms == ("tray",)
