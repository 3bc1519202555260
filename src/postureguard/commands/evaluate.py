"""``postureguard evaluate MANIFEST``: how the production pipeline judges labelled real recordings.

A manifest (JSON, or TOML when its name ends in ``.toml``) lists recordings, each with labelled time
spans and whether a span should alert. Each recording is calibrated on its ``calibrate_s`` span, then
replayed on its own clock through the production path of a stream (the change gate, the adaptive
sampling policy, the engine; :class:`postureguard.vision.analyzer.AdaptiveAnalyzer`), and the verdicts
are compared with the labels.

Recordings
    ``video``: a video or animated GIF file (the real pose model in VIDEO mode).
    ``images``: segments of still frames (``glob``, natural order, ``repeat`` times), shown ``interval_s``
    apart; the real pose model in IMAGE mode.
    ``landmarks``: segments of recorded MediaPipe pose landmarks (``csv`` rows ``rows: [first, end)``, the
    33 x/y/z/v columns of the 5-class webcam set, normalised to ``image_size``), ``interval_s`` apart. They
    enter the engine path where the pose model's output would: a drawing of the landmarks stands in for
    the camera picture, so the change gate sees the person move as it would on a camera, and the
    "model" returns the recorded landmarks of that frame.
    Segments carry their ``label`` and ``alert`` and make the spans; a ``video`` lists ``spans``
    (``start``, ``end`` in seconds, ``label``, ``alert``; optional ``present``). Paths are relative to the
    manifest (or to ``--data-root``); a recording whose files are missing is skipped and says so.

Calibration
    ``calibrate_s: [start, end]`` (seconds on the recording's clock, default ``[0, 10]``): the frames the
    calibration is made from, as ``postureguard calibrate`` would take them from a camera: one every
    ``calibrate_spacing_s`` seconds (default 0.3, the production spacing), at least 3 showing a person.
    A recording whose upright part is shorter than three times that spacing (a man seated for 0.3 s
    before he rises) sets a smaller spacing (``0`` takes every frame) rather than calibrating on frames
    of him rising.

Measures, per recording and label (times on the recording's clock, seconds)
    * ``poor_share``: share of the spans' time judged poor (each analysed verdict holds until the next);
    * ``false_alerts`` and ``false_alerts_per_hour``: posture alerts inside spans that should not alert;
    * ``alert: null`` on a span: not scored for alerts (only its poor share is reported);
    * ``delay_s``: for spans that should alert, the first alert's time minus (span start + sustain
      window); ``missed`` when none comes before the span ends;
    * ``presence_errors``: share of the spans' time when "a person is there" differs from the label
      (``away`` and ``standing`` expect nobody; others expect the user; ``present`` overrides, and
      ``present: null`` leaves a span out of it: a person halfway out of the chair); ``None`` when
      every span of the label has ``present: null``.
"""

from __future__ import annotations

import glob as globbing
import json
import logging
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postureguard.errors import UserError
from postureguard.files.validate import load_json, read_user_file
from postureguard.i18n import _
from postureguard.settings.config import setting_option

log = logging.getLogger(__name__)

SCHEMA = "postureguard.scenarios"
#: Labels that expect nobody in the chair.
ABSENT_LABELS = frozenset({"away", "standing"})
#: Largest manifest read (bytes).
MAX_MANIFEST_BYTES = 1024 * 1024


class ManifestError(UserError):
    exit_code = 2


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help=_("judge labelled recordings and report false alerts and delays"),
        description=_("Replay the recordings a manifest lists through the production pipeline and report, "
                      "per labelled scenario, the share of time judged poor, false alerts per hour, the "
                      "alert delay and presence errors."),
    )
    p.add_argument("manifest", metavar="MANIFEST", help=_("a scenarios manifest (JSON or TOML)"))
    p.add_argument("--json", action="store_true", help=_("print one JSON object"))
    p.add_argument("--sensitivity", choices=("low", "medium", "high"), default="medium",
                   help=_("sensitivity (default medium)"))  # fmt: skip
    p.add_argument("--sustain", type=setting_option("sustain_seconds", unit="seconds"), default=60.0,
                   metavar="S", help=_("sustain window (default 60)"))
    p.add_argument("--data-root", metavar="DIR", help=_("resolve the manifest's paths here"))
    p.add_argument("--only", metavar="NAME", action="append", help=_("only the recordings so named"))
    p.set_defaults(func=run)


# -- the manifest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    label: str
    alert: bool | None  # None: not scored for alerts (a posture the app does not claim either way)
    present: bool | None  # None: not scored for presence (halfway out of the chair)


@dataclass
class Recording:
    name: str
    kind: str
    spans: list[Span]
    calibrate_s: tuple[float, float]
    interval_s: float = 0.5
    calibrate_spacing_s: float | None = None  # None: the production spacing (video) or 0 (images)
    path: Path | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)
    image_size: tuple[int, int] = (800, 600)
    missing: str | None = None


def _load_manifest(path: Path) -> dict:
    what = _("manifest {path}").format(path=path)
    try:
        raw = read_user_file(path, what, max_bytes=MAX_MANIFEST_BYTES, error=ManifestError)
    except FileNotFoundError:
        raise ManifestError(_("manifest not found: {path}").format(path=path)) from None
    try:
        text = raw.decode("utf-8")
        if path.suffix.lower() == ".toml":
            import tomllib

            doc = tomllib.loads(text)
        else:
            doc = load_json(text, what, error=ManifestError)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(_("{what} is not readable ({reason})").format(what=what, reason=exc)) from None
    recordings = doc.get("recordings") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(recordings, list):
        raise ManifestError(_("{path} is not a PostureGuard scenarios manifest (schema {schema}, a list of "
                              "recordings)").format(path=path, schema=SCHEMA))
    return doc


def _number(entry: dict, key: str, default: float | None = None) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise ManifestError(_("manifest: {key} of {name} must be a number >= 0, not {value!r}").format(
            key=key, name=entry.get("name", "?"), value=value))
    return float(value)


def _span(entry: dict, start: float, end: float) -> Span:
    label = str(entry.get("label", "")).strip()
    if not label or end <= start:
        raise ManifestError(_("manifest: every span needs a label and an end after its start ({entry})")
                            .format(entry=json.dumps(entry)[:80]))
    present = entry.get("present", label not in ABSENT_LABELS)
    alert = entry.get("alert", False)
    return Span(start, end, label, None if alert is None else bool(alert), None if present is None
                else bool(present))  # fmt: skip


def _recordings(doc: dict, root: Path) -> list[Recording]:
    out = []
    for entry in doc["recordings"]:
        if not isinstance(entry, dict) or entry.get("kind") not in ("video", "images", "landmarks"):
            raise ManifestError(_("manifest: each recording needs a kind: video, images or landmarks"))
        name = str(entry.get("name") or entry.get("path") or "?")
        kind = entry["kind"]
        cal = entry.get("calibrate_s", [0, 10])
        if not (isinstance(cal, list) and len(cal) == 2):
            raise ManifestError(_("manifest: calibrate_s of {name} must be [start, end]").format(name=name))
        rec = Recording(name=name, kind=kind, spans=[], calibrate_s=(float(cal[0]), float(cal[1])))
        if "calibrate_spacing_s" in entry:
            rec.calibrate_spacing_s = _number(entry, "calibrate_spacing_s")
        if kind == "video":
            rec.path = root / str(entry.get("path", ""))
            if not rec.path.is_file():
                rec.missing = _("not found: {path}").format(path=rec.path)
            for s in entry.get("spans", []):
                rec.spans.append(_span(s, _number(s, "start"), _number(s, "end")))
        else:
            rec.interval_s = _number(entry, "interval_s", 0.5) or 0.5
            size = entry.get("image_size", [800, 600])
            rec.image_size = (int(size[0]), int(size[1]))
            t = 0.0
            for seg in entry.get("segments", []):
                seg = dict(seg)
                if kind == "images":
                    files = sorted(globbing.glob(str(root / str(seg.get("glob", "")))), key=_capture_key)
                    seg["files"] = files * int(seg.get("repeat", 1))
                    count = len(seg["files"])
                    if not files:
                        rec.missing = _("no images match {glob}").format(glob=root / str(seg.get("glob")))
                elif "empty" in seg:  # nobody in the chair for this many frames
                    count = int(seg["empty"])
                    if isinstance(seg.get("with"), dict):  # but someone else in view
                        seg["with"] = {**seg["with"], "path": root / str(seg["with"].get("csv", ""))}
                else:
                    csv_path = root / str(seg.get("csv", ""))
                    seg["path"] = csv_path
                    if isinstance(seg.get("with"), dict):
                        seg["with"] = {**seg["with"], "path": root / str(seg["with"].get("csv", ""))}
                    first, end = seg.get("rows", [0, 0])
                    count = int(end) - int(first)
                    if not csv_path.is_file():
                        rec.missing = _("not found: {path}").format(path=csv_path)
                other = seg.get("with")
                if isinstance(other, dict) and not Path(other["path"]).is_file():
                    rec.missing = _("not found: {path}").format(path=other["path"])
                if rec.missing:
                    continue
                if count <= 0:
                    raise ManifestError(_("manifest: a segment of {name} has no frames").format(name=name))
                rec.segments.append(seg)
                rec.spans.append(_span(seg, t, t + count * rec.interval_s))
                t += count * rec.interval_s
        out.append(rec)
    return out


def _capture_key(path: str) -> list:
    from postureguard.vision.sources import natural_key

    return natural_key(Path(path).name)


# -- recorded landmarks as a source and a "model" ---------------------------------------------------


def _transform(pose, seg: dict):
    """``pose`` moved as a segment asks (each documented in bench/scenarios/PROVENANCE.md):

    * ``shift: [dx, dy]``: every landmark moved by dx image widths, dy image heights (standing up:
      the body rises in the picture); landmarks pushed outside the image become invisible;
    * ``roll_deg``: the face landmarks (0-10) turned by this many degrees in the image plane about the
      shoulder midpoint (the neck tilted sideways, positive = clockwise on the picture);
    * ``yaw``: the face landmarks moved sideways by this many ear distances, the far ear hidden (a head
      turned towards a second screen);
    * ``hide: [i, ...]``: these landmarks made invisible (a hand or over-ear headphones over an ear);
    * ``scale: s``: every landmark moved towards (s < 1) or away from the shoulder midpoint, as a person
      further from (nearer to) the camera looks; applied before ``shift``.
    """
    import math

    from postureguard.engine.landmarks import Point, Pose

    pts = list(pose.image)
    aspect = pose.height / pose.width
    if "roll_deg" in seg or "yaw" in seg:
        ex, ey = (pts[11].x + pts[12].x) / 2, (pts[11].y + pts[12].y) / 2
        a = math.radians(float(seg.get("roll_deg", 0.0)))
        span = abs(pts[7].x - pts[8].x)
        dx = float(seg.get("yaw", 0.0)) * span
        for i in range(11):
            p = pts[i]
            x, y = (p.x - ex), (p.y - ey) * aspect  # pixels-proportional, then back
            rx, ry = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
            pts[i] = Point(ex + rx + dx, ey + ry / aspect, p.z, p.visibility)
        if dx:
            far = 7 if (pts[7].x - pts[8].x) * dx < 0 else 8  # the ear the head turns away from
            pts[far] = Point(pts[far].x, pts[far].y, pts[far].z, 0.0)
    if "scale" in seg:
        k = float(seg["scale"])
        cx, cy = (pts[11].x + pts[12].x) / 2, (pts[11].y + pts[12].y) / 2
        pts = [Point(cx + (p.x - cx) * k, cy + (p.y - cy) * k, p.z * k, p.visibility) for p in pts]
    if "shift" in seg:
        sx, sy = (float(v) for v in seg["shift"])
        pts = [Point(p.x + sx, p.y + sy, p.z, p.visibility if 0 <= p.x + sx <= 1 and 0 <= p.y + sy <= 1
                     else 0.0) for p in pts]  # fmt: skip
    for i in seg.get("hide", []):
        pts[int(i)] = Point(pts[int(i)].x, pts[int(i)].y, pts[int(i)].z, 0.0)
    return Pose(tuple(pts), pose.width, pose.height)


def _read_landmarks(seg: dict, size: tuple[int, int]) -> list:
    import csv

    from postureguard.engine.landmarks import Point, Pose

    if "with" in seg:  # a second person in the same frames (a colleague), or alone when "empty"
        count = int(seg["empty"]) if "empty" in seg else int(seg["rows"][1]) - int(seg["rows"][0])
        other = _read_landmarks(seg["with"], size)
        if len(other) != count:
            raise ManifestError(_("manifest: the second person of a segment needs as many rows as it has "
                                  "frames ({n})").format(n=count))  # fmt: skip
        mine = _read_landmarks({k: v for k, v in seg.items() if k != "with"}, size)
        return [o if p is None else Pose(p.image, p.width, p.height, others=(o,)) for p, o in zip(mine, other,
                                                                                                  strict=True)]
    if "empty" in seg:
        return [None] * int(seg["empty"])
    first, end = (int(v) for v in seg["rows"])
    poses = []
    with open(seg["path"], newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i < first:
                continue
            if i >= end:
                break
            pts = tuple(
                Point(float(row[f"x{k}"]), float(row[f"y{k}"]), float(row[f"z{k}"]), float(row[f"v{k}"]))
                for k in range(1, 34)
            )
            poses.append(_transform(Pose(pts, *size), seg))
    if len(poses) < end - first:
        raise ManifestError(_("{path} has only {n} rows, the manifest asks for rows {first} to {end}").format(
            path=seg["path"], n=first + len(poses), first=first, end=end))
    return poses


#: Line segments of the landmark drawing (BlazePose indices): face, shoulders, arms, trunk.
_BONES = ((0, 7), (0, 8), (7, 8), (9, 10), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23),
          (12, 24), (23, 24))  # fmt: skip


def _drawing(pose, size=(320, 240)):
    """A picture of ``pose``'s landmarks (white on black), for the change gate to compare."""
    import cv2
    import numpy as np

    image = np.zeros((size[1], size[0], 3), np.uint8)
    for person in () if pose is None else (pose, *pose.others):
        for a, b in _BONES:
            pa, pb = person[a], person[b]
            if min(pa.visibility, pb.visibility) < 0.5:
                continue
            a_px = (int(pa.x * size[0]), int(pa.y * size[1]))
            b_px = (int(pb.x * size[0]), int(pb.y * size[1]))
            cv2.line(image, a_px, b_px, (255, 255, 255), 6)
    return image


class _LandmarkSource:
    is_stream = True
    is_live = False

    def __init__(self, poses: list, interval_s: float, label: str):
        self.poses, self.interval_s, self.label = poses, interval_s, label

    def frames(self, want=None):
        from postureguard.vision.sources import Frame

        for i, pose in enumerate(self.poses):
            t = i * self.interval_s
            if want is None or want(t):
                yield Frame(image=_drawing(pose), t=t, index=i, source=self.label)

    def close(self) -> None:
        pass


class _LandmarkModel:
    """Returns the recorded landmarks of the frame at ``t`` (what the pose model would have found)."""

    def __init__(self, poses: list, interval_s: float):
        self.poses, self.interval_s = poses, interval_s

    def detect(self, image, t: float):
        return self.poses[min(len(self.poses) - 1, int(round(t / self.interval_s)))]

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _open(rec: Recording):
    """(source, model) for ``rec``; the model is the real one except for landmark recordings."""
    from postureguard.vision.analyzer import open_model
    from postureguard.vision.sources import ImageSource, open_source

    if rec.kind == "video":
        source = open_source([str(rec.path)])
        return source, open_model(source)
    if rec.kind == "images":
        files = [(Path(f), f) for seg in rec.segments for f in seg["files"]]
        source = ImageSource(files, interval=rec.interval_s)
        return source, open_model(source)
    poses = [p for seg in rec.segments for p in _read_landmarks(seg, rec.image_size)]
    return _LandmarkSource(poses, rec.interval_s, rec.name), _LandmarkModel(poses, rec.interval_s)


# -- running and scoring ------------------------------------------------------------------------------


def _calibrate(rec: Recording):
    from postureguard.engine.calibration import CALIBRATION_SPACING_S, CalibrationSession

    start, end = rec.calibrate_s
    spacing = rec.calibrate_spacing_s
    if spacing is None:
        spacing = CALIBRATION_SPACING_S if rec.kind != "images" else 0.0
    source, model = _open(rec)
    session = CalibrationSession(10_000, min_spacing_s=spacing)
    try:
        for frame in source.frames(lambda t: start <= t <= end):
            session.add(model.detect(frame.image, frame.t), frame.t)
    finally:
        model.close()
        source.close()
    return session.finish()


def _replay(rec: Recording, calibration, args) -> tuple[list, list, float]:
    """Samples and posture-alert times of the production path over the whole recording."""
    from postureguard.engine.core import PostureEngine
    from postureguard.engine.events import PostureAlert
    from postureguard.engine.sampling import SamplingPolicy, SamplingSettings
    from postureguard.engine.settings import EngineSettings
    from postureguard.vision.analyzer import AdaptiveAnalyzer

    settings = EngineSettings(sensitivity=args.sensitivity, sustain_s=args.sustain)
    engine = PostureEngine(settings, calibration)
    analyzer = AdaptiveAnalyzer(engine, None, SamplingPolicy(SamplingSettings(), sustain_s=args.sustain))
    source, model = _open(rec)
    analyzer.model = model
    samples: list = []
    alerts: list[float] = []
    end = 0.0
    try:
        for frame in source.frames(analyzer.wants):
            end = frame.t
            update = analyzer.process(frame, frame.t)
            if update is None:
                continue
            samples.append(update.sample)
            alerts.extend(e.t for e in update.events if isinstance(e, PostureAlert))
    finally:
        model.close()
        source.close()
    return samples, alerts, max(end, rec.spans[-1].end if rec.spans else end)


def _held(samples: list, end: float, stale_s: float) -> list[tuple[float, float, Any]]:
    """Each sample as (from, to, sample): it holds until the next one, at most ``stale_s``."""
    out = []
    for i, s in enumerate(samples):
        to = samples[i + 1].t if i + 1 < len(samples) else end
        out.append((s.t, min(to, s.t + stale_s), s))
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _score(rec: Recording, samples: list, alerts: list, end: float, sustain_s: float) -> list[dict]:
    from postureguard.engine.settings import EngineSettings

    held = _held(samples, end, EngineSettings().stale_after_s)
    rows: dict[str, dict] = {}
    for span in rec.spans:
        row = rows.setdefault(span.label, {
            "recording": rec.name, "label": span.label, "should_alert": span.alert, "seconds": 0.0,
            "poor_s": 0.0, "judged_s": 0.0, "false_alerts": 0, "delays_s": [], "missed": 0,
            "presence_error_s": 0.0, "presence_s": 0.0})  # fmt: skip
        row["seconds"] += span.end - span.start
        if span.present is not None:
            row["presence_s"] += span.end - span.start
        for a, b, s in held:
            o = _overlap(a, b, span.start, span.end)
            if o <= 0:
                continue
            if s.posture != "unknown":
                row["judged_s"] += o
                row["poor_s"] += o if s.posture == "poor" else 0.0
            if span.present is not None:
                row["presence_error_s"] += o if s.person != span.present else 0.0
        inside = [t for t in alerts if span.start <= t < span.end]
        if span.alert is None:
            continue
        if span.alert:
            if inside:
                row["delays_s"].append(round(inside[0] - (span.start + sustain_s), 2))
            else:
                row["missed"] += 1
        else:
            row["false_alerts"] += len(inside)
    out = []
    for row in rows.values():
        hours = row["seconds"] / 3600.0
        out.append({
            "recording": row["recording"], "label": row["label"], "should_alert": row["should_alert"],
            "seconds": round(row["seconds"], 1),
            "poor_share": None if row["judged_s"] == 0 else round(row["poor_s"] / row["seconds"], 3),
            "false_alerts": row["false_alerts"],
            "false_alerts_per_hour": None if row["should_alert"] is not False
            else round(row["false_alerts"] / hours, 1),
            "delays_s": row["delays_s"], "missed": row["missed"],
            "presence_errors": None if row["presence_s"] == 0
            else round(row["presence_error_s"] / row["presence_s"], 3),
        })  # fmt: skip
    return out


def run(args) -> int:
    from postureguard.errors import CalibrationError
    from postureguard.vision.analyzer import quiet_native_logs

    quiet_native_logs()
    manifest = Path(args.manifest).expanduser()
    doc = _load_manifest(manifest)
    root = Path(args.data_root).expanduser() if args.data_root else manifest.parent
    root = root / str(doc.get("root", "")) if doc.get("root") and not args.data_root else root
    recordings = [r for r in _recordings(doc, root) if not args.only or r.name in args.only]
    rows, skipped = [], []
    for rec in recordings:
        if rec.missing:
            skipped.append({"recording": rec.name, "reason": rec.missing})
            continue
        try:
            calibration = _calibrate(rec)
        except CalibrationError as exc:
            skipped.append({"recording": rec.name, "reason": _("calibration failed: {e}").format(e=exc)})
            continue
        samples, alerts, end = _replay(rec, calibration, args)
        rows.extend(_score(rec, samples, alerts, end, args.sustain))
    result = {"manifest": str(manifest), "sensitivity": args.sensitivity, "sustain_s": args.sustain,
              "scenarios": rows, "skipped": skipped}  # fmt: skip
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    header = (_("recording"), _("scenario"), _("alert?"), _("seconds"), _("poor"), _("false/h"), _("delay s"),
              _("presence err"))  # fmt: skip
    table = [header]
    for r in rows:
        presence = "-" if r["presence_errors"] is None else f"{100 * r['presence_errors']:.0f} %"
        delay = ", ".join(f"{d:+.1f}" for d in r["delays_s"]) + (_(" missed {n}").format(n=r["missed"])
                                                                 if r["missed"] else "")  # fmt: skip
        alert = {True: _("yes"), False: _("no"), None: "-"}[r["should_alert"]]
        table.append((r["recording"], r["label"], alert,
                      f"{r['seconds']:.0f}",
                      "-" if r["poor_share"] is None else f"{100 * r['poor_share']:.0f} %",
                      "-" if r["false_alerts_per_hour"] is None else f"{r['false_alerts_per_hour']:.1f}",
                      delay or "-", presence))  # fmt: skip
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        sys.stdout.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    for s in skipped:
        sys.stdout.write(_("skipped {name}: {reason}").format(name=s["recording"], reason=s["reason"]) + "\n")
    return 0
