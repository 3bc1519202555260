"""Frame sources: ordering, timestamps and clear errors, on real image and video files."""

from __future__ import annotations

import cv2
import pytest

from photos import photo
from postureguard.errors import SourceError
from postureguard.vision.sources import ImageSource, VideoSource, natural_key, open_source


def test_natural_sort_orders_numbers_by_value():
    names = ["img-10.jpg", "img-2.jpg", "img-1.jpg", "IMG-3.jpg"]
    assert sorted(names, key=natural_key) == ["img-1.jpg", "img-2.jpg", "IMG-3.jpg", "img-10.jpg"]


@pytest.fixture
def image_dir(tmp_path):
    folder = tmp_path / "frames"
    (folder / "b").mkdir(parents=True)
    img = cv2.resize(photo("astronaut"), (64, 64))
    for name in ("img-10.png", "img-2.png", "img-1.png", "b/img-0.png"):
        cv2.imwrite(str(folder / name), img)
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_directory_is_read_in_natural_order_with_interval_times(image_dir):
    src = open_source([str(image_dir)], interval=0.5)
    assert isinstance(src, ImageSource) and not src.is_stream
    frames = list(src)
    assert [f.source.split("frames/")[1] for f in frames] == [
        "b/img-0.png",
        "img-1.png",
        "img-2.png",
        "img-10.png",
    ]
    assert [f.t for f in frames] == [0.0, 0.5, 1.0, 1.5]
    assert frames[0].image.shape == (64, 64, 3)


def test_several_images_keep_the_order_given(image_dir):
    a, b = str(image_dir / "img-10.png"), str(image_dir / "img-1.png")
    assert [f.source for f in open_source([a, b])] == [a, b]


def test_video_frames_carry_their_presentation_time(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (64, 64))
    base = cv2.resize(photo("grace_hopper"), (64, 64))
    for _ in range(10):
        writer.write(base)
    writer.release()
    src = open_source([str(path)])
    assert isinstance(src, VideoSource) and src.is_stream
    frames = list(src)
    src.close()
    assert len(frames) == 10
    assert [round(f.t, 3) for f in frames] == [round(i / 5.0, 3) for i in range(10)]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: str(d / "missing.jpg"), "no such file"),
        (lambda d: (d / "empty").mkdir() or str(d / "empty"), "has no images"),
        (lambda d: (d / "x.txt").write_text("hi") and str(d / "x.txt"), "neither an image nor a video"),
        (lambda d: (d / "fake.mp4").write_text("hi") and str(d / "fake.mp4"), "cannot open video"),
    ],
)
def test_bad_sources_say_what_is_wrong(tmp_path, make, message):
    with pytest.raises(SourceError, match=message):
        open_source([make(tmp_path)])


def test_unreadable_image_is_named(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(SourceError, match="broken.jpg"):
        list(open_source([str(bad)]))


def test_videos_do_not_mix_with_other_sources(tmp_path, image_dir):
    path = tmp_path / "clip.avi"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="one video at a time"):
        open_source([str(path), str(image_dir / "img-1.png")])


def test_a_missing_camera_is_a_clear_error():
    with pytest.raises(SourceError, match="camera 57 cannot be opened"):
        open_source(["57"])
