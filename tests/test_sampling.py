"""Adaptive sampling and change gating: which frames are analysed when, and gating under real noise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from clips import lowered_head, posture_frames, write_clip
from photos import photo
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine
from postureguard.engine.events import PostureAlert
from postureguard.engine.sample import Sample
from postureguard.engine.sampling import SamplingPolicy, SamplingSettings
from postureguard.engine.settings import EngineSettings
from postureguard.vision.analyzer import AdaptiveAnalyzer
from postureguard.vision.gate import ChangeGate, tiny_grey
from postureguard.vision.pose import MediaPipePose
from postureguard.vision.sources import Frame

SRC = str(Path(__file__).resolve().parents[1] / "src")


def sample(t=0.0, person=True, posture="good", angle=0.0, poor_for=0.0, state="good"):
    return Sample(t=t, person=person, head_forward_deg=angle if person else None, posture=posture,
                  state=state, poor_for_s=poor_for)  # fmt: skip


# -- the policy, with explicit times ---------------------------------------------------------------
def analysed_times(policy, samples_at, until, step=0.5):
    """Offer a frame every ``step`` s; ``samples_at(t)`` is the engine's verdict for an analysed frame."""
    times = []
    t = 0.0
    while t <= until:
        if policy.due(t):
            times.append(t)
            policy.analysed(t, samples_at(t))
        t = round(t + step, 6)
    return times


def test_startup_is_quick_then_steady_while_upright():
    policy = SamplingPolicy(SamplingSettings())
    times = analysed_times(policy, lambda t: sample(t), 60)
    assert times[:4] == [0.0, 0.5, 1.0, 1.5]  # first verdicts at once
    later = [t for t in times if t >= 2.0]
    assert all(b - a == pytest.approx(8.0) for a, b in zip(later, later[1:], strict=False))


def test_nobody_in_view_is_checked_slowly():
    policy = SamplingPolicy(SamplingSettings())
    times = analysed_times(policy, lambda t: sample(t, person=False, posture="unknown"), 120)
    later = [t for t in times if t >= 2.0]
    assert all(b - a == pytest.approx(15.0) for a, b in zip(later, later[1:], strict=False))
    assert policy.check_interval() == 1.0


def test_a_pending_episode_is_confirmed_and_sampled_when_the_window_ends():
    policy = SamplingPolicy(SamplingSettings(), sustain_s=10.0)
    start = 20.0

    def verdict(t):
        if t < start:
            return sample(t)
        return sample(t, posture="poor", angle=9, poor_for=t - first_poor[0], state="good")

    first_poor = [None]
    times = []
    t = 0.0
    while t <= 40:
        if policy.due(t):
            if t >= start and first_poor[0] is None:
                first_poor[0] = t
            times.append(t)
            policy.analysed(t, verdict(t))
        t = round(t + 0.5, 6)
    episode = first_poor[0]
    during = [x for x in times if episode <= x <= episode + 10]
    gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
    settled = SamplingSettings().settled_after
    assert all(g <= 2.0 + 1e-9 for g in gaps[: settled - 1]), gaps  # the confirm rate at first
    assert all(g <= 6.0 + 1e-9 for g in gaps), gaps  # then stretched, the readings agreeing
    assert episode + 10 in times  # exactly when the sustain window ends


def _past_start_up(policy):
    """``policy`` after its start-up burst: five upright analyses, 0.5 s apart from 0 s."""
    for t in (0.0, 0.5, 1.0, 1.5, 2.0):
        policy.due(t)
        policy.analysed(t, sample(t))
    return policy


def test_the_confirm_rate_stretches_while_a_lasting_slouch_reads_poor_and_not_after_a_break_in_it():
    s = SamplingSettings()
    policy = _past_start_up(SamplingPolicy(s, sustain_s=60.0))

    def poor(t, start=10.0):
        policy.analysed(t, sample(t, posture="poor", angle=9, poor_for=t - start))

    for t in (10.0, 12.0, 14.0, 16.0):
        poor(t)
    # Three poor readings in a row, but a glance down is over within seconds: not yet.
    assert policy.analysis_interval(16.5) == s.confirm_s
    poor(26.0)
    assert policy.analysis_interval(26.5) == s.settled_confirm_s == 6.0
    policy.analysed(32.0, sample(32.0, posture="unknown", angle=None, poor_for=22.0))
    assert policy.analysis_interval(32.5) == s.confirm_s  # the run is broken: the short rate again
    poor(34.0)
    assert policy.analysis_interval(34.5) == s.confirm_s
    poor(36.0)
    poor(38.0)
    assert policy.analysis_interval(38.5) == s.settled_confirm_s


def test_change_that_moves_the_verdict_is_followed_quickly_a_fidget_is_not():
    policy = _past_start_up(SamplingPolicy(SamplingSettings(), threshold_deg=5.0))
    policy.analysed(5.0, sample(5.0, angle=0.5), changed=True)  # a fidget: same verdict
    assert policy.analysis_interval(5.5) == 8.0
    policy.analysed(6.0, sample(6.0, angle=4.0), changed=True)  # the head moved: confirm quickly
    assert policy.analysis_interval(6.5) == 0.5
    assert policy.analysis_interval(8.5) == 8.0


def test_harmless_changes_make_the_policy_quiet_and_a_notable_one_is_still_seen_at_once():
    """Someone talking keeps changing the picture without moving a good verdict: after two such
    analyses small changes wait 12 s and strong ones 4 s, except a small change twice as large as
    the harmless ones (median) is analysed at once; a reading near the threshold ends the quiet."""
    s = SamplingSettings()
    policy = _past_start_up(SamplingPolicy(s, threshold_deg=5.0))
    policy.use_gate(0.02, 0.35)  # the gate's changed and strong shares, as the analyzer hands them over
    assert not policy.quiet and policy.change_spacing(0.1, strong=False) == s.small_change_s
    assert policy.change_spacing(0.5, strong=True) == 0.0
    policy.analysed(5.0, sample(5.0, angle=0.5), changed=True, share=0.05)
    assert not policy.quiet  # one harmless change proves nothing yet
    policy.analysed(9.0, sample(9.0, angle=1.0), changed=True, share=0.07)
    assert policy.quiet and policy.notable_share() == pytest.approx(0.14)
    assert policy.change_spacing(0.10, strong=False) == s.quiet_change_s == 12.0
    assert policy.change_spacing(0.15, strong=False) == 0.0  # notable: a slouch changes more
    assert policy.change_spacing(0.5, strong=True) == s.quiet_strong_change_s == 4.0
    assert policy.analysis_interval(10.0) == s.quiet_change_s  # the schedule stretches with it
    policy.analysed(21.0, sample(21.0, angle=3.5), changed=True, share=0.06)  # near the threshold
    assert not policy.quiet and policy.analysis_interval(30.0) == s.steady_s
    policy.analysed(30.0, sample(30.0, angle=0.5), changed=False)
    assert policy.quiet  # the scheduled reading is far from the threshold again
    policy.analysed(34.0, sample(34.0, posture="poor", angle=7.0, poor_for=0.0), changed=True, share=0.2)
    assert not policy.quiet and policy.notable_share() is None  # poor ends it, and what it had learnt
    policy.analysed(38.0, sample(38.0, angle=0.0), changed=True, share=0.05)
    assert not policy.quiet


def test_the_notable_share_follows_the_gate_it_is_handed_and_none_without_a_gate():
    """The floor and the cap of the notable share are the gate's own shares, handed over by the
    analyzer that owns the gate; a policy never told them lets small changes wait as outside the quiet."""
    from postureguard.vision.analyzer import AdaptiveAnalyzer
    from postureguard.vision.gate import ChangeGate, GateSettings

    gate = ChangeGate(GateSettings(changed_share=0.05, strong_share=0.2))

    def quiet_policy(share, handed=True):
        policy = _past_start_up(SamplingPolicy(SamplingSettings(), threshold_deg=5.0))
        if handed:
            AdaptiveAnalyzer(None, None, policy, gate, observe=lambda *a, **k: None)
        for t in (5.0, 9.0):
            policy.analysed(t, sample(t, angle=0.5), changed=True, share=share)
        assert policy.quiet
        return policy

    alone = quiet_policy(0.01, handed=False)
    assert alone.notable_share() is None
    assert alone.change_spacing(0.05, strong=False) == SamplingSettings().small_change_s  # as if not quiet
    with pytest.raises(ValueError):
        alone.use_gate(0.4, 0.3)
    assert quiet_policy(0.01).notable_share() == pytest.approx(0.05)  # twice 0.01 is under the floor
    assert quiet_policy(0.08).notable_share() == pytest.approx(0.16)
    assert quiet_policy(0.12).notable_share() is None  # 0.24 is over the gate's strong share


def test_a_sampling_without_a_threshold_or_fixed_is_never_near_or_quiet():
    fixed = SamplingPolicy(SamplingSettings.every(0.5))
    for t in (1.0, 2.0, 3.0):
        fixed.analysed(t, sample(t), changed=True, share=0.05)
    assert not fixed.quiet
    free = SamplingPolicy(SamplingSettings())  # no threshold known: angles cannot be near it
    for t in (1.0, 2.0, 3.0):
        free.analysed(t, sample(t, angle=4.9), changed=True, share=0.05)
    assert free.quiet


def test_a_held_slouch_read_a_few_degrees_apart_needs_no_settling_burst():
    s = SamplingSettings()
    policy = _past_start_up(SamplingPolicy(s, sustain_s=60.0))
    policy.analysed(10.0, sample(10.0, posture="poor", angle=9.0), changed=True)  # the slouch: followed
    assert policy.analysis_interval(10.5) == s.startup_s
    policy.analysed(20.0, sample(20.0, posture="poor", angle=6.0, poor_for=10.0), changed=True)  # jitter
    assert policy.analysis_interval(20.5) == s.confirm_s
    policy.analysed(24.0, sample(24.0, angle=1.0, poor_for=0.0), changed=True)  # sat up: followed
    assert policy.analysis_interval(24.5) == s.startup_s


def test_fixed_sampling_analyses_every_check():
    policy = SamplingPolicy(SamplingSettings.every(0.25))
    times = analysed_times(policy, lambda t: sample(t), 5, step=0.25)
    assert len(times) == 21


# -- the gate, on real frames with real-looking noise ------------------------------------------------
@pytest.fixture(scope="module")
def frames():
    base = cv2.resize(photo("grace_hopper"), (640, 750))
    low = lowered_head(base, int(0.52 * 750), int(0.68 * 750), int(0.11 * 750))
    return base, low


def noisy(img, sigma, seed):
    rng = np.random.default_rng(seed)
    return np.clip(img.astype(np.float32) + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("sigma", [2, 5, 10])
def test_sensor_noise_alone_is_not_a_change(frames, sigma, report_figure):
    base, _ = frames
    gate = ChangeGate()
    gate.analysed(tiny_grey(noisy(base, sigma, 1)))
    shares = [gate.changed_share(tiny_grey(noisy(base, sigma, seed))) for seed in range(2, 40)]
    report_figure(f"change gate, noise sigma {sigma}: max share of changed cells {max(shares):.3f} "
                  f"(threshold {gate.settings.changed_share})")  # fmt: skip
    assert not any(gate.changed(tiny_grey(noisy(base, sigma, seed))) for seed in range(2, 40))


@pytest.mark.parametrize("sigma", [2, 10])
def test_a_real_posture_change_is_a_change_even_under_noise(frames, sigma):
    base, low = frames
    gate = ChangeGate()
    gate.analysed(tiny_grey(noisy(base, sigma, 1)))
    assert gate.changed(tiny_grey(noisy(low, sigma, 2)))


def test_someone_leaving_is_a_change(frames):
    base, _ = frames
    gate = ChangeGate()
    gate.analysed(tiny_grey(base))
    empty = cv2.resize(photo("coffee"), (640, 750))
    assert gate.changed(tiny_grey(empty))


# -- gating must not delay a real alert -------------------------------------------------------------
def _slouch_clip(fps: int, upright_s: int, sustain: float):
    """Grace Hopper upright for ``upright_s`` s, then her lowered head for 25 s, at ``fps``; and an engine
    calibrated (by the real model, IMAGE mode) on the first five frames."""
    from postureguard.engine.geometry import measure

    images = posture_frames(upright_s * fps, 25 * fps)
    with MediaPipePose(mode="image") as cal_model:
        cal = calibrate([measure(cal_model.detect(img, 0)) for img in images[:5]])
    return images, PostureEngine(EngineSettings(sustain_s=sustain), cal)


def test_real_clip_alerts_within_the_window_with_gating_on(report_figure):
    """20 s upright, then a sustained lowered head; sustain 10 s. The alert comes on time."""
    fps, upright_s, sustain = 10, 20, 10.0
    images, engine = _slouch_clip(fps, upright_s, sustain)
    with MediaPipePose(mode="video") as model:
        analyzer = AdaptiveAnalyzer(engine, model, SamplingPolicy(SamplingSettings(), sustain_s=sustain))
        alert_t = None
        for i, img in enumerate(images):
            t = i / fps
            if not analyzer.wants(t):
                continue
            update = analyzer.process(Frame(img, t, i, "clip"), t)
            if update and alert_t is None and any(isinstance(e, PostureAlert) for e in update.events):
                alert_t = t
    onset = float(upright_s)
    counts = analyzer.counts
    report_figure(
        f"gated clip: slouch at {onset:.0f} s, sustain {sustain:.0f} s, alert at {alert_t} s; "
        f"{counts.analyses} analyses of {len(images)} frames ({counts.by_change} by change)"
    )
    assert alert_t is not None
    assert onset + sustain <= alert_t <= onset + sustain + 1.0
    assert counts.analyses < len(images) / 10


def test_a_slouch_analysed_late_counts_from_when_the_picture_changed(report_figure):
    """Real frames (Grace Hopper, then her lowered head from 20 s, sensor noise on every frame), with
    every change made small (``strong_share`` 0.99) and small changes analysed only 9 s apart: the
    slouch is first analysed seconds after it began, yet its episode counts from the first frame that
    showed it (the picture stood still since), so the alert still comes one window after the onset."""
    from postureguard.vision.gate import GateSettings

    fps, upright_s, sustain = 10, 20, 10.0
    images, engine = _slouch_clip(fps, upright_s, sustain)
    settings = SamplingSettings(small_change_s=9.0, steady_s=9.0)
    with MediaPipePose(mode="video") as model:
        analyzer = AdaptiveAnalyzer(engine, model, SamplingPolicy(settings, sustain_s=sustain),
                                    ChangeGate(GateSettings(strong_share=0.99, big_share=0.995)))  # fmt: skip
        first_poor = alert_t = None
        for i, img in enumerate(images):
            t = i / fps
            if not analyzer.wants(t):
                continue
            update = analyzer.process(Frame(img, t, i, "clip"), t)
            if update and first_poor is None and update.sample.posture == "poor":
                first_poor = (t, update.sample.poor_for_s)
            if update and alert_t is None and any(isinstance(e, PostureAlert) for e in update.events):
                alert_t = t
    onset = float(upright_s)
    assert first_poor is not None
    report_figure(f"slouch at {onset:.0f} s first analysed at {first_poor[0]} s (poor for "
                  f"{first_poor[1]:.1f} s by then), alert at {alert_t} s")  # fmt: skip
    assert first_poor[0] >= onset + 1.0  # analysed late...
    assert first_poor[1] == pytest.approx(first_poor[0] - onset)  # ...but counted from the onset
    assert alert_t is not None and onset + sustain <= alert_t <= onset + sustain + 1.0


def test_bench_command_reports_every_figure(tmp_path):
    clip = write_clip(tmp_path / "seated.avi", posture_frames(15 * 10, 20 * 10), fps=10)
    env = {**os.environ, "PYTHONPATH": SRC}
    argv = [sys.executable, "-m", "postureguard", "bench", str(clip), "--sustain", "10", "--json"]
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    keys = {"samples_per_minute", "cpu_ms_per_sample", "cpu_percent_of_core", "baseline_cpu_percent_of_core",
            "ratio", "peak_rss_mb", "first_verdict_s", "alert_delay_s", "steady_cpu_percent_of_core",
            "cpu_ms_per_look"}  # fmt: skip
    assert keys <= out.keys()
    # A look (frame health and the change gate on a 320 x 375 frame) costs well under a millisecond.
    assert 0 < out["cpu_ms_per_look"] < 5
    assert out["baseline_samples_per_minute"] == pytest.approx(600, rel=0.05)
    assert out["samples_per_minute"] < out["baseline_samples_per_minute"] / 5
    assert out["ratio"] > 1 and out["alert_delay_s"] is not None and abs(out["alert_delay_s"]) <= 1.0
    assert out["machine"]["cores"] == os.cpu_count()


def test_leaving_a_busy_background_is_seen_despite_tracking():
    """VIDEO-mode tracking alone keeps a phantom pose on a busy background; the big scene change
    restarts the tracker, so the person's leaving is seen at the next look."""
    size = (320, 375)
    person = cv2.resize(photo("grace_hopper"), size)
    empty = cv2.resize(photo("coffee"), size)
    engine = PostureEngine(EngineSettings(), None)
    with MediaPipePose(mode="video") as model:
        analyzer = AdaptiveAnalyzer(engine, model, SamplingPolicy(SamplingSettings()))
        seen = []
        for i in range(300):
            t = i / 10
            if not analyzer.wants(t):
                continue
            update = analyzer.process(Frame(person if t < 20 else empty, t, i, "clip"), t)
            if update is not None:
                seen.append((t, update.sample.person))
    assert all(p for t, p in seen if t < 20)
    after = [(t, p) for t, p in seen if t >= 20]
    assert after and after[0] == (20.0, False) and not any(p for _, p in after)
    assert analyzer.counts.resets == 1
