"""A day's summary from history records (pure: records and the day's bounds in, numbers out)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from postureguard.history.base import AlertRecord, BreakRecord, GapRecord, MinuteRecord, RoutineRecord

#: A minute counts towards a stretch at the desk when the person was in view for at least this share of it.
PRESENT_FOR_STRETCH = 0.5


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


def _inside(t: float, start: float, end: float) -> bool:
    return start <= t < end


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
    )


def _duration(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def format_summary(summary: DaySummary, title: str = "Today") -> str:
    """A few plain lines for the tray's dialog and the terminal (no trailing newline)."""
    s = summary
    if s.minutes_monitored == 0 and not (s.alerts or s.breaks or s.routines_started):
        return f"{title}: nothing recorded yet. PostureGuard records while it runs ('postureguard run')."
    if s.good_share is None:
        posture = "posture not measured (no calibration or nobody in view)"
    else:
        posture = f"good posture {round(100 * s.good_share)}% of the time"
    lines = [f"{title}: {_duration(s.minutes_monitored)} monitored, {posture}"]
    lines.append(
        f"Alerts: {s.alerts} ({s.posture_alerts} posture, {s.sitting_alerts} sitting); breaks: {s.breaks}; "
        f"routines done: {s.routines_done} of {s.routines_started} started"
    )
    extra = []
    if s.longest_stretch_min:
        extra.append(f"longest stretch at the desk: {_duration(s.longest_stretch_min)}")
    if s.paused_minutes:
        extra.append(f"paused or camera off: {_duration(s.paused_minutes)}")
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
