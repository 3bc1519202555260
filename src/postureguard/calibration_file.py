"""Read and write a calibration as versioned JSON (the engine itself never touches files)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from postureguard.engine.calibration import CALIBRATION_VERSION, Calibration
from postureguard.errors import CalibrationError
from postureguard.paths import ensure_private_dir, write_atomic

SCHEMA = "postureguard.calibration"


def save_calibration(calibration: Calibration, path: Path, *, note: str = "") -> None:
    """Write ``calibration`` to ``path`` atomically (temp file + rename), readable by the user only."""
    path = Path(path)
    if not path.parent.exists():
        ensure_private_dir(path.parent)
    doc = {
        "schema": SCHEMA,
        "version": CALIBRATION_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "note": note,
        "reference": asdict(calibration),
    }
    write_atomic(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


def load_calibration(path: Path) -> Calibration:
    """Read a calibration file, raising :class:`CalibrationError` with the reason when it is unusable."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"calibration file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CalibrationError(f"calibration file {path} is not readable JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise CalibrationError(f"{path} is not a PostureGuard calibration file")
    version = doc.get("version")
    if version != CALIBRATION_VERSION:
        raise CalibrationError(
            f"calibration file {path} has version {version!r}, this PostureGuard reads version "
            f"{CALIBRATION_VERSION}; calibrate again with 'postureguard calibrate'"
        )
    ref = doc.get("reference")
    fields = ("head_height", "pitch", "shoulder_width_frac", "shoulder_tilt_deg", "samples")
    if not isinstance(ref, dict) or any(k not in ref for k in fields):
        raise CalibrationError(f"calibration file {path} lacks its reference values; calibrate again")
    try:
        values = {k: float(ref[k]) for k in fields[:-1]}
        cal = Calibration(**values, samples=int(ref["samples"]))
    except (TypeError, ValueError):
        raise CalibrationError(f"calibration file {path} has non-numeric reference values") from None
    if not (cal.head_height > 0 and cal.shoulder_width_frac > 0):
        raise CalibrationError(f"calibration file {path} has impossible reference values; calibrate again")
    return cal
