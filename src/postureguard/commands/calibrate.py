"""``postureguard calibrate``: record the user's upright reference."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from pathlib import Path

from postureguard.engine.calibration import MIN_CALIBRATION_SAMPLES, CalibrationSession
from postureguard.errors import UserError
from postureguard.files.validate import (
    MAX_CALIBRATE_FRAMES,
    MAX_COUNTDOWN_S,
    MAX_PHOTO_INTERVAL_S,
    finite_number,
)
from postureguard.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help=_("record your upright posture as the reference"),
        description=_("Measure your upright posture from a camera (after a short countdown), a video or "
                      "photos, and save it as the reference the head-forward angle is measured from."),
    )
    p.add_argument(
        "--source",
        nargs="+",
        required=True,
        metavar="SOURCE",
        help=_("camera index, video file, images or folders of images"),
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="FILE", help=_("where to save (default: the profile in use)"))
    where.add_argument("--profile", metavar="NAME",
                       help=_("save as the profile NAME (e.g. laptop or desk), made if new"))
    frames = finite_number(MIN_CALIBRATION_SAMPLES, MAX_CALIBRATE_FRAMES, integer=True, unit=_("frames"))
    p.add_argument(
        "--frames", type=frames, default=10, metavar="N",
        help=_("frames showing a person to use (default 10)"),
    )
    p.add_argument("--countdown", type=finite_number(0, MAX_COUNTDOWN_S, integer=True, unit=_("seconds")),
                   default=5, metavar="S", help=_("seconds before a camera records"))
    p.add_argument("--interval", type=finite_number(0, MAX_PHOTO_INTERVAL_S, lo_open=True, unit=_("seconds")),
                   default=1.0, help=_("seconds between photos (default 1)"))
    p.add_argument("--model", metavar="PATH", help=_("another PoseLandmarker .task file"))
    p.set_defaults(func=run)


def run(args) -> int:
    from postureguard.commands.analyze import input_files
    from postureguard.files import paths
    from postureguard.settings.calibration_file import save_calibration
    from postureguard.settings.config import load_settings
    from postureguard.settings.profiles import check_name, profile_path, save_profile
    from postureguard.vision.analyzer import observe, open_model
    from postureguard.vision.sources import CameraSource, open_source

    if args.frames < MIN_CALIBRATION_SAMPLES:
        raise UserError(
            _("{option} must be at least {n}").format(option="--frames", n=MIN_CALIBRATION_SAMPLES)
        )
    # Without --out: a profile's file (the one named, else the one in use: "default" is the calibration
    # file of every earlier version).
    profile = None if args.out else check_name(args.profile or load_settings(backup=False).settings.profile)
    out = profile_path(profile) if profile else Path(args.out).expanduser()
    # Before any work: never write over a photo being read or PostureGuard's history or settings (the
    # calibration file itself is what this command is for). A missing folder is made, as saving did.
    allowed = {paths.calibration_file(), profile_path(profile)} if profile else {paths.calibration_file()}
    own = [(p, what) for p, what in paths.own_files() if p not in allowed]
    paths.check_destination(out, inputs=input_files(args.source), keep=own, create_folder=True)
    with ExitStack() as stack:
        try:
            # A second calibration saving to the same file meanwhile fails in one line.
            stack.enter_context(paths.output_lock(out, wait=False))
        except OSError as exc:
            raise UserError(_("cannot write {path}: {reason}").format(path=out, reason=exc.strerror or exc)) \
                from None
        source = open_source(args.source, interval=args.interval)
        stack.callback(source.close)
        live = isinstance(source, CameraSource)
        model = open_model(source, args.model)
        stack.callback(model.close)
        if live:
            sys.stderr.write(_("Sit upright and look at your screen, as you would like to sit.") + "\n")
            for remaining in range(args.countdown, 0, -1):
                sys.stderr.write("\r" + _("Recording in {seconds} s").format(seconds=remaining) + " ")
                sys.stderr.flush()
                time.sleep(1)
            sys.stderr.write("\r" + _("Recording… hold still.") + "   \n")
        session = CalibrationSession.for_input(args.frames, stream=source.is_stream, live=live)
        # Frames the session would skip are neither decoded nor analysed.
        for obs in observe(source.frames(session.wants), model):
            if session.add(obs.pose, obs.frame.t).done:
                break
        looked = session.looked_at
        cal = session.finish()
        note = f"{cal.samples} frames from {', '.join(args.source)[:200]}"
        try:
            if profile is None:
                save_calibration(cal, out, note=note)
            else:
                from postureguard.platform.cameras import camera_name

                index = int(args.source[0]) if live and args.source[0].isdigit() else None
                name = None if index is None else camera_name(index)
                save_profile(profile, cal, camera=index, camera_name=name, note=note)
        except OSError as exc:
            raise UserError(_("cannot save the calibration to {path}: {reason}").format(
                path=out, reason=exc.strerror or exc)) from None
    sys.stderr.write(_("Calibrated on {samples} of {looked} frames; saved to {path}").format(
        samples=cal.samples, looked=looked, path=out) + "\n")
    return 0
