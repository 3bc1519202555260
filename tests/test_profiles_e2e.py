"""Profiles in the real tray app (`postureguard run`, real pose model, real desktop session).

Two setups are composed from real photos (and say so): the "laptop" scene is scikit-image's astronaut
photo filling the picture's height in the middle, the "desk" scene the same photo at 0.55 of the height
in the lower left of scikit-image's coffee photo (a camera further away and to the side). Each profile
is calibrated with ``postureguard calibrate --profile``; the recording shows the laptop scene and then
the desk scene, as when a laptop is docked at a desk whose webcam is the only camera. The app starts
on "laptop" and must move to "desk" by itself, say so in one notification (dunst), remember it in the
settings file, and offer both in its tray menu (the StatusNotifierItem's dbusmenu, as a panel reads it),
where choosing "laptop" goes back.
"""

from __future__ import annotations

import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from clips import write_clip
from desktop import COMMAND_S, REACT_S, START_S, DesktopSession, wait_for
from photos import photo
from test_tray_sni import _click, _menu, _our_item, _props

pytestmark = pytest.mark.e2e

SIZE = (640, 480)
FPS = 4
LAPTOP_S, DESK_S = 8, 50


def _scene(scale: float, centre_x: float) -> np.ndarray:
    """The astronaut photo at ``scale`` of the picture's height, bottom-aligned, centred at ``centre_x``
    (a fraction of the width), on the coffee photo."""
    w, h = SIZE
    canvas = cv2.resize(photo("coffee"), SIZE)
    side = int(h * scale)
    person = cv2.resize(photo("astronaut"), (side, side))
    x0 = min(max(0, int(centre_x * w - side / 2)), w - side)
    canvas[h - side :, x0 : x0 + side] = person
    return canvas


@pytest.fixture(scope="module")
def scenes():
    return {"laptop": _scene(1.0, 0.5), "desk": _scene(0.55, 0.25)}


def _home(tmp_path, env, scenes) -> dict:
    """Both profiles calibrated (the real command), "laptop" in use, and the recording."""
    for name, image in scenes.items():
        still = tmp_path / f"{name}.png"
        cv2.imwrite(str(still), image)
        res = subprocess.run([sys.executable, "-m", "postureguard", "calibrate", "--profile", name,
                              "--source", *[str(still)] * 3], env=env, capture_output=True, text=True,
                             timeout=COMMAND_S)  # fmt: skip
        assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "postureguard", "profile", "use", "laptop"], env=env,
                         capture_output=True, text=True, timeout=COMMAND_S)  # fmt: skip
    assert res.returncode == 0, res.stderr
    rng = np.random.default_rng(7)

    def noisy(img):  # a little sensor noise, so no two frames are identical
        return np.clip(img.astype(np.int16) + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)

    frames = [noisy(scenes["laptop"]) for _ in range(LAPTOP_S * FPS)]
    frames += [noisy(scenes["desk"]) for _ in range(DESK_S * FPS)]
    return {"clip": write_clip(tmp_path / "docked.avi", frames, FPS)}


def _settings_profile(home) -> str:
    text = (home / "config" / "settings.toml").read_text(encoding="utf-8")
    return next(line.split("=", 1)[1].strip().strip('"') for line in text.splitlines()
                if line.startswith("profile"))  # fmt: skip


def test_the_app_moves_to_the_profile_of_the_scene_and_says_so(desktop_session: DesktopSession, tmp_path,
                                                                 scenes):
    session = desktop_session
    home = tmp_path / "pg"
    env = {**session.env, "POSTUREGUARD_HOME": str(home)}
    made = _home(tmp_path, env, scenes)
    session.dunst_close_all()
    log_name = "app-profiles.log"
    # A 5 s sustain window: were the desk scene judged poor after the switch, it would alert within seconds.
    proc = session.popen([sys.executable, "-m", "postureguard", "-v", "run", "--source", str(made["clip"]),
                          "--sustain", "5"], log_name, env=env)  # fmt: skip
    try:
        wait_for(lambda: "profile switched to desk (scene)" in session.read_log(log_name),
                 START_S + LAPTOP_S + 30, "the switch to the desk profile")  # fmt: skip
        log = session.read_log(log_name)
        assert "has the camera moved" not in log.lower()
        popup = wait_for(session.notification_window, REACT_S, "the notification of the switch")
        x, y, w, h = session.window_geometry(popup)
        session.screenshot("profile-switched-notification.png", crop=(max(0, x - 10), 0, w + 20, y + h + 10))
        session.dunst_close_all()  # dunst's history holds the closed ones
        notes = wait_for(lambda: [e for e in session.dunst_history() if e["summary"] == "Profile: desk"
                                  and str(home) in str(e.get("icon_path", ""))],
                         REACT_S, "the switch in dunst's history")  # fmt: skip
        assert len(notes) == 1 and "You sit where the profile desk was calibrated" in str(notes[0]["body"])
        assert _settings_profile(home) == "desk"
        # Judged against the desk's calibration from then on: the desk scene is upright, not poor (the
        # session's dunst is shared: only this app's notifications, those with its home's icon, count).
        # Not a wait for an event but the observation itself: twice the sustain window passes quietly.
        time.sleep(10)
        session.dunst_close_all()
        mine = [e for e in session.dunst_history() if str(home) in str(e.get("icon_path", ""))]
        assert [e["summary"] for e in mine] == ["Profile: desk"], mine
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_the_tray_menu_offers_the_profiles_and_choosing_one_uses_it(sni_desktop_session: DesktopSession,
                                                                      tmp_path, scenes):
    session = sni_desktop_session
    home = tmp_path / "pg"
    env = {**session.env, "POSTUREGUARD_HOME": str(home)}
    made = _home(tmp_path, env, scenes)
    log_name = "app-profiles-sni.log"
    proc = session.popen([sys.executable, "-m", "postureguard", "-v", "run", "--source", str(made["clip"])],
                         log_name, env=env)  # fmt: skip
    try:
        item = wait_for(lambda: _our_item(session, proc, log_name), START_S, "the app's item at the watcher")
        menu_path = _props(session, item)["Menu"]

        def ticked() -> list[str]:
            menu = _menu(session, item, menu_path)
            return [n for n in ("laptop", "desk") if menu.get(n, (0, {}))[1].get("toggle-state") == 1]

        wait_for(lambda: ticked() == ["laptop"], REACT_S, "laptop ticked in the Profile menu")
        menu = _menu(session, item, menu_path)
        assert {"Profile", "laptop", "desk", "New profile (calibrate now)"} <= set(menu), sorted(menu)
        wait_for(lambda: ticked() == ["desk"], START_S + LAPTOP_S + 30, "desk ticked after the switch")
        _click(session, item, menu_path, "laptop")  # the user knows better: back to the laptop profile
        wait_for(lambda: "profile laptop chosen: its calibration is used" in session.read_log(log_name),
                 REACT_S, "the chosen profile in use")  # fmt: skip
        wait_for(lambda: ticked() == ["laptop"], REACT_S, "laptop ticked again")
        assert _settings_profile(home) == "laptop"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
