"""The history store in a SQLite file (WAL journal), the only module that talks to sqlite3.

Durability: every ``add_*`` is its own short transaction (autocommit), and in WAL mode a committed
transaction survives the process being killed, so a SIGKILL loses at most the record being written.
``synchronous=NORMAL`` only risks the last transactions on a power cut, which history can afford.

Schema versions are kept in ``PRAGMA user_version`` and applied from :data:`MIGRATIONS` in order. A file
from a newer PostureGuard, or one that is damaged, is never written to: it is renamed aside with a
timestamp, a fresh database is started, and :attr:`SQLiteStore.notice` tells the user.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from postureguard.files.paths import ensure_private_dir
from postureguard.history.base import (
    AlertRecord,
    BreakRecord,
    GapRecord,
    MinuteRecord,
    PressedRecord,
    RoutineRecord,
    StoreError,
    check_finish,
)
from postureguard.i18n import _

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Statements that take a database from version N-1 to N. Append, never edit a released step.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE minutes (
               minute_start INTEGER PRIMARY KEY,
               samples INTEGER NOT NULL,
               present_share REAL NOT NULL,
               mean_angle_deg REAL,
               poor_share REAL)""",
        """CREATE TABLE alerts (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               t REAL NOT NULL,
               kind TEXT NOT NULL,
               trigger_name TEXT NOT NULL,
               angle_deg REAL,
               duration_s REAL,
               minutes REAL,
               routine_id TEXT)""",
        "CREATE INDEX alerts_t ON alerts (t)",
        """CREATE TABLE routines (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               routine_id TEXT NOT NULL,
               started_t REAL NOT NULL,
               ended_t REAL,
               status TEXT NOT NULL,
               steps_done INTEGER NOT NULL,
               steps_total INTEGER NOT NULL,
               source TEXT NOT NULL)""",
        "CREATE INDEX routines_started ON routines (started_t)",
        """CREATE TABLE breaks (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               t REAL NOT NULL,
               away_s REAL NOT NULL,
               sat_s REAL NOT NULL)""",
        "CREATE INDEX breaks_t ON breaks (t)",
        """CREATE TABLE gaps (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               start_t REAL NOT NULL,
               end_t REAL NOT NULL,
               reason TEXT NOT NULL)""",
        "CREATE INDEX gaps_start ON gaps (start_t)",
    ),
    # The camera guide: seconds actually pressed per point of a routine run (t = the run's start).
    2: (
        """CREATE TABLE pressed (
               routine INTEGER NOT NULL,
               t REAL NOT NULL,
               point TEXT NOT NULL,
               seconds REAL NOT NULL,
               PRIMARY KEY (routine, point))""",
        "CREATE INDEX pressed_t ON pressed (t)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)

_TABLES = ("minutes", "alerts", "routines", "breaks", "gaps", "pressed")


def _where(column: str, since: float | None, until: float | None) -> tuple[str, list[float]]:
    clauses, params = [], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(since)
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _problem_of(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """Why an existing file must not be used: ``(label, reason)``, or ``None`` when it is fine."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            return "newer", _(
                "it was written by a newer PostureGuard (schema version {version}; this one reads up to "
                "{supported})"
            ).format(version=version, supported=SCHEMA_VERSION)
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return "corrupt", _("it is damaged ({reason})").format(reason=check)
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return "corrupt", _("it is not a PostureGuard history database")
    except sqlite3.DatabaseError as exc:
        return "corrupt", _("it is damaged ({reason})").format(reason=exc)
    return None


def inspect_history(path: str | Path) -> tuple[str, str] | None:
    """Check the history database at ``path`` without changing any file: ``(label, reason)`` when it
    cannot be used (``label`` is ``corrupt`` or ``newer``), ``None`` when it is fine.

    The file is opened read-only. With no ``-wal`` journal beside it (no PostureGuard has it open) it is
    also opened ``immutable``, because a read-only connection to a WAL database would otherwise leave
    empty ``-wal`` and ``-shm`` files behind. Raises :class:`StoreError` when it cannot be opened at all.
    """
    path = Path(path)
    wal = path.with_name(path.name + "-wal")
    query = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    uri = f"{path.resolve().as_uri()}?{query}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise StoreError(_("cannot open the history database {path}: {reason}").format(
            path=path, reason=exc)) from None
    try:
        return _problem_of(conn)
    finally:
        conn.close()


class SQLiteStore:
    """History in one SQLite file; safe to share between threads (one connection behind a lock).

    ``now`` (a callable returning local time) only names a moved-aside file; it defaults to the clock.
    Raises :class:`StoreError` naming the file when the folder or file cannot be used at all.
    """

    def __init__(self, path: str | Path, *, now: Callable[[], datetime] = datetime.now) -> None:
        self.path = Path(path)
        self.notice: str | None = None
        self._now = now
        self._lock = threading.RLock()
        try:
            ensure_private_dir(self.path.parent)
            self._conn = self._open()
        except OSError as exc:
            raise StoreError(_("cannot open the history database {path}: {reason}").format(
                path=self.path, reason=exc.strerror or exc)) from None
        except sqlite3.Error as exc:
            raise StoreError(_("cannot open the history database {path}: {reason}").format(
                path=self.path, reason=exc)) from None

    # -- opening -------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: autocommit, so each statement outside an explicit BEGIN commits at once.
        conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0)
        return conn

    def _problem(self, conn: sqlite3.Connection) -> tuple[str, str] | None:
        return _problem_of(conn)

    def _open(self) -> sqlite3.Connection:
        if self.path.exists():
            conn = self._connect()
            problem = self._problem(conn)
            if problem is None:
                return self._prepare(conn)
            conn.close()
            label, reason = problem
            aside = self._move_aside(label)
            self.notice = _(
                "The history database {path} could not be used: {reason}. It was moved to {aside} and a "
                "new, empty history was started."
            ).format(path=self.path, reason=reason, aside=aside.name)
            log.info("%s", self.notice)  # shown to the user by the caller through .notice
        # Create the file ourselves so it is 0600 from its first byte (SQLite gives -wal/-shm the same mode).
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        return self._prepare(self._connect())

    def _move_aside(self, label: str) -> Path:
        stamp = self._now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.{label}-{stamp}")
        n = 1
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.{label}-{stamp}-{n}")
            n += 1
        os.replace(self.path, aside)
        # The journal files belong to the old database; left behind they could be replayed into the new one.
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
        return aside

    def _prepare(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted history (postureguard forget) is overwritten on disk, not just unlinked from the tree.
            conn.execute("PRAGMA secure_delete=ON")
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        for target in range(1, SCHEMA_VERSION + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Read inside the write lock: another process may have migrated meanwhile.
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current < target:
                    for statement in MIGRATIONS[target]:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {int(target)}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StoreError(_("history database {path}: {reason}").format(path=self.path, reason=exc)) \
                    from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _rows(self, sql: str, params: list[Any], build: Callable[..., T]) -> list[T]:
        with self._db() as conn:
            rows = conn.execute(sql, params).fetchall()
        out = []
        for row in rows:
            try:
                out.append(build(*row))
            except (TypeError, ValueError) as exc:
                # A row edited by hand must not make the whole history unreadable.
                log.warning("skipping an invalid row in %s: %s", self.path, exc)
        return out

    # -- writing -------------------------------------------------------------------------------

    def add_minute(self, record: MinuteRecord) -> None:
        with self._db() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO minutes VALUES (?, ?, ?, ?, ?)",
                (record.minute_start, record.samples, record.present_share, record.mean_angle_deg,
                 record.poor_share),
            )

    def add_alert(self, record: AlertRecord) -> None:
        with self._db() as conn:
            conn.execute(
                "INSERT INTO alerts (t, kind, trigger_name, angle_deg, duration_s, minutes, routine_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.t, record.kind, record.trigger, record.angle_deg, record.duration_s, record.minutes,
                 record.routine_id),
            )

    def start_routine(self, routine_id: str, started_t: float, steps_total: int, source: str) -> int:
        RoutineRecord(0, routine_id, started_t, None, "started", 0, steps_total, source)  # validates
        with self._db() as conn:
            cur = conn.execute(
                "INSERT INTO routines (routine_id, started_t, ended_t, status, steps_done, steps_total, "
                "source) VALUES (?, ?, NULL, 'started', 0, ?, ?)",
                (routine_id, started_t, steps_total, source),
            )
            return int(cur.lastrowid)

    def finish_routine(self, id: int, status: str, steps_done: int, ended_t: float) -> bool:
        with self._transaction() as conn:
            row = conn.execute("SELECT steps_total FROM routines WHERE id = ?", (id,)).fetchone()
            if row is None:
                return False
            check_finish(status, steps_done, row[0])
            conn.execute(
                "UPDATE routines SET status = ?, steps_done = ?, ended_t = ? WHERE id = ?",
                (status, steps_done, ended_t, id),
            )
            return True

    def set_pressed(self, id: int, seconds: Mapping[str, float]) -> bool:
        with self._transaction() as conn:
            row = conn.execute("SELECT started_t FROM routines WHERE id = ?", (id,)).fetchone()
            if row is None:
                return False
            # Built (and so validated) before anything is written.
            records = [PressedRecord(id, row[0], point, float(s)) for point, s in seconds.items()]
            conn.executemany(
                "INSERT OR REPLACE INTO pressed (routine, t, point, seconds) VALUES (?, ?, ?, ?)",
                [(r.routine, r.t, r.point, r.seconds) for r in records],
            )
            return True

    def add_break(self, record: BreakRecord) -> None:
        with self._db() as conn:
            conn.execute("INSERT INTO breaks (t, away_s, sat_s) VALUES (?, ?, ?)",
                         (record.t, record.away_s, record.sat_s))

    def add_gap(self, start: float, end: float, reason: str) -> None:
        GapRecord(start, end, reason)  # validates
        with self._db() as conn:
            conn.execute("INSERT INTO gaps (start_t, end_t, reason) VALUES (?, ?, ?)", (start, end, reason))

    # -- reading -------------------------------------------------------------------------------

    def minutes(self, since: float | None = None, until: float | None = None) -> list[MinuteRecord]:
        where, params = _where("minute_start", since, until)
        return self._rows(
            "SELECT minute_start, samples, present_share, mean_angle_deg, poor_share FROM minutes"
            f"{where} ORDER BY minute_start", params, MinuteRecord)

    def alerts(self, since: float | None = None, until: float | None = None) -> list[AlertRecord]:
        where, params = _where("t", since, until)
        return self._rows(
            "SELECT t, kind, trigger_name, angle_deg, duration_s, minutes, routine_id FROM alerts"
            f"{where} ORDER BY t, id", params, AlertRecord)

    def routines(self, since: float | None = None, until: float | None = None) -> list[RoutineRecord]:
        where, params = _where("started_t", since, until)
        return self._rows(
            "SELECT id, routine_id, started_t, ended_t, status, steps_done, steps_total, source FROM routines"
            f"{where} ORDER BY started_t, id", params, RoutineRecord)

    def pressed(self, since: float | None = None, until: float | None = None) -> list[PressedRecord]:
        where, params = _where("t", since, until)
        return self._rows(f"SELECT routine, t, point, seconds FROM pressed{where} ORDER BY t, routine, point",
                          params, PressedRecord)  # fmt: skip

    def breaks(self, since: float | None = None, until: float | None = None) -> list[BreakRecord]:
        where, params = _where("t", since, until)
        return self._rows(f"SELECT t, away_s, sat_s FROM breaks{where} ORDER BY t, id", params, BreakRecord)

    def gaps(self, since: float | None = None, until: float | None = None) -> list[GapRecord]:
        clauses, params = [], []
        if since is not None:
            clauses.append("end_t > ?")
            params.append(since)
        if until is not None:
            clauses.append("start_t < ?")
            params.append(until)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._rows(f"SELECT start_t, end_t, reason FROM gaps{where} ORDER BY start_t, id", params,
                          GapRecord)

    # -- forgetting ----------------------------------------------------------------------------

    def delete_before(self, t: float) -> int:
        columns = {"minutes": "minute_start", "alerts": "t", "routines": "started_t", "breaks": "t",
                   "gaps": "end_t", "pressed": "t"}
        with self._transaction() as conn:
            n = sum(conn.execute(f"DELETE FROM {table} WHERE {col} < ?", (t,)).rowcount
                    for table, col in columns.items())
        self._purge_journal()
        return n

    def delete_all(self) -> int:
        with self._transaction() as conn:
            n = sum(conn.execute(f"DELETE FROM {table}").rowcount for table in _TABLES)
        self._purge_journal()
        return n

    def _purge_journal(self) -> None:
        # Older copies of deleted rows can linger in the WAL file until a checkpoint; truncate it.
        with self._db() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
