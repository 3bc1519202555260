"""``postureguard analyze``: one record per frame (and per event) from a camera, a video or photos."""

from __future__ import annotations

import csv
import errno
import json
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

from postureguard.engine.calibration import CalibrationSession
from postureguard.engine.core import PostureEngine
from postureguard.engine.settings import SENSITIVITIES, EngineSettings
from postureguard.errors import UserError
from postureguard.files import paths
from postureguard.files.validate import (
    MAX_CALIBRATE_FRAMES,
    MAX_FPS,
    MAX_PHOTO_INTERVAL_S,
    finite_number,
    quote,
)
from postureguard.i18n import _, format_percent, ngettext
from postureguard.settings.config import setting_option

FRAME_FIELDS = [
    "source",
    "index",
    "t",
    "person",
    "head_forward_deg",
    "posture",
    "state",
    "shoulder_tilt_deg",
    "lean_in",
    "extension",
    "sitting_s",
]


def register(sub) -> None:
    p = sub.add_parser(
        "analyze",
        help=_("analyse a camera, a video or photos and print one record per frame"),
        description=_("Run the posture pipeline on SOURCE (a camera index, a video file, images or folders "
                      "of images) and print one record per processed frame, plus a record for each event."),
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    cal = p.add_mutually_exclusive_group()
    cal.add_argument(
        "--calibration", metavar="FILE", help=_("upright reference made by 'postureguard calibrate'")
    )
    cal.add_argument(
        "--calibrate-frames",
        type=finite_number(1, MAX_CALIBRATE_FRAMES, integer=True, unit=_("frames")),
        metavar="N",
        help=_("calibrate on the first N frames that show a person, 0.3 s apart in a video (sit upright for "
               "them); at least 3 (or N) when the input ends first"),
    )
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--out", metavar="FILE", help=_("write records here instead of standard output"))
    p.add_argument(
        "--every-frame",
        action="store_true",
        help=_("analyse every frame of a video or camera (default: at most --fps frames a second)"),
    )
    p.add_argument(
        "--fps", type=finite_number(0, MAX_FPS, lo_open=True, unit=_("frames a second")), default=2.0,
        help=_("frames analysed per second of a stream (default 2, at most {max})").format(max=MAX_FPS),
    )
    p.add_argument("--interval", type=finite_number(0, MAX_PHOTO_INTERVAL_S, lo_open=True, unit=_("seconds")),
                   default=1.0, help=_("seconds between photos (default 1)"))
    p.add_argument("--sensitivity", choices=SENSITIVITIES, default="medium")
    p.add_argument("--sustain", type=setting_option("sustain_seconds", unit=_("seconds")), default=60.0,
                   metavar="S", help=_("sustain window in seconds (1 to 3600)"))
    p.add_argument("--cooldown", type=setting_option("cooldown_minutes", scale=60, unit=_("seconds")),
                   default=900.0, metavar="S", help=_("seconds between alerts (0 to 86400)"))
    p.add_argument("--sitting-limit", type=setting_option("sitting_limit_minutes", unit=_("minutes")),
                   default=50.0, metavar="MIN", help=_("minutes (up to 600); 0 = off"))
    p.add_argument("--model", metavar="PATH", help=_("another PoseLandmarker .task file (full or heavy)"))
    p.add_argument("--no-progress", action="store_true", help=_("no progress bar on a terminal"))
    p.set_defaults(func=run)


class _Writer:
    def __init__(self, fh, fmt: str):
        self.fh, self.fmt = fh, fmt
        self._csv = None
        if fmt == "csv":
            self._csv = csv.DictWriter(
                fh, fieldnames=[*FRAME_FIELDS, "event", "detail"], extrasaction="ignore"
            )
            self._csv.writeheader()

    def frame(self, record: dict) -> None:
        self._write(record)

    def event(self, source: str, record: dict) -> None:
        record = {"source": source, **record}
        if self._csv is not None:
            detail = {k: v for k, v in record.items() if k not in ("source", "event", "t")}
            record = {
                "source": source,
                "t": record["t"],
                "event": record["event"],
                "detail": json.dumps(detail, sort_keys=True),
            }
        self._write(record)

    def _write(self, record: dict) -> None:
        if self._csv is not None:
            self._csv.writerow(record)
        else:
            try:
                # NaN and infinity are not JSON; refuse them here rather than write an unreadable line.
                line = json.dumps(record, allow_nan=False)
            except ValueError:
                raise UserError(_("a record holds a number JSON cannot hold (NaN or infinity): {record}")
                                .format(record=quote(record, 200))) from None
            self.fh.write(line + "\n")


def _round(value, digits=2):
    return None if value is None else round(value, digits)


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int | None, enabled: bool):
        self.total, self.enabled, self.done = total, enabled and sys.stderr.isatty(), 0

    def step(self) -> None:
        self.done += 1
        if not self.enabled or (self.done % 5 and self.done != self.total):
            return
        if self.total:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
        else:
            sys.stderr.write("\r" + ngettext("{n} frame", "{n} frames", self.done).format(n=self.done))
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\n")


def input_files(specs) -> list[Path]:
    """The files that reading ``specs`` (as :func:`postureguard.vision.sources.open_source` takes them) opens.

    Folders give the images and videos inside them, sub-folders included; a camera index or a missing
    path gives nothing (opening the source reports those).
    """
    from postureguard.vision.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES

    readable = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    found: list[Path] = []
    for spec in map(str, specs):
        path = Path(spec).expanduser()
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix.lower() in readable and p.is_file())
        elif path.exists():
            found.append(path)
    return found


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


@contextmanager
def _output(name: str):
    """:func:`postureguard.files.paths.atomic_output` for ``--out``, its failures as one-line errors."""
    body_error = False
    try:
        with paths.atomic_output(name, newline="") as fh:
            try:
                yield fh
            except OSError as exc:
                # A full disk shows up while writing records; other OSErrors of the run are not ours.
                body_error = exc.errno not in _WRITE_ERRNOS
                raise
    except OSError as exc:
        if body_error:
            raise
        raise UserError(_("cannot write {path}: {reason}").format(path=name, reason=exc.strerror or exc)) \
            from None


def run(args) -> int:
    from postureguard.settings.calibration_file import load_calibration
    from postureguard.vision.analyzer import observe, open_model, thin
    from postureguard.vision.sources import open_source

    if args.calibrate_frames is not None and args.calibrate_frames < 1:
        raise UserError(_("{option} must be at least {n}").format(option="--calibrate-frames", n=1))
    if args.fps <= 0:
        raise UserError(_("{option} must be positive").format(option="--fps"))
    calibration = load_calibration(Path(args.calibration)) if args.calibration else None
    settings = EngineSettings(
        sensitivity=args.sensitivity,
        sustain_s=args.sustain,
        cooldown_s=args.cooldown,
        sitting_limit_s=None if args.sitting_limit == 0 else args.sitting_limit * 60.0,
    )
    engine = PostureEngine(settings, calibration)
    if args.out:
        # Before any work: the records must never replace a photo being read or PostureGuard's own files.
        inputs = input_files(args.sources) + ([Path(args.calibration)] if args.calibration else [])
        paths.check_destination(args.out, inputs=inputs)

    with ExitStack() as stack:
        if args.out:
            # Records go to a temporary file renamed over --out only when the run succeeds: a failure or
            # a kill leaves what was there; a second run writing the same file fails at once.
            out = stack.enter_context(_output(args.out))
        else:
            out = sys.stdout
        source = open_source(args.sources, interval=args.interval)
        stack.callback(source.close)
        model = open_model(source, args.model)
        stack.callback(model.close)
        writer = _Writer(out, args.format)
        progress = _Progress(source.expected_frames, not args.no_progress)

        pending: list = []  # frames kept until the reference exists, then judged against it
        session = None
        if args.calibrate_frames:
            # A camera here is not given up on: analyze runs until the user stops it.
            session = CalibrationSession.for_input(args.calibrate_frames, stream=source.is_stream, live=False)
        counts = {"frames": 0, "person": 0, "poor": 0, "judged": 0, "alerts": 0}
        min_gap = 0.0 if (args.every_frame or not source.is_stream) else 1.0 / args.fps
        for obs in observe(thin(source, min_gap), model):
            progress.step()
            if session is not None:
                pending.append(obs)
                if session.add(obs.pose, obs.frame.t).done:
                    _calibrate_and_flush(engine, session, pending, writer, counts)
                    session = None
                continue
            _emit(engine, obs, writer, counts)
        progress.finish()
        if session is not None:
            # The input ended first: calibrate on what it had (the session refuses too few).
            _calibrate_and_flush(engine, session, pending, writer, counts)
    share = counts["poor"] / counts["judged"] if counts["judged"] else 0.0
    sys.stderr.write(
        _("{frames} frames, {person} with a person, {share} of judged frames poor, {alerts} alert(s)").format(
            frames=counts["frames"], person=counts["person"], share=format_percent(share),
            alerts=counts["alerts"],
        ) + "\n"
    )
    return 0


def _calibrate_and_flush(engine: PostureEngine, session: CalibrationSession, pending: list, writer: _Writer,
                         counts: dict) -> None:
    """Set the session's calibration, then judge the frames held back while it was being made."""
    engine.set_calibration(session.finish())
    for obs in pending:
        _emit(engine, obs, writer, counts)
    pending.clear()


def _emit(engine: PostureEngine, obs, writer: _Writer, counts: dict) -> None:
    frame = obs.frame
    update = engine.update(obs.pose, frame.t)
    s = update.sample
    counts["frames"] += 1
    counts["person"] += s.person
    if s.posture != "unknown":
        counts["judged"] += 1
        counts["poor"] += s.posture == "poor"
    writer.frame(
        {
            "source": frame.source,
            "index": frame.index,
            "t": round(frame.t, 3),
            "person": s.person,
            "head_forward_deg": _round(s.head_forward_deg),
            "posture": s.posture,
            "state": s.state,
            "shoulder_tilt_deg": _round(s.shoulder_tilt_deg),
            "lean_in": _round(s.lean_in, 3),
            "extension": s.extension,
            "sitting_s": round(s.sitting_s, 1),
        }
    )
    for event in update.events:
        counts["alerts"] += event.kind.endswith("_alert")
        record = {k: (_round(v, 3) if isinstance(v, float) else v) for k, v in event.to_record().items()}
        writer.event(frame.source, record)
