"""``postureguard report``, ``export`` and ``forget``: the user's history as pictures, as a file, or gone.

Also :func:`open_today_report`, which the tray's "Report…" item calls.

Dates on the command line are local calendar days (``YYYY-MM-DD``); a day runs from local midnight to
the next one. Reading commands never create a history database; ``forget`` deletes records through the
store (SQLite overwrites deleted content with ``secure_delete``) and removes saved report pictures of the
days it forgets; ``forget --all`` also deletes history databases once moved aside as damaged or newer
(``forget --before`` keeps those whole files and names them).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

from postureguard.errors import UserError
from postureguard.history.report_files import (  # noqa: F401 - reports_dir and open_today_report are this command's too
    REPORTS_FOLDER,
    day_report,
    history_for_reading,
    open_in_viewer,
    open_today_report,
    report_settings,
    reports_dir,
    week_report,
    write_report,
)
from postureguard.history.summary import day_bounds
from postureguard.i18n import _, format_date

log = logging.getLogger(__name__)

#: Folder (inside the data folder) where reports are saved when no ``--out`` is given.
_REPORT_NAME = re.compile(r"^(day|week)-(\d{4}-\d{2}-\d{2})\.(png|html)$")

EXPORT_FIELDS = (
    "type", "time", "t",
    # minute
    "samples", "present_share", "mean_angle_deg", "poor_share",
    # alert
    "kind", "trigger", "angle_deg", "duration_s", "minutes",
    # alert and routine
    "routine_id",
    # routine
    "id", "ended_t", "ended_time", "status", "steps_done", "steps_total", "source",
    # break
    "away_s", "sat_s",
    # gap
    "end", "end_time", "reason",
)


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help=_("draw a day's or a week's history as a chart (PNG or HTML)"),
        description=_("Draw the history as a chart: the head-forward angle through the day with poor "
                      "posture, time away and unmonitored time marked, alerts, breaks and routines, sitting "
                      "stretches against the sitting limit, and the numbers in a table. --week shows the "
                      "seven days ending with DATE. Without --out the report is saved in the data folder and "
                      "its path printed."),
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--day", metavar="YYYY-MM-DD", help=_("the day to draw (default: today)"))
    which.add_argument("--week", nargs="?", const="", metavar="YYYY-MM-DD",
                       help=_("the seven days ending with this date (default: today)"))
    p.add_argument("--out", metavar="FILE",
                   help=_("where to write it: FILE.png or FILE.html (one self-contained page)"))
    p.set_defaults(func=run_report)

    e = sub.add_parser(
        "export",
        help=_("write the history (minutes, alerts, routines, breaks, gaps) as CSV or JSON lines"),
        description=_("Write the recorded history for you to keep or analyse: one record per line, with a "
                      "'type' field (minute, alert, routine, break, gap). Times are epoch seconds ('t') and "
                      "local time ('time'). Without --out it goes to standard output."),
    )
    e.add_argument("--format", choices=("csv", "jsonl"), default="csv",
                   help=_("output format (default: csv)"))
    e.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help=_("first day to include"))
    e.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help=_("last day to include"))
    e.add_argument("--out", metavar="FILE",
                   help=_("write to FILE (readable by you only) instead of the terminal"))
    e.set_defaults(func=run_export)

    f = sub.add_parser(
        "forget",
        help=_("delete recorded history (all of it, or everything before a day)"),
        description=_("Delete history from this computer: every record, or every record before local "
                      "midnight starting DATE, together with saved report pictures of those days. Asks first "
                      "unless --yes."),
    )
    what = f.add_mutually_exclusive_group(required=True)
    what.add_argument("--all", action="store_true", help=_("delete all history"))
    what.add_argument("--before", metavar="YYYY-MM-DD", help=_("delete history from before this day"))
    f.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    f.set_defaults(func=run_forget)


# ---------------------------------------------------------------------------------------------------
# shared helpers


def parse_day(text: str, option: str) -> date:
    """``YYYY-MM-DD`` as a date in the range every clock handles, or a one-line :class:`UserError`
    naming ``option`` (see :func:`postureguard.files.validate.parse_day`)."""
    from postureguard.files.validate import parse_day as parse

    return parse(text, option)


# ---------------------------------------------------------------------------------------------------
# report


def run_report(args) -> int:
    from postureguard.files.paths import check_destination, output_lock

    out = Path(args.out).expanduser() if args.out else None
    if out is not None and out.suffix.lower() not in (".png", ".html", ".htm"):
        raise UserError(_("{option} must name a .png or .html file, not {value}").format(
            option="--out", value=repr(args.out)))
    with contextlib.ExitStack() as stack:
        if out is not None:
            check_destination(out, what=_("the report to {path}").format(path=out))
            try:
                # Another report drawn into the same file meanwhile fails in one line instead of racing.
                stack.enter_context(output_lock(out, wait=False))
            except OSError as exc:
                raise UserError(_("cannot write {path}: {reason}").format(
                    path=out, reason=exc.strerror or exc)) from None
        if args.week is not None:
            week_end = parse_day(args.week, "--week") if args.week else date.today()
            path = write_report(week_end=week_end, out=out)
        else:
            day = parse_day(args.day, "--day") if args.day else None
            path = write_report(day=day, out=out)
    sys.stdout.write(f"{path}\n")
    return 0


# ---------------------------------------------------------------------------------------------------
# export


def _local(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def export_rows(store, since: float | None, until: float | None) -> list[dict]:
    """Every record in ``[since, until)`` as flat dicts with a ``type`` field, oldest first."""
    rows: list[dict] = []
    for m in store.minutes(since, until):
        rows.append({"type": "minute", "time": _local(m.minute_start), "t": m.minute_start,
                     **{k: v for k, v in asdict(m).items() if k != "minute_start"}})
    for a in store.alerts(since, until):
        rows.append({"type": "alert", "time": _local(a.t), **asdict(a)})
    for r in store.routines(since, until):
        fields = asdict(r)
        started = fields.pop("started_t")
        rows.append({"type": "routine", "time": _local(started), "t": started,
                     "ended_time": _local(r.ended_t), **fields})
    for b in store.breaks(since, until):
        rows.append({"type": "break", "time": _local(b.t), **asdict(b)})
    for g in store.gaps(since, until):
        rows.append({"type": "gap", "time": _local(g.start), "t": g.start, "end": g.end,
                     "end_time": _local(g.end), "reason": g.reason})
    order = {"minute": 0, "gap": 1, "break": 2, "alert": 3, "routine": 4}
    rows.sort(key=lambda row: (row["t"], order[row["type"]]))
    return rows


def _csv_text(rows: list[dict]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def _jsonl_text(rows: list[dict]) -> str:
    # allow_nan=False: the history holds no NaN, and if it ever did, writing invalid JSON would be worse.
    return "".join(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n" for row in rows)


@contextmanager
def _private_output(path: Path) -> Iterator:
    """A text file that replaces ``path`` (mode 0600: it is the user's history) only when all is written.

    See :func:`postureguard.files.paths.atomic_output`: a failure or a kill leaves ``path`` as it was, and a
    second command writing the same file meanwhile fails in one line.
    """
    from postureguard.files.paths import atomic_output

    try:
        # Tracked: should the export be killed, `forget --all` still finds its half-written copy.
        with atomic_output(path, track=True) as fh:
            yield fh
    except OSError as exc:
        raise UserError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)) \
            from None


def run_export(args) -> int:
    from postureguard.files.paths import check_destination

    first = parse_day(args.date_from, "--from") if args.date_from else None
    last = parse_day(args.date_to, "--to") if args.date_to else None
    if first and last and last < first:
        raise UserError(_("{later} ({last}) is before {earlier} ({first})").format(
            later="--to", last=last, earlier="--from", first=first))
    since = day_bounds(first)[0] if first else None
    until = day_bounds(last)[1] if last else None
    out = Path(args.out).expanduser() if args.out else None
    if out is not None:
        # Before reading anything: never replace the history database (or settings) with its export.
        check_destination(out)
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(_private_output(out)) if out is not None else sys.stdout
        with history_for_reading() as store:
            rows = export_rows(store, since, until)
        fh.write(_csv_text(rows) if args.format == "csv" else _jsonl_text(rows))
    if out is not None:
        wrote = _("wrote {n} records to {path}").format(n=len(rows), path=out)
        sys.stderr.write(f"postureguard: {wrote}\n")
    return 0


# ---------------------------------------------------------------------------------------------------
# forget


def _count(store, until: float | None) -> int:
    records = sum(len(q(None, until)) for q in (store.minutes, store.alerts, store.routines, store.breaks))
    return records + sum(1 for g in store.gaps(None, None) if until is None or g.end < until)


def _saved_reports(before: date | None) -> list[Path]:
    """Saved report files in the reports folder (those of days before ``before``, or all)."""
    folder = reports_dir()
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        match = _REPORT_NAME.match(entry.name)
        if not match:
            continue
        if before is not None:
            try:
                day = date.fromisoformat(match.group(2))
            except ValueError:  # a file named like a report but not of a real day is not ours
                continue
            if day >= before:
                continue
        found.append(entry)
    return sorted(found)


def _set_aside_copies() -> list[Path]:
    """History databases moved aside as damaged or newer (``history.sqlite3.corrupt-…``), and journals."""
    from postureguard.files import paths

    history = paths.history_file()
    pattern = re.compile(re.escape(history.name)
                         + r"\.(corrupt|newer)-\d{8}-\d{6}(-\d+)?(-wal|-shm|-journal)?")
    try:
        entries = list(history.parent.iterdir())
    except OSError:
        return []
    return sorted(e for e in entries if pattern.fullmatch(e.name) and e.is_file())


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UserError(
            _("forget needs confirmation: run it in a terminal, or add --yes to delete without asking")
        )
    sys.stdout.write(question + " " + _("[y/N]") + " ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    # English answers always work; a translation adds its own (one word, or several separated by "|").
    yes = {"y", "yes", *_("y|yes").lower().split("|")}
    return answer.strip().lower() in yes


def run_forget(args) -> int:
    from postureguard.files import paths
    from postureguard.history import open_store

    before = parse_day(args.before, "--before") if args.before else None
    cutoff = day_bounds(before)[0] if before else None
    what = _("all history")
    if before is not None:
        what = _("history from before {day}").format(day=format_date(before))
    history = paths.history_file()
    reports = _saved_reports(before)
    if not history.exists() and not reports and not _set_aside_copies():
        sys.stdout.write(_("No history recorded; nothing to forget.") + "\n")
        return 0
    store = open_store(history) if history.exists() else None
    try:
        if store is not None and store.notice:
            sys.stderr.write(f"postureguard: {store.notice}\n")
        # Listed after opening: a damaged database is moved aside by that, and is history too.
        asides = _set_aside_copies()
        # Whole files cannot be cut at a date: --before keeps them, and says so.
        doomed = asides if cutoff is None else []
        copies = len([a for a in doomed if not a.name.endswith(("-wal", "-shm", "-journal"))])
        count = _count(store, cutoff) if store is not None else 0
        if count == 0 and not reports and not doomed:
            nothing = _("Nothing to forget: no history.") if before is None else \
                _("Nothing to forget: no history from before {day}.").format(day=format_date(before))
            sys.stdout.write(nothing + "\n")
            _note_kept(asides if cutoff is not None else [])
            return 0
        if not args.yes:
            extra = (_(" and {n} saved report(s)").format(n=len(reports)) if reports else "")
            if copies:
                extra += _(" and {n} damaged or newer history file(s) set aside earlier").format(n=copies)
            if not _confirm(_("Delete {what} ({count} records{extra})? This cannot be undone.").format(
                    what=what, count=count, extra=extra)):
                sys.stdout.write(_("Nothing deleted.") + "\n")
                return 1
        deleted = 0
        if store is not None:
            deleted = store.delete_all() if cutoff is None else store.delete_before(cutoff)
    finally:
        if store is not None:
            store.close()
    removed = 0
    for report in [*reports, *doomed]:
        try:
            report.unlink()
            removed += report in reports
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UserError(_("deleted {n} records but could not delete {path}: {reason}").format(
                n=deleted, path=report, reason=exc.strerror or exc)) from None
    # Temporary copies left by a report or export that was killed before it finished are history too.
    for folder in (paths.data_dir(), reports_dir()):
        paths.remove_stale_temps(folder)
    if cutoff is None:
        paths.remove_tracked_temps()
    extra = (_(" and {n} saved report(s)").format(n=removed) if removed else "") + \
        (_(" and {n} set-aside history file(s)").format(n=copies) if copies else "")
    sys.stdout.write(_("Deleted {n} records{extra}.").format(n=deleted, extra=extra) + "\n")
    _note_kept(asides if cutoff is not None else [])
    return 0


def _note_kept(asides: list[Path]) -> None:
    names = [a.name for a in asides if not a.name.endswith(("-wal", "-shm", "-journal"))]
    if names:
        sys.stderr.write("postureguard: " + _("kept {n} history file(s) set aside earlier ({names}); "
                                              "'postureguard forget --all' deletes them").format(
            n=len(names), names=", ".join(names)) + "\n")
