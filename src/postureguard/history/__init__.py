"""History storage: records, the :class:`HistoryStore` interface, and its SQLite and in-memory forms."""

from __future__ import annotations

from pathlib import Path

from postureguard.history.base import (
    AlertRecord,
    BreakRecord,
    GapRecord,
    HistoryStore,
    MinuteRecord,
    PressedRecord,
    RoutineRecord,
    StoreError,
)
from postureguard.history.memory import MemoryStore

__all__ = [
    "AlertRecord",
    "BreakRecord",
    "GapRecord",
    "HistoryStore",
    "MemoryStore",
    "MinuteRecord",
    "PressedRecord",
    "RoutineRecord",
    "StoreError",
    "open_store",
]


def open_store(path: str | Path | None = None) -> HistoryStore:
    """Open the SQLite history at ``path`` (default :func:`postureguard.files.paths.history_file`).

    Check ``store.notice`` afterwards: it says when a damaged or newer file was moved aside.
    """
    from postureguard.files import paths
    from postureguard.history.sqlite import SQLiteStore

    return SQLiteStore(Path(path) if path is not None else paths.history_file())
