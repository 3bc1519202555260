"""`postureguard evaluate`: the scenario evaluation on the real corpus (bench/scenarios/manifest.json).

The corpus is read from ../shared/data/posture (skipped with the reason when absent). Done when: no
false alert on anything that should not alert, every sustained slouch alerted within the sustain window
plus 2 s, presence right (away and standing read as away).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[1] / "bench" / "scenarios" / "manifest.json"


def _run(*args):
    return subprocess.run([sys.executable, "-m", "postureguard", "evaluate", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))  # fmt: skip


@pytest.fixture(scope="module")
def evaluation(posture_data):
    res = _run(MANIFEST, "--json", "--data-root", posture_data)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.shared_data
def test_every_recording_is_evaluated(evaluation):
    names = {r["name"] for r in json.loads(MANIFEST.read_text())["recordings"]}
    assert evaluation["skipped"] == []
    assert {r["recording"] for r in evaluation["scenarios"]} == names


@pytest.mark.shared_data
def test_no_false_alert_and_every_slouch_alerted_in_time(evaluation, report_figure):
    rows = evaluation["scenarios"]
    quiet = [r for r in rows if r["should_alert"] is False]
    loud = [r for r in rows if r["should_alert"] is True]
    assert quiet and loud
    assert [r for r in quiet if r["false_alerts"]] == []
    assert [r for r in loud if r["missed"]] == []
    delays = [d for r in loud for d in r["delays_s"]]
    assert all(-1 <= d <= 2.0 for d in delays), delays
    hours = sum(r["seconds"] for r in quiet) / 3600
    report_figure(f"evaluate: {len(rows)} scenarios, 0 false alerts in {hours * 60:.0f} min that should not "
                  f"alert, {len(delays)} slouches alerted {min(delays):+.1f} to {max(delays):+.1f} s "
                  "after the window")


@pytest.mark.shared_data
def test_natural_behaviour_is_rarely_judged_poor(evaluation):
    natural = {"upright", "head_roll", "turned_to_second_screen", "headphones", "chin_on_hand",
               "leaning_back"}
    shares = {(r["recording"], r["label"]): r["poor_share"] for r in evaluation["scenarios"]
              if r["label"] in natural}  # fmt: skip
    assert shares and max(shares.values()) <= 0.05, shares


@pytest.mark.shared_data
def test_standing_and_away_read_as_away(evaluation):
    rows = [r for r in evaluation["scenarios"] if r["label"] in ("standing", "away")]
    assert len(rows) == 2 and all(r["presence_errors"] <= 0.05 for r in rows), rows
    assert all(r["poor_share"] in (None, 0) for r in rows)


@pytest.mark.shared_data
def test_a_colleague_in_view_or_in_the_chair_is_not_the_user(evaluation):
    rows = {r["label"]: r for r in evaluation["scenarios"] if r["recording"] == "lm-colleague"}
    beside, in_chair = rows["other_person"], rows["other_person_in_chair"]
    assert beside["poor_share"] == 0 and beside["presence_errors"] == 0  # the user, judged alone
    # Nobody: the colleague never counts as the user. The span's presence errors are the 7-8 s it takes
    # to see that the user left (in this drawing the colleague takes her place in the same frame, a
    # small change of the picture, analysed at the quiet sampling's 12 s; a real departure changes
    # most of the picture and is analysed at once); were the colleague taken for her, they would be
    # nearly all of it.
    assert in_chair["poor_share"] in (None, 0) and in_chair["presence_errors"] <= 0.1
    assert beside["false_alerts"] == in_chair["false_alerts"] == 0


def test_the_table_names_each_scenario(posture_data):
    res = _run(MANIFEST, "--data-root", posture_data, "--only", "lm-looks-down")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split()[:3] == ["recording", "scenario", "alert?"]
    assert any("looking_down_brief" in line and " no " in line for line in lines[1:])


def test_missing_recordings_are_skipped_with_the_path(tmp_path):
    res = _run(MANIFEST, "--data-root", tmp_path, "--only", "lm-slouch")
    assert res.returncode == 0, res.stderr
    assert "skipped lm-slouch: not found: " in res.stdout and str(tmp_path) in res.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not readable"),
        ('{"schema": "other"}', "is not a PostureGuard scenarios manifest"),
        ('{"schema": "postureguard.scenarios", "recordings": [{"kind": "tape"}]}', "needs a kind"),
        ('{"schema": "postureguard.scenarios", "recordings": [{"kind": "video", "path": "x.mp4", '
         '"spans": [{"start": 5, "end": 1, "label": "upright"}]}]}', "an end after its start"),
    ],
)
def test_a_bad_manifest_is_one_line(tmp_path, content, message):
    path = tmp_path / "m.json"
    path.write_text(content)
    res = _run(path)
    assert res.returncode == 2
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("postureguard: ") and message in lines[0], res.stderr


def test_a_toml_manifest_reads_like_json(posture_data, tmp_path):
    folder = posture_data / "webcam-landmarks-5class" / "project_capstone" / "Data"
    toml = tmp_path / "m.toml"
    toml.write_text(f'''schema = "postureguard.scenarios"

[[recordings]]
name = "toml"
kind = "landmarks"
interval_s = 0.25
calibrate_s = [0, 10]

[[recordings.segments]]
csv = "{folder / "coords_webcam_straight_2.csv"}"
rows = [0, 240]
label = "upright"

[[recordings.segments]]
csv = "{folder / "coords_webcam_slouch_2.csv"}"
rows = [0, 300]
label = "slouch"
alert = true
''')
    res = _run(toml, "--json", "--data-root", "/")
    assert res.returncode == 0, res.stderr
    rows = {r["label"]: r for r in json.loads(res.stdout)["scenarios"]}
    assert rows["upright"]["false_alerts"] == 0 and rows["slouch"]["missed"] == 0
    assert 0 <= rows["slouch"]["delays_s"][0] <= 2


def test_a_video_recording_with_labelled_spans(posture_data, tmp_path, report_figure):
    """A video made of the real frontal webcam frames (each shown 4 s, upright then slouching twice over)
    goes through the real pose model in VIDEO mode.

    This slouch is mild: several frames read 3.7-5.3 degrees against the 5-degree threshold. With a plain
    threshold the share of poor time in the window hovered at the sustain share and the delay swung with
    tenths of a degree (2026-12-01: 0.0 s with mediapipe 1.2.3, 34 s with the locked 0.10.33, whose
    readings of 4.5-5 degrees, each held until the next analysis, left poor posture at 73 % of the window
    when it ended). The engine's hysteresis (a reading in an episode stays poor down to the threshold
    minus 1 degree; engine/core.py poor_reading) makes those readings the slouch they are: on 2026-12-02
    the slouch alerted 0.0 s after its window with both (98 % of it judged poor with 0.10.33, 96 % with
    1.2.3), upright 0 % poor. Held: no false alert while upright, and the alert within the window plus 2 s.
    """
    import re

    import cv2

    root = posture_data / "webcam-slouch-frontal" / "datasets" / "low-isSlouching__high-notSlouching"

    def ordered(label):
        return sorted((root / label).glob("*.jpg"), key=lambda p: int(re.search(r"-(\d+)\.jpg$", p.name)[1]))

    fps, hold = 2.0, 8  # 8 frames of each picture: 4 s
    upright, slouch = ordered("notSlouching"), ordered("isSlouching") * 2
    video = tmp_path / "desk.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), fps, (224, 224))
    for path in upright + slouch:
        image = cv2.imread(str(path))
        for _ in range(hold):
            writer.write(image)
    writer.release()
    t_slouch = len(upright) * hold / fps
    end = (len(upright) + len(slouch)) * hold / fps
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"schema": "postureguard.scenarios", "recordings": [{
        "name": "video", "kind": "video", "path": "desk.avi", "calibrate_s": [0, 16],
        "spans": [{"start": 0, "end": t_slouch, "label": "upright"},
                  {"start": t_slouch, "end": end, "label": "slouch", "alert": True}]}]}))  # fmt: skip
    res = _run(manifest, "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["label"]: r for r in json.loads(res.stdout)["scenarios"]}
    assert rows["upright"]["false_alerts"] == 0 and rows["upright"]["poor_share"] <= 0.1
    assert rows["slouch"]["missed"] == 0 and rows["slouch"]["delays_s"], rows["slouch"]
    assert -1 <= rows["slouch"]["delays_s"][0] <= 2.0, rows["slouch"]
    report_figure(f"evaluate, video of real frontal frames (VIDEO mode): slouch alerted "
                  f"{rows['slouch']['delays_s'][0]:+.1f} s after the window, upright "
                  f"{100 * rows['upright']['poor_share']:.0f} % poor")


def test_calibrate_spacing_and_unscored_presence(posture_data, tmp_path):
    """``calibrate_spacing_s`` takes the calibration frames closer together than the production 0.3 s, for
    a recording whose upright part is short: the real omz-smart-classroom.gif (Apache-2.0,
    openvinotoolkit/open_model_zoo; in ../shared/data/posture/desk-video) shows a man seated for 0.3 s
    (three frames at 10 fps) before he rises. ``present: null`` leaves a span out of the presence errors."""
    clip = posture_data / "desk-video" / "omz-smart-classroom.gif"
    if not clip.is_file():
        pytest.skip(f"real desk recording not found at {clip} (bench/desk_video.py writes it there)")

    def manifest(**extra):
        path = tmp_path / "m.json"
        path.write_text(json.dumps({"schema": "postureguard.scenarios", "recordings": [{
            "name": "rises", "kind": "video", "path": str(clip), "calibrate_s": [0, 0.25], **extra,
            "spans": [{"start": 0, "end": 0.3, "label": "seated"},
                      {"start": 0.3, "end": 0.6, "label": "standing_up", "present": None},
                      {"start": 0.6, "end": 2.3, "label": "standing"}]}]}))  # fmt: skip
        res = _run(path, "--json", "--data-root", "/")
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    production = manifest()
    assert production["scenarios"] == []
    assert "calibration failed" in production["skipped"][0]["reason"]
    closer = manifest(calibrate_spacing_s=0)
    assert closer["skipped"] == []
    rows = {r["label"]: r for r in closer["scenarios"]}
    assert rows["standing_up"]["presence_errors"] is None
    assert rows["seated"]["presence_errors"] is not None and rows["standing"]["presence_errors"] is not None
