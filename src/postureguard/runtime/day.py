"""The tray app's rules of the local day: when a snooze "until tomorrow" ends, when the day's summary
is due. Pure: the present moment and the settings are arguments; no clock, no file.

Local times are :class:`~datetime.datetime` values, either naive (the system's time zone, as
:func:`datetime.fromtimestamp` gives them; :meth:`datetime.astimezone` applies that zone's rules for
each date) or aware with a :mod:`zoneinfo` zone (tests pin a zone with daylight-saving changes).
Minutes of the day count from local midnight (0..1439); weekdays run from 0 (Monday) to 6 (Sunday).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from postureguard.i18n import N_

#: The snooze choices of the tray menu and of the notification: (label, minutes; None = until tomorrow).
#: The labels are marked for translation and translated where they are shown.
SNOOZE_CHOICES: tuple[tuple[str, int | None], ...] = (
    (N_("For 30 minutes"), 30),
    (N_("For 1 hour"), 60),
    (N_("Until tomorrow"), None),
)
#: When "until tomorrow" ends without work hours: 08:00 local time (minutes after midnight).
MORNING_MINUTE = 8 * 60
#: Before 04:00 local time "tomorrow" is still the coming morning: a snooze at 00:30 ends this morning,
#: not a day later (people who are up at 00:30 have not yet slept into "tomorrow").
NIGHT_END_MINUTE = 4 * 60
#: When the day's summary is due without work hours: 18:00 local time (minutes after midnight).
EVENING_MINUTE = 18 * 60


def _in_zone(wall: datetime, like: datetime) -> datetime:
    """The wall-clock time ``wall`` (naive) in ``like``'s zone; naive stays naive (the system's zone).

    Through UTC and back, so a time inside a spring-forward gap becomes the real instant after it.
    """
    if like.tzinfo is None:
        return wall
    return wall.replace(tzinfo=like.tzinfo).astimezone(timezone.utc).astimezone(like.tzinfo)


def _epoch(moment: datetime) -> float:
    """Epoch seconds of a local time (naive: the system's zone, with that date's offset)."""
    return (moment.astimezone() if moment.tzinfo is None else moment).timestamp()


def snooze_until_tomorrow(
    now: datetime, work_days: frozenset[int] = frozenset(), work_window: tuple[int, int] | None = None
) -> datetime:
    """When "Snooze until tomorrow" ends: the start of the next work day, local time.

    The next work day is the first later calendar day whose weekday is in ``work_days`` (empty: every
    day); when ``now`` is before :data:`NIGHT_END_MINUTE` and before the day's start, today counts (it
    is still the night before). That day starts at the start of ``work_window`` (minutes after midnight),
    or at :data:`MORNING_MINUTE` without work hours. The wake-up is a wall-clock time, so it stays 08:00
    across a daylight-saving change (the snooze is an hour shorter or longer then). The result has
    ``now``'s kind (naive or aware).
    """
    minute = now.hour * 60 + now.minute
    start = work_window[0] if work_window is not None else MORNING_MINUTE
    day: date = now.date()
    if minute >= NIGHT_END_MINUTE or minute >= start:
        day += timedelta(days=1)
    for _ in range(7):  # work_days holds at least one weekday when not empty
        if not work_days or day.weekday() in work_days:
            break
        day += timedelta(days=1)
    return _in_zone(datetime.combine(day, time(start // 60, start % 60)), now)


def snooze_seconds(
    now: datetime,
    minutes: int | None,
    work_days: frozenset[int] = frozenset(),
    work_window: tuple[int, int] | None = None,
) -> float:
    """Seconds a snooze of ``minutes`` lasts from local ``now`` (None: until tomorrow, see
    :func:`snooze_until_tomorrow`; its length comes from the two instants, so a DST change counts)."""
    if minutes is not None:
        return minutes * 60.0
    return _epoch(snooze_until_tomorrow(now, work_days, work_window)) - _epoch(now)


def summary_due_minute(
    weekday: int, work_days: frozenset[int], work_window: tuple[int, int] | None
) -> int | None:
    """The minute of the day (local) at which the day's summary is due on ``weekday``, or None (no
    summary that day: not a work day).

    At the end of the work hours; without work hours at :data:`EVENING_MINUTE`. A window that wraps
    past midnight (22:00-06:00) ends in the morning: the summary then comes at its end, about the
    calendar day so far (summaries are of calendar days, see ``history.summary.day_bounds``).
    """
    if work_days and weekday not in work_days:
        return None
    return work_window[1] if work_window is not None else EVENING_MINUTE


def summary_due(
    now: datetime,
    last_sent: date | None,
    work_days: frozenset[int] = frozenset(),
    work_window: tuple[int, int] | None = None,
) -> bool:
    """Whether the day's summary should be shown at local ``now``: its minute (see
    :func:`summary_due_minute`) has come today and none was shown today (``last_sent``: the local date
    of the last one). A summary missed because the app did not run is not made up the next day:
    past midnight the day is a new one with its own due time.
    """
    if last_sent == now.date():
        return False
    due = summary_due_minute(now.weekday(), work_days, work_window)
    return due is not None and now.hour * 60 + now.minute >= due
