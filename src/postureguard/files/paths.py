"""Where PostureGuard keeps the user's files (platform folders via platformdirs), and how it writes files.

``POSTUREGUARD_HOME`` overrides all of them (one folder with config/, data/ and state/ inside), which
the tests and portable installs use. Nothing here creates a folder unasked: callers that write create
what they need with :func:`ensure_private_dir` (or ``check_destination(..., create_folder=True)``).

Every file PostureGuard writes goes through :func:`write_atomic` (bytes at once) or
:func:`atomic_output` (records streamed over a long run), which share these rules:

* the data goes to a hidden temporary file beside the destination, is flushed to disk, and only then
  renamed over the destination, so a failure, a full disk or ``kill -9`` leaves the old file whole;
  a temporary file left by a killed process is removed by the next write into that folder;
* the destination is written with mode 0600, also when it replaces an existing file of another mode:
  everything PostureGuard writes (settings, history, reports, analyses of the user's photos) is
  private by default, and a file the user wants to share can be chmod-ed after writing;
* a symbolic link is written through: its target is replaced and the link stays, so a settings file
  linked from a dotfiles folder is updated where it really lives;
* a file with no write permission is never replaced (the user made it read-only on purpose);
* two writers of one destination take turns through an advisory lock (:func:`output_lock`), so
  neither silently loses the other's update.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from postureguard.i18n import _

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


def state_dir() -> Path:
    home = _home_override()
    if home:
        return home / "state"
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME, appauthor=False))


def private_tmp_dir() -> Path:
    """Where this user's PostureGuard processes keep temporary files (``TMPDIR`` points here), so
    libraries that write scratch files (the tray icon a tray backend hands to the desktop, say) write
    them into a folder only the user can read, inside PostureGuard's own folders, not into /tmp."""
    return state_dir() / "tmp"


#: The log file is rotated when it would grow past this many bytes, keeping this many older ones.
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3


def log_file() -> Path:
    """The tray app's log (``postureguard run``): ``postureguard.log`` in the state folder, rotated at
    :data:`LOG_MAX_BYTES` into ``postureguard.log.1`` .. ``.3`` (see :mod:`postureguard.cli`)."""
    return state_dir() / "postureguard.log"


def settings_file() -> Path:
    return config_dir() / "settings.toml"


def calibration_file() -> Path:
    return config_dir() / "calibration.json"


def user_routines_file() -> Path:
    return config_dir() / "routines.json"


def history_file() -> Path:
    return data_dir() / "history.sqlite3"


def own_files() -> list[tuple[Path, str]]:
    """PostureGuard's own files with what each is (for messages), which no ``--out`` may overwrite."""
    history = history_file()
    found = [(history, _("PostureGuard's history database"))]
    found += [(history.with_name(history.name + s), _("a journal of PostureGuard's history database"))
              for s in ("-wal", "-shm", "-journal")]
    found += [(settings_file(), _("PostureGuard's settings file")),
              (calibration_file(), _("PostureGuard's calibration file")),
              (user_routines_file(), _("PostureGuard's routines file"))]
    # The named profiles' calibrations (see postureguard.settings.profiles); none when the folder is absent.
    profiles = sorted((config_dir() / "profiles").glob("*.json"))
    found += [(p, _("a PostureGuard profile")) for p in profiles]
    log = log_file()
    found += [(log.with_name(log.name + s), _("PostureGuard's log file"))
              for s in ("", *(f".{i}" for i in range(1, LOG_BACKUPS + 1)))]
    return found


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents readable by the user only (0700) and return it.

    A folder that already exists keeps the permissions it has: its owner chose them (a 0500 folder is
    made read-only on purpose; writing into it then fails and says so).
    """
    path = Path(path)
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made by another process meanwhile: theirs, leave it as it is
            continue
        # mkdir's mode is filtered through the umask; the new folder is made exactly 0700.
        os.chmod(folder, 0o700)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, _("not a folder"), str(path))
    return path


# ---------------------------------------------------------------------------------------------------
# Writing files


#: ``.NAME.pg-PID-RANDOM.tmp``: the temporary files of :func:`write_atomic` and :func:`atomic_output`.
_TEMP = re.compile(r"^\..+\.pg-(\d+)-[A-Za-z0-9_]+\.tmp$")


def target_of(path: str | Path) -> Path:
    """The file a write to ``path`` really changes: ``~`` expanded and symbolic links followed."""
    given = Path(path).expanduser()
    if _in_place(given):
        return given
    # A link is written through to the file it names; replacing the link itself would leave that stale.
    return Path(os.path.realpath(given))


def _in_place(path: Path) -> bool:
    """Whether ``path`` is written in place: a pipe, a terminal or a device, or any name under /dev or
    /proc (``/dev/stdout`` redirected with ``>>`` to a file must append to it, not replace it)."""
    if str(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def _replaceable(target: Path) -> bool:
    """Check ``target`` may be replaced; ``False`` when it is a device or pipe (written in place).

    Raises :class:`OSError` with a plain ``strerror`` for a folder or a read-only file.
    """
    if _in_place(target):
        return False
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return True
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, _("it is a folder; name a file"), str(target))
    # The mode bits as well as access(): root may write anything, but a file with no write bit at all
    # was made read-only by its owner and is kept.
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(
            errno.EACCES, _("it is read-only (make it writable, chmod u+w, to let PostureGuard replace it)"),
            str(target),
        )
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temporary files left in ``folder`` by PostureGuard writers that were killed; return them.

    A temporary file names the process writing it, so only those whose process is gone are removed.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk too (not every OS allows this).
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def atomic_output(
    path: str | Path, mode: int = 0o600, *, binary: bool = False, wait: bool = False,
    encoding: str = "utf-8", newline: str | None = None, track: bool = False,
) -> Iterator[IO]:
    """A file object whose content replaces ``path`` only when the ``with`` block ends without error.

    The records go to a temporary file beside the destination; on success it is flushed, synced and
    renamed over ``path`` (mode ``mode``, default 0600); on any exception, or a kill, ``path`` is left
    exactly as it was and the temporary file is removed (after a kill: by the next write there).
    The destination is locked for the whole block (:func:`output_lock`): with ``wait=False`` a second
    writer fails at once with a one-line :class:`~postureguard.errors.UserError`. A device or pipe
    (``/dev/stdout``) is written in place, appending. Raises :class:`OSError` when it cannot be written.

    ``track`` notes the temporary file in the data folder while it exists (for content taken from the
    history, written outside the data folder): if the writer is killed, ``forget --all`` still finds
    and deletes it (:func:`remove_tracked_temps`).
    """
    target = target_of(path)
    if not _replaceable(target):
        # Append, never truncate: reopening /dev/stdout with "w" would empty a file the shell opened
        # with ">>"; for a pipe or a terminal appending is the same as writing.
        text_options: dict[str, Any] = {} if binary else {"encoding": encoding, "newline": newline}
        with open(target, "ab" if binary else "a", **text_options) as fh:
            yield fh
        return
    with output_lock(target, wait=wait):
        remove_stale_temps(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.pg-{os.getpid()}-", suffix=".tmp",
                                   dir=target.parent)
        try:
            if track:
                _track(tmp, add=True)
            os.fchmod(fd, mode)
            if binary:
                fh = os.fdopen(fd, "wb")
            else:
                fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
            with fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            if track:
                _track(tmp, add=False)
        _fsync_dir(target.parent)


def _pending_file() -> Path:
    return data_dir() / ".pending-writes"


def _track(tmp: str, *, add: bool) -> None:
    """Add ``tmp`` to (or drop it from) the list of temporary files holding history outside the data
    folder. Best effort: an export must not fail because the list cannot be written."""
    pending = _pending_file()
    if not pending.parent.is_dir():  # no data folder: no history to leak
        return
    try:
        with output_lock(pending):
            try:
                listed = pending.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                listed = []
            kept = [line for line in listed if line and line != tmp] + ([tmp] if add else [])
            if kept:
                write_atomic(pending, "".join(f"{line}\n" for line in kept).encode("utf-8"))
            else:
                pending.unlink(missing_ok=True)
    except OSError:
        pass


def remove_tracked_temps() -> list[Path]:
    """Delete the temporary files noted by ``atomic_output(track=True)`` whose writer is gone; return
    them. Files of writers still running are kept on the list."""
    pending = _pending_file()
    removed: list[Path] = []
    if not pending.exists():
        return removed
    with output_lock(pending):
        for line in pending.read_text(encoding="utf-8").splitlines():
            tmp = Path(line)
            match = _TEMP.match(tmp.name)
            if match and not _alive(int(match.group(1))):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                    removed.append(tmp)
                _track(line, add=False)
    return removed


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> Path:
    """Replace ``path`` with ``data`` all at once: a temporary file in the same folder, flushed to
    disk, then renamed over the old one, so a crash or a full disk never leaves half a file.

    ``mode`` defaults to readable by the user only (settings, history, reports are private); the rules
    of the module docstring apply (links written through, read-only files kept, writers take turns,
    waiting for each other). Returns ``path``. Raises :class:`OSError` (the caller words the message);
    the temporary file never stays behind.
    """
    path = Path(path)
    with atomic_output(path, mode, binary=True, wait=True) as fh:
        fh.write(data)
    return path


# ---------------------------------------------------------------------------------------------------
# Checking a destination and locking it


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return target_of(a) == target_of(b)


def check_destination(
    path: str | Path, *, inputs: Iterable[Path] = (), keep: Iterable[tuple[Path, str]] | None = None,
    option: str = "--out", create_folder: bool = False, what: str | None = None,
) -> Path:
    """Refuse, before any work is done, a destination whose writing would destroy something.

    Refused with a one-line :class:`~postureguard.errors.UserError`: a folder; a read-only file; a
    folder that does not exist (unless ``create_folder``: then it is made, 0700) or is not a folder;
    any of ``inputs`` (files being read; the caller expands input folders to the files in them); any
    of ``keep`` (``(path, description)``; default :func:`own_files`). ``what`` names the file in
    "cannot write WHAT: reason" (default: the option and path). Returns :func:`target_of` ``path``.
    """
    from postureguard.errors import UserError

    shown = str(path)
    what = what or f"{option} {shown}"
    target = target_of(path)
    for item in inputs:
        if _same(target, Path(item)):
            raise UserError(
                _(
                    "{option} {path} is one of the inputs ({input}); writing it would destroy what is being "
                    "read; choose another file"
                ).format(option=option, path=shown, input=item)
            )
    for own, description in own_files() if keep is None else keep:
        if _same(target, own):
            text = _("{option} {path} is {description}; choose another file")
            raise UserError(text.format(option=option, path=shown, description=description))
    try:
        _replaceable(target)
        if create_folder:
            ensure_private_dir(target.parent)
        elif not target.parent.is_dir():
            if target.parent.exists():
                text = _("cannot write {what}: the folder {folder} is not a folder")
            else:
                text = _("cannot write {what}: the folder {folder} does not exist")
            raise UserError(text.format(what=what, folder=target.parent))
    except OSError as exc:
        text = _("cannot write {what}: {reason}")
        raise UserError(text.format(what=what, reason=exc.strerror or exc)) from None
    return target


@dataclass
class _Held:
    """This process's hold on one lock file: a thread lock, how often it is entered, the locked file."""

    thread_lock: threading.RLock
    depth: int = 0
    fd: int | None = None


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _busy(lock_path: Path, target: Path):
    from postureguard.errors import UserError

    try:
        holder = lock_path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        holder = ""
    if holder.isdigit():
        text = _(
            "{path} is being written by another PostureGuard command (process {pid}); wait for it to finish "
            "or choose another file"
        )
    else:
        text = _("{path} is being written by another PostureGuard command; wait for it to finish or choose "
                 "another file")
    return UserError(text.format(path=target, pid=holder))


def _flock(lock_path: Path, target: Path, wait: bool) -> int:
    import fcntl

    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise _busy(lock_path, target) from None
        except BaseException:
            os.close(fd)
            raise
        # The holder before us removes the lock file when it is done; if it did so between our open()
        # and our flock(), we hold a lock nobody else can find: take the current file's instead.
        try:
            current = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            current = False
        if current:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)


@contextlib.contextmanager
def output_lock(path: str | Path, *, wait: bool = True) -> Iterator[Path]:
    """Hold the advisory lock of destination ``path`` (``fcntl.flock`` on ``.NAME.lock`` beside it).

    Every PostureGuard writer of a file takes it, so two never interleave: with ``wait`` the second
    waits its turn, without it the second fails at once with a one-line
    :class:`~postureguard.errors.UserError` naming the first's process. Re-entrant within a thread
    (a command holding it across read-modify-write may call a writer that takes it again). The lock
    file is removed on release. Where ``fcntl`` does not exist (Windows) there is no lock. Raises
    :class:`OSError` when the lock file cannot be made (the folder is missing or not writable).
    Yields :func:`target_of` ``path``.
    """
    target = target_of(path)
    lock_path = _lock_path(target)
    with _HELD_GUARD:
        held = _HELD.setdefault(str(lock_path), _Held(threading.RLock()))
    if not held.thread_lock.acquire(blocking=wait):
        raise _busy(lock_path, target)
    try:
        if held.depth == 0:
            try:
                held.fd = _flock(lock_path, target, wait)
            except ImportError:  # pragma: no cover - no fcntl on Windows: writers are not serialised
                held.fd = None
        held.depth += 1
        try:
            yield target
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                # Unlink while still holding it, so no one can lock this file after we let go.
                with contextlib.suppress(OSError):
                    os.unlink(lock_path)
                os.close(held.fd)
                held.fd = None
    finally:
        held.thread_lock.release()
