"""Make the benchmark recording: a real photo of a seated person, upright, then a sustained slouch.

    python bench/make_clip.py OUT.avi [--upright 60] [--slouch 150] [--fps 10]

Frames come from matplotlib's Grace Hopper photo with sensor noise on every frame and small fidgets
(the picture shifts by a pixel or two for a moment every few seconds), so the change gate meets the
kind of small motion a real seated user makes. The slouch lowers the head as tests/clips.py does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from clips import lowered_head  # noqa: E402
from photos import photo  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--upright", type=float, default=60.0, help="seconds upright")
    ap.add_argument("--slouch", type=float, default=150.0, help="seconds slouching")
    ap.add_argument("--fps", type=float, default=10.0)
    args = ap.parse_args()
    import cv2

    size = (320, 375)
    base = cv2.resize(photo("grace_hopper"), size)
    low = lowered_head(base, int(0.52 * size[1]), int(0.68 * size[1]), int(0.11 * size[1]))
    rng = np.random.default_rng(11)
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*"MJPG"), args.fps, size)
    n_up, n_low = int(args.upright * args.fps), int(args.slouch * args.fps)
    for i in range(n_up + n_low):
        img = base if i < n_up else low
        second = i / args.fps
        if int(second) % 7 == 3:  # a fidget: a one-second shift of a pixel or two
            img = np.roll(img, (1 + int(second) % 2, 1), axis=(0, 1))
        noisy = np.clip(img.astype(np.int16) + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
        writer.write(noisy)
    writer.release()
    total = n_up + n_low
    print(f"wrote {args.out}: {total} frames, {args.upright:g} s upright, then {args.slouch:g} s slouching")


if __name__ == "__main__":
    main()
