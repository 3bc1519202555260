"""Report files: render a day's or a week's report from the history into the data folder, and open it.

Shared by ``postureguard report`` and the tray's "Report…" item. Days are local calendar days
(:func:`postureguard.history.summary.day_bounds`, DST-correct); times are epoch seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

from postureguard.errors import UserError
from postureguard.history.summary import day_bounds
from postureguard.i18n import _

REPORTS_FOLDER = "reports"


def report_settings():
    """The report's settings from the user's settings file (its warnings go to stderr, one line each)."""
    from postureguard.history.report import ReportSettings
    from postureguard.settings.config import load_settings

    result = load_settings()
    for warning in result.warnings:
        sys.stderr.write("postureguard: " + _("warning: {warning}").format(warning=warning) + "\n")
    return ReportSettings.from_settings(result.settings)


@contextmanager
def history_for_reading() -> Iterator:
    """The history store, or an empty in-memory one when there is none yet (reading creates no file)."""
    from postureguard.files import paths
    from postureguard.history import MemoryStore, open_store

    path = paths.history_file()
    store = open_store(path) if path.exists() else MemoryStore()
    try:
        if store.notice:
            sys.stderr.write(f"postureguard: {store.notice}\n")
        yield store
    finally:
        store.close()


def reports_dir() -> Path:
    from postureguard.files import paths

    return paths.data_dir() / REPORTS_FOLDER


def _default_out(kind: str, day: date) -> Path:
    from postureguard.files import paths

    folder = reports_dir()
    try:
        paths.ensure_private_dir(folder)
    except OSError as exc:
        raise UserError(_("cannot create the reports folder {path}: {reason}").format(
            path=folder, reason=exc.strerror or exc)) from None
    return folder / f"{kind}-{day.isoformat()}.png"


def day_report(store, day: date, settings, *, now: float | None = None):
    """Build the :class:`~postureguard.history.report.DayReport` of ``day`` from ``store``."""
    from postureguard.history.report import build_day

    start, end = day_bounds(day)
    return build_day(
        day, start, end, store.minutes(start, end), store.alerts(start, end), store.routines(start, end),
        store.breaks(start, end), store.gaps(start, end), settings, until=now,
        pressed=store.pressed(start, end),
    )


def week_report(store, last_day: date, settings):
    """Build the :class:`~postureguard.history.report.WeekReport` of the seven days ending with
    ``last_day``."""
    from postureguard.history.report import build_week

    days = [last_day - timedelta(days=6 - i) for i in range(7)]
    bounds = [(d, *day_bounds(d)) for d in days]
    start, end = bounds[0][1], bounds[-1][2]
    return build_week(
        bounds, store.minutes(start, end), store.alerts(start, end), store.routines(start, end),
        store.breaks(start, end), store.gaps(start, end), settings, pressed=store.pressed(start, end),
    )


def write_report(*, day: date | None = None, week_end: date | None = None, out: Path | None = None,
                 now: datetime | None = None) -> Path:
    """Render the report of ``day`` (or of the week ending ``week_end``) to ``out`` (default: data folder)."""
    from postureguard.history.report import render_day, render_week

    now = now or datetime.now()
    settings = report_settings()
    with history_for_reading() as store:
        if week_end is not None:
            report = week_report(store, week_end, settings)
            target = out or _default_out("week", week_end)
            return render_week(report, target)
        day = day or now.date()
        # Today's minutes after now have not happened yet: they are left blank, not "not monitored".
        report = day_report(store, day, settings, now=now.timestamp())
        target = out or _default_out("day", day)
        return render_day(report, target)


def open_in_viewer(path: Path) -> None:
    """Open ``path`` in the desktop's default viewer without waiting for it (xdg-open, open, startfile)."""
    path = Path(path)
    try:
        if sys.platform.startswith("win"):
            os.startfile(str(path))  # type: ignore[attr-defined]  # noqa: S606 - the user's own report
            return
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen(  # noqa: S603 - fixed program, our own file
            [opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
        )
    except FileNotFoundError:
        raise UserError(_("no program to open {path} with ('{program}' is not installed); open it yourself")
                        .format(path=path, program=opener)) from None
    except OSError as exc:
        raise UserError(_("cannot open {path}: {reason}").format(path=path, reason=exc.strerror or exc)) \
            from None


def open_today_report(*, now: datetime | None = None) -> Path:
    """Render today's report (PNG) into the data folder, open it in the default viewer, return its path.

    For the tray's "Report…" item: returns as soon as the viewer has been started. Raises
    :class:`UserError` (one line) when the report cannot be drawn, written or opened.
    """
    path = write_report(now=now)
    open_in_viewer(path)
    return path
