"""A day's summary from history records (pure: records and the day's bounds in, numbers out)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from postureguard.history.base import AlertRecord, BreakRecord, GapRecord, MinuteRecord, RoutineRecord
from postureguard.i18n import _, format_percent, ngettext

#: A minute counts towards a stretch at the desk when the person was in view for at least this share of it.
PRESENT_FOR_STRETCH = 0.5
#: An hour is named the day's best only with at least this many judged minutes in it (a good five
#: minutes before lunch is not "the best hour").
BEST_HOUR_MIN_MINUTES = 20


@dataclass(frozen=True)
class DaySummary:
    """What a day looked like.

    * ``minutes_monitored``: minutes with at least one sample.
    * ``good_share``: mean over monitored minutes with a posture judgement of the share of good samples,
      0..1 (``None`` when there was none), i.e. the share of judged time in good posture.
    * ``alerts`` = ``posture_alerts`` + ``sitting_alerts``.
    * ``routines_done``: routines completed; ``routines_started``: all routines opened.
    * ``longest_stretch_min``: longest run of consecutive minutes at the desk (in view for at least
      :data:`PRESENT_FOR_STRETCH` of each minute).
    * ``paused_minutes``: minutes inside recorded gaps (paused, camera off), overlaps counted once.
    """

    minutes_monitored: int
    good_share: float | None
    alerts: int
    posture_alerts: int
    sitting_alerts: int
    breaks: int
    routines_done: int
    routines_started: int
    longest_stretch_min: int
    paused_minutes: int = 0
    #: The local hour (0..23) with the best share of good posture, among hours with at least
    #: :data:`BEST_HOUR_MIN_MINUTES` judged minutes (None: no such hour); the earliest on a tie.
    best_hour: int | None = None


def _inside(t: float, start: float, end: float) -> bool:
    return start <= t < end


def summarize_stored_day(store, day: date) -> DaySummary:
    """The summary of the local day ``day`` (midnight to midnight: 23 or 25 hours on the days the clocks
    change) from a history store's records (:class:`postureguard.history.base.HistoryStore`)."""
    start, end = day_bounds(day)
    return summarize_day(
        store.minutes(start, end), store.alerts(start, end), store.routines(start, end),
        store.breaks(start, end), start, end, gaps=store.gaps(start, end),
    )


def summarize_day(
    minutes: Iterable[MinuteRecord],
    alerts: Iterable[AlertRecord],
    routines: Iterable[RoutineRecord],
    breaks: Iterable[BreakRecord],
    day_start: float,
    day_end: float,
    gaps: Iterable[GapRecord] = (),
) -> DaySummary:
    """Summarise the records that fall in ``[day_start, day_end)`` (epoch seconds); others are ignored."""
    mins = sorted((m for m in minutes if _inside(m.minute_start, day_start, day_end)),
                  key=lambda m: m.minute_start)
    judged = [1.0 - m.poor_share for m in mins if m.poor_share is not None]
    good_share = sum(judged) / len(judged) if judged else None

    longest = run = 0
    previous: int | None = None
    for m in mins:
        if m.present_share >= PRESENT_FOR_STRETCH:
            run = run + 1 if previous is not None and m.minute_start - previous == 60 and run else 1
            longest = max(longest, run)
        else:
            run = 0
        previous = m.minute_start

    day_alerts = [a for a in alerts if _inside(a.t, day_start, day_end)]
    posture = sum(a.kind == "posture" for a in day_alerts)
    day_routines = [r for r in routines if _inside(r.started_t, day_start, day_end)]

    # Gaps clipped to the day and merged, so overlapping pause records are not counted twice.
    spans = sorted((max(g.start, day_start), min(g.end, day_end)) for g in gaps
                   if g.end > day_start and g.start < day_end)
    paused_s = 0.0
    cur_start = cur_end = None
    for start, end in spans:
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                paused_s += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        paused_s += cur_end - cur_start

    return DaySummary(
        minutes_monitored=len(mins),
        good_share=good_share,
        alerts=len(day_alerts),
        posture_alerts=posture,
        sitting_alerts=len(day_alerts) - posture,
        breaks=sum(_inside(b.t, day_start, day_end) for b in breaks),
        routines_done=sum(r.status == "completed" for r in day_routines),
        routines_started=len(day_routines),
        longest_stretch_min=longest,
        paused_minutes=int(round(paused_s / 60.0)),
        best_hour=best_hour(mins),
    )


def best_hour(minutes: Iterable[MinuteRecord]) -> int | None:
    """The local hour (0..23, the system's time zone) whose judged minutes have the highest mean share
    of good posture, among hours with at least :data:`BEST_HOUR_MIN_MINUTES` of them; None if none has.

    On the night the clocks go back the repeated hour's minutes count as one hour.
    """
    by_hour: dict[int, list[float]] = {}
    for m in minutes:
        if m.poor_share is not None:
            by_hour.setdefault(datetime.fromtimestamp(m.minute_start).hour, []).append(1.0 - m.poor_share)
    shares = {h: sum(v) / len(v) for h, v in by_hour.items() if len(v) >= BEST_HOUR_MIN_MINUTES}
    if not shares:
        return None
    return max(sorted(shares), key=lambda h: shares[h])  # max keeps the first (earliest) of equals


def daily_text(summary: DaySummary, title: str | None = None) -> str | None:
    """The day's summary in one sentence or two, for the end-of-day notification:
    "Today: 82% good posture, 3 breaks, 1 routine. Best hour 10–11." (None: nothing was recorded).

    Routines are the completed ones; the best hour is :attr:`DaySummary.best_hour` to the next hour.
    ``title`` names the day (default "Today").
    """
    s = summary
    title = _("Today") if title is None else title
    if s.minutes_monitored == 0 and not (s.alerts or s.breaks or s.routines_started):
        return None
    if s.good_share is None:
        posture = _("{title}: posture not measured").format(title=title)
    else:
        posture = _("{title}: {share} good posture").format(title=title, share=format_percent(s.good_share))
    breaks = ngettext("{n} break", "{n} breaks", s.breaks).format(n=s.breaks)
    routines = ngettext("{n} routine", "{n} routines", s.routines_done).format(n=s.routines_done)
    text = _("{posture}, {breaks}, {routines}.").format(posture=posture, breaks=breaks, routines=routines)
    if s.best_hour is not None:
        text += " " + _("Best hour {start}–{end}.").format(start=s.best_hour, end=(s.best_hour + 1) % 24)
    return text


def _duration(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=mins) if hours else \
        _("{minutes} min").format(minutes=mins)


def format_summary(summary: DaySummary, title: str | None = None) -> str:
    """A few plain lines for the tray's dialog and the terminal (no trailing newline), in the current
    language; ``title`` defaults to "Today"."""
    s = summary
    title = _("Today") if title is None else title
    if s.minutes_monitored == 0 and not (s.alerts or s.breaks or s.routines_started):
        return _("{title}: nothing recorded yet. PostureGuard records while it runs ('postureguard run').") \
            .format(title=title)
    if s.good_share is None:
        posture = _("posture not measured (no calibration or nobody in view)")
    else:
        share = format_percent(round(100 * s.good_share) / 100)  # whole percents, as the report shows them
        posture = _("good posture {share} of the time").format(share=share)
    lines = [_("{title}: {time} monitored, {posture}").format(
        title=title, time=_duration(s.minutes_monitored), posture=posture)]
    lines.append(
        _("Alerts: {alerts} ({posture} posture, {sitting} sitting); breaks: {breaks}; routines done: {done} "
          "of {started} started").format(alerts=s.alerts, posture=s.posture_alerts, sitting=s.sitting_alerts,
                                         breaks=s.breaks, done=s.routines_done, started=s.routines_started)
    )
    extra = []
    if s.longest_stretch_min:
        extra.append(_("longest stretch at the desk: {time}").format(time=_duration(s.longest_stretch_min)))
    if s.paused_minutes:
        extra.append(_("paused or camera off: {time}").format(time=_duration(s.paused_minutes)))
    if extra:
        lines.append(extra[0][0].upper() + "; ".join(extra)[1:])
    return "\n".join(lines)


def day_bounds(day: date) -> tuple[float, float]:
    """Epoch seconds of local midnight starting ``day`` and the next one (23 or 25 h apart at DST changes).

    The one definition of "a day" for summaries: ``today`` and the tray's "Today's summary" use it.
    """
    start = datetime.combine(day, time()).astimezone()
    end = datetime.combine(day + timedelta(days=1), time()).astimezone()
    return start.timestamp(), end.timestamp()
