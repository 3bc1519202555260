"""Reliability and privacy (issue 7): a camera that comes and goes, covered or frozen video, screen
lock over a real D-Bus, and proof that a monitored run opens no network socket and writes no image.

Everything here is real: the Monitor thread, MediaPipe on real photos, dbus-daemon processes with a
small dbus-fast service that plays the screen saver (and logind), and ``postureguard analyze`` in a
subprocess under an audit hook.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from desktop import BUS_CONFIG
from faulty import (
    BUSY_MESSAGE,
    MISSING_MESSAGE,
    UNPLUGGED_MESSAGE,
    Fault,
    FaultyCamera,
    lose_and_return,
    shutter_frames,
)
from postureguard.engine.core import PostureEngine
from postureguard.engine.settings import EngineSettings
from postureguard.platform.screenlock import LockTracker, ScreenLockWatcher
from postureguard.runtime.messages import Analysed, StatusChanged
from postureguard.runtime.monitor import Monitor, MonitorStatus, Owner
from postureguard.vision.frame_health import FrameHealth, frame_stats

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
TESTS = REPO / "tests"


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _threads() -> int:
    return threading.active_count()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        resident_pages = int(fh.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def owner_for(engine, on_update, on_status) -> Owner:
    """An engine owner whose events reach ``on_update`` (engine updates) and ``on_status``."""

    def emit(event) -> None:
        if isinstance(event, Analysed):
            on_update(event.update)
        elif isinstance(event, StatusChanged):
            on_status(event.status)

    return Owner(engine, emit)


def make_monitor(engine, open_source, open_model, on_update, on_status, *, every_s: float, **kw) -> Monitor:
    """A real Monitor that analyses a frame every ``every_s`` seconds of frame time."""
    from postureguard.engine.sampling import SamplingSettings

    sampling = SamplingSettings.every(every_s)
    return Monitor(owner_for(engine, on_update, on_status), open_source, open_model, sampling=sampling, **kw)


def _mediapipe_model(source):
    from postureguard.vision.pose import MediaPipePose

    return MediaPipePose(mode="video")


class ReusedModel:
    """One real MediaPipe landmarker lent to every connection: ``close()`` from the monitor only
    counts, :meth:`release` ends it.

    Why: creating and closing a MediaPipe PoseLandmarker grows this process by a few hundred kB
    each time (MediaPipe's own allocations; measured with a bare create/detect/close loop), which
    would drown what this test looks for, a leak in the monitor's handling of a failing camera.
    """

    def __init__(self) -> None:
        from postureguard.vision.pose import MediaPipePose

        self.model = MediaPipePose(mode="video")
        self.lent = 0
        self.returned = 0

    def __call__(self, source) -> ReusedModel:
        self.lent += 1
        return self

    def detect(self, image, t):
        return self.model.detect(image, t)

    def reset(self) -> None:
        pass  # as before: the lent model is never reset (see the class docstring on native memory)

    def close(self) -> None:
        self.returned += 1

    def release(self) -> None:
        self.model.close()


class Recorder:
    """Collects what the monitor reports, and the thread count whenever the camera (re)opens."""

    def __init__(self) -> None:
        self.statuses: list[MonitorStatus] = []
        self.updates = 0
        self.people = 0
        self.max_threads = 0
        self.thread_names: list[str] = []

    def on_status(self, status: MonitorStatus) -> None:
        self.statuses.append(status)
        if status.state == "running" and _threads() > self.max_threads:
            self.max_threads = _threads()
            self.thread_names = sorted(t.name for t in threading.enumerate())

    def on_update(self, update) -> None:
        self.updates += 1
        self.people += update.sample.person

    def states(self, state: str) -> list[MonitorStatus]:
        return [s for s in self.statuses if s.state == state]


def _drive(camera: FaultyCamera, model=_mediapipe_model, timeout: float = 120.0) -> Recorder:
    """Run a real Monitor (MediaPipe on every frame) over ``camera`` until its plan is used up."""
    rec = Recorder()
    monitor = make_monitor(
        PostureEngine(EngineSettings()),
        camera,
        model,
        rec.on_update,
        rec.on_status,
        every_s=0.001,  # every frame (frames are 0.1 s apart)
        pace_recordings=False,
        retry_delays=(0.01,),
    )
    monitor.start()
    monitor.join(timeout)
    alive = monitor.is_alive()
    monitor.stop()
    monitor.join(5)
    assert not alive, (
        f"the monitor did not finish its plan in {timeout:.0f} s ({camera.attempts} opens tried)"
    )
    assert not monitor.source_open
    return rec


# ----- (a) a camera that comes and goes, 100 times ----------------------------------------------------


def test_camera_missing_at_start_then_100_lose_return_cycles_leak_nothing(report_figure):
    model = ReusedModel()
    try:
        # Warm up first (MediaPipe's first frames allocate its buffers), then measure a baseline.
        _drive(FaultyCamera([Fault("missing"), *lose_and_return(5)]), model)
        threads0, fds0, rss0 = _threads(), _fds(), _rss_mb()

        cycles = 100
        camera = FaultyCamera([Fault("missing"), *lose_and_return(cycles)])
        started = time.monotonic()
        rec = _drive(camera, model)
        elapsed = time.monotonic() - started
        threads1, fds1, rss1 = _threads(), _fds(), _rss_mb()
    finally:
        model.release()

    # Every failure was reported, the app retried, and it came back by itself each time.
    unavailable = rec.states("camera_unavailable")
    assert len(unavailable) == 2 * cycles + 1  # missing at start + (unplugged, then missing/busy) x 100
    assert unavailable[0].detail == MISSING_MESSAGE
    details = {s.detail for s in unavailable}
    assert details == {MISSING_MESSAGE, BUSY_MESSAGE, UNPLUGGED_MESSAGE}
    assert len(rec.states("running")) == cycles + 1  # 100 returns + the final recording
    assert rec.states("finished") and rec.statuses[-1].state == "finished"
    assert rec.updates == 3 * cycles + camera.final_frames
    assert rec.people > 0.9 * rec.updates  # the real photo was analysed, not skipped
    # Every camera handed out was released, and so was the model each time.
    assert camera.opened == cycles + 1 and camera.closed == camera.opened and camera.open_now == 0
    assert model.returned == model.lent

    report_figure(
        f"camera lose/return x{cycles}: {elapsed:.1f} s; threads {threads0}->{threads1} "
        f"(max while running {rec.max_threads}: {rec.thread_names}), fds {fds0}->{fds1}, "
        f"RSS {rss0:.1f}->{rss1:.1f} MB"
    )
    assert threads1 == threads0
    assert rec.max_threads <= threads0 + 1  # the monitor thread itself, nothing piling up
    assert fds1 <= fds0
    assert rss1 - rss0 < 10.0  # MB over 100 cycles


def test_reopening_with_a_fresh_model_each_time_releases_threads_and_files(report_figure):
    """What the app does today: a new landmarker per connection. Threads and descriptors must come
    back to the baseline; memory grows by MediaPipe's own per-landmarker cost (reported, see below)."""
    _drive(FaultyCamera(lose_and_return(3)))
    threads0, fds0, rss0 = _threads(), _fds(), _rss_mb()
    cycles = 30
    camera = FaultyCamera(lose_and_return(cycles))
    rec = _drive(camera)
    threads1, fds1, rss1 = _threads(), _fds(), _rss_mb()
    report_figure(
        f"fresh MediaPipe model per reconnection x{cycles}: threads {threads0}->{threads1} "
        f"(max while running {rec.max_threads}), fds {fds0}->{fds1}, RSS {rss0:.1f}->{rss1:.1f} MB "
        f"({(rss1 - rss0) / cycles:+.2f} MB per reconnection)"
    )
    assert len(rec.states("running")) == cycles + 1 and camera.open_now == 0
    assert threads1 == threads0
    # The monitor, plus MediaPipe's dispatcher thread while a landmarker is open.
    assert rec.max_threads <= threads0 + 2
    assert fds1 <= fds0
    # No bound on memory here: the growth is native (no PoseLandmarker object outlives its close()),
    # between about 0.2 and 1.3 MB per landmarker in our measurements, and varies too much to bound
    # tightly. Keeping one landmarker across reconnections (the test above) removes it.


# ----- (b) covered and frozen video ------------------------------------------------------------------


def _noisy(image: np.ndarray, rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def _feed(health: FrameHealth, images, t0: float = 0.0, dt: float = 0.5) -> list[str]:
    return [health.update(frame_stats(img), t0 + i * dt).state for i, img in enumerate(images)]


@pytest.fixture(scope="module")
def people():
    import cv2

    from photos import PEOPLE, photo

    return [cv2.resize(photo(name), (640, 480)) for name in PEOPLE]


def test_frame_stats_measure_contrast_without_noise_and_hash_exact_pixels(people):
    rng = np.random.default_rng(0)
    scene = frame_stats(_noisy(people[0], rng))
    assert 40 < scene.mean < 200 and scene.std > 30
    flat = frame_stats(_noisy(np.full((480, 640, 3), 4.0), rng, sigma=3.0))
    assert flat.std < 0.5  # block means average the sensor noise away
    a = _noisy(people[0], rng)
    b = a.copy()
    assert frame_stats(a).signature == frame_stats(b).signature
    b[100, 100, 0] ^= 1  # one bit of one pixel, in a row the signature covers (every fourth)
    assert frame_stats(a).signature != frame_stats(b).signature
    live = _noisy(people[0], rng)  # a live sensor's next frame of the same scene: noise in every row
    assert frame_stats(live).signature != frame_stats(a).signature
    assert frame_stats(a).blocks.shape == (480 // 8, 640 // 8)  # the block means the gate reuses
    grey = frame_stats(a[:, :, 1])  # grey images and tiny images work too
    assert grey.std > 30
    assert frame_stats(np.zeros((3, 3, 3), np.uint8)).std == 0.0
    with pytest.raises(ValueError, match="shape"):
        frame_stats(np.zeros((0,), np.uint8))


def test_live_scenes_even_dim_ones_stay_ok(people):
    rng = np.random.default_rng(1)
    for person in people:
        for brightness in (1.0, 0.15):  # a lit room and a dim evening room
            health = FrameHealth()
            states = _feed(health, (_noisy(person * brightness, rng) for _ in range(40)))
            assert set(states) == {"ok"}, (brightness, states)


def test_privacy_shutter_is_blank_after_blank_s_and_clears_on_the_first_real_frame(people):
    rng = np.random.default_rng(2)
    health = FrameHealth(blank_s=3.0)
    live = [_noisy(people[1], rng) for _ in range(4)]
    shutter = shutter_frames(12, size=(640, 480))
    states = _feed(health, [*live, *shutter], dt=0.5)
    # 4 live frames, then the shutter closes at t=2.0; 3 s later (t=5.0, the 7th shutter frame) it is blank.
    assert states[:10] == ["ok"] * 10
    assert states[10:] == ["blank"] * 6
    verdict = health.update(frame_stats(shutter[0]), 8.0)
    assert verdict.state == "blank" and not verdict.changed and verdict.since == 2.0
    assert "cover" in verdict.detail
    back = health.update(frame_stats(_noisy(people[1], rng)), 8.5)
    assert back.state == "ok" and back.changed and back.since is None


def test_white_card_over_the_lens_is_blank_too():
    rng = np.random.default_rng(3)
    card = [_noisy(np.full((480, 640, 3), 235.0), rng, sigma=3.0) for _ in range(10)]
    assert _feed(FrameHealth(blank_s=2.0), card)[-1] == "blank"


def test_stalled_driver_is_frozen_after_frozen_s_and_a_new_frame_clears_it(people):
    rng = np.random.default_rng(4)
    health = FrameHealth(frozen_s=5.0)
    stuck = _noisy(people[2], rng)
    states = _feed(health, [stuck] * 14, dt=0.5)
    assert states[:10] == ["ok"] * 10  # 0 .. 4.5 s of repeats
    assert states[10:] == ["frozen"] * 4  # from 5.0 s
    verdict = health.update(frame_stats(stuck.copy()), 7.0)  # a copy is still the same picture
    assert verdict.state == "frozen" and verdict.since == 0.0
    assert "same picture" in verdict.detail
    fresh = health.update(frame_stats(_noisy(people[2], rng)), 7.5)
    assert fresh.state == "ok" and fresh.changed


def test_a_still_scene_with_sensor_noise_is_not_frozen(people):
    rng = np.random.default_rng(5)
    health = FrameHealth(frozen_s=1.0)
    assert set(_feed(health, (_noisy(people[0], rng, sigma=1.0) for _ in range(60)))) == {"ok"}


def test_min_frames_keep_one_late_frame_from_deciding(people):
    health = FrameHealth(blank_s=3.0, min_frames=3)
    black = shutter_frames(3, size=(64, 48))
    assert health.update(frame_stats(black[0]), 0.0).state == "ok"
    assert health.update(frame_stats(black[1]), 10.0).state == "ok"  # long gap, only 2 frames so far
    assert health.update(frame_stats(black[2]), 10.5).state == "blank"


def test_time_going_backwards_restarts_the_streaks(people):
    health = FrameHealth(blank_s=1.0, min_frames=2)
    black = frame_stats(shutter_frames(1, size=(64, 48))[0])
    for t in (0.0, 0.5, 1.0):
        health.update(black, t)
    assert health.state == "blank"
    assert health.update(black, 0.2).state == "ok"


def test_blank_wins_over_frozen_for_an_identical_black_picture():
    black = frame_stats(np.zeros((48, 64, 3), np.uint8))
    health = FrameHealth(blank_s=2.0, frozen_s=2.0)
    assert [health.update(black, t).state for t in (0, 1, 2, 3)][-1] == "blank"


def test_detector_rejects_impossible_settings():
    with pytest.raises(ValueError):
        FrameHealth(blank_std=0)
    with pytest.raises(ValueError):
        FrameHealth(min_frames=0)


def test_faulty_camera_black_and_frozen_modes_are_detected_from_their_frames():
    """The fault-injecting camera's shutter and stall modes, through frame_stats + FrameHealth."""
    camera = FaultyCamera([Fault("black", 20), Fault("frozen", 20), Fault("ok", 20)], frame_dt=0.5)
    verdicts = {}
    for _ in range(3):
        source = camera()
        health = FrameHealth()
        states = [health.update(frame_stats(f.image), f.t).state for f in source]
        source.close()
        verdicts[source.fault.kind] = states[-1]
    assert verdicts == {"black": "blank", "frozen": "frozen", "ok": "ok"}
    assert camera.open_now == 0


def test_faulty_camera_busy_and_unplug_behave_like_a_camera():
    from postureguard.errors import SourceError

    camera = FaultyCamera([Fault("busy"), Fault("unplug", 2)])
    with pytest.raises(SourceError, match="another program is using it"):
        camera()
    source = camera()
    got = []
    with pytest.raises(SourceError, match="stopped delivering"):
        for frame in source:
            got.append(frame)
    source.close()
    assert len(got) == 2 and got[0].image is not got[1].image and got[1].t > got[0].t


# ----- (c) screen lock over a real D-Bus ----------------------------------------------------------------


#: Plays a screen saver (``screensaver NAME PATH INTERFACE``) or logind (``logind``) on a bus.
#: Reads ``lock`` / ``unlock`` / ``quit`` on stdin and answers ``ready`` / ``sent ...`` on stdout.
FAKE_SERVICE = textwrap.dedent(
    """
    import asyncio, sys
    from dbus_fast import Message, MessageType, Variant
    from dbus_fast.aio import MessageBus

    SESSION = "/org/freedesktop/login1/session/_31"

    async def main(address, role, *spec):
        bus = await MessageBus(bus_address=address).connect()
        locked = spec[-1] == "locked" if spec else False
        if role == "screensaver":
            name, path, iface = spec[:3]
        else:
            name, path, iface = "org.freedesktop.login1", SESSION, "org.freedesktop.login1.Session"

        def handler(msg):
            if msg.message_type != MessageType.METHOD_CALL:
                return None
            if msg.member == "GetActive":
                return Message.new_method_return(msg, "b", [locked])
            if msg.member in ("GetSession", "GetSessionByPID"):
                return Message.new_method_return(msg, "o", [SESSION])
            if msg.member == "Get" and msg.body[1] == "LockedHint":
                return Message.new_method_return(msg, "v", [Variant("b", locked)])
            return None

        bus.add_message_handler(handler)
        await bus.request_name(name)
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line in ("", "quit"):
                break
            locked = line == "lock"
            if role == "screensaver":
                signal = Message.new_signal(path, iface, "ActiveChanged", "b", [locked])
            else:
                signal = Message.new_signal(path, iface, "Lock" if locked else "Unlock")
            await bus.send(signal)
            print("sent", line, flush=True)
        bus.disconnect()

    asyncio.run(main(*sys.argv[1:]))
    """
)


class Bus:
    """A dbus-daemon this test started, and the fake services on it."""

    def __init__(self, folder: Path):
        if shutil.which("dbus-daemon") is None:
            pytest.skip("dbus-daemon is not installed (Debian package dbus-daemon)")
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "bus.conf"
        config.write_text(BUS_CONFIG.format(runtime=folder))
        self.proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--print-address", "--nofork"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.address = self.proc.stdout.readline().strip()
        assert self.address.startswith("unix:"), self.address
        self.services: list[Service] = []

    def service(self, *role: str) -> Service:
        service = Service(self.address, role)
        self.services.append(service)
        return service

    def close(self) -> None:
        for service in self.services:
            service.close()
        self.proc.terminate()
        self.proc.wait(5)
        self.proc.stdout.close()  # type: ignore[union-attr]


class Service:
    def __init__(self, address: str, role: tuple[str, ...]):
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FAKE_SERVICE, address, *role],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        assert self._line() == f"sent {command}"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")  # type: ignore[union-attr]
                self.proc.stdin.flush()  # type: ignore[union-attr]
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def buses(tmp_path):
    """A factory of private dbus-daemons, all stopped at the end of the test."""
    started: list[Bus] = []

    def make() -> Bus:
        bus = Bus(tmp_path / f"bus{len(started)}")
        started.append(bus)
        return bus

    yield make
    for bus in started:
        bus.close()


FREEDESKTOP = ("screensaver", "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver",
               "org.freedesktop.ScreenSaver")  # fmt: skip
GNOME = ("screensaver", "org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver")


class Calls:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.lock = threading.Lock()

    def on_lock(self) -> None:
        with self.lock:
            self.log.append("lock")

    def on_unlock(self) -> None:
        with self.lock:
            self.log.append("unlock")

    def wait(self, expected: list[str]) -> None:
        wait_for(lambda: self.log == expected, 10, f"callbacks {expected} (have {self.log})")


def test_lock_tracker_reports_changes_only():
    tracker = LockTracker()
    assert [tracker.report(x) for x in (False, True, True, False, False, True)] == [
        None, "lock", None, "unlock", None, "lock",
    ]  # fmt: skip


@pytest.mark.parametrize("role", [FREEDESKTOP, GNOME], ids=["freedesktop", "gnome"])
def test_screensaver_signals_call_lock_and_unlock(buses, role):
    bus = buses()
    calls = Calls()
    watcher = ScreenLockWatcher(calls.on_lock, calls.on_unlock, session_bus_address=bus.address,
                                use_system_bus=False)  # fmt: skip
    threads_before = _threads()
    assert watcher.start()
    try:
        # The screen saver starts after PostureGuard: the watcher still hears it (it follows the name).
        service = bus.service(*role)
        service.send("lock")
        calls.wait(["lock"])
        assert watcher.locked is True
        service.send("lock")  # said again (GNOME does): no second call
        service.send("unlock")
        calls.wait(["lock", "unlock"])
        service.send("lock")
        calls.wait(["lock", "unlock", "lock"])
    finally:
        watcher.stop()
    assert _threads() == threads_before  # its loop thread is gone
    service.send("unlock")
    time.sleep(0.2)
    assert calls.log == ["lock", "unlock", "lock"]  # nothing after stop


def test_screen_already_locked_at_start_calls_on_lock_once(buses):
    bus = buses()
    bus.service(*FREEDESKTOP, "locked")
    calls = Calls()
    with ScreenLockWatcher(calls.on_lock, calls.on_unlock, session_bus_address=bus.address,
                           use_system_bus=False):  # fmt: skip
        calls.wait(["lock"])


def test_logind_lock_and_unlock_on_the_system_bus_combined_with_the_screensaver(buses):
    session_bus, system_bus = buses(), buses()
    saver = session_bus.service(*FREEDESKTOP)
    logind = system_bus.service("logind")
    calls = Calls()
    watcher = ScreenLockWatcher(calls.on_lock, calls.on_unlock, session_bus_address=session_bus.address,
                                system_bus_address=system_bus.address)  # fmt: skip
    assert watcher.start()
    try:
        assert any("logind session /org/freedesktop/login1/session/_31" in w for w in watcher.watching)
        logind.send("lock")
        calls.wait(["lock"])
        saver.send("lock")  # the desktop's screen saver confirms: still one lock
        time.sleep(0.2)
        logind.send("unlock")
        calls.wait(["lock", "unlock"])
    finally:
        watcher.stop()


def test_no_bus_at_all_is_logged_not_raised(tmp_path, caplog):
    calls = Calls()
    gc.collect()  # descriptors of earlier tests' objects must not close in the middle of the count
    threads_before, fds_before = _threads(), _fds()
    watcher = ScreenLockWatcher(
        calls.on_lock, calls.on_unlock,
        session_bus_address=f"unix:path={tmp_path}/no-such-bus",
        system_bus_address=f"unix:path={tmp_path}/no-system-bus",
    )  # fmt: skip
    with caplog.at_level("INFO", logger="postureguard.platform.screenlock"):
        assert watcher.start() is False
    watcher.stop()
    assert watcher.watching == ()
    assert "not reachable" in caplog.text
    assert _threads() == threads_before and _fds() == fds_before  # no thread, no socket left behind


def test_locking_releases_the_camera_and_unlocking_reopens_it(buses):
    """End to end: a real Monitor on a (fault-free, endless) camera, paused and resumed by D-Bus."""
    bus = buses()
    saver = bus.service(*FREEDESKTOP)
    camera = FaultyCamera([Fault("ok", None), Fault("ok", None)], pace=0.03)
    rec = Recorder()
    monitor = make_monitor(PostureEngine(EngineSettings()), camera, _mediapipe_model, rec.on_update,
                           rec.on_status, every_s=0.001, retry_delays=(0.01,))  # fmt: skip
    watcher = ScreenLockWatcher(monitor.pause, monitor.resume, session_bus_address=bus.address,
                                use_system_bus=False)  # fmt: skip
    monitor.start()
    try:
        assert watcher.start()
        wait_for(lambda: monitor.source_open and rec.updates >= 3, 30, "the camera to open and deliver")
        saver.send("lock")
        wait_for(lambda: not monitor.source_open, 10, "the camera to be released on lock")
        assert camera.open_now == 0 and monitor.paused
        wait_for(lambda: rec.statuses[-1].state == "paused", 5, "the paused status")
        updates_locked = rec.updates
        time.sleep(0.5)
        assert rec.updates == updates_locked and not monitor.source_open  # nothing analysed while locked
        saver.send("unlock")
        wait_for(lambda: monitor.source_open and camera.opened == 2, 10, "the camera to reopen on unlock")
        wait_for(lambda: rec.updates > updates_locked, 30, "frames analysed again")
    finally:
        watcher.stop()
        monitor.stop()
        monitor.join(5)
    assert not monitor.is_alive() and not monitor.source_open and camera.open_now == 0


# ----- (d) privacy: no network, no image written ---------------------------------------------------

#: Runs a module or a script under an audit hook that records sockets, connections, files opened for
#: writing, SQLite databases and child processes; the record is written as JSON at exit to a file
#: descriptor opened before the hook was installed (so the guard's own write is not an event).
GUARD = textwrap.dedent(
    """
    import atexit, json, os, runpy, sys

    log_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    kind, target, args = sys.argv[2], sys.argv[3], sys.argv[4:]
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    seen = {"sockets": [], "connects": [], "writes": [], "reads": 0, "sqlite": [], "processes": []}

    def hook(event, a):
        if event == "socket.__new__":
            seen["sockets"].append([int(a[1]), int(a[2])])
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            seen["connects"].append([event, repr(a[1])])
        elif event == "open":
            path, mode, flags = a
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or bool((flags or 0) & WRITE)
            if writing:
                seen["writes"].append(os.fsdecode(path) if not isinstance(path, int) else f"fd:{path}")
            else:
                seen["reads"] += 1
        elif event == "sqlite3.connect":
            seen["sqlite"].append(os.fsdecode(a[0]) if a[0] is not None else None)
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork"):
            seen["processes"].append([event, repr(a)[:200]])

    def dump():
        os.write(log_fd, json.dumps(seen).encode())
        os.close(log_fd)

    atexit.register(dump)
    sys.addaudithook(hook)
    if kind == "module":
        sys.argv = [target, *args]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *args]
        runpy.run_path(target, run_name="__main__")
    """
)

MEDIA_SUFFIXES = {
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm",
    ".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv", ".npy", ".raw",
}  # fmt: skip


def _guarded(tmp_path: Path, kind: str, target: str, *args: str, env: dict | None = None):
    """Run ``target`` under the guard in an empty working folder; return (result, observations)."""
    log = tmp_path / "guard.json"
    cwd, tmp, home = tmp_path / "cwd", tmp_path / "tmp", tmp_path / "home"
    for folder in (cwd, tmp, home):
        folder.mkdir(exist_ok=True)
    full_env = {
        **os.environ,
        "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}",
        "TMPDIR": str(tmp),
        "HOME": str(home),
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-c", GUARD, str(log), kind, target, *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    seen = json.loads(log.read_text()) if log.exists() and log.stat().st_size else None
    return result, seen


#: Side effects of ``import mediapipe`` itself (it imports its audio and drawing helpers): sounddevice
#: looks for libportaudio with ctypes.util.find_library, which runs ldconfig/gcc/ld and writes (then
#: deletes) temporary files in TMPDIR; matplotlib.pyplot builds its font list with fc-list and caches
#: it under ~/.cache. None of it touches a frame or the network; all of it is printed by the tests and
#: listed here by name so that nothing else slips through.
IMPORT_SIDE_EFFECT_PROGRAMS = {"ldconfig", "gcc", "cc", "ld", "objdump", "fc-list"}
MATPLOTLIB_FONT_CACHE = ".cache/matplotlib/fontlist-"


def _program(popen_args: str) -> str:
    """The program's file name from the repr of a ``subprocess.Popen`` audit event's arguments."""
    return Path(popen_args.split(",")[0].strip("(' ")).name


def _violations(seen: dict, allowed: list[Path], scan: list[Path], *, tmpdir: Path | None = None,
                home: Path | None = None) -> list[str]:  # fmt: skip
    """What the privacy rules forbid in ``seen``, plus media files that appeared under ``scan``.

    Allowed writes: under ``allowed``, /dev/null, /proc, Python's __pycache__, temporary files in
    ``tmpdir`` that are gone by the end of the run, and matplotlib's font cache in ``home``.
    """
    problems = []
    for family, _type in seen["sockets"]:
        if family != socket.AF_UNIX:
            problems.append(f"socket of family {socket.AddressFamily(family).name}")
    for event, address in seen["connects"]:
        if not address.startswith(("'", '"', "b'")):  # AF_UNIX addresses are paths; others are tuples
            problems.append(f"{event} to {address}")
    roots = [str(p.resolve()) for p in allowed] + ["/dev/null", "/proc"]

    def under(path: str, root: str) -> bool:
        return path == root or path.startswith(root.rstrip("/") + "/")

    for name in seen["writes"]:
        if name.startswith("fd:"):
            continue  # an already open descriptor (stdout and the like): no new file
        path = str(Path(name).resolve()) if not name.startswith("/proc/") else name
        if Path(path).suffix.lower() in MEDIA_SUFFIXES:
            problems.append(f"image or video opened for writing: {name}")
        elif any(under(path, r) for r in roots) or "/__pycache__/" in path:
            continue
        elif tmpdir is not None and under(path, str(tmpdir.resolve())):
            if Path(path).is_file():
                problems.append(f"temporary file left behind: {name}")
        elif home is not None and under(path, str(home.resolve())) and MATPLOTLIB_FONT_CACHE in path:
            continue
        else:
            problems.append(f"file written outside the allowed folders: {name}")
    for db in seen["sqlite"]:
        if db and db != ":memory:" and not any(under(str(Path(db).resolve()), r) for r in roots):
            problems.append(f"database outside the allowed folders: {db}")
    for event, what in seen["processes"]:
        if _program(what) not in IMPORT_SIDE_EFFECT_PROGRAMS:
            problems.append(f"child process: {event} {what}")
    # Native code (OpenCV, MediaPipe) writes without audit events: look for new media files too.
    for folder in scan:
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix.lower() in MEDIA_SUFFIXES:
                problems.append(f"media file appeared: {path}")
    return problems


def _observed(label: str, seen: dict) -> str:
    families = sorted({socket.AddressFamily(f).name for f, _ in seen["sockets"]})
    return (
        f"{label}: sockets {len(seen['sockets'])} {families}, connects {[a for _, a in seen['connects']]}, "
        f"files read {seen['reads']}, written {sorted(set(seen['writes']))}, sqlite {seen['sqlite']}, "
        f"children {sorted({_program(w) for _, w in seen['processes']})}"
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    from clips import posture_frames, write_clip

    folder = tmp_path_factory.mktemp("input")
    return write_clip(folder / "upright-then-forward.avi", posture_frames(12, 24, size=(240, 282)), fps=4.0)


def test_the_guard_catches_a_network_socket_and_an_image_write(tmp_path):
    """The guard is not blind: a script that opens an internet socket and saves a PNG is caught."""
    script = tmp_path / "leaky.py"
    script.write_text(
        "import socket, numpy as np, cv2\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.close()\n"
        "open('frame.png', 'wb').close()\n"
        "cv2.imwrite('native.jpg', np.zeros((4, 4, 3), np.uint8))\n"
    )
    result, seen = _guarded(tmp_path, "script", str(script))
    assert result.returncode == 0, result.stderr
    problems = _violations(seen, [], [tmp_path / "cwd"])
    assert any("AF_INET" in p for p in problems)
    assert any("image or video opened for writing" in p and "frame.png" in p for p in problems)
    assert any("media file appeared" in p and "native.jpg" in p for p in problems)  # written by C++


def test_analyze_opens_no_socket_and_writes_only_its_output(tmp_path, clip, isolated_home, report_figure):
    out = tmp_path / "records.jsonl"
    result, seen = _guarded(
        tmp_path, "module", "postureguard", "analyze", str(clip), "--calibrate-frames", "4",
        "--sustain", "3", "--out", str(out), "--no-progress",
        env={"POSTUREGUARD_HOME": str(isolated_home)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert seen is not None
    report_figure(_observed("privacy, analyze", seen))
    assert len(out.read_text().splitlines()) >= 15  # it really analysed the clip (2 frames a second)
    # The guard saw the write it was meant to: the output goes to a temporary file beside it (and its
    # lock file), renamed over ``out`` when complete (postureguard.files.paths.atomic_output).
    beside = sorted({w for w in seen["writes"] if w.startswith(str(out.parent / f".{out.name}."))})
    assert any(w.endswith(".tmp") for w in beside), seen["writes"]
    scan = [tmp_path / "cwd", tmp_path / "tmp", tmp_path / "home"]
    assert (
        _violations(seen, [out, isolated_home, *map(Path, beside)], scan, tmpdir=tmp_path / "tmp",
                    home=tmp_path / "home") == []
    )


HEADLESS = textwrap.dedent(
    """
    # A monitored run without the tray: camera stand-in (a recording) -> pose -> engine -> history,
    # with the screen-lock watcher on the session bus and the frame-health check on every frame.
    import inspect, sys, time
    from dataclasses import replace
    from postureguard.engine.calibration import calibrate
    from postureguard.engine.core import PostureEngine
    from postureguard.engine.events import PostureAlert
    from postureguard.engine.geometry import measure
    from postureguard.engine.settings import EngineSettings
    from postureguard.vision.frame_health import FrameHealth, frame_stats
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.runtime.monitor import Monitor, Owner
    from postureguard.vision.analyzer import open_model
    from postureguard.runtime.messages import Analysed
    from postureguard.platform.screenlock import ScreenLockWatcher
    from postureguard.knowledge.recommender import Recommender
    from postureguard.vision.sources import open_source
    from postureguard.history import AlertRecord, open_store
    from postureguard.history.aggregate import MinuteAggregator

    clip = sys.argv[1]
    store = open_store()
    recommender = Recommender(load_knowledge())
    engine = PostureEngine(EngineSettings(sustain_s=3.0, sustain_share=0.6))
    aggregator, calibration_features, health = MinuteAggregator(), [], FrameHealth()
    counts = {"updates": 0, "alerts": 0, "health": set()}
    wall0 = time.time()

    class Calibrating(Owner):
        # On the monitor thread, the engine's one owner: the first poses calibrate it.
        def observe(self, pose, now, **kw):
            if self.engine.calibration is None:
                features = measure(pose)
                if features is not None:
                    calibration_features.append(features)
                if len(calibration_features) >= 4:
                    self.engine.set_calibration(calibrate(calibration_features, minimum=4))
            return super().observe(pose, now, **kw)

    def on_update(update):
        counts["updates"] += 1
        record = aggregator.add(replace(update.sample, t=wall0 + update.sample.t * 20))  # minutes fill fast
        if record is not None:
            store.add_minute(record)
        for event in update.events:
            if isinstance(event, PostureAlert):
                counts["alerts"] += 1
                rec = recommender.recommend(event.trigger)
                store.add_alert(AlertRecord(time.time(), "posture", event.trigger, angle_deg=event.angle_deg,
                                            duration_s=event.duration_s, routine_id=rec.routine.id))

    def open_checked():
        source = open_source([clip])

        class Checked:
            is_stream, is_live, description = source.is_stream, source.is_live, source.description
            def set_rate(self, fps):
                source.set_rate(fps)
            def __iter__(self):
                return self.frames()
            def frames(self, want=None):
                inner = source.frames(want) if hasattr(source, "frames") else iter(source)
                for frame in inner:
                    counts["health"].add(health.update(frame_stats(frame.image), frame.t).state)
                    yield frame
            def close(self):
                source.close()
        return Checked()

    watcher = ScreenLockWatcher(lambda: monitor.pause(), lambda: monitor.resume())
    from postureguard.engine.sampling import SamplingSettings

    # The recording plays at its own pace, as a camera would deliver it.
    def emit(event):
        if isinstance(event, Analysed):
            on_update(event.update)

    monitor = Monitor(Calibrating(engine, emit), open_checked, open_model,
                      sampling=SamplingSettings.every(0.25))  # fmt: skip
    watching = watcher.start()
    monitor.start()
    monitor.join(120)
    watcher.stop()
    record = aggregator.flush()
    if record is not None:
        store.add_minute(record)
    minutes, alerts = len(store.minutes()), len(store.alerts())
    store.close()
    print(f"updates={counts['updates']} alerts={counts['alerts']} stored_minutes={minutes} "
          f"stored_alerts={alerts} health={sorted(counts['health'])} screen_lock={watching}")
    """
)


def test_headless_monitored_run_opens_only_the_dbus_socket_and_writes_no_image(
    tmp_path, clip, isolated_home, buses, report_figure
):
    bus = buses()
    bus.service(*FREEDESKTOP)
    script = tmp_path / "headless_run.py"
    script.write_text(HEADLESS)
    result, seen = _guarded(
        tmp_path, "script", str(script), str(clip),
        env={"POSTUREGUARD_HOME": str(isolated_home), "DBUS_SESSION_BUS_ADDRESS": bus.address,
             "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert seen is not None
    report_figure(_observed("privacy, headless monitor", seen))
    report_figure(f"privacy, headless monitor output: {result.stdout.strip()}")
    summary = dict(part.split("=", 1) for part in result.stdout.split() if "=" in part)
    assert int(summary["updates"]) >= 20 and int(summary["alerts"]) >= 1
    assert int(summary["stored_alerts"]) == int(summary["alerts"]) and int(summary["stored_minutes"]) >= 1
    assert summary["screen_lock"] == "True"
    # It did talk to D-Bus (a Unix socket), and that was the only kind of socket.
    assert seen["sockets"] and {f for f, _ in seen["sockets"]} == {socket.AF_UNIX}
    assert any(str(isolated_home) in db for db in seen["sqlite"] if db)
    scan = [tmp_path / "cwd", tmp_path / "tmp", tmp_path / "home", isolated_home]
    assert _violations(seen, [isolated_home], scan, tmpdir=tmp_path / "tmp", home=tmp_path / "home") == []
