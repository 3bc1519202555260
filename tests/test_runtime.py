"""The runtime's parts without threads: the tray's pure reducer, the state enums, one day's bounds,
and the sink that keeps a hung notification server away from the frames."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import date, datetime

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine, Update
from postureguard.engine.geometry import measure
from postureguard.engine.sample import Posture, PostureState, Sample
from postureguard.runtime.messages import (
    Analysed,
    CalibrationDone,
    CalibrationStarted,
    MonitorState,
    MonitorStatus,
    Paused,
    PauseReason,
    Resumed,
    StatusChanged,
    TrayIcon,
    TrayModel,
    reduce,
    tray_state,
)


def sample(state=PostureState.GOOD, angle=4.0, sitting_s=0.0):
    return Sample(t=0.0, person=True, head_forward_deg=angle, posture=Posture.GOOD, state=state,
                  sitting_s=sitting_s)  # fmt: skip


def fold(*events, model=None):
    model = model or TrayModel()
    for event in events:
        model = reduce(model, event)
    return model


def analysed(s):
    return Analysed(Update(s, ()), 1000.0)


# -- the reducer -----------------------------------------------------------------------------------------
def test_before_the_first_frame_the_tray_says_starting():
    state = tray_state(TrayModel())
    assert state.icon == TrayIcon.AWAY and state.tooltip == "PostureGuard · starting" and not state.paused


def test_the_tray_follows_the_posture_and_the_sitting_time():
    model = fold(StatusChanged(MonitorStatus(MonitorState.RUNNING, "camera 0")), analysed(sample()))
    assert tray_state(model).icon == "good"
    assert tray_state(model).tooltip == "PostureGuard · head about 4° more forward than your upright"
    model = reduce(model, analysed(sample(PostureState.POOR, 14.0, sitting_s=1800)))
    state = tray_state(model)
    assert state.icon == "poor" and state.tooltip == (
        "PostureGuard · head about 14° more forward than your upright · sitting 30 min"
    )
    assert state.status_line == "camera 0"


def test_a_locked_screen_pauses_and_the_gap_start_is_kept_until_resume():
    model = fold(analysed(sample()), Paused(PauseReason.LOCKED, 500.0))
    state = tray_state(model)
    assert state.icon == "paused" and state.paused and "paused while the screen is locked" in state.tooltip
    assert model.paused_since == 500.0 and model.pause_reason == "locked"
    model = reduce(model, Resumed(800.0))
    assert not tray_state(model).paused and tray_state(model).icon == "good" and model.paused_since is None


def test_a_stopped_monitor_is_shown_with_its_error():
    detail = "monitoring stopped: RuntimeError: boom; restarting"
    model = fold(analysed(sample()), StatusChanged(MonitorStatus(MonitorState.STOPPED, detail)))
    state = tray_state(model)
    assert state.icon == "camera_unavailable" and state.tooltip == f"PostureGuard · {detail}"
    back = reduce(model, StatusChanged(MonitorStatus(MonitorState.RUNNING, "camera 0")))
    assert tray_state(back).icon == "good"


def test_camera_faults_come_before_a_pause_and_a_calibration():
    model = fold(CalibrationStarted(5.0))
    assert tray_state(model).icon == "calibrating" and "calibrating: sit upright" in tray_state(model).tooltip
    model = reduce(model, Paused(PauseReason.PAUSED, 1.0))
    assert tray_state(model).icon == "paused"
    model = reduce(model, StatusChanged(MonitorStatus(MonitorState.CAMERA_COVERED, "black frames")))
    assert tray_state(model).icon == "camera_unavailable" and "camera covered" in tray_state(model).tooltip
    done = fold(CalibrationStarted(5.0), CalibrationDone(calibrate([measure(frontal_pose())] * 5)))
    assert not done.calibrating


def test_the_reducer_is_pure():
    model = TrayModel()
    event = Paused(PauseReason.SETUP, 3.0)
    assert reduce(model, event) == reduce(model, event) and model == TrayModel()  # nothing changed in place
    assert tray_state(reduce(model, event)) == tray_state(reduce(TrayModel(), event))


# -- states are str-valued enums -----------------------------------------------------------------------
def test_states_are_enums_that_read_as_their_strings(tmp_path):
    update = PostureEngine().update(None, 0.0)
    assert update.sample.state is PostureState.UNCALIBRATED and update.sample.posture is Posture.UNKNOWN
    assert update.sample.state == "uncalibrated" and f"{update.sample.state}" == "uncalibrated"
    assert json.loads(json.dumps(update.sample.to_record()))["state"] == "uncalibrated"
    assert {"paused": 1}[TrayIcon.PAUSED] == 1 and str(MonitorState.STOPPED) == "stopped"
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    conn.execute("CREATE TABLE t (reason TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (PauseReason.LOCKED,))
    assert conn.execute("SELECT reason, typeof(reason) FROM t").fetchone() == ("locked", "text")
    assert MonitorStatus("paused").state == MonitorState.PAUSED  # old callers' strings still compare


# -- one day's bounds ----------------------------------------------------------------------------------
@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_day_the_clocks_go_forward_has_23_hours_in_today_and_in_the_tray(berlin, tmp_path, kb):
    from postureguard.commands.today import day_bounds
    from postureguard.history.base import MinuteRecord

    start, end = day_bounds(date(2026, 3, 29))
    assert end - start == 23 * 3600
    start, end = day_bounds(date(2026, 10, 25))
    assert end - start == 25 * 3600

    from test_app import make_app  # the app with a real SQLite store

    app, wall, *_ = make_app(tmp_path, kb)
    wall.t = datetime(2026, 3, 29, 12, 0).timestamp()
    on_the_day = int(datetime(2026, 3, 29, 10, 0).timestamp())
    next_day = int(datetime(2026, 3, 30, 0, 30).timestamp())  # within start + 86400, but not that day
    for minute in (on_the_day, next_day):
        app.store.add_minute(MinuteRecord(minute, 10, 1.0, 3.0, 0.0))
    text = app.summary_text()
    assert text.splitlines()[0] == "Today: 1 min monitored, good posture 100% of the time", text


# -- the sink: a hung notification server never stalls the monitor -------------------------------------
class HungNotifier:
    """A notification server that does not answer until ``release`` is set."""

    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Event()
        self.sent = []

    def send(self, title, body, **kw):
        self.entered.set()
        self.release.wait(30)
        self.sent.append(title)

    def close(self):
        pass


def test_a_hung_notification_server_stalls_the_sink_not_the_frames(tmp_path, kb):
    from test_app import GOOD, POOR, make_app

    app, wall, mono, _ = make_app(tmp_path, kb)
    hung = HungNotifier()
    app.notifier = hung
    app.start()  # the sink thread runs; no monitor thread: this test's thread plays the monitor
    try:
        app.notify("PostureGuard settings", "a start-up notice")
        assert hung.entered.wait(10)  # the sink is stuck inside the notification server's call
        began = time.monotonic()
        alerts = 0
        for i in range(60):
            pose = GOOD if i < 10 else POOR
            update = app.owner.observe(pose, mono.t)
            alerts += sum(type(e).__name__ == "PostureAlert" for e in update.events)
            mono.t += 1
            wall.t += 1
        assert time.monotonic() - began < 5  # 60 verdicts and an alert decision, none waited
        assert alerts >= 1 and app.tray_state().icon != "poor"  # the stuck sink has not drawn them yet
        hung.release.set()
        deadline = time.monotonic() + 10
        while (app.tray_state().icon != "poor" or not app.store.alerts()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.tray_state().icon == "poor" and len(app.store.alerts()) == alerts
        assert "Time to sit up" in hung.sent
    finally:
        hung.release.set()
        app.shutdown()


@pytest.fixture
def kb():
    from postureguard.knowledge.loader import load_knowledge

    return load_knowledge(include_user=False)
