"""Read and write a calibration as versioned JSON (the engine itself never touches files)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from postureguard.engine.calibration import (
    CALIBRATION_VERSION,
    MAX_CALIBRATION_SAMPLES,
    OPTIONAL_RANGES,
    READABLE_VERSIONS,
    REFERENCE_RANGES,
    Calibration,
)
from postureguard.errors import CalibrationError
from postureguard.files.paths import ensure_private_dir, write_atomic
from postureguard.files.validate import OutOfRange, check_range, load_json, quote, read_user_file
from postureguard.i18n import _

SCHEMA = "postureguard.calibration"
#: Largest calibration file read (bytes); the files this program writes are about 300 bytes.
MAX_CALIBRATION_BYTES = 64 * 1024


def save_calibration(
    calibration: Calibration, path: Path, *, note: str = "", profile: dict[str, object] | None = None
) -> None:
    """Write ``calibration`` to ``path`` atomically (temp file + rename), readable by the user only.

    ``profile`` (a profile's file, see :mod:`postureguard.settings.profiles`) is kept beside the
    reference values: the profile's name and the camera it was made with.
    """
    path = Path(path)
    if not path.parent.exists():
        ensure_private_dir(path.parent)
    doc: dict[str, object] = {
        "schema": SCHEMA,
        "version": CALIBRATION_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "note": note,
        "reference": asdict(calibration),
    }
    if profile is not None:
        doc["profile"] = profile
    write_atomic(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


def load_calibration(path: Path) -> Calibration:
    """Read a calibration file, raising :class:`CalibrationError` with the reason when it is unusable."""
    path = Path(path)
    what = _("calibration file {path}").format(path=path)
    try:
        raw = read_user_file(path, what, max_bytes=MAX_CALIBRATION_BYTES, error=CalibrationError)
        doc = load_json(raw.decode("utf-8"), what, error=CalibrationError)
    except FileNotFoundError:
        raise CalibrationError(_("calibration file not found: {path}").format(path=path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        text = _("{what} is not readable JSON ({error})")
        raise CalibrationError(text.format(what=what, error=exc)) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise CalibrationError(_("{path} is not a PostureGuard calibration file").format(path=path))
    version = doc.get("version")
    # Version 1 lacks where the user sat; such a file still judges (the largest person in view).
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise CalibrationError(
            _(
                "calibration file {path} has version {version}, this PostureGuard reads version "
                "{readable}; calibrate again with 'postureguard calibrate'"
            ).format(path=path, version=quote(version), readable=CALIBRATION_VERSION)
        )
    ref = doc.get("reference")
    fields = ("head_height", "pitch", "shoulder_width_frac", "shoulder_tilt_deg", "samples")
    if not isinstance(ref, dict) or any(k not in ref for k in fields):
        raise CalibrationError(
            _("calibration file {path} lacks its reference values; calibrate again").format(path=path)
        )
    if any(isinstance(ref[k], bool) or not isinstance(ref[k], (int, float)) for k in fields):
        text = _("{what} has non-numeric reference values; calibrate again")
        raise CalibrationError(text.format(what=what))
    values: dict[str, float] = {}
    try:
        for name, (low, high, unit) in REFERENCE_RANGES.items():
            values[name] = float(check_range(ref[name], low, high, unit=unit))
        for name, (low, high, unit) in OPTIONAL_RANGES.items():
            if ref.get(name) is not None:  # optional: absent in version 1, null when not measured
                if isinstance(ref[name], bool) or not isinstance(ref[name], (int, float)):
                    raise OutOfRange(_("{value} is not a number").format(value=quote(ref[name])))
                values[name] = float(check_range(ref[name], low, high, unit=unit))
        name = "samples"
        samples = int(check_range(ref[name], 1, MAX_CALIBRATION_SAMPLES, integer=True, unit="frames"))
    except OutOfRange as exc:
        raise CalibrationError(
            _("{what} has an impossible reference value: {name} {reason}; calibrate again").format(
                what=what, name=name, reason=exc
            )
        ) from None
    return Calibration(**values, samples=samples)


def read_profile_info(path: Path) -> dict[str, object]:
    """The ``profile`` part of a calibration file (name, camera), or ``{}`` when absent or unreadable.

    Only what :func:`load_calibration` accepted is read here, so a broken file has already been
    reported; the values are checked by the caller (:mod:`postureguard.settings.profiles`).
    """
    try:
        raw = read_user_file(Path(path), str(path), max_bytes=MAX_CALIBRATION_BYTES, error=CalibrationError)
        doc = load_json(raw.decode("utf-8"), str(path), error=CalibrationError)
    except (OSError, CalibrationError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    info = doc.get("profile") if isinstance(doc, dict) else None
    return info if isinstance(info, dict) else {}
