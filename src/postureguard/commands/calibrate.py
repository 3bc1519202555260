"""``postureguard calibrate``: record the user's upright reference."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from pathlib import Path

from postureguard.engine.calibration import MIN_CALIBRATION_SAMPLES, calibrate
from postureguard.errors import UserError


def register(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="record your upright posture as the reference",
        description="Measure your upright posture from a camera (after a short countdown), a video or "
        "photos, and save it as the reference the head-forward angle is measured from.",
    )
    p.add_argument(
        "--source",
        nargs="+",
        required=True,
        metavar="SOURCE",
        help="camera index, video file, images or folders of images",
    )
    p.add_argument("--out", metavar="FILE", help="where to save (default: your config folder)")
    p.add_argument(
        "--frames", type=int, default=10, metavar="N", help="frames showing a person to use (default 10)"
    )
    p.add_argument("--countdown", type=int, default=5, metavar="S", help="seconds before a camera records")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between photos (default 1)")
    p.add_argument("--model", metavar="PATH", help="another PoseLandmarker .task file")
    p.set_defaults(func=run)


def run(args) -> int:
    from postureguard import paths
    from postureguard.calibration_file import save_calibration
    from postureguard.pipeline import observe, open_model, thin
    from postureguard.sources import CameraSource, open_source

    if args.frames < MIN_CALIBRATION_SAMPLES:
        raise UserError(f"--frames must be at least {MIN_CALIBRATION_SAMPLES}")
    out = Path(args.out) if args.out else paths.calibration_file()
    with ExitStack() as stack:
        source = open_source(args.source, interval=args.interval)
        stack.callback(source.close)
        live = isinstance(source, CameraSource)
        model = open_model(source, args.model)
        stack.callback(model.close)
        if live:
            sys.stderr.write("Sit upright and look at your screen, as you would like to sit.\n")
            for remaining in range(args.countdown, 0, -1):
                sys.stderr.write(f"\rRecording in {remaining} s ")
                sys.stderr.flush()
                time.sleep(1)
            sys.stderr.write("\rRecording… hold still.   \n")
        features = []
        looked = 0
        # A camera gives many near-identical frames a second; a few per second are plenty.
        frames = thin(source, 0.3) if live else source
        for obs in observe(frames, model):
            looked += 1
            features.append(obs.features)
            if sum(f is not None for f in features) >= args.frames:
                break
            if live and looked >= args.frames * 4:
                break
    cal = calibrate(features)
    save_calibration(cal, out, note=f"{cal.samples} frames from {', '.join(args.source)[:200]}")
    sys.stderr.write(f"Calibrated on {cal.samples} of {looked} frames; saved to {out}\n")
    return 0
