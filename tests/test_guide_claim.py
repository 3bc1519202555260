"""One camera user: the camera guide's claim (a flock in the state folder) and the monitor's pause."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from postureguard.engine.core import PostureEngine
from postureguard.engine.settings import EngineSettings
from postureguard.runtime.camera_claim import CameraClaim, claimed_by_guide, lock_path
from postureguard.runtime.messages import (
    GuideClaimed,
    GuideReleased,
    Pause,
    Paused,
    PauseReason,
    Resumed,
    ScreenLocked,
    ScreenUnlocked,
    TrayModel,
    reduce,
    tray_state,
)
from postureguard.runtime.monitor import Owner

HOLD = "from postureguard.runtime.camera_claim import CameraClaim; import sys, time\n" \
       "c = CameraClaim(); assert c.acquire(); print('held', flush=True); time.sleep(60)"  # fmt: skip


def test_a_claim_held_by_another_process_is_seen_and_dropped_when_it_dies(isolated_home):
    assert not claimed_by_guide()  # no file yet
    proc = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ), start_new_session=True)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "held"
        assert lock_path().read_text().strip() == str(proc.pid)
        assert claimed_by_guide()
        assert not CameraClaim().acquire(timeout=0.2)  # a second guide does not get it
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no chance to clean up
        proc.wait(timeout=10)
    assert not claimed_by_guide()  # the kernel dropped the lock with the process


def test_a_claim_released_in_process(isolated_home):
    claim = CameraClaim()
    assert claim.acquire()
    probe = subprocess.run([sys.executable, "-c", "from postureguard.runtime.camera_claim import "
                            "claimed_by_guide; print(claimed_by_guide())"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert probe.stdout.strip() == "True", probe.stderr
    claim.release()
    claim.release()  # twice is harmless
    assert not claimed_by_guide()
    assert lock_path().read_text() == ""  # nothing but the pid was ever written


def _owner():
    events = []
    owner = Owner(PostureEngine(EngineSettings(), None), events.append, wall_clock=time.time)
    return owner, events


def test_the_guide_pauses_the_monitor_and_only_its_own_pause_is_ended():
    owner, events = _owner()
    owner.apply(GuideClaimed())
    assert owner.pause_reason == PauseReason.GUIDE
    assert isinstance(events[-1], Paused) and events[-1].reason == PauseReason.GUIDE
    model = TrayModel()
    for event in events:
        model = reduce(model, event)
    assert "paused: camera guide" in tray_state(model).tooltip
    owner.apply(GuideReleased())
    assert not owner.paused and isinstance(events[-1], Resumed)

    # A pause the user chose is not ended by the guide closing, nor taken over by it.
    owner.apply(Pause(None, PauseReason.PAUSED))
    owner.apply(GuideClaimed())
    owner.apply(GuideReleased())
    assert owner.pause_reason == PauseReason.PAUSED
    # Nor does a screen unlock end the guide's pause.
    fresh, _events = _owner()
    fresh.apply(GuideClaimed())
    fresh.apply(ScreenLocked())
    fresh.apply(ScreenUnlocked())
    assert fresh.pause_reason == PauseReason.GUIDE
