"""The app controller without a screen: engine events -> history, notifications, tray state.

The notification server is replaced by a recorder here (the real dunst path is covered by
test_tray_e2e.py); the store is a real SQLite file, the knowledge base and recommender are real.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine
from postureguard.engine.geometry import measure
from postureguard.history.sqlite import SQLiteStore
from postureguard.knowledge.loader import load_knowledge
from postureguard.knowledge.recommender import Recommender, SafetySettings
from postureguard.runtime.app import CALIBRATION_FRAMES, App, Overrides
from postureguard.settings.config import Settings, load_settings, save_settings

GOOD, POOR = frontal_pose(), frontal_pose(forward_deg=12)


class RecordingNotifier:
    def __init__(self):
        self.sent = []

    def send(self, title, body, buttons=(), on_clicked=None, on_dismissed=None, fallback=None):
        self.sent.append({"title": title, "body": body, "buttons": dict(buttons), "on_clicked": on_clicked})
        return str(len(self.sent))

    def close(self):
        pass


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def kb():
    return load_knowledge(include_user=False)


def make_app(tmp_path, kb, settings=None, calibrated=True, **kw):
    settings = settings or Settings()
    cal = calibrate([measure(GOOD)] * 5) if calibrated else None
    wall, mono = Clock(datetime(2026, 11, 23, 10, 0).timestamp()), Clock()
    launched = []
    app = App(
        settings=settings,
        settings_path=tmp_path / "settings.toml",
        engine=PostureEngine(settings.to_engine(sustain_s=5), cal),
        store=SQLiteStore(tmp_path / "history.sqlite3"),
        notifier=RecordingNotifier(),
        recommender_factory=lambda s: Recommender(
            kb, SafetySettings(**{**s.to_safety(), "avoid_points": frozenset()})
        ),
        calibration_path=tmp_path / "cal.json",
        overrides=Overrides(sustain_s=5),
        launch_routine=lambda rid, source: launched.append((rid, source)) or _Done(),
        wall_clock=wall,
        mono_clock=mono,
        **kw,
    )
    return app, wall, mono, launched


class _Done:
    def poll(self):
        return 0


def feed(app, wall, mono, pose, seconds, step=1.0):
    """Analysed frames, as the monitor thread hands them to the engine's owner; then the sink's step."""
    for _ in range(int(seconds / step)):
        app.owner.observe(pose, mono.t)
        app.drain()
        wall.t += step
        mono.t += step


def test_posture_alert_is_stored_notified_and_shown(tmp_path, kb):
    app, wall, mono, launched = make_app(tmp_path, kb)
    feed(app, wall, mono, GOOD, 10)
    assert app.tray_state().icon == "good"
    feed(app, wall, mono, POOR, 8)
    alerts = app.store.alerts()
    assert len(alerts) == 1 and alerts[0].trigger == "neck_strain" and alerts[0].kind == "posture"
    note = app.notifier.sent[-1]
    assert note["title"] == "Time to sit up"
    assert "about 12° more forward than your upright for 5 seconds" in note["body"]
    routine = kb.routine(alerts[0].routine_id)
    assert f"Suggested: {routine.title}" in note["body"]
    assert set(note["buttons"]) == {"Start routine", "Snooze 30 min", "I'm sitting fine"}
    state = app.tray_state()
    assert (
        state.icon == "poor"
        and "head about 12° more forward than your upright" in state.tooltip
        and state.suggestion_title == routine.title
    )

    note["buttons"]["Start routine"]()
    note["on_clicked"]()
    assert launched == [(routine.id, "notification")] * 2


def test_snooze_button_silences_alerts_for_its_length(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(cooldown_minutes=1))
    feed(app, wall, mono, POOR, 8)
    app.notifier.sent[-1]["buttons"]["Snooze 30 min"]()
    feed(app, wall, mono, POOR, 29 * 60, step=5)
    assert len(app.store.alerts()) == 1
    feed(app, wall, mono, POOR, 2 * 60, step=5)
    assert len(app.store.alerts()) == 2


def test_quiet_hours_and_hourly_cap_keep_history_but_not_notifications(tmp_path, kb):
    quiet = Settings(quiet_hours="09:00-11:00", cooldown_minutes=0)
    app, wall, mono, _ = make_app(tmp_path, kb, settings=quiet)
    feed(app, wall, mono, POOR, 30)
    assert app.store.alerts() and not [n for n in app.notifier.sent if n["title"] == "Time to sit up"]

    capped = Settings(max_notifications_per_hour=2, cooldown_minutes=1)
    app, wall, mono, _ = make_app(tmp_path / "b", kb, settings=capped)
    feed(app, wall, mono, POOR, 10 * 60, step=5)
    shown = [n for n in app.notifier.sent if n["title"] == "Time to sit up"]
    assert len(app.store.alerts()) >= 8 and len(shown) == 2


def test_sitting_alert_suggests_a_movement_routine(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(sitting_limit_minutes=30))
    feed(app, wall, mono, GOOD, 31 * 60, step=10)
    note = [n for n in app.notifier.sent if n["title"] == "Time for a break"][-1]
    assert "sitting for 30 minutes without a break" in note["body"]
    alert = [a for a in app.store.alerts() if a.kind == "sitting"][-1]
    assert alert.trigger == "prolonged_sitting"
    assert any(s.action == "move" for s in kb.routine(alert.routine_id).steps)


def test_tray_setting_is_saved_and_applied(tmp_path, kb):
    app, *_ = make_app(tmp_path, kb)
    app.set_setting("sensitivity", "high")
    assert load_settings(tmp_path / "settings.toml").settings.sensitivity == "high"
    assert app.engine.settings.threshold_deg == 3.5 and app.engine.settings.sustain_s == 5
    app.set_setting("sitting_limit_minutes", "0")
    assert app.engine.settings.sitting_limit_s is None
    app.set_setting("sensitivity", "extreme")
    assert app.notifier.sent[-1]["title"] == "Setting not changed"
    assert app.settings.sensitivity == "high"


def test_settings_changed_by_another_program_reach_the_running_app(tmp_path, kb):
    app, *_ = make_app(tmp_path, kb)

    app.start()
    try:
        save_settings(Settings(sensitivity="low", sitting_limit_minutes=45), tmp_path / "settings.toml")
        deadline = time.monotonic() + 10
        while app.engine.settings.sensitivity != "low" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert app.engine.settings.sensitivity == "low"
        assert app.engine.settings.sitting_limit_s == 45 * 60
        assert app.engine.settings.sustain_s == 5  # the command line's override still wins
    finally:
        app.shutdown()


def test_first_run_calibrates_from_the_next_upright_frames(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb, calibrated=False)
    app.begin_calibration()
    assert app.tray_state().icon == "calibrating"
    assert app.notifier.sent[-1]["title"] == "Calibrating PostureGuard"
    for _ in range(CALIBRATION_FRAMES + 6):  # the first 5 s are the user's time to sit up
        app.owner.observe(GOOD, mono.t)
        app.drain()
        mono.t += 1
        wall.t += 1
    assert app.engine.calibration is not None
    assert (tmp_path / "cal.json").exists()
    assert app.tray_state().icon == "good"
    assert app.notifier.sent[-1]["title"] == "Calibration done"


def test_history_that_cannot_be_saved_is_said_once_and_monitoring_goes_on(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb)
    app.store.close()  # every later write fails, as on a vanished or read-only disk
    feed(app, wall, mono, POOR, 200)
    warnings = [n for n in app.notifier.sent if n["title"] == "PostureGuard cannot save history"]
    assert len(warnings) == 1
    assert app.tray_state().icon == "poor"


def test_pause_records_a_gap_and_resume_closes_it(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb)
    app.pause(None)
    # No monitor thread: the engine's owner applies the pause at once, and the tray shows it.
    assert app.tray_state().icon == "paused" and app.tray_state().paused
    wall.t += 600
    app.resume()
    gaps = app.store.gaps()
    assert len(gaps) == 1 and gaps[0].end - gaps[0].start == pytest.approx(600)


def test_screen_lock_pauses_and_unlock_resumes_but_not_a_users_pause(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb)
    app.on_lock()
    wall.t += 300
    app.on_unlock()
    assert [g.reason for g in app.store.gaps()] == ["locked"]
    app.pause(None)  # the user pauses by hand...
    app.on_lock()
    app.on_unlock()  # ...and unlocking the screen does not end their pause
    assert app.owner.paused and app.tray_state().paused
    app.resume()
    assert [g.reason for g in app.store.gaps()] == ["locked", "paused"]


def test_camera_held_by_another_program_reads_as_paused_not_broken(tmp_path, kb, monkeypatch):
    """A real second process holds the 'camera' open; the app names it instead of reporting a fault."""
    import subprocess
    import sys

    from postureguard.platform import camera_users
    from postureguard.runtime.monitor import MonitorStatus

    device = tmp_path / "video0"  # stands in for /dev/video0: /proc shows any open file the same way
    device.write_bytes(b"")
    hold = "import sys, time; f = open(sys.argv[1]); print('open', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(device)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        monkeypatch.setattr(camera_users, "camera_device", lambda index: device)
        app, *_ = make_app(tmp_path, kb)
        app.owner.report(MonitorStatus("camera_unavailable", "camera 0 cannot be opened"))
        app.drain()
        state = app.tray_state()
        assert state.icon == "paused" and "in use by python" in state.tooltip, state
        app.apply_settings(Settings(pause_during_calls=False))
        app.owner.report(MonitorStatus("camera_unavailable", "camera 0 cannot be opened"))
        app.drain()
        assert app.tray_state().icon == "camera_unavailable"
    finally:
        holder.kill()
        holder.wait()


def test_a_full_disk_is_said_once_and_monitoring_goes_on(tmp_path, kb):
    """SQLite's page limit stands in for a full disk: the real store raises, the app carries on."""
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(cooldown_minutes=1))
    conn = app.store._conn  # noqa: SLF001 - the only way to make a real SQLite file "full" without root
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    feed(app, wall, mono, POOR, 4 * 3600, step=10)  # hours of minutes and alerts: the free pages fill up
    warnings = [n for n in app.notifier.sent if n["title"] == "PostureGuard cannot save history"]
    alerts_shown = [n for n in app.notifier.sent if n["title"] == "Time to sit up"]
    assert len(warnings) == 1 and "full" in warnings[0]["body"].lower()
    assert len(alerts_shown) >= 4  # the user is still told about their posture (within the hourly cap)
    assert app.tray_state().icon == "poor"


def test_tooltip_before_the_first_frame_says_starting(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb)
    assert app.tray_state().tooltip == "PostureGuard · starting"
    feed(app, wall, mono, None, 30)
    assert "nobody in view" in app.tray_state().tooltip


def test_show_log_file_says_where_the_log_will_be_before_anything_was_logged(tmp_path, kb, isolated_home):
    from postureguard.files import paths

    app, *_ = make_app(tmp_path, kb)
    assert not paths.log_file().exists()
    app.open_log()
    deadline = time.monotonic() + 30
    while not app.notifier.sent and time.monotonic() < deadline:
        app.drain()
        time.sleep(0.05)
    note = app.notifier.sent[-1]
    assert "Log file" in str(note) and str(paths.log_file()) in str(note)


def test_tray_only_alerts_record_and_colour_the_icon_without_a_notification(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(alert_forms=("tray",)))
    feed(app, wall, mono, GOOD, 10)
    feed(app, wall, mono, POOR, 8)
    assert len(app.store.alerts()) == 1  # the alert happened and is in the history
    assert app.notifier.sent == []  # but nothing popped up
    assert app.tray_state().icon == "poor"
    # Switching back from the tray's "Alerts" menu: the next alert is a notification again.
    app.set_setting("alert_forms", "notification")
    app.drain()
    assert app.settings.alert_forms == ("notification",)


def test_the_snooze_button_names_the_snooze_setting(tmp_path, kb):
    app, wall, mono, _ = make_app(tmp_path, kb, settings=Settings(snooze_minutes=45))
    feed(app, wall, mono, GOOD, 10)
    feed(app, wall, mono, POOR, 8)
    assert "Snooze 45 min" in app.notifier.sent[-1]["buttons"]
