"""Named profiles: one calibration per setup, chosen by the scene, by the camera and from the tray.

The scenes are real: the MediaPipe landmark recordings of one person at a frontal webcam
(../shared/data/posture/webcam-landmarks-5class, upright and slouching sessions; skipped with the reason
when absent). The "desk" setup is the same recordings as a camera on a monitor further away and to the
side sees them: every landmark of every frame scaled by one factor about one fixed point of the picture
and shifted (:func:`_seen_from_the_desk`), so the person's own movements shrink with them as they would
from further away. That is a composition of real frames, and it changes exactly what a changed setup
changes: where the shoulders are in the picture and how wide. The app is the real controller with real
SQLite history and real profile files in an isolated home.
"""

from __future__ import annotations

import json

import cv2
import pytest

from photos import photo
from postureguard.commands.evaluate import _read_landmarks
from postureguard.engine.calibration import CalibrationSession
from postureguard.engine.landmarks import Point, Pose
from postureguard.engine.profiles import SWITCH_AFTER_S, SceneWatch, by_camera, fitting
from postureguard.errors import DataError
from postureguard.knowledge.loader import load_knowledge
from postureguard.settings.config import Settings, load_settings
from postureguard.settings.profiles import (
    check_name,
    list_profiles,
    profile_path,
    read_profile,
    save_profile,
)
from test_app import feed, make_app
from test_hostile_files import assert_one_line, pg

SIZE = (800, 600)
DATA = "webcam-landmarks-5class/project_capstone/Data"
#: The desk's camera: twice as far (the user half as large), the user higher and to the left in its picture.
DESK_SCALE, DESK_ABOUT, DESK_SHIFT = 0.5, (0.55, 0.95), (-0.3, -0.25)


def _seen_from_the_desk(pose):
    """``pose`` as the desk's camera would show it (module docstring); landmarks that leave the picture
    become invisible."""
    (cx, cy), (sx, sy), k = DESK_ABOUT, DESK_SHIFT, DESK_SCALE
    pts = []
    for p in pose.image:
        x, y = cx + (p.x - cx) * k + sx, cy + (p.y - cy) * k + sy
        pts.append(Point(x, y, p.z * k, p.visibility if 0 <= x <= 1 and 0 <= y <= 1 else 0.0))
    return Pose(tuple(pts), pose.width, pose.height)


@pytest.fixture(scope="module")
def scenes(posture_data):
    def read(name, rows):
        return _read_landmarks({"path": str(posture_data / DATA / f"coords_webcam_{name}_2.csv"),
                                "rows": rows}, SIZE)  # fmt: skip

    laptop, slouch = read("straight", [0, 400]), read("slouch", [0, 400])
    return {
        "laptop": laptop,
        "desk": [_seen_from_the_desk(p) for p in laptop],
        "desk_slouch": [_seen_from_the_desk(p) for p in slouch],
    }


def _calibrate(poses):
    session = CalibrationSession(10, min_spacing_s=0.0)
    for i, pose in enumerate(poses):
        if session.add(pose, i * 0.3).done:
            break
    return session.finish()


@pytest.fixture(scope="module")
def calibrations(scenes):
    return {"laptop": _calibrate(scenes["laptop"][:40]), "desk": _calibrate(scenes["desk"][:40])}


def test_the_scene_of_another_profile_switches_to_it_after_a_while_and_only_then(scenes, calibrations):
    refs = {name: cal.anchor for name, cal in calibrations.items()}
    assert all(refs.values())
    # Each setup's frames fit its own profile and not the other one.
    assert {fitting(refs, p) for p in scenes["laptop"][::20]} == {("laptop",)}
    assert {fitting(refs, p) for p in scenes["desk"][::20]} == {("desk",)}
    watch = SceneWatch(refs, "laptop")
    t = 0.0
    for pose in scenes["laptop"][:100]:  # the laptop's own scene: nothing happens
        assert watch.update(pose, t) is None
        t += 1.0
    switched_at = None
    for pose in scenes["desk"][:60]:
        if watch.update(pose, t) == "desk":
            switched_at = t
            break
        t += 1.0
    assert switched_at is not None and switched_at - 100.0 == pytest.approx(SWITCH_AFTER_S)
    assert watch.active == "desk"


def test_someone_passing_through_another_profiles_place_switches_nothing(scenes, calibrations):
    refs = {name: cal.anchor for name, cal in calibrations.items()}
    watch = SceneWatch(refs, "laptop")
    t = 0.0
    for _ in range(5):  # 6 s in the desk's place, then back: shorter than the switch wants, each time
        for pose in scenes["desk"][:6]:
            assert watch.update(pose, t) is None
            t += 1.0
        assert watch.update(scenes["laptop"][0], t) is None
        t += 1.0
        assert watch.update(None, t) is None  # nobody in view resets as well
        t += 1.0


def test_two_profiles_that_look_alike_from_the_camera_are_left_to_the_user(scenes, calibrations):
    refs = {"laptop": calibrations["laptop"].anchor, "desk": calibrations["desk"].anchor,
            "desk-2": calibrations["desk"].anchor}  # fmt: skip
    watch = SceneWatch(refs, "laptop")
    assert all(watch.update(p, float(t)) is None for t, p in enumerate(scenes["desk"][:60]))


def test_the_camera_in_use_chooses_the_profile_made_with_it():
    cameras = {"laptop": "Integrated Camera: Integrated C", "desk": "HD Pro Webcam C920", "old": None}
    assert by_camera(cameras, "HD Pro Webcam C920", "laptop") == "desk"
    assert by_camera(cameras, "Integrated Camera: Integrated C", "laptop") is None  # already the one
    assert by_camera(cameras, None, "laptop") is None  # a recording: no camera to go by
    assert by_camera(cameras, "Some other camera", "laptop") is None
    assert by_camera(cameras, "HD Pro Webcam C920", "old") is None  # the active one never said: keep it
    shared = {"lap": "Integrated", "stand": "Integrated", "desk": "C920"}
    assert by_camera(shared, "Integrated", "desk") is None  # two profiles share it: the scene decides


def test_the_app_switches_profile_by_scene_keeps_the_sitting_time_and_judges_with_the_new_calibration(
    tmp_path, isolated_home, scenes, calibrations
):
    kb = load_knowledge(include_user=False)
    for name, cal in calibrations.items():
        save_profile(name, cal, camera=0, camera_name=f"camera of the {name}")
    settings = Settings(profile="laptop")
    app, wall, mono, _ = make_app(tmp_path, kb, settings=settings, profiles=True)
    app.owner.engine.set_calibration(calibrations["laptop"])
    app.settings_path = isolated_home / "config" / "settings.toml"
    app.load_profiles()
    app.drain()
    assert app.tray_state().profiles == ("desk", "laptop") and app.tray_state().profile == "laptop"

    def play(poses, step=1.0):
        for pose in poses:
            feed(app, wall, mono, pose, step, step)

    play(scenes["laptop"][:120])
    sitting_before = app.model.sample.sitting_s
    play(scenes["desk"][:40])
    notes = [n for n in app.notifier.sent if n["title"] == "Profile: desk"]
    assert len(notes) == 1 and "You sit where the profile desk was calibrated" in notes[0]["body"]
    assert app.owner.engine.calibration == calibrations["desk"]
    assert load_settings(app.settings_path).settings.profile == "desk"  # remembered for the next start
    state = app.tray_state()
    assert state.profile == "desk" and "profile desk" in state.tooltip and state.icon == "good"
    assert app.model.sample.sitting_s > sitting_before + 30  # the switch was not a break
    assert not [n for n in app.notifier.sent if n["title"] == "Has the camera moved?"]
    # The desk's calibration judges the desk's scene: its slouch alerts; its upright did not.
    assert not [a for a in app.store.alerts() if a.kind == "posture"]
    play(scenes["desk_slouch"][:60])
    assert [a.kind for a in app.store.alerts()] == ["posture"]


def test_choosing_a_profile_from_the_tray_and_a_new_one_calibrated_there(
    tmp_path, isolated_home, scenes, calibrations
):
    kb = load_knowledge(include_user=False)
    save_profile("desk", calibrations["desk"])
    save_profile("laptop", calibrations["laptop"])
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(profile="desk"), profiles=True)
    app.settings_path = isolated_home / "config" / "settings.toml"
    app.load_profiles()
    app.use_profile("laptop")  # the tray's Profile menu
    app.drain()
    assert app.owner.engine.calibration == calibrations["laptop"]
    assert app.tray_state().profile == "laptop"
    assert load_settings(app.settings_path).settings.profile == "laptop"
    # Chosen while sitting at the desk: the desk's scene does not undo the user's choice.
    for pose in scenes["desk"][:40]:
        feed(app, wall, mono, pose, 1.0, 1.0)
    assert app.owner.engine.calibration == calibrations["laptop"] and app.tray_state().profile == "laptop"
    assert not [n for n in app.notifier.sent if n["title"].startswith("Profile:")]

    app.new_profile()  # "New profile (calibrate now)": named for the user, calibrated from the next frames
    app.drain()
    assert app.tray_state().profile == "Profile 2" and app.tray_state().icon == "calibrating"
    for pose in scenes["desk"][:60]:
        feed(app, wall, mono, pose, 1.0, 1.0)
    made = read_profile("Profile 2")
    assert made.calibration is not None
    assert made.path == isolated_home / "config" / "profiles" / "profile-2.json"
    assert app.owner.engine.calibration == made.calibration
    assert load_settings(app.settings_path).settings.profile == "Profile 2"
    assert "Profile 2" in app.tray_state().profiles
    assert any(n["title"] == "Calibration done" for n in app.notifier.sent)


def test_the_default_profile_is_the_calibration_file_of_earlier_versions(isolated_home, calibrations):
    assert profile_path("default") == isolated_home / "config" / "calibration.json"
    assert profile_path("Default") == profile_path("default")
    save_profile("default", calibrations["laptop"])
    doc = json.loads((isolated_home / "config" / "calibration.json").read_text())
    assert doc["schema"] == "postureguard.calibration" and doc["profile"] == {"name": "default"}
    assert [p.name for p in list_profiles()] == ["default"]


@pytest.mark.parametrize("name", ["", " ", "../etc/passwd", "a/b", ".hidden", "x" * 41, "tab\there", "end."])
def test_a_name_that_is_no_profile_name_is_refused_in_one_line(name):
    with pytest.raises(DataError) as err:
        check_name(name)
    assert "\n" not in str(err.value) and "profile name" in str(err.value)


def test_a_broken_profile_file_is_listed_with_the_reason_and_left_as_it_is(isolated_home, calibrations):
    save_profile("desk", calibrations["desk"])
    broken = isolated_home / "config" / "profiles" / "lab.json"
    broken.write_bytes(b'{"schema": "postureguard.calibration", "version": 2, "reference": {"head_hei')
    before = broken.read_bytes()
    found = {p.name: p for p in list_profiles()}
    assert found["desk"].calibration == calibrations["desk"]
    assert found["lab"].calibration is None and "not readable JSON" in found["lab"].problem
    assert broken.read_bytes() == before


# -- the command line ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upright_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    cv2.imwrite(str(path), photo("astronaut"))  # a real person, frontal, head and shoulders in view
    return path


def test_calibrate_a_profile_then_list_use_rename_and_delete_it(tmp_path, upright_photo):
    home = tmp_path / "home"
    src = [upright_photo] * 3
    res = pg("calibrate", "--profile", "Desk 2", "--source", *src, home=home)
    assert res.returncode == 0, res.stderr
    made = home / "config" / "profiles" / "desk-2.json"
    assert json.loads(made.read_text())["profile"] == {"name": "Desk 2"}
    assert pg("calibrate", "--source", *src, home=home).returncode == 0  # the profile in use: default
    listed = pg("profile", "list", home=home).stdout.splitlines()
    assert [line.split("  (")[0] for line in listed] == ["* default", "  Desk 2"]
    assert pg("profile", "use", "desk 2", home=home).returncode == 0  # names are not case-sensitive
    assert 'profile = "Desk 2"' in (home / "config" / "settings.toml").read_text()
    assert assert_one_line(pg("profile", "delete", "Desk 2", home=home), 6, "in use")  # DataError
    assert made.exists()
    assert pg("profile", "rename", "Desk 2", "desk", home=home).returncode == 0
    assert not made.exists() and (home / "config" / "profiles" / "desk.json").exists()
    assert 'profile = "desk"' in (home / "config" / "settings.toml").read_text()  # followed the rename
    assert pg("profile", "use", "default", home=home).returncode == 0
    assert pg("profile", "delete", "desk", home=home).returncode == 0
    assert [line.split("  (")[0] for line in pg("profile", home=home).stdout.splitlines()] == ["* default"]


@pytest.mark.parametrize("argv", [
    ("calibrate", "--profile", "../../etc/passwd", "--source", "PHOTO"),
    ("calibrate", "--profile", "x" * 41, "--source", "PHOTO"),
    ("profile", "use", "a/b"),
    ("profile", "delete", "nothere"),
    ("profile", "rename", "nothere", "other"),
    ("config", "set", "profile", ".hidden"),
])  # fmt: skip
def test_a_bad_profile_name_or_a_missing_profile_is_one_line_and_changes_nothing(tmp_path, upright_photo,
                                                                                 argv):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    settings = home / "config" / "settings.toml"
    settings.write_text('[camera]\nprofile = "laptop"\n')
    before = settings.read_bytes()
    res = pg(*(str(upright_photo) if a == "PHOTO" else a for a in argv), home=home)
    line = assert_one_line(res, res.returncode or 1)
    assert res.returncode != 0 and ("profile" in line), line
    assert settings.read_bytes() == before
    assert sorted(p.name for p in (home / "config").iterdir()) == ["settings.toml"]


def test_a_profile_the_user_chose_is_not_undone_by_the_scene_until_it_has_fitted_once(scenes, calibrations):
    refs = {name: cal.anchor for name, cal in calibrations.items()}
    watch = SceneWatch(refs, "laptop", held=True)  # chosen in the tray while sitting at the desk
    assert all(watch.update(p, float(t)) is None for t, p in enumerate(scenes["desk"][:60]))
    assert watch.update(scenes["laptop"][0], 60.0) is None  # now it fitted: the watch is armed again
    results = [watch.update(p, 61.0 + t) for t, p in enumerate(scenes["desk"][:20])]
    assert "desk" in results


def test_at_start_the_camera_in_use_picks_its_profile_and_the_choice_is_saved(isolated_home, calibrations,
                                                                             tmp_path):
    from postureguard.commands.run import _profile_for_camera
    from postureguard.platform.cameras import camera_name

    # The system's names of the cameras, as Linux lists them (a device node and its sysfs folder).
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    for index, name in ((0, "Integrated Camera: Integrated C"), (2, "HD Pro Webcam C920")):
        (dev / f"video{index}").parent.mkdir(exist_ok=True)
        (dev / f"video{index}").touch()
        (sysfs / f"video{index}").mkdir(parents=True)
        (sysfs / f"video{index}" / "name").write_text(name + "\n")
        (sysfs / f"video{index}" / "index").write_text("0\n")
    assert camera_name(2, dev, sysfs) == "HD Pro Webcam C920" and camera_name(5, dev, sysfs) is None
    save_profile("laptop", calibrations["laptop"], camera=0, camera_name=camera_name(0, dev, sysfs))
    save_profile("desk", calibrations["desk"], camera=2, camera_name=camera_name(2, dev, sysfs))
    settings, switched = _profile_for_camera(Settings(profile="laptop"), "HD Pro Webcam C920")
    assert (settings.profile, switched) == ("desk", "desk")
    assert load_settings(isolated_home / "config" / "settings.toml").settings.profile == "desk"
    settings, switched = _profile_for_camera(Settings(profile="laptop"), "Integrated Camera: Integrated C")
    assert (settings.profile, switched) == ("laptop", None)
    assert _profile_for_camera(Settings(profile="laptop"), None) == (Settings(profile="laptop"), None)


def test_no_output_may_overwrite_a_profile(tmp_path, upright_photo):
    home = tmp_path / "home"
    assert pg("calibrate", "--profile", "desk", "--source", *[upright_photo] * 3, home=home).returncode == 0
    made = home / "config" / "profiles" / "desk.json"
    before = made.read_bytes()
    line = assert_one_line(pg("export", "--format", "jsonl", "--out", made, home=home), 2, "profile")
    assert "choose another file" in line and made.read_bytes() == before
    res = pg("calibrate", "--out", made, "--source", *[upright_photo] * 3, home=home)
    assert_one_line(res, 2, "profile")
    assert made.read_bytes() == before
