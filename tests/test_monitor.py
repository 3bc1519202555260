"""The monitor thread: real model on real frames, sources that fail the way cameras do."""

from __future__ import annotations

import threading
import time

import cv2
import pytest

from clips import posture_frames
from photos import photo
from postureguard.engine.core import PostureEngine
from postureguard.engine.sampling import SamplingSettings
from postureguard.engine.settings import EngineSettings
from postureguard.errors import SourceError
from postureguard.runtime.monitor import Monitor, Owner
from postureguard.vision.pose import MediaPipePose
from postureguard.vision.sources import Frame


class FlakyCamera:
    """A live source that fails to open ``fail_opens`` times, then yields ``frames`` and stalls."""

    is_stream = True
    is_live = True
    description = "flaky camera"
    opened = 0
    closed = 0

    def __init__(self, log, images, stall=None):
        self.log, self.images, self.stall = log, images, stall

    def frames(self, want=None):
        return self.frames_wanted(want)

    def __iter__(self):
        return self.frames_wanted()

    def frames_wanted(self, want=None):
        for i, img in enumerate(self.images):
            t = time.monotonic()
            if want is None or want(t):
                yield Frame(img, t, i, "0")
        if self.stall is not None:
            self.stall.wait(10)
        raise SourceError("camera 0 stopped delivering frames")

    def set_rate(self, fps):
        pass

    def close(self):
        self.log.append("close")


@pytest.fixture(scope="module")
def frames():
    return [cv2.resize(f, (160, 188)) for f in posture_frames(3, 0)]


def recorder(updates, statuses):
    """The owner's ``emit``: engine updates into ``updates``, monitor statuses into ``statuses``."""
    from postureguard.runtime.messages import Analysed, StatusChanged

    def emit(event):
        if isinstance(event, Analysed):
            updates.append(event.update)
        elif isinstance(event, StatusChanged):
            statuses.append(event.status)

    return emit


def make_monitor(open_source, updates, statuses, open_model=None, **kw):
    engine = PostureEngine(EngineSettings(), None)
    return Monitor(
        Owner(engine, recorder(updates, statuses)),
        open_source,
        open_model or (lambda source: MediaPipePose(mode="video")),
        sampling=SamplingSettings.every(0.001),
        retry_delays=(0.05, 0.1),
        **kw,
    )


def test_missing_camera_is_retried_and_monitoring_resumes_by_itself(frames):
    log, updates, statuses = [], [], []
    attempts = []
    stall = threading.Event()  # a camera waiting for its next frame

    def open_source():
        attempts.append(time.monotonic())
        if len(attempts) <= 3:
            raise SourceError("camera 0 cannot be opened")
        return FlakyCamera(log, frames, stall=stall)

    mon = make_monitor(open_source, updates, statuses)
    mon.start()
    deadline = time.monotonic() + 30
    while len(updates) < len(frames) and time.monotonic() < deadline:
        time.sleep(0.05)
    mon.stop()
    stall.set()  # the next frame arrives; the monitor sees the stop request
    mon.join(10)
    assert not mon.is_alive()
    states = [s.state for s in statuses]
    assert states[:3] == ["camera_unavailable"] * 3 and "running" in states
    assert len(updates) == len(frames) and all(u.sample.person for u in updates)
    assert log == ["close"] and not mon.source_open
    # Backoff: the gaps between attempts grow to the cap.
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1


def test_a_lost_camera_is_reopened_without_crashing(frames):
    log, updates, statuses = [], [], []
    opens = []

    def open_source():
        opens.append(1)
        return FlakyCamera(log, frames[:1])  # delivers one frame then "unplugs"

    mon = make_monitor(open_source, updates, statuses)
    mon.start()
    deadline = time.monotonic() + 30
    while len(opens) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    mon.stop()
    mon.join(10)
    assert len(opens) >= 4 and log.count("close") == len(opens) - (1 if mon.source_open else 0)
    assert "camera_unavailable" in [s.state for s in statuses]
    assert threading.active_count() < 20


def test_pause_releases_the_source_and_resume_reopens_it(frames):
    log, updates, statuses = [], [], []
    stall = threading.Event()
    mon = make_monitor(lambda: FlakyCamera(log, frames, stall=stall), updates, statuses)
    mon.start()
    deadline = time.monotonic() + 30
    while not updates and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mon.source_open
    mon.pause()
    stall.set()  # the stalled read returns (a camera delivers its next frame) and sees the pause
    deadline = time.monotonic() + 10
    while mon.source_open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not mon.source_open and "close" in log
    deadline = time.monotonic() + 10
    while statuses[-1].state != "paused" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses[-1].state == "paused"
    assert "camera_unavailable" not in [s.state for s in statuses]
    mon.resume()
    deadline = time.monotonic() + 10
    while not mon.source_open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mon.source_open
    mon.stop()
    stall.set()
    mon.join(10)
    assert not mon.is_alive() and not mon.source_open


def test_recordings_are_paced_at_their_timestamps_and_finish(tmp_path):
    from clips import write_clip
    from postureguard.vision.sources import open_source

    clip = write_clip(tmp_path / "c.avi", [cv2.resize(photo("grace_hopper"), (96, 112))] * 8, fps=8)
    updates, statuses = [], []
    mon = make_monitor(lambda: open_source([str(clip)]), updates, statuses)
    start = time.monotonic()
    mon.start()
    mon.join(30)
    elapsed = time.monotonic() - start
    assert statuses[-1].state == "finished"
    assert len(updates) == 8
    assert elapsed >= 7 / 8 * 0.9  # frames 0..7 at 8 fps are spread over 0.875 s


class HiccupModel:
    """A real MediaPipe model whose ``fail_at``-th detection (counted over all instances) raises
    RuntimeError once, as a native library's hiccup would."""

    detections = 0
    made = 0

    def __init__(self, fail_at):
        self.fail_at = fail_at
        self.model = MediaPipePose(mode="video")
        type(self).made += 1

    def detect(self, image, t):
        type(self).detections += 1
        if type(self).detections == self.fail_at:
            raise RuntimeError("the landmarker fell over")
        return self.model.detect(image, t)

    def reset(self):
        self.model.reset()

    def close(self):
        self.model.close()


def test_an_unexpected_error_is_logged_shown_and_the_monitor_comes_back(frames, caplog):
    """A pose model that raises RuntimeError once: the loop restarts after its delay, with a fresh
    model, and verdicts keep coming; the tray is told in words, the log has the traceback."""
    log, updates, statuses = [], [], []
    stall = threading.Event()
    mon = make_monitor(
        lambda: FlakyCamera(log, frames * 4, stall=stall),
        updates,
        statuses,
        open_model=lambda source: HiccupModel(fail_at=3),
        restart_delays=(0.2, 0.4),
    )
    with caplog.at_level("ERROR", logger="postureguard.runtime.monitor"):
        mon.start()
        deadline = time.monotonic() + 60
        while len(updates) < 2 + 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        mon.stop()
        stall.set()
        mon.join(10)
    assert not mon.is_alive()
    stopped = [s for s in statuses if s.state == "stopped"]
    message = "monitoring stopped: RuntimeError: the landmarker fell over; restarting"
    assert [s.detail for s in stopped] == [message]
    after = statuses[statuses.index(stopped[0]) + 1 :]
    assert "running" in [s.state for s in after]  # it came back by itself
    assert len(updates) >= 6 and all(u.sample.person for u in updates)  # and kept producing verdicts
    assert mon.restarts == 1 and HiccupModel.made == 2  # the model that raised was replaced
    assert log.count("close") >= 1 and not mon.source_open  # the camera was released before the restart
    crash = [r for r in caplog.records if "monitoring stopped" in r.getMessage()]
    assert len(crash) == 1 and crash[0].exc_info is not None
    assert "RuntimeError: the landmarker fell over" in caplog.text  # the traceback is in the log


def test_commands_are_applied_on_the_monitor_thread_between_frames(frames):
    """Snooze and calibration requests are posted; the owner applies them on the monitor's thread."""
    from postureguard.runtime.messages import Calibrate, Snooze

    log, updates, statuses = [], [], []
    stall = threading.Event()
    mon = make_monitor(lambda: FlakyCamera(log, frames * 4, stall=stall), updates, statuses)
    applied_on = []
    apply = mon.owner.apply
    mon.owner.apply = lambda command: applied_on.append(threading.current_thread().name) or apply(command)
    mon.start()
    try:
        deadline = time.monotonic() + 30
        while not updates and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mon.post(Snooze(600)) and mon.post(Calibrate())
        deadline = time.monotonic() + 10
        while len(applied_on) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert applied_on == ["postureguard-monitor"] * 2
        assert mon.engine.snoozed(time.monotonic()) and mon.owner.calibrating
    finally:
        mon.stop()
        stall.set()
        mon.join(10)
    assert not mon.post(Snooze(1))  # a monitor that has ended queues nothing: the caller applies it


def test_a_timed_pause_ends_by_itself_on_the_monitor_thread(frames):
    """Pause for 0.5 s (the tray's "15 minutes", shortened): no timer thread, the owner resumes it."""
    from postureguard.runtime.messages import Pause, Paused, Resumed

    log, updates, statuses = [], [], []
    events = []
    stall = threading.Event()
    mon = make_monitor(lambda: FlakyCamera(log, frames * 40, stall=stall), updates, statuses)
    emit = mon.owner._emit  # noqa: SLF001 - the recorder also keeps the pause events
    mon.owner._emit = lambda e: (events.append(e) if isinstance(e, Paused | Resumed) else None) or emit(e)
    mon.start()
    try:
        deadline = time.monotonic() + 30
        while not updates and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mon.post(Pause(seconds=0.5))
        deadline = time.monotonic() + 10
        while mon.source_open and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not mon.source_open and mon.paused
        assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]  # no resume timer
        deadline = time.monotonic() + 10
        while not (mon.source_open and not mon.paused) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mon.source_open and not mon.paused
        assert [type(e).__name__ for e in events] == ["Paused", "Resumed"]
        assert 0.5 <= events[1].wall - events[0].wall < 3.0
    finally:
        mon.stop()
        stall.set()
        mon.join(10)
