"""`postureguard analyze` and `calibrate` as a user runs them: real subprocesses, real files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from clips import posture_frames, write_clip
from photos import photo

SRC = Path(__file__).resolve().parents[1] / "src"
FRAME_KEYS = {"source", "index", "t", "person", "head_forward_deg", "posture"}


def run_cli(*args, cwd=None, env_extra=None):
    env = {**os.environ, "PYTHONPATH": str(SRC), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "postureguard", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory):
    """img-1 .. img-12: six upright frames, then six with the head carried lower (real photo)."""
    folder = tmp_path_factory.mktemp("frames")
    for i, img in enumerate(posture_frames(6, 6), start=1):
        cv2.imwrite(str(folder / f"img-{i}.png"), img)
    return folder


@pytest.fixture(scope="module")
def calibration(frames_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "cal.json"
    res = run_cli("calibrate", "--source", *(frames_dir / f"img-{i}.png" for i in range(1, 6)), "--out", out)
    assert res.returncode == 0, res.stderr
    assert "Calibrated on 5 of 5 frames" in res.stderr
    return out


def test_analyze_folder_jsonl(frames_dir, calibration):
    res = run_cli("analyze", frames_dir, "--calibration", calibration, "--format", "jsonl", "--sustain", "3")
    assert res.returncode == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    frames = [r for r in records if "event" not in r]
    events = [r for r in records if "event" in r]
    assert len(frames) == 12 and all(r.keys() >= FRAME_KEYS for r in frames)
    assert [Path(r["source"]).name for r in frames] == [f"img-{i}.png" for i in range(1, 13)]  # natural order
    assert [r["t"] for r in frames] == [float(i) for i in range(12)]
    assert all(r["person"] for r in frames)
    assert [r["posture"] for r in frames[:6]] == ["good"] * 6
    assert [r["posture"] for r in frames[6:]] == ["poor"] * 6
    assert all(r["head_forward_deg"] > 5 for r in frames[6:])
    alerts = [e for e in events if e["event"] == "posture_alert"]
    assert len(alerts) == 1 and alerts[0]["trigger"] == "neck_strain" and alerts[0]["t"] == 9.0
    assert "12 frames, 12 with a person, 50% of judged frames poor, 1 alert(s)" in res.stderr
    assert "Traceback" not in res.stderr and "W0000" not in res.stderr


def test_analyze_csv_to_file_and_calibrate_frames(frames_dir, tmp_path):
    out = tmp_path / "out.csv"
    res = run_cli("analyze", frames_dir, "--calibrate-frames", "4", "--format", "csv", "--out", out)
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12 and rows[0]["posture"] == "good" and rows[-1]["posture"] == "poor"


def test_analyze_video_every_frame_and_thinned(tmp_path, calibration):
    clip = write_clip(tmp_path / "clip.avi", posture_frames(10, 10), fps=10)
    res = run_cli("analyze", clip, "--calibration", calibration, "--every-frame")
    frames = [json.loads(x) for x in res.stdout.splitlines() if '"event"' not in x]
    assert res.returncode == 0 and len(frames) == 20
    res = run_cli("analyze", clip, "--calibration", calibration, "--fps", "2")
    frames = [json.loads(x) for x in res.stdout.splitlines() if '"event"' not in x]
    assert [f["t"] for f in frames] == [0.0, 0.5, 1.0, 1.5]


def test_photos_without_calibration_are_unknown_and_no_person_is_false(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), photo("coffee"))
    cv2.imwrite(str(tmp_path / "b.png"), photo("astronaut"))
    res = run_cli("analyze", tmp_path / "a.png", tmp_path / "b.png")
    recs = [json.loads(x) for x in res.stdout.splitlines()]
    assert [r["person"] for r in recs] == [False, True]
    assert [r["posture"] for r in recs] == ["unknown", "unknown"]
    assert recs[0]["head_forward_deg"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "/nonexistent/frames"], "no such file or folder: /nonexistent/frames"),
        (["analyze", "{frames}", "--calibration", "/nope.json"], "calibration file not found"),
        (["analyze", "{frames}", "--calibration", "{badcal}"], "has version 7"),
        (["calibrate", "--source", "{coffee}", "--out", "{tmp}/c.json"], "found 0"),
        (["analyze", "{broken}"], "cannot read image"),
    ],
)
def test_errors_are_one_line_without_traceback(tmp_path, frames_dir, args, message):
    badcal = tmp_path / "bad.json"
    badcal.write_text('{"schema": "postureguard.calibration", "version": 7}')
    coffee = tmp_path / "coffee.png"
    cv2.imwrite(str(coffee), photo("coffee"))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG truncated")
    fill = {"frames": frames_dir, "badcal": badcal, "coffee": coffee, "tmp": tmp_path, "broken": broken}
    res = run_cli(*[a.format(**fill) for a in args])
    assert res.returncode != 0
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert lines[0].startswith("postureguard: ")


def test_version_and_help():
    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.startswith("postureguard ")
    res = run_cli("analyze", "--help")
    assert res.returncode == 0 and "--calibrate-frames" in res.stdout


@pytest.mark.shared_data
def test_done_when_flow_on_the_frontal_set(posture_data, tmp_path, report_figure):
    """calibrate on 5 upright frames, then analyze the session folder, as the issue's 'done when' runs it."""
    session = posture_data / "webcam-slouch-frontal" / "datasets" / "low-isSlouching__middle-notSlouching"
    upright = [session / "notSlouching" / f"sample-1543068389411-{i}.jpg" for i in range(5)]
    cal = tmp_path / "cal.json"
    assert run_cli("calibrate", "--source", *upright, "--out", cal).returncode == 0
    res = run_cli("analyze", session, "--calibration", cal, "--format", "jsonl", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    recs = [json.loads(line) for line in res.stdout.splitlines()]
    frames = [r for r in recs if "event" not in r]
    assert len(frames) == 36 and all(r.keys() >= FRAME_KEYS for r in frames)
    slouch = [r for r in frames if "/isSlouching/" in r["source"]]
    share = sum(r["posture"] == "poor" for r in slouch) / len(slouch)
    report_figure(f"analyze on the middle session folder: {share:.0%} of slouching frames judged poor")
    assert share >= 0.95
