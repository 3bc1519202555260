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
    from postureguard.files.validate import parse_day
    from postureguard.history.report_files import history_for_reading
    from postureguard.history.summary import format_summary, summarize_stored_day

    if args.date:
        day = parse_day(args.date, "--date")
        title = format_date(day)
    else:
        day, title = date.today(), _("Today")
    with history_for_reading() as store:  # reading creates no database
        summary = summarize_stored_day(store, day)
    sys.stdout.write(format_summary(summary, title) + "\n")
    return 0
