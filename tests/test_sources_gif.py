"""Animated GIF recordings as input: a real GIF made from real webcam frames, and broken GIFs.

The GIF is built with Pillow from the frontal webcam frames in ../shared/data/posture/webcam-slouch-frontal
(skipped with the reason when that folder is absent): the session "high", upright frames first, then the
slouching ones, in capture order, half a second each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from postureguard.errors import SourceError
from postureguard.vision.sources import VideoSource, open_source

SESSION = "datasets/low-isSlouching__high-notSlouching"
FRAME_MS = 500


def _capture_order(path):
    return int(re.search(r"-(\d+)\.jpg$", path.name).group(1))


@pytest.fixture(scope="module")
def real_gif(posture_data, tmp_path_factory):
    from PIL import Image

    root = posture_data / "webcam-slouch-frontal" / SESSION
    upright = sorted((root / "notSlouching").glob("*.jpg"), key=_capture_order)[:8]
    slouch = sorted((root / "isSlouching").glob("*.jpg"), key=_capture_order)[:8]
    images = [Image.open(p).convert("RGB") for p in upright + slouch]
    path = tmp_path_factory.mktemp("gif") / "desk.gif"
    images[0].save(path, save_all=True, append_images=images[1:], duration=FRAME_MS, loop=0)
    return path, len(upright), len(slouch)


@pytest.mark.shared_data
def test_animated_gif_is_a_recording_with_frame_times(real_gif):
    path, n_up, n_slouch = real_gif
    src = open_source([str(path)])
    assert isinstance(src, VideoSource) and src.is_stream
    frames = list(src)
    src.close()
    assert len(frames) == n_up + n_slouch
    assert [round(f.t, 3) for f in frames] == [i * FRAME_MS / 1000 for i in range(len(frames))]
    assert frames[0].image.shape == (224, 224, 3)


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "postureguard", *map(str, args)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip


@pytest.mark.shared_data
def test_analyze_reads_a_real_gif_and_sees_the_slouch(real_gif):
    path, n_up, n_slouch = real_gif
    res = _run("analyze", path, "--calibrate-frames", "4", "--every-frame", "--format", "jsonl")
    assert res.returncode == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    frames = [r for r in records if "posture" in r]
    assert len(frames) == n_up + n_slouch and all(r["person"] for r in frames)
    slouch = [r["posture"] for r in frames[n_up:]]
    upright = [r["posture"] for r in frames[4:n_up]]
    assert slouch.count("poor") >= n_slouch - 1, slouch
    assert upright.count("poor") <= 1, upright


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "cannot open video"),
        (b"GIF89a not really a gif", "no readable frames"),
    ],
)
def test_broken_gif_is_one_line(tmp_path, content, message):
    bad = tmp_path / "broken.gif"
    bad.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        list(open_source([str(bad)]))
    res = _run("analyze", bad)
    assert res.returncode == 4
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("postureguard: ") and message in lines[0], res.stderr
