"""The routine player with the camera guide in the real desktop session (Xvfb), a recording as camera.

The recording is made of real pixels (tests/guide_clips.py): a raised right hand and the other hand's
index fingertip on LI4, or held beside it. The player is the real ``postureguard routine play``
process with the real models; what it does is followed in its own log, its history is the real
SQLite file, and screenshots go to test-results/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

import test_player
from desktop import START_S, wait_for
from guide_clips import write_press_clip
from postureguard.history import open_store
from postureguard.ui.guide_view import COLOURS
from test_player import _acknowledged, _colour_count, _hex_rgb

TITLE = "PostureGuard .+ LI4 with the camera guide$"
STEP_S = 8
#: One point, on the right hand (the hand the recording shows).
ROUTINES = {
    "version": 1,
    "routines": [{
        "id": "li4-guide",
        "title": "LI4 with the camera guide",
        "triggers": ["headache"],
        "steps": [{"point": "LI4", "action": "press", "side": "right", "seconds": STEP_S,
                   "instruction": "Press into the web of your right hand with your left index finger."}],
        "evidence": {"level": "low", "source": "A test routine."},
        "cautions": "Leave out LI4 if you are pregnant.",
    }],
}  # fmt: skip

players = test_player.players  # the fixture: players started in the session, stopped after


def _home(home, clip_segments, tmp_path, **settings):
    _acknowledged(home)
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "routines.json").write_text(json.dumps(ROUTINES), encoding="utf-8")
    if settings:
        lines = ["[camera]"] + [f"{k} = {str(v).lower()}" for k, v in settings.items()]
        (home / "config" / "settings.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return write_press_clip(tmp_path / "press.avi", clip_segments)


def _pressed(home):
    store = open_store(home / "data" / "history.sqlite3")
    try:
        return {r.point: r.seconds for r in store.pressed()}, store.routines()
    finally:
        store.close()


@pytest.mark.e2e
def test_the_clock_runs_only_while_the_point_is_pressed(players, isolated_home, tmp_path):
    # The recording loops like a camera: 2.5 s with the hand held beside LI4, then 2.5 s pressing it.
    clip = _home(isolated_home, [("away", 2.5), ("on", 2.5)], tmp_path)
    player = players(isolated_home, "guide-press", "li4-guide", "--camera", str(clip),
                     "--source", "notification")  # fmt: skip
    player.find_window(TITLE)
    player.expect(r"camera guide: source .*press\.avi, press timer on")
    player.expect(r"window ready for keys")
    player.key("Return")  # Start
    player.expect(r"camera claim: taken")
    player.expect(r"camera guide: point LI4 side right")
    player.expect(rf"step 1/1 phase 1/1 LI4 side=right seconds={STEP_S}\b")
    began = time.monotonic()
    player.expect(r"camera guide: pressing LI4", START_S)
    player.expect(r"camera guide: marker LI4 right at")
    # The video moves, so these are plain screenshots (a settled one would wait for the step to end),
    # taken until one shows the marker green (pressed) and one red (the hand held beside the point).
    geometry = player.session.window_geometry(player.window)
    mirror = (0.5, 0.0, 1.0, 0.85)  # the right half of the window holds the mirror
    shots: dict[str, object] = {}
    seen: list[tuple[int, int]] = []  # (green, red) pixels of each screenshot, for the failure message

    def both_seen():
        path = player.session.screenshot("guide-shot.png", crop=geometry)
        green = _colour_count(path, _hex_rgb(COLOURS["pressed"]), mirror)
        red = _colour_count(path, _hex_rgb(COLOURS["target"]), mirror)
        seen.append((green, red))
        kind = "pressing" if green > 100 and red < 20 else "not-pressing" if red > 100 and green < 20 else ""
        if kind and kind not in shots:
            shots[kind] = path.replace(path.with_name(f"guide-{kind}.png"))
        return len(shots) == 2

    try:
        wait_for(both_seen, 3 * STEP_S, "the marker green while pressed and red while not", interval=0.1)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; (green, red) pixels per screenshot: {seen}") from exc
    # While not pressing, the countdown stands still: from "not pressing" to the next "pressing" (or
    # for a second) no countdown line is written.
    player.expect(r"camera guide: not pressing LI4", START_S)
    mark = player.pos
    time.sleep(1.0)
    between = player.log()[mark:].split("camera guide: pressing LI4", 1)[0]
    assert not re.search(r"countdown \d:\d\d", between), between
    player.expect(r"phase ended \(cue\)", 4 * STEP_S)
    took = time.monotonic() - began
    # Half of the loop is spent beside the point, so 6 s of pressing take clearly longer than 6 s.
    assert took > STEP_S + 2.0, took
    player.expect(r"history: pressed \{'LI4': ")
    player.expect(r"finished, completed, 1 of 1 steps")
    fps = [float(m) for m in re.findall(r"camera guide: ([\d.]+) frames a second shown", player.log())]
    assert fps, player.log()
    player.key("Escape")
    assert player.wait_exit() == 0
    assert "camera claim: released" in player.log()
    pressed, routines = _pressed(isolated_home)
    assert STEP_S - 0.5 <= pressed["LI4"] <= STEP_S + 1.0, pressed
    assert [r.status for r in routines] == ["completed"]
    assert all(Path(p).exists() for p in shots.values())


@pytest.mark.e2e
def test_with_the_press_timer_off_the_clock_runs_and_the_press_is_still_recorded(players, isolated_home,
                                                                                 tmp_path):
    clip = _home(isolated_home, [("on", 3.0), ("away", 3.0)], tmp_path, guide_press_timer=False)
    player = players(isolated_home, "guide-timer-off", "li4-guide", "--camera", str(clip))
    player.find_window(TITLE)
    player.expect(r"press timer off")
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"camera guide: pressing LI4", START_S)
    player.expect(r"finished, completed, 1 of 1 steps", 3 * STEP_S)
    player.key("Escape")
    assert player.wait_exit() == 0
    pressed, _routines = _pressed(isolated_home)
    assert 0 < pressed["LI4"] < STEP_S, pressed  # pressed only part of the (running) step


@pytest.mark.e2e
def test_guide_off_or_no_camera_leaves_the_player_as_it_was(players, isolated_home, tmp_path):
    _home(isolated_home, [("on", 1.0)], tmp_path, guide=False)
    player = players(isolated_home, "guide-off", "li4-guide")
    player.find_window(TITLE)
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"step 1/1 phase 1/1 LI4")
    player.key("Escape")
    assert player.wait_exit() == 0
    assert "camera guide" not in player.log()

    (isolated_home / "config" / "settings.toml").unlink()
    missing = players(isolated_home, "guide-no-camera", "li4-guide", "--camera", "9", "--step-seconds", "2")
    missing.find_window(TITLE)
    missing.expect(r"camera guide: off, there is no camera 9")
    missing.expect(r"window ready for keys")
    missing.key("Return")
    missing.expect(r"step 1/1 phase 1/1 LI4")
    missing.screenshot("guide-no-camera.png")
    missing.expect(r"finished, completed, 1 of 1 steps", 10)  # the clock ran as without a guide
    assert "camera claim" not in missing.log()  # the tray app's monitor was never paused
    missing.key("Escape")
    assert missing.wait_exit() == 0

    # A camera that exists but fails (here a recording that is not one) turns the guide off in one
    # line, gives the camera back at once, and the clock runs as without a guide.
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"not a video")
    failing = players(isolated_home, "guide-broken", "li4-guide", "--camera", str(broken),
                      "--step-seconds", "2")  # fmt: skip
    failing.find_window(TITLE)
    failing.expect(r"window ready for keys")
    failing.key("Return")
    failing.expect(r"camera claim: released")
    failing.expect(r"camera guide: off \(cannot open video")
    failing.expect(r"finished, completed, 1 of 1 steps", 10)
    failing.key("Escape")
    assert failing.wait_exit() == 0


FACE_AND_SHOULDERS = {
    "version": 1,
    "routines": [{
        "id": "face-shoulders-guide",
        "title": "Face and shoulders with the camera guide",
        "triggers": ["headache"],
        "steps": [
            {"point": "BL2", "action": "press", "side": "left", "seconds": 30,
             "instruction": "Press gently at the inner end of your left eyebrow."},
            {"point": "GB21", "action": "press", "side": "both", "seconds": 30,
             "instruction": "Press the top of each shoulder."},
            {"point": "LI4", "action": "press", "side": "left", "seconds": 30,
             "instruction": "Press into the web of your left hand."},
        ],
        "evidence": {"level": "low", "source": "A test routine."},
        "cautions": "Press the face only lightly. Leave out LI4 and GB21 if you are pregnant.",
    }],
}  # fmt: skip


@pytest.mark.e2e
def test_face_and_shoulder_points_are_drawn_on_a_real_person_and_a_missing_hand_is_asked_for(
    players, isolated_home, tmp_path
):
    import cv2

    from photos import photo

    _acknowledged(isolated_home)
    (isolated_home / "config").mkdir(parents=True, exist_ok=True)
    (isolated_home / "config" / "routines.json").write_text(json.dumps(FACE_AND_SHOULDERS), encoding="utf-8")
    clip = tmp_path / "astronaut.avi"
    image = photo("astronaut")  # scikit-image's astronaut: a face and the shoulders, no hands
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, image.shape[1::-1])
    for i in range(45):
        writer.write(np.roll(image, i % 3 - 1, axis=1))  # a person holds still only so far
    writer.release()
    player = players(isolated_home, "guide-face", "face-shoulders-guide", "--camera", str(clip))
    player.find_window("PostureGuard .+ Face and shoulders with the camera guide$")
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"camera guide: point BL2 side left")
    player.expect(r"camera guide: marker BL2 left at (\d+),(\d+)", START_S)
    time.sleep(0.5)
    geometry = player.session.window_geometry(player.window)
    player.session.screenshot("guide-face-bl2.png", crop=geometry)
    # Nobody presses: the clock stands still; Next moves on.
    assert "phase ended" not in player.log()
    player.key("Right")
    player.expect(r"camera guide: point GB21 side left")
    player.expect(r"camera guide: marker GB21 left at", START_S)
    time.sleep(0.5)
    player.session.screenshot("guide-shoulder-gb21.png", crop=geometry)
    player.key("Right")
    player.expect(r"camera guide: point GB21 side right")
    player.key("Right")
    player.expect(r"camera guide: point LI4 side left")
    time.sleep(1.5)  # no hand in the picture: a hint, and no marker for LI4
    shot = player.session.screenshot("guide-hint-li4.png", crop=geometry)
    assert "marker LI4" not in player.log()
    player.key("Escape")
    assert player.wait_exit() == 0
    pressed, routines = _pressed(isolated_home)
    assert pressed == {} and [r.status for r in routines] == ["skipped"]
    assert shot.exists()


@pytest.mark.e2e
def test_turning_the_camera_off_in_the_player_releases_it_and_the_clock_runs(players, isolated_home,
                                                                              tmp_path):
    clip = _home(isolated_home, [("away", 5.0)], tmp_path)  # nobody presses: only the clock can end it
    player = players(isolated_home, "guide-turn-off", "li4-guide", "--camera", str(clip))
    player.find_window(TITLE)
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"camera claim: taken")
    player.expect(r"camera guide: marker LI4 right at", START_S)
    started = time.monotonic()
    player.key("c")
    player.expect(r"camera claim: released")
    player.expect(r"camera guide: turned off by the user")
    player.expect(r"finished, completed, 1 of 1 steps", 3 * STEP_S)
    assert time.monotonic() - started < STEP_S + 3  # the clock ran from then on, pressed or not
    player.key("Escape")
    assert player.wait_exit() == 0
