"""Named profiles: one calibration per way of working ("laptop", "desk"), kept as files.

The profile named ``default`` is the calibration file every earlier version wrote
(``config/calibration.json``), so a user who never names a profile sees nothing change. Every other
profile is ``config/profiles/<file name>.json``: the same calibration format with a ``profile`` part
(its name as the user typed it, the camera index and the camera's name it was made with). The
``profile`` setting names the profile in use. Which profile fits the camera and the scene is decided by
the pure rules of :mod:`postureguard.engine.profiles`; this module only reads and writes the files.

A profile file that cannot be read is listed with the reason and left as it is (never deleted or
rewritten): the user may have edited it, and ``postureguard profile delete`` is how it goes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from postureguard.engine.calibration import Calibration
from postureguard.errors import CalibrationError, DataError
from postureguard.files import paths
from postureguard.files.validate import quote
from postureguard.i18n import _
from postureguard.settings.calibration_file import load_calibration, read_profile_info, save_calibration

log = logging.getLogger(__name__)

DEFAULT_PROFILE = "default"
#: Longest profile name (characters).
MAX_NAME = 40
#: Most profiles read from the folder (a folder filled by mistake must not slow every start).
MAX_PROFILES = 50
#: Letters (any script), digits, spaces, hyphens, underscores and dots inside; no leading dot or space.
_NAME_RE = re.compile(r"^[^\W_][\w .-]*$")


def check_name(text: object) -> str:
    """``text`` as a profile name (spaces around it removed), or :class:`DataError` naming what is wrong."""
    if not isinstance(text, str):
        raise DataError(_("profile name {name} is not text").format(name=quote(text)))
    name = unicodedata.normalize("NFC", text.strip())
    if not name or len(name) > MAX_NAME or not _NAME_RE.match(name) or name.endswith("."):
        raise DataError(
            _(
                "{name} is not a profile name: use 1 to {n} letters, digits, spaces, hyphens, "
                "underscores or dots, starting with a letter or digit"
            ).format(name=quote(text), n=MAX_NAME)
        )
    return name


def _valid(text: str) -> bool:
    try:
        check_name(text)
    except DataError:
        return False
    return True


def file_stem(name: str) -> str:
    """The file name (without ``.json``) of the profile ``name``: lower case, spaces as hyphens."""
    return re.sub(r"\s+", "-", check_name(name).casefold())


def same_name(a: str, b: str) -> bool:
    """Whether two profile names denote the same profile (the same file)."""
    return file_stem(a) == file_stem(b)


def folder() -> Path:
    return paths.config_dir() / "profiles"


def profile_path(name: str) -> Path:
    """Where the profile ``name`` is kept (``default``: the calibration file of every earlier version)."""
    if same_name(name, DEFAULT_PROFILE):
        return paths.calibration_file()
    return folder() / f"{file_stem(name)}.json"


@dataclass(frozen=True)
class Profile:
    """One profile as found on disk.

    ``calibration`` is ``None`` when the file is missing (a profile named but not calibrated yet) or
    unusable (``problem`` says why). ``camera`` is the camera index and ``camera_name`` the system's
    name for that camera when it was calibrated (``None`` when not recorded).
    """

    name: str
    path: Path
    calibration: Calibration | None
    camera: int | None = None
    camera_name: str | None = None
    problem: str | None = None


def read_profile(name: str) -> Profile:
    """The profile ``name`` (its file may be missing: then it has no calibration and no problem)."""
    name = check_name(name)
    path = profile_path(name)
    return _read(name, path) if path.exists() else Profile(name, path, None)


def _read(name: str, path: Path) -> Profile:
    """The profile in the existing file ``path``, called ``name`` unless the file spells it otherwise."""
    try:
        calibration = load_calibration(path)
    except CalibrationError as exc:
        return Profile(name, path, None, problem=str(exc))
    info = read_profile_info(path)
    stored = info.get("name")
    if isinstance(stored, str) and _valid(stored) and same_name(stored, name):
        name = check_name(stored)  # as the user spelt it when the profile was made ("Desk 2", not "desk 2")
    camera = info.get("camera")
    camera_name = info.get("camera_name")
    return Profile(
        name,
        path,
        calibration,
        camera=camera if type(camera) is int and 0 <= camera < 64 else None,
        camera_name=camera_name[:200] if isinstance(camera_name, str) and camera_name else None,
    )


def list_profiles() -> list[Profile]:
    """Every profile: ``default`` first when its file exists, then the folder's, by name."""
    found: list[Profile] = []
    if paths.calibration_file().exists():
        found.append(read_profile(DEFAULT_PROFILE))
    try:
        files = sorted(folder().glob("*.json"))
    except OSError:
        files = []
    for path in files[:MAX_PROFILES]:
        if not _valid(path.stem) or file_stem(path.stem) != path.stem:
            log.warning("profile file %s has no usable name; it is left as it is", path)
            continue
        if not same_name(path.stem, DEFAULT_PROFILE):
            found.append(_read(path.stem, path))
    if len(files) > MAX_PROFILES:
        log.warning("more than %d profiles in %s; the rest are not read", MAX_PROFILES, folder())
    return found


def with_active(active: str) -> list[Profile]:
    """:func:`list_profiles`, and the profile ``active`` (the one in use) after them when it has no file
    yet (named but not calibrated): what the tray, the settings window and ``profile list`` offer."""
    found = list_profiles()
    if not any(same_name(p.name, active) for p in found):
        found.append(read_profile(active))
    return found


def save_profile(
    name: str, calibration: Calibration, *, camera: int | None = None, camera_name: str | None = None,
    note: str = "",
) -> Path:
    """Write the profile ``name`` with ``calibration`` (atomically, readable by the user only); its path."""
    name = check_name(name)
    path = profile_path(name)
    info: dict[str, object] = {"name": name}
    if camera is not None:
        info["camera"] = camera
    if camera_name:
        info["camera_name"] = camera_name
    save_calibration(calibration, path, note=note, profile=info)
    return path


def delete_profile(name: str) -> Path:
    """Remove the profile ``name``'s file; :class:`DataError` when there is none."""
    path = profile_path(name)
    try:
        path.unlink()
    except FileNotFoundError:
        raise DataError(_("there is no profile {name}").format(name=quote(check_name(name)))) from None
    except OSError as exc:
        raise DataError(
            _("cannot delete profile {name}: {reason}").format(name=quote(name), reason=exc.strerror or exc)
        ) from None
    return path


def rename_profile(old: str, new: str) -> Path:
    """Give the profile ``old`` the name ``new`` (its calibration and camera unchanged); the new path.

    Refused with :class:`DataError` when ``old`` has no usable file or ``new`` exists already; the
    old file is removed only after the new one is written.
    """
    new = check_name(new)
    found = read_profile(old)
    if found.calibration is None:
        raise DataError(found.problem or _("there is no profile {name}").format(name=quote(found.name)))
    target = profile_path(new)
    if target.exists() and not same_name(old, new):
        raise DataError(_("a profile named {name} exists already").format(name=quote(new)))
    written = save_profile(new, found.calibration, camera=found.camera, camera_name=found.camera_name,
                           note=_("renamed from {name}").format(name=found.name))  # fmt: skip
    if found.path != written:
        found.path.unlink(missing_ok=True)
    return written
