"""History storage: records, the :class:`HistoryStore` interface, and its SQLite and in-memory forms."""

from __future__ import annotations

from pathlib import Path

from postureguard.store.base import (
    AlertRecord,
    BreakRecord,
    GapRecord,
    HistoryStore,
    MinuteRecord,
    RoutineRecord,
    StoreError,
)
from postureguard.store.memory import MemoryStore

__all__ = [
    "AlertRecord",
    "BreakRecord",
    "GapRecord",
    "HistoryStore",
    "MemoryStore",
    "MinuteRecord",
    "RoutineRecord",
    "StoreError",
    "open_store",
]


def open_store(path: str | Path | None = None) -> HistoryStore:
    """Open the SQLite history at ``path`` (default :func:`postureguard.paths.history_file`).

    Check ``store.notice`` afterwards: it says when a damaged or newer file was moved aside.
    """
    from postureguard import paths
    from postureguard.store.sqlite import SQLiteStore

    return SQLiteStore(Path(path) if path is not None else paths.history_file())
