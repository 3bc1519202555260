"""The forms of an alert (issue 16): the ``alert_forms`` setting (and the older ``alert_form`` in existing
files), the sink delivering each form, the menu and window texts, and what is said where the on-screen
cue or the sound cannot work. The real desktop session is in test_alert_forms_e2e.py.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from postureguard.knowledge.loader import load_knowledge
from postureguard.settings.config import Settings, check_document, load_settings, with_value
from test_app import GOOD, POOR, feed, make_app

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def kb():
    return load_knowledge(include_user=False)


def _cli(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    full = {**base, "POSTUREGUARD_HOME": str(home), "PYTHONPATH": SRC, **(env or {})}
    return subprocess.run([sys.executable, "-m", "postureguard", *args], env=full, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


# -- the setting ---------------------------------------------------------------------------------------


def test_forms_combine_in_a_fixed_order_and_tray_stands_alone():
    s = Settings()
    assert s.alert_forms == ("notification",)  # today's behaviour stays the default
    assert with_value(s, "alert_forms", "sound, cue").alert_forms == ("cue", "sound")
    assert with_value(s, "alert_forms", "cue,tray").alert_forms == ("cue",)  # tray adds nothing beside
    assert with_value(s, "alert_forms", "tray").alert_forms == ("tray",)
    assert with_value(s, "alert_forms", "none").alert_forms == ("tray",)
    assert with_value(s, "notifications.alert_forms", "notification cue sound").alert_forms == (
        "notification", "cue", "sound")  # fmt: skip
    assert with_value(s, "cue_screens", "primary").cue_screens == "primary"


def test_the_older_alert_form_key_is_still_read_and_the_new_one_wins():
    old = check_document({"notifications": {"alert_form": "tray"}})
    assert old.problems == () and old.settings.alert_forms == ("tray",)
    flat = check_document({"alert_form": "notification"})
    assert flat.problems == () and flat.settings.alert_forms == ("notification",)
    both = check_document({"notifications": {"alert_forms": ["cue", "sound"], "alert_form": "tray"}})
    assert both.settings.alert_forms == ("cue", "sound")
    bad = check_document({"notifications": {"alert_forms": ["cue", "blur"]}})
    assert bad.settings.alert_forms == ("notification",)
    assert bad.problems == ("[notifications] alert_forms: 'blur' is not one or more of notification, cue, "
                            "sound (comma-separated), or tray alone",)  # fmt: skip


def test_an_existing_file_with_alert_form_keeps_its_meaning_through_config(tmp_path):
    home = tmp_path / "home"
    path = home / "config" / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[posture]\nsensitivity = "high"\n\n[notifications]\nalert_form = "tray"\n')
    show = _cli(home, "config", "show")
    assert show.returncode == 0 and show.stderr == "", show.stderr  # not a problem, no backup
    assert "alert_forms = tray    * changed (default: notification)" in show.stdout, show.stdout
    assert not list(path.parent.glob("*.bak-*"))
    # The old name still works in `config set`; the file then says the new one, and keeps the rest.
    put = _cli(home, "config", "set", "alert_form", "notification,cue")
    assert put.returncode == 0, put.stderr
    assert "alert_forms = notification,cue" in put.stdout
    saved = load_settings(path).settings
    assert saved.alert_forms == ("notification", "cue") and saved.sensitivity == "high"
    assert "alert_forms = [" in path.read_text() and "alert_form =" not in path.read_text()


def test_a_bad_form_from_the_command_line_is_one_line_and_changes_nothing(tmp_path):
    home = tmp_path / "home"
    assert _cli(home, "config", "set", "alert_forms", "sound").returncode == 0
    before = (home / "config" / "settings.toml").read_bytes()
    res = _cli(home, "config", "set", "alert_forms", "notification,blur")
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("postureguard: "), res.stderr
    assert "'blur' is not one or more of notification, cue, sound" in res.stderr
    assert (home / "config" / "settings.toml").read_bytes() == before


# -- the tray's Alerts menu and the settings window (pure texts) ------------------------------------------


def test_the_tray_menu_toggles_one_form_and_tray_alone():
    from postureguard.ui.tray import ALERT_FORM_LABELS, toggled_forms

    assert tuple(v for v, _ in ALERT_FORM_LABELS) == ("notification", "cue", "sound", "tray")
    assert toggled_forms(("notification",), "cue") == "notification,cue"
    assert toggled_forms(("notification", "cue"), "notification") == "cue"
    assert toggled_forms(("cue",), "cue") == "tray"  # the last form off: the tray icon alone
    assert toggled_forms(("tray",), "sound") == "sound"
    assert toggled_forms(("notification", "sound"), "tray") == "tray"
    # Every text the menu can produce is a valid setting.
    for forms in (("notification",), ("tray",), ("cue", "sound")):
        for form, _label in ALERT_FORM_LABELS:
            with_value(Settings(alert_forms=forms), "alert_forms", toggled_forms(forms, form))


# -- the sink: each form ------------------------------------------------------------------------------------


class RecordingCue:
    """Stands in for the cue's process (the real one is driven in test_alert_forms_e2e.py)."""

    def __init__(self, on_fine):
        self.on_fine = on_fine
        self.calls: list[tuple] = []

    def show(self, kind, screens):
        self.calls.append(("show", kind, screens))

    def hide(self):
        self.calls.append(("hide",))

    def close(self):
        self.calls.append(("close",))


class RecordingSound:
    def __init__(self):
        self.played = 0

    def play(self):
        self.played += 1
        return True


def test_cue_and_sound_without_a_notification_and_the_cue_goes_when_posture_recovers(tmp_path, kb):
    sound = RecordingSound()
    settings = Settings(alert_forms=("cue", "sound"), cue_screens="primary", recovery_seconds=3)
    app, wall, mono, _ = make_app(tmp_path, kb, settings=settings, cue_factory=RecordingCue, sound=sound)
    feed(app, wall, mono, GOOD, 10)
    feed(app, wall, mono, POOR, 8)
    assert len(app.store.alerts()) == 1
    assert app.notifier.sent == []  # no notification was chosen
    assert sound.played == 1
    assert app.cue.calls == [("show", "posture", "primary")]
    feed(app, wall, mono, POOR, 3)
    assert app.cue.calls == [("show", "posture", "primary")]  # still poor: it stays
    feed(app, wall, mono, GOOD, 6)
    assert app.cue.calls[-1] == ("hide",) and len(app.cue.calls) == 2  # recovered: it goes, once


def test_a_right_click_on_the_cue_is_the_sitting_fine_answer(tmp_path, kb):
    settings = Settings(alert_forms=("notification", "cue"))
    app, wall, mono, _ = make_app(tmp_path, kb, settings=settings, cue_factory=RecordingCue,
                                  sound=RecordingSound())  # fmt: skip
    feed(app, wall, mono, GOOD, 10)
    feed(app, wall, mono, POOR, 8)
    assert app.notifier.sent[-1]["title"] == "Time to sit up"  # the notification too
    app.cue.on_fine()  # what the cue's reader thread calls on "fine"
    app.drain()
    saved = load_settings(tmp_path / "settings.toml").settings
    assert saved.fine_answers == 1 and saved.personal_threshold_tenths > 50
    assert app.cue.calls[-1] == ("hide",)
    assert app.notifier.sent[-1]["title"] == "Thanks, noted"


def test_the_cue_goes_when_switched_off_or_paused_and_closes_with_the_app(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(alert_forms=("cue",)),
                                  cue_factory=RecordingCue, sound=RecordingSound())  # fmt: skip
    feed(app, wall, mono, GOOD, 10)
    feed(app, wall, mono, POOR, 8)
    app.set_setting("alert_forms", "notification")
    app.drain()
    assert app.cue.calls == [("show", "posture", "all"), ("hide",)]
    app.shutdown()
    assert app.cue.calls[-1] == ("close",)


def test_a_sitting_cue_goes_when_the_user_leaves_and_its_right_click_teaches_nothing(tmp_path, kb):
    settings = Settings(alert_forms=("cue",), sitting_limit_minutes=30, stand_up_nudge_minutes=0)
    app, wall, mono, _ = make_app(tmp_path, kb, settings=settings, cue_factory=RecordingCue,
                                  sound=RecordingSound())  # fmt: skip
    feed(app, wall, mono, GOOD, 31 * 60, step=10)
    assert ("show", "sitting", "all") in app.cue.calls
    app.cue.on_fine()  # a right-click on a sitting cue: not an answer about posture
    app.drain()
    assert load_settings(tmp_path / "settings.toml").settings.fine_answers == 0
    feed(app, wall, mono, None, 30, step=5)  # nobody in view
    assert app.cue.calls[-1] == ("hide",)


def test_tray_alone_shows_nothing_but_the_icon(tmp_path, kb, caplog):
    sound = RecordingSound()
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(alert_forms=("tray",)),
                                  cue_factory=RecordingCue, sound=sound)  # fmt: skip
    with caplog.at_level(logging.INFO, logger="postureguard.runtime.app"):
        feed(app, wall, mono, GOOD, 10)
        feed(app, wall, mono, POOR, 8)
    assert app.notifier.sent == [] and app.cue.calls == [] and sound.played == 0
    assert app.tray_state().icon == "poor"
    assert "alert shown as tray, no notification" in caplog.text


# -- where a form cannot work -------------------------------------------------------------------------------


def test_without_a_sound_player_one_line_says_what_to_install(caplog):
    from postureguard.platform.sound import AlertSound, find_player

    assert find_player(which=lambda name: None) is None
    sound = AlertSound(player=None)
    with caplog.at_level(logging.INFO, logger="postureguard.platform.sound"):
        assert sound.play() is False
        assert sound.play() is False
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["alert sound: no sound player; install gnome-session-canberra and "
                     "sound-theme-freedesktop (canberra-gtk-play)"]  # fmt: skip


def test_the_cue_on_wayland_is_one_log_line_and_no_process(caplog):
    from postureguard.runtime.cue_link import CueProcess, unavailable_reason

    wayland = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}
    assert "not available on Wayland" in unavailable_reason(wayland)
    assert unavailable_reason({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) is None  # Xwayland
    assert unavailable_reason({"DISPLAY": ":5"}) is None

    def never():
        raise AssertionError("no cue process is started on Wayland")

    cue = CueProcess(lambda: None, start=never, environ=wayland)
    with caplog.at_level(logging.INFO, logger="postureguard.runtime.cue_link"):
        cue.show("posture", "all")
        cue.show("posture", "all")
        cue.hide()
        cue.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "not available on Wayland" in warnings[0], warnings


def test_the_cue_process_says_so_on_wayland(tmp_path):
    res = subprocess.run([sys.executable, "-m", "postureguard", "cue"], input="show posture all 5\n",
                         env={**{k: v for k, v in os.environ.items() if k != "DISPLAY"},
                              "WAYLAND_DISPLAY": "wayland-0", "PYTHONPATH": SRC,
                              "POSTUREGUARD_HOME": str(tmp_path)},
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("unavailable the on-screen cue is not available on Wayland"), res.stdout


@pytest.mark.parametrize("forms", ["cue,sound", "notification"])
def test_doctor_names_the_cue_on_wayland_and_the_sound_player(tmp_path, forms):
    home = tmp_path / "home"
    assert _cli(home, "config", "set", "alert_forms", forms).returncode == 0
    res = _cli(home, "doctor", "--no-camera", env={"WAYLAND_DISPLAY": "wayland-0"})
    lines = res.stdout.splitlines()
    cue = next(line for line in lines if "on-screen cue:" in line)
    sound = next(line for line in lines if line.split(":")[0].endswith("sound"))
    assert "not available on Wayland" in cue, cue
    if forms == "cue,sound":
        assert cue.startswith("WARN"), cue
    else:
        assert cue.startswith("ok") and "off;" in cue, cue
        assert "off" in sound, sound
    import shutil

    if shutil.which("canberra-gtk-play"):
        assert "canberra-gtk-play plays the sound theme event message-new-instant" in sound, sound
    else:
        assert "install gnome-session-canberra" in sound, sound


# -- the cue's geometry (pure) -------------------------------------------------------------------------------


def test_the_cue_edge_covers_only_a_thin_ring_and_the_tab_hangs_from_its_top():
    from postureguard.ui.cue import EDGE_PX, TAB_H, TAB_W, ring_rects, tab_rect, tab_rows

    bands = ring_rects(1280, 800)
    area = sum(r.w * r.h for r in bands)
    assert area == 1280 * 800 - (1280 - 2 * EDGE_PX) * (800 - 2 * EDGE_PX)  # the ring, no overlap
    assert area < 0.05 * 1280 * 800  # a frame, not a panel
    t = tab_rect(1280)
    assert (t.x, t.y, t.w, t.h) == ((1280 - TAB_W) // 2, EDGE_PX, TAB_W, TAB_H)
    rows = tab_rows(1280)
    assert len(rows) == TAB_H and rows[0].w == TAB_W  # square where it meets the edge
    assert rows[-1].w < TAB_W - 2 * (TAB_H // 4)  # rounded at the bottom
    assert all(r.x + r.w // 2 in (640, 639) for r in rows)  # centred


def test_the_edge_is_strongest_at_the_screen_edge_and_soft_inwards():
    from postureguard.ui.cue import EDGE_PX, edge_strength

    values = [edge_strength(d) for d in range(EDGE_PX + 1)]
    assert values[0] == 1.0 and values == sorted(values, reverse=True)
    assert values[-1] == 0.25


class _Geometry:
    def __init__(self, x, y, width, height):
        self.x, self.y, self.width, self.height = x, y, width, height


class _Monitor:
    def __init__(self, *geometry):
        self.geometry = _Geometry(*geometry)

    def get_geometry(self):
        return self.geometry


class _Display:
    """Two monitors side by side, the right one primary (the shape of Gdk.Display's answers)."""

    def __init__(self, primary=1):
        self.monitors = [_Monitor(0, 0, 1920, 1080), _Monitor(1920, 0, 2560, 1440)]
        self.primary = primary

    def get_n_monitors(self):
        return len(self.monitors)

    def get_monitor(self, i):
        return self.monitors[i]

    def get_primary_monitor(self):
        return None if self.primary is None else self.monitors[self.primary]


def test_the_cue_is_drawn_on_every_monitor_or_the_primary_one():
    from postureguard.ui.cue import Rect, monitor_rects

    assert monitor_rects(_Display(), "all") == [Rect(0, 0, 1920, 1080), Rect(1920, 0, 2560, 1440)]
    assert monitor_rects(_Display(), "primary") == [Rect(1920, 0, 2560, 1440)]
    assert monitor_rects(_Display(primary=None), "primary") == [Rect(0, 0, 1920, 1080)]  # none named


# -- the tray's Alerts menu as pystray builds it (dummy backend, in a child: pystray picks it on import) ----

_MENU_CHILD = r"""
import json, sys, types
import pystray
from postureguard.runtime.messages import TrayIcon, TrayState
from postureguard.settings.config import Settings, with_value
from postureguard.ui.tray import Tray

class App:
    def __init__(self, forms):
        self.settings = Settings(alert_forms=tuple(forms.split(",")))
        self.calls = []

    def set_setting(self, key, text):
        self.calls.append([key, text])
        self.settings = with_value(self.settings, key, text)

app = App(sys.argv[1])
state = TrayState(icon=TrayIcon.GOOD, tooltip="PostureGuard", paused=False, sensitivity="medium",
                  sitting_limit_min=50, suggestion_title=None, status_line="")
holder = types.SimpleNamespace(state=state, app=app, routines=[])
menu = Tray._menu(holder, pystray)
alerts = next(item for item in menu.items if item.text == "Alerts").submenu
def shown():
    return [[i.text, i.checked, i.enabled] for i in alerts.items if i is not pystray.Menu.SEPARATOR]
before = shown()
next(i for i in alerts.items if i.text == sys.argv[2])(None)  # a click on that item
print(json.dumps({"before": before, "after": shown(), "calls": app.calls}))
"""


def _alerts_menu(forms: str, click: str) -> dict:
    env = {**os.environ, "PYSTRAY_BACKEND": "dummy"}
    run = subprocess.run([sys.executable, "-c", _MENU_CHILD, forms, click], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_alerts_menu_ticks_each_form_on_and_switches_one_at_a_time():
    seen = _alerts_menu("notification", "Sound")
    assert seen["before"] == [
        ["Notification with buttons", True, True],
        ["On-screen cue (a soft coloured edge)", False, True],
        ["Sound", False, True],
        ["Tray icon only", False, True],
        ["Cue on the primary monitor only", False, False],  # only with the cue on
    ]
    assert seen["calls"] == [["alert_forms", "notification,sound"]]
    assert [t for t, checked, _e in seen["after"] if checked] == ["Notification with buttons", "Sound"]

    cue = _alerts_menu("cue", "Cue on the primary monitor only")
    assert cue["calls"] == [["cue_screens", "primary"]]
    assert cue["after"][-1] == ["Cue on the primary monitor only", True, True]

    alone = _alerts_menu("notification,cue", "Tray icon only")
    assert alone["calls"] == [["alert_forms", "tray"]]
    assert [t for t, checked, _e in alone["after"] if checked] == ["Tray icon only"]
