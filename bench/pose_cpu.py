"""CPU cost of the pose model per processed frame, in VIDEO and IMAGE modes, on real frames.

    python bench/pose_cpu.py [FOLDER_OR_VIDEO] [--repeat N]

Without an argument it uses ../shared/data/posture/webcam-slouch-frontal when present, otherwise
photos that ship with scikit-image and matplotlib. Prints one JSON object. CPU time is the process's
(user + system, all threads), so it counts MediaPipe's worker threads too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
os.environ.setdefault("GLOG_minloglevel", "2")


def load_frames(spec: str | None):
    from postureguard.vision.sources import open_source

    if spec is None:
        shared = REPO.parent / "shared" / "data" / "posture" / "webcam-slouch-frontal" / "datasets"
        if shared.is_dir():
            spec = str(shared)
    if spec is not None:
        src = open_source([spec])
        try:
            return spec, [f.image for f in src]
        finally:
            src.close()
    sys.path.insert(0, str(REPO / "tests"))
    from photos import PEOPLE, photo

    return "package photos", [photo(n) for n in PEOPLE]


def cpu_ms_per_frame(mode: str, frames, repeat: int) -> dict:
    from postureguard.vision.pose import MediaPipePose

    with MediaPipePose(mode=mode) as model:
        model.detect(frames[0], 0.0)  # warm-up: graph start and first allocation are one-off costs
        t = 0.1
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        n = 0
        for _ in range(repeat):
            for frame in frames:
                model.detect(frame, t)
                t += 0.1
                n += 1
        cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    return {
        "frames": n,
        "cpu_ms_per_frame": round(1000 * cpu / n, 2),
        "wall_ms_per_frame": round(1000 * wall / n, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import mediapipe

    label, frames = load_frames(args.source)
    result = {
        "source": label,
        "frame_size": list(frames[0].shape[:2][::-1]),
        "video": cpu_ms_per_frame("video", frames, args.repeat),
        "image": cpu_ms_per_frame("image", frames, args.repeat),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {
            "cores": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "mediapipe": mediapipe.__version__,
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
