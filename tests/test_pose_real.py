"""The real MediaPipe model on real photos shipped inside scikit-image and matplotlib."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from photos import NO_PEOPLE, PEOPLE, photo
from postureguard.engine.geometry import measure
from postureguard.engine.landmarks import PoseIndex as I
from postureguard.errors import ModelError
from postureguard.files import resources
from postureguard.vision.pose import MediaPipePose


@pytest.fixture(scope="module")
def model():
    m = MediaPipePose(mode="image")
    yield m
    m.close()


@pytest.mark.parametrize("name", PEOPLE)
def test_people_are_found_with_plausible_landmarks(model, name):
    img = photo(name)
    pose = model.detect(img, 0.0)
    assert pose is not None, f"no person found in {name}"
    assert (pose.width, pose.height) == (img.shape[1], img.shape[0])
    head = [pose[i] for i in (I.NOSE, I.LEFT_EYE, I.RIGHT_EYE, I.LEFT_EAR, I.RIGHT_EAR)]
    shoulders = [pose[I.LEFT_SHOULDER], pose[I.RIGHT_SHOULDER]]
    for p in head + shoulders:
        assert 0 <= p.x <= 1 and 0 <= p.y <= 1 and p.visibility > 0.9
    # The face is compact: eyes, ears and nose closer together than the shoulders are wide.
    xs, ys = [p.x for p in head], [p.y for p in head]
    shoulder_width = abs(shoulders[0].x - shoulders[1].x)
    assert max(xs) - min(xs) < 0.6 * shoulder_width and max(ys) - min(ys) < 0.6 * shoulder_width
    # Ears sit above the shoulder line; the measured head height is positive.
    assert max(pose[I.LEFT_EAR].y, pose[I.RIGHT_EAR].y) < sum(p.y for p in shoulders) / 2
    features = measure(pose)
    assert features is not None and features.head_height > 0.1
    assert pose.world is not None and len(pose.world) == 33


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_facing_the_camera_the_nose_is_between_the_shoulders_and_ears(model, name):
    pose = model.detect(photo(name), 0.0)
    lo, hi = sorted((pose[I.LEFT_SHOULDER].x, pose[I.RIGHT_SHOULDER].x))
    assert lo < pose[I.NOSE].x < hi
    e_lo, e_hi = sorted((pose[I.LEFT_EAR].x, pose[I.RIGHT_EAR].x))
    assert e_lo < pose[I.NOSE].x < e_hi
    assert pose[I.NOSE].y < min(pose[I.LEFT_SHOULDER].y, pose[I.RIGHT_SHOULDER].y)


@pytest.mark.parametrize("name", NO_PEOPLE)
def test_photos_without_people_give_no_person(model, name):
    assert measure(model.detect(photo(name), 0.0)) is None


def test_video_mode_tracks_with_growing_timestamps():
    with MediaPipePose(mode="video") as m:
        img = photo("grace_hopper")
        poses = [m.detect(img, t) for t in (0.0, 0.0, 0.5, 1.0)]  # a repeated time must not crash
    assert all(p is not None for p in poses)


def test_altered_model_is_refused_with_the_path(tmp_path, monkeypatch):
    bad = tmp_path / "pose_landmarker_lite.task"
    shutil.copy(resources.bundled_model_path(), bad)
    with open(bad, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00tampered\x00")
    monkeypatch.setattr(resources, "bundled_model_path", lambda: bad)
    with pytest.raises(ModelError, match="altered") as info:
        resources.verified_model_path()
    assert str(bad) in str(info.value) and "restore" in str(info.value)


def test_the_model_loaded_is_the_sealed_copy_that_was_checked(tmp_path, monkeypatch):
    model_file = tmp_path / "pose_landmarker_lite.task"
    shutil.copy(resources.bundled_model_path(), model_file)
    monkeypatch.setattr(resources, "bundled_model_path", lambda: model_file)
    sealed = resources.verified_model()
    assert sealed.path is not None and sealed.data is None  # Linux: a memfd, no bytes in Python
    with open(model_file, "r+b") as fh:  # the file changes on disk after the check
        fh.seek(1000)
        fh.write(b"\x00tampered\x00")
    with open(sealed.path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == resources.POSE_MODEL_SHA256
    with pytest.raises(PermissionError), open(sealed.path, "r+b") as fh:
        fh.write(b"tampered")  # sealed: not even this process can change the copy
    # A file changed between the check on disk and the copy is refused by the check of the copy.
    monkeypatch.setattr(resources, "verified_model_path", lambda custom=None: model_file)
    with pytest.raises(ModelError, match="altered"):
        resources.verified_model()
    sealed.close()
    with pytest.raises(OSError), open(sealed.path, "rb"):
        pass


def test_pose_model_loads_from_its_sealed_copy_and_lets_it_go():
    with MediaPipePose(mode="video") as m:
        fd_path = m._model.path
        assert fd_path is not None and m.detect(photo("grace_hopper"), 0.0) is not None
        m._switch(1)  # a landmarker built again later loads from the same copy
        assert m.detect(photo("grace_hopper"), 0.5) is not None
    with pytest.raises(OSError), open(fd_path, "rb"):
        pass


def test_missing_model_is_refused_with_the_path(tmp_path, monkeypatch):
    gone = tmp_path / "pose_landmarker_lite.task"
    monkeypatch.setattr(resources, "bundled_model_path", lambda: gone)
    with pytest.raises(ModelError, match="missing") as info:
        resources.verified_model_path()
    assert str(gone) in str(info.value)


def test_custom_model_must_be_a_task_bundle(tmp_path):
    junk = tmp_path / "heavy.task"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a MediaPipe .task bundle"):
        resources.verified_model_path(junk)
    with pytest.raises(ModelError, match="not found"):
        resources.verified_model_path(tmp_path / "absent.task")
    # The bundled file under another name is accepted as a custom model and really loads.
    copy = tmp_path / "copy.task"
    shutil.copy(resources.bundled_model_path(), copy)
    with MediaPipePose(copy, mode="image") as m:
        assert m.detect(photo("astronaut"), 0) is not None
