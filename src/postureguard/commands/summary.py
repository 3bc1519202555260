"""``postureguard summary``: the day's summary in the one sentence the end-of-day notification shows."""

from __future__ import annotations

import sys
from datetime import date

from postureguard.i18n import _, format_date


def register(sub) -> None:
    p = sub.add_parser(
        "summary",
        help=_("today in one sentence: good posture, breaks, routines, the best hour"),
        description=_("Print the day's summary as the tray app's end-of-day notification words it (local "
                      "time; 'postureguard today' gives the details, 'postureguard report' the charts)."),
    )
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help=_("summarise another day instead (2000-01-01 to 2999-12-31)"))
    p.set_defaults(func=run)


def run(args) -> int:
    from postureguard.files.validate import parse_day
    from postureguard.history.report_files import history_for_reading
    from postureguard.history.summary import daily_text, format_summary, summarize_stored_day

    if args.date:
        day = parse_day(args.date, "--date")
        title = format_date(day)
    else:
        day, title = date.today(), _("Today")
    with history_for_reading() as store:  # reading creates no database
        summary = summarize_stored_day(store, day)
    sys.stdout.write((daily_text(summary, title) or format_summary(summary, title)) + "\n")
    return 0
