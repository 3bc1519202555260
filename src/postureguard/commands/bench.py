"""``postureguard bench SOURCE``: what monitoring costs, measured on a recording.

The recording is replayed on the live monitor's clock: each frame "arrives" at its timestamp, and the
production path (frame health -> check -> change gate -> pose model -> engine, with the adaptive
sampling policy) decides what to decode and analyse, exactly as
:class:`postureguard.runtime.monitor.Monitor` does with a camera. Time is simulated (the run does not
wait for the clock), CPU is real: it is the process's CPU time (all threads, MediaPipe's included)
spent inside the path, excluding the decoding of the recording, which a camera driver does in live
use. "Looks" are the frames only looked at (frame health and the change gate), not analysed.

The baseline analyses every frame at 10 frames a second in VIDEO mode on the same frames. Its dense
verdicts also give the reference for the alert delay: the sustain window of the first sustained
slouch ends when the dense baseline raises its alert.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time

from postureguard.errors import UserError
from postureguard.files.validate import MAX_CALIBRATE_FRAMES, MAX_FPS, finite_number
from postureguard.i18n import _
from postureguard.settings.config import setting_option


def register(sub) -> None:
    p = sub.add_parser(
        "bench",
        help=_("measure CPU, memory and alert delay on a recording"),
        description=_("Replay a recording through the production pipeline and through a 10 fps baseline, "
                      "and report CPU use, memory, time to first verdict and alert delay."),
    )
    p.add_argument("source", metavar="SOURCE", help=_("a video file of a person at a desk"))
    p.add_argument("--json", action="store_true", help=_("print one JSON object"))
    p.add_argument("--calibration", metavar="FILE", help=_("upright reference (default: first frames)"))
    frames = finite_number(1, MAX_CALIBRATE_FRAMES, integer=True, unit=_("frames"))
    p.add_argument("--calibrate-frames", type=frames, default=10, metavar="N",
                   help=_("calibrate on the first N frames showing a person (default 10)"))  # fmt: skip
    p.add_argument("--sustain", type=setting_option("sustain_seconds", unit=_("seconds")), default=60.0,
                   metavar="S", help=_("sustain window (default 60)"))
    p.add_argument("--baseline-fps", type=finite_number(0, MAX_FPS, lo_open=True, unit=_("frames a second")),
                   default=10.0, help=_("baseline analysis rate (default 10)"))
    p.add_argument("--model", metavar="PATH", help=_("another PoseLandmarker .task file"))
    p.set_defaults(func=run)


def _cpu() -> float:
    return time.process_time()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _calibration(args):
    from postureguard.engine.calibration import CalibrationSession
    from postureguard.settings.calibration_file import load_calibration
    from postureguard.vision.analyzer import observe, open_model
    from postureguard.vision.sources import open_source

    if args.calibration:
        return load_calibration(args.calibration)
    source = open_source([args.source])
    model = open_model(source, args.model)
    try:
        session = CalibrationSession.for_input(args.calibrate_frames, stream=source.is_stream, live=False)
        for obs in observe(source.frames(session.wants), model):
            if session.add(obs.pose, obs.frame.t).done:
                break
        return session.finish()
    finally:
        model.close()
        source.close()


def _production(args, calibration) -> dict:
    from postureguard.engine.core import PostureEngine
    from postureguard.engine.events import PostureAlert
    from postureguard.engine.sampling import SamplingPolicy, SamplingSettings
    from postureguard.engine.settings import EngineSettings
    from postureguard.vision.analyzer import AdaptiveAnalyzer, open_model
    from postureguard.vision.frame_health import FrameHealth, frame_stats
    from postureguard.vision.sources import open_source

    wall0 = time.perf_counter()
    source = open_source([args.source])
    model = open_model(source, args.model)
    load_s = time.perf_counter() - wall0
    engine = PostureEngine(EngineSettings(sustain_s=args.sustain), calibration)
    policy = SamplingPolicy(SamplingSettings(), sustain_s=args.sustain)
    analyzer = AdaptiveAnalyzer(engine, model, policy)
    health = FrameHealth()
    cpu = 0.0
    look_cpu = 0.0  # of the frames only looked at (health, gate), not analysed
    duration = 0.0
    first_verdict = None
    alert_t = None
    steady_cpu, steady_time = 0.0, 0.0  # while posture is good and nobody has slouched yet
    try:
        for frame in source.frames(analyzer.wants):
            duration = frame.t
            c0, w0 = _cpu(), time.perf_counter()
            # The monitor's order: a covered lens is not analysed at all.
            stats = frame_stats(frame.image)
            blank = health.update(stats, frame.t).state == "blank"
            update = None if blank else analyzer.process(frame, frame.t, stats.blocks)
            spent = _cpu() - c0
            cpu += spent
            if update is None:
                look_cpu += spent
            if alert_t is None and (update is None or update.sample.posture == "good"):
                steady_cpu += spent
                steady_time = frame.t
            if update is None:
                continue
            if first_verdict is None and update.sample.posture != "unknown":
                # Live, this verdict comes after the model loads, the frame arrives and is processed.
                first_verdict = load_s + frame.t + (time.perf_counter() - w0)
            if alert_t is None and any(isinstance(e, PostureAlert) for e in update.events):
                alert_t = frame.t
    finally:
        model.close()
        source.close()
    counts = analyzer.counts
    minutes = max(duration, 1e-9) / 60.0
    return {
        "duration_s": duration,
        "samples": counts.analyses,
        "checks": counts.checks,
        "by_change": counts.by_change,
        "by_schedule": counts.by_schedule,
        "resets": counts.resets,
        "fresh_looks": counts.fresh_looks,
        "samples_per_minute": counts.analyses / minutes,
        "cpu_ms_per_sample": 1000.0 * cpu / max(counts.analyses, 1),
        "cpu_ms_per_look": 1000.0 * look_cpu / max(counts.checks - counts.analyses, 1),
        "cpu_percent_of_core": 100.0 * cpu / max(duration, 1e-9),
        "steady_cpu_percent_of_core": 100.0 * steady_cpu / steady_time if steady_time > 0 else None,
        "first_verdict_s": first_verdict,
        "alert_t": alert_t,
        "rss_mb": _rss_mb(),
    }


def _baseline(args, calibration) -> dict:
    from postureguard.engine.core import PostureEngine
    from postureguard.engine.events import PostureAlert
    from postureguard.engine.settings import EngineSettings
    from postureguard.vision.analyzer import open_model
    from postureguard.vision.sources import open_source

    source = open_source([args.source])
    model = open_model(source, args.model)
    engine = PostureEngine(EngineSettings(sustain_s=args.sustain), calibration)
    gap = 1.0 / args.baseline_fps
    next_t = 0.0
    cpu, n, duration, alert_t = 0.0, 0, 0.0, None

    def want(t: float) -> bool:
        return t >= next_t - 1e-6

    try:
        for frame in source.frames(want):
            next_t = frame.t + gap
            duration = frame.t
            c0 = _cpu()
            pose = model.detect(frame.image, frame.t)
            update = engine.update(pose, frame.t)
            cpu += _cpu() - c0
            n += 1
            if alert_t is None and any(isinstance(e, PostureAlert) for e in update.events):
                alert_t = frame.t
    finally:
        model.close()
        source.close()
    return {
        "samples": n,
        "cpu_ms_per_sample": 1000.0 * cpu / max(n, 1),
        "cpu_percent_of_core": 100.0 * cpu / max(duration, 1e-9),
        "alert_t": alert_t,
    }


def run(args) -> int:
    # The version from the package's metadata: importing mediapipe here, outside the pose adapter,
    # would load matplotlib with it (about 35 MB that the monitored path never needs).
    from importlib.metadata import version

    from postureguard.vision.analyzer import quiet_native_logs

    quiet_native_logs()
    if args.calibrate_frames < 3:
        raise UserError(_("{option} must be at least {n}").format(option="--calibrate-frames", n=3))
    calibration = _calibration(args)
    ours = _production(args, calibration)
    base = _baseline(args, calibration)
    delay = None
    if ours["alert_t"] is not None and base["alert_t"] is not None:
        delay = ours["alert_t"] - base["alert_t"]
    result = {
        "source": args.source,
        "duration_s": round(ours["duration_s"], 1),
        "samples_per_minute": round(ours["samples_per_minute"], 2),
        "cpu_ms_per_sample": round(ours["cpu_ms_per_sample"], 2),
        "cpu_ms_per_look": round(ours["cpu_ms_per_look"], 3),
        "cpu_percent_of_core": round(ours["cpu_percent_of_core"], 3),
        "steady_cpu_percent_of_core": None
        if ours["steady_cpu_percent_of_core"] is None
        else round(ours["steady_cpu_percent_of_core"], 3),
        "baseline_cpu_ms_per_sample": round(base["cpu_ms_per_sample"], 2),
        "baseline_samples_per_minute": round(base["samples"] / max(ours["duration_s"] / 60, 1e-9), 1),
        "baseline_cpu_percent_of_core": round(base["cpu_percent_of_core"], 2),
        "ratio": round(base["cpu_percent_of_core"] / max(ours["cpu_percent_of_core"], 1e-9), 1),
        "peak_rss_mb": round(ours["rss_mb"], 1),
        "first_verdict_s": None if ours["first_verdict_s"] is None else round(ours["first_verdict_s"], 2),
        "alert_delay_s": None if delay is None else round(delay, 2),
        "checks": ours["checks"],
        "analyses_by_change": ours["by_change"],
        "analyses_by_schedule": ours["by_schedule"],
        "tracker_resets": ours["resets"],
        "fresh_looks": ours["fresh_looks"],
        "sustain_s": args.sustain,
        "machine": {
            "cores": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "system": platform.platform(),
            "python": platform.python_version(),
            "mediapipe": version("mediapipe"),
        },
    }
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    m, r = result["machine"], result
    rows = [
        (_("recording"), _("{source} ({seconds} s)").format(source=args.source, seconds=r["duration_s"])),
        (_("machine"), _("{cores} cores, {cpu}, Python {python}, mediapipe {mediapipe}").format(**m)),
        # "% (": a percent sign before a letter would read as a printf directive to the catalog tools.
        ("PostureGuard", _("{rate} samples/min, {ms} ms CPU each, {share} % (of one core; {steady} % while "
                           "upright)").format(rate=r["samples_per_minute"], ms=r["cpu_ms_per_sample"],
                                              share=r["cpu_percent_of_core"],
                                              steady=r["steady_cpu_percent_of_core"])),
        (_("looks"), _("{checks} frames looked at, {ms} ms CPU each when not analysed").format(
            checks=r["checks"], ms=r["cpu_ms_per_look"])),
        (_("baseline 10 fps"), _("{rate} samples/min, {ms} ms CPU each, {share} % (of one core)").format(
            rate=r["baseline_samples_per_minute"], ms=r["baseline_cpu_ms_per_sample"],
            share=r["baseline_cpu_percent_of_core"])),
        (_("ratio"), _("{ratio}x less CPU than the baseline").format(ratio=r["ratio"])),
        (_("peak RSS"), _("{mb} MB").format(mb=r["peak_rss_mb"])),
        (_("first verdict"), _("{seconds} s after start").format(seconds=r["first_verdict_s"])),
        (_("alert delay"),
         _("{seconds} s after the sustain window ended").format(seconds=r["alert_delay_s"])),
    ]
    width = max(17, max(len(label) for label, _text in rows) + 2)
    lines = [label.ljust(width) + text for label, text in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
