"""Soak benchmark: a simulated working day through engine, recommender and history store.

Not a test: it measures. It feeds ``--hours`` (default 8) of simulated samples, one every
``--interval`` seconds (default 0.5, the monitor's fastest analysis rate), through the real
:class:`~postureguard.engine.core.PostureEngine`, the real
:class:`~postureguard.knowledge.recommender.Recommender`
with the bundled knowledge base, and a real SQLite history file (minute aggregates, alerts, routines,
breaks, a pause gap), and prints one JSON object:

* ``samples``: samples processed; ``alerts``, ``breaks``, ``routines``, ``minutes_stored``;
* ``rss_mb``: resident memory at the start (after setup and a warm-up hour) and at the end, and
  the growth in MB (target: below 5 MB);
* ``db_bytes``: history size on disk after the run (database, WAL and shared-memory files, after
  closing), and ``db_kb_per_day``: that size scaled to one day of use (8 monitored hours);
* ``wall_s``: real time taken.

The day is built from a seeded random generator, so runs are comparable: stretches at the desk of
35-60 minutes with mostly good posture, forward-head episodes of 1-8 minutes, glances down (short
nods), breaks of 3-15 minutes with nobody in view, a 45-minute lunch and one 15-minute pause.
Poses are synthetic frontal landmark sets built here (like tests/poses.py), not model output.

Run: ``PYTHONPATH=src python bench/soak.py [--hours 8] [--interval 0.5] [--seed 1] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from postureguard.engine.calibration import calibrate  # noqa: E402
from postureguard.engine.core import PostureEngine  # noqa: E402
from postureguard.engine.events import BreakTaken, PostureAlert, SittingAlert  # noqa: E402
from postureguard.engine.geometry import measure  # noqa: E402
from postureguard.engine.landmarks import POSE_LANDMARK_COUNT, Point, Pose  # noqa: E402
from postureguard.engine.landmarks import PoseIndex as I  # noqa: E402
from postureguard.engine.settings import EngineSettings  # noqa: E402
from postureguard.history.aggregate import MinuteAggregator  # noqa: E402
from postureguard.history.base import AlertRecord, BreakRecord  # noqa: E402
from postureguard.history.sqlite import SQLiteStore  # noqa: E402
from postureguard.knowledge.loader import load_knowledge  # noqa: E402
from postureguard.knowledge.recommender import Recommendation, Recommender  # noqa: E402

W, H = 640, 480
#: Monday 3 June 2024, 08:30 UTC: the simulated day's wall clock (epoch seconds).
DAY_START = 1717403400.0


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; no psutil)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def frontal_pose(
    forward_deg: float, nod_px: float, jitter: random.Random, shoulder_width: float = 200.0
) -> Pose:
    """A seated person facing a 640 x 480 camera, the neck inclined ``50 - forward_deg`` degrees.

    Ears sit above the shoulder midpoint at a height that shrinks as the head moves forward (as a
    frontal camera sees it); ``nod_px`` lowers the nose only (a glance down). Each landmark gets
    about a pixel of jitter, as a pose model's output has.
    """
    neck_len = 0.6 * shoulder_width / math.sin(math.radians(50.0))
    height = neck_len * math.sin(math.radians(50.0 - forward_deg))
    cx, cy, half = 320.0, 330.0, shoulder_width / 2
    pts = {i: (cx, cy + 150) for i in range(POSE_LANDMARK_COUNT)}
    pts[I.RIGHT_SHOULDER] = (cx - half, cy)
    pts[I.LEFT_SHOULDER] = (cx + half, cy)
    ear_y = cy - height
    pts[I.RIGHT_EAR] = (cx - 0.35 * half, ear_y)
    pts[I.LEFT_EAR] = (cx + 0.35 * half, ear_y)
    nose_y = ear_y + 0.075 * shoulder_width + nod_px
    pts[I.NOSE] = (cx, nose_y)
    for i, dx in ((I.RIGHT_EYE, -0.12), (I.LEFT_EYE, 0.12)):
        pts[i] = (cx + dx * shoulder_width, nose_y - 0.08 * shoulder_width)
    for i, dx in ((I.MOUTH_RIGHT, -0.06), (I.MOUTH_LEFT, 0.06)):
        pts[i] = (cx + dx * shoulder_width, nose_y + 0.08 * shoulder_width)

    def point(i: int) -> Point:
        x, y = pts[i]
        x += jitter.gauss(0, 1.0)
        y += jitter.gauss(0, 1.0)
        return Point(x / W, y / H, 0.0, 1.0 if i < I.LEFT_ELBOW else 0.2)

    return Pose(tuple(point(i) for i in range(POSE_LANDMARK_COUNT)), W, H)


def day_plan(hours: float, rng: random.Random) -> list[tuple[str, float, float]]:
    """Segments ``(kind, seconds, forward_deg)`` filling ``hours``: ``desk`` (with the head
    ``forward_deg`` forward), ``away`` (nobody in view) or ``paused`` (monitoring off)."""
    total = hours * 3600.0
    plan: list[tuple[str, float, float]] = []
    t = 0.0
    lunch_done = paused_done = False
    while t < total:
        stretch = rng.uniform(35, 60) * 60
        end = min(t + stretch, total)
        while t < end:
            if rng.random() < 0.25:  # a forward-head episode
                seconds = rng.uniform(60, 480)
                plan.append(("desk", seconds, rng.uniform(9, 20)))
            else:
                seconds = rng.uniform(120, 600)
                plan.append(("desk", seconds, rng.uniform(0, 3)))
            t += seconds
        if not lunch_done and t > total * 0.45:
            plan.append(("away", 45 * 60.0, 0.0))
            t += 45 * 60.0
            lunch_done = True
        elif not paused_done and t > total * 0.7:
            plan.append(("paused", 15 * 60.0, 0.0))
            t += 15 * 60.0
            paused_done = True
        else:
            seconds = rng.uniform(3, 15) * 60
            plan.append(("away", seconds, 0.0))
            t += seconds
    return plan


def run(hours: float, interval: float, seed: int, folder: Path) -> dict:
    rng = random.Random(seed)
    jitter = random.Random(seed + 1)
    kb = load_knowledge(include_user=False)
    recommender = Recommender(kb)
    store = SQLiteStore(folder / "history.sqlite3")
    aggregator = MinuteAggregator()
    calibration = calibrate([measure(frontal_pose(0.0, 0.0, jitter)) for _ in range(20)])
    engine = PostureEngine(EngineSettings(), calibration)
    counts = {"samples": 0, "alerts": 0, "breaks": 0, "routines": 0, "no_routine": 0}

    def step(t: float, pose: Pose | None) -> None:
        wall = DAY_START + t
        update = engine.update(pose, t)
        counts["samples"] += 1
        record = aggregator.add(replace(update.sample, t=wall))
        if record is not None:
            store.add_minute(record)
        for event in update.events:
            if isinstance(event, PostureAlert | SittingAlert):
                rec = recommender.recommend(event.trigger)
                routine = rec.routine if isinstance(rec, Recommendation) else None
                counts["alerts"] += 1
                counts["no_routine"] += routine is None
                store.add_alert(
                    AlertRecord(
                        t=wall,
                        kind="posture" if isinstance(event, PostureAlert) else "sitting",
                        trigger=event.trigger,
                        angle_deg=getattr(event, "angle_deg", None),
                        duration_s=getattr(event, "duration_s", None),
                        minutes=getattr(event, "minutes", None),
                        routine_id=routine.id if routine else None,
                    )
                )
                if routine is not None and rng.random() < 0.5:  # the user plays every other suggestion
                    rid = store.start_routine(routine.id, wall, len(routine.steps), "notification")
                    done = len(routine.steps) if rng.random() < 0.7 else len(routine.steps) // 2
                    status = "completed" if done == len(routine.steps) else "partial"
                    store.finish_routine(rid, status, done, wall + routine.total_seconds)
                    counts["routines"] += 1
            elif isinstance(event, BreakTaken):
                store.add_break(BreakRecord(wall, event.away_s, event.sat_s))
                counts["breaks"] += 1

    def play(plan, t: float, limit: float) -> float:
        """Play ``plan`` from simulated time ``t`` (s) until it ends or ``limit`` is reached."""
        for kind, seconds, forward in plan:
            if t >= limit:
                break
            end = min(t + seconds, limit)
            if kind == "paused":  # no samples at all; the app records the gap
                record = aggregator.flush()
                if record is not None:
                    store.add_minute(record)
                store.add_gap(DAY_START + t, DAY_START + end, "paused")
                t = end
                continue
            while t < end:
                if kind == "away":
                    pose = None
                else:
                    nod = 25.0 if rng.random() < 0.03 else 0.0  # a glance at the keyboard
                    pose = frontal_pose(forward + rng.gauss(0, 1.0), nod, jitter)
                step(t, pose)
                t += interval
        return t

    # Warm-up: the first simulated hour fills caches (imports, SQLite pages, the engine's window);
    # memory is measured from its end. The plan is cut at exactly one hour, then at hours + 1.
    plan = day_plan(hours + 1.0, rng)
    warm, rest, acc = [], [], 0.0
    for kind, seconds, forward in plan:
        if acc < 3600.0 < acc + seconds:  # split the segment that straddles the hour
            warm.append((kind, 3600.0 - acc, forward))
            rest.append((kind, acc + seconds - 3600.0, forward))
        else:
            (warm if acc < 3600.0 else rest).append((kind, seconds, forward))
        acc += seconds
    t_warm = t = play(warm, 0.0, 3600.0)
    gc.collect()
    rss_start = rss_mb()
    samples_warm = counts["samples"]
    started = time.perf_counter()
    t = play(rest, t, 3600.0 * (hours + 1.0))
    wall_s = time.perf_counter() - started
    record = aggregator.flush()
    if record is not None:
        store.add_minute(record)
    gc.collect()
    rss_end = rss_mb()
    minutes_stored = len(store.minutes())
    store.close()
    db_bytes = sum(p.stat().st_size for p in folder.glob("history.sqlite3*"))
    return {
        "simulated_hours_total": round(t / 3600.0, 2),
        "simulated_hours_measured": round((t - t_warm) / 3600.0, 2),
        "sample_interval_s": interval,
        "samples": counts["samples"],
        "alerts": counts["alerts"],
        "alerts_without_routine": counts["no_routine"],
        "routines": counts["routines"],
        "breaks": counts["breaks"],
        "minutes_stored": minutes_stored,
        "rss_mb": {
            "start": round(rss_start, 2),
            "end": round(rss_end, 2),
            "growth": round(rss_end - rss_start, 2),
            "target_growth_below": 5.0,
        },
        "db_bytes": db_bytes,
        # One day of use = 8 monitored hours; the file holds the warm-up hour too, so scale.
        "db_kb_per_day": round(db_bytes / 1024 * 8.0 / (t / 3600.0), 1),
        "wall_s": round(wall_s, 2),
        "samples_per_s": round((counts["samples"] - samples_warm) / wall_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours measured (default 8)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples (default 0.5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the history database in DIR")
    args = parser.parse_args(argv)
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
        result = run(args.hours, args.interval, args.seed, folder)
    else:
        with tempfile.TemporaryDirectory(prefix="pg-soak-") as tmp:
            result = run(args.hours, args.interval, args.seed, Path(tmp))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
