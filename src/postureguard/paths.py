"""Where PostureGuard keeps the user's files (platform folders via platformdirs).

``POSTUREGUARD_HOME`` overrides all of them (one folder with config/, data/ and state/ inside), which
the tests and portable installs use. Nothing here creates a folder: callers that write create what
they need with :func:`ensure_private_dir`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

APP_NAME = "postureguard"


def _home_override() -> Path | None:
    value = os.environ.get("POSTUREGUARD_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home_override()
    if home:
        return home / "config"
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = _home_override()
    if home:
        return home / "data"
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def settings_file() -> Path:
    return config_dir() / "settings.toml"


def calibration_file() -> Path:
    return config_dir() / "calibration.json"


def user_routines_file() -> Path:
    return config_dir() / "routines.json"


def history_file() -> Path:
    return data_dir() / "history.sqlite3"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the user only (0700) and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A folder owned by someone else cannot be changed; writing into it will say more.
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> Path:
    """Replace ``path`` with ``data`` all at once: a temporary file in the same folder, flushed to
    disk, then renamed over the old one, so a crash or a full disk never leaves half a file.

    ``mode`` defaults to readable by the user only (settings, history, reports are private).
    Raises :class:`OSError` (the caller words the message); the temporary file never stays behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename is durable only once the folder entry is on disk too (not every OS allows this).
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path
