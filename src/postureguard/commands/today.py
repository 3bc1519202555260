"""``postureguard today``: the day's summary from the history database."""

from __future__ import annotations

import sys
from datetime import date

from postureguard.history.summary import day_bounds  # noqa: F401 - imported from here by tests and docs
from postureguard.i18n import _, format_date


def register(sub) -> None:
    p = sub.add_parser(
        "today",
        help=_("summarise today's monitoring: time, posture, alerts, breaks, routines"),
        description=_("Print today's summary (local time) from the history PostureGuard records while it "
                      "runs."),
    )
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help=_("summarise another day instead (2000-01-01 to 2999-12-31)"))
    p.set_defaults(func=run)


def run(args) -> int:
    from postureguard.files import paths
    from postureguard.files.validate import parse_day
    from postureguard.history import open_store
    from postureguard.history.summary import format_summary, summarize_day

    if args.date:
        day = parse_day(args.date, "--date")
        title = format_date(day)
    else:
        day, title = date.today(), _("Today")
    start, end = day_bounds(day)
    history = paths.history_file()
    if not history.exists():
        # Reading must not create a database; an empty summary says the same thing.
        sys.stdout.write(format_summary(summarize_day([], [], [], [], start, end), title) + "\n")
        return 0
    store = open_store(history)
    try:
        if store.notice:
            sys.stderr.write(f"postureguard: {store.notice}\n")
        summary = summarize_day(
            store.minutes(start, end), store.alerts(start, end), store.routines(start, end),
            store.breaks(start, end), start, end, gaps=store.gaps(start, end),
        )
    finally:
        store.close()
    sys.stdout.write(format_summary(summary, title) + "\n")
    return 0
