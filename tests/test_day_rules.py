"""The day's rules with explicit times: snooze "until tomorrow", the hourly cap of held alerts, the
daily summary's due time (runtime/day.py, engine/policy.py, engine/holdback.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from postureguard.engine.holdback import DO_NOT_DISTURB, OUTSIDE_WORK_HOURS, HoldBack
from postureguard.engine.policy import NotificationPolicy
from postureguard.runtime.day import (
    EVENING_MINUTE,
    MORNING_MINUTE,
    snooze_seconds,
    snooze_until_tomorrow,
    summary_due,
    summary_due_minute,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = frozenset(range(5))
OFFICE = (8 * 60 + 30, 17 * 60 + 30)
HOUR = 3600.0


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_until_tomorrow_is_the_next_morning_without_work_hours():
    # Tuesday 1 December 2026, 15:20 -> Wednesday 08:00.
    assert snooze_until_tomorrow(berlin(2026, 12, 1, 15, 20)) == berlin(2026, 12, 2, 8, 0)
    assert snooze_seconds(berlin(2026, 12, 1, 15, 20), None) == 16 * HOUR + 40 * 60
    # Just after midnight it is still the night before: this morning, not a day later.
    assert snooze_until_tomorrow(berlin(2026, 12, 2, 0, 30)) == berlin(2026, 12, 2, 8, 0)
    assert snooze_until_tomorrow(berlin(2026, 12, 2, 4, 0)) == berlin(2026, 12, 3, 8, 0)
    assert MORNING_MINUTE == 8 * 60


def test_until_tomorrow_is_the_start_of_the_next_work_day():
    # Friday 17:00 -> Monday 08:30; Saturday night 01:00 -> Monday too (Sunday is no work day).
    assert snooze_until_tomorrow(berlin(2026, 12, 4, 17, 0), WEEKDAYS, OFFICE) == berlin(2026, 12, 7, 8, 30)
    assert snooze_until_tomorrow(berlin(2026, 12, 5, 1, 0), WEEKDAYS, OFFICE) == berlin(2026, 12, 7, 8, 30)
    # Monday 02:00, before the day starts: this Monday's start.
    assert snooze_until_tomorrow(berlin(2026, 12, 7, 2, 0), WEEKDAYS, OFFICE) == berlin(2026, 12, 7, 8, 30)
    # A night shift starting 22:00: at 23:00 "tomorrow" is the next evening's start.
    assert snooze_until_tomorrow(berlin(2026, 12, 7, 23, 0), frozenset(), (22 * 60, 6 * 60)) == \
        berlin(2026, 12, 8, 22, 0)  # fmt: skip


def test_until_tomorrow_keeps_the_wall_clock_across_daylight_saving_changes():
    # Clocks go forward on Sunday 29 March 2026 in Berlin (02:00 -> 03:00): 21:00 to 08:00 is 10 h.
    now = berlin(2026, 3, 28, 21, 0)
    assert snooze_until_tomorrow(now) == berlin(2026, 3, 29, 8, 0)
    assert snooze_seconds(now, None) == 10 * HOUR
    # Back on Sunday 25 October 2026 (03:00 -> 02:00): 21:00 to 08:00 is 12 h.
    assert snooze_seconds(berlin(2026, 10, 24, 21, 0), None) == 12 * HOUR
    # A work day starting inside the spring gap (02:30 does not exist that night) starts at 03:30 CEST.
    wake = snooze_until_tomorrow(now, frozenset(), (2 * 60 + 30, 10 * 60))
    assert wake.utcoffset().total_seconds() == 2 * HOUR
    assert (wake.hour, wake.minute) == (3, 30)
    # Fixed snoozes are plain durations.
    assert snooze_seconds(now, 30) == 30 * 60 and snooze_seconds(now, 60) == HOUR


def test_a_naive_local_time_gives_a_naive_wake_up():
    assert snooze_until_tomorrow(datetime(2026, 12, 1, 15, 20)) == datetime(2026, 12, 2, 8, 0)
    assert snooze_seconds(datetime(2026, 12, 1, 23, 0), 60) == HOUR


def test_a_held_alert_counts_toward_the_cap_from_its_delivery():
    t0 = 1_790_000_000.0
    policy = NotificationPolicy(max_per_hour=2, quiet_window=None)
    hb: HoldBack[str] = HoldBack()
    # 10:00 alert A shown; 10:05 alert B admitted by the cap, but held under do-not-disturb.
    assert policy.decide(t0, 600).notify
    policy.record(t0)
    assert policy.decide(t0 + 300, 605).notify
    policy.record(t0 + 300)
    assert hb.offer("B", "posture", t0 + 300, (DO_NOT_DISTURB,)) == "hold"
    # 10:50 do-not-disturb ends: B is delivered and counts from 10:50 (not from 10:05).
    delivered, given_up = hb.settle(t0 + 50 * 60, (), {"posture": True})
    assert [h.alert for h in delivered] == ["B"] and given_up == []
    policy.recount(delivered[0].since, t0 + 50 * 60)
    # 11:01: A has left the hour, B (shown 10:50) has not: one more fits, a second does not.
    assert policy.sent_in_hour(t0 + 61 * 60) == 1
    assert policy.decide(t0 + 61 * 60, 661).notify
    policy.record(t0 + 61 * 60)
    assert not policy.decide(t0 + 62 * 60, 662).notify
    # Counted from 10:05 (the old way) B would have left the hour at 11:05 and let a third one out.
    assert not policy.decide(t0 + 66 * 60, 666).notify
    assert policy.decide(t0 + 111 * 60, 711).notify  # 11:51: B's hour is over


def test_a_held_alert_that_is_never_shown_gives_its_place_back():
    t0 = 1_790_000_000.0
    policy = NotificationPolicy(max_per_hour=2, quiet_window=None)
    hb: HoldBack[str] = HoldBack()
    for t, alert in ((t0, "old"), (t0 + 60, "new")):  # both admitted by the cap, both held
        assert policy.decide(t, 600).notify
        policy.record(t)
        hb.offer(alert, "posture", t, (DO_NOT_DISTURB,))  # the newer one replaces the older
    assert [h.alert for h in hb.held] == ["new"]
    delivered, given_up = hb.settle(t0 + 120, (), {"posture": False})  # posture recovered meanwhile
    assert delivered == [] and sorted(h.alert for h in given_up) == ["new", "old"]
    for h in given_up:
        policy.recount(h.since, None)
    assert policy.sent_in_hour(t0 + 180) == 0
    assert policy.decide(t0 + 180, 603).notify
    # Outside work hours held alerts are given up too.
    hb.offer("late", "sitting", t0, (DO_NOT_DISTURB,))
    assert [h.alert for h in hb.settle(t0 + 10, (OUTSIDE_WORK_HOURS,), {"sitting": True})[1]] == ["late"]


def test_summary_due_at_the_end_of_the_work_hours_once_a_day():
    monday, saturday = date(2026, 12, 7), date(2026, 12, 5)
    assert summary_due_minute(monday.weekday(), WEEKDAYS, OFFICE) == 17 * 60 + 30
    assert summary_due_minute(saturday.weekday(), WEEKDAYS, OFFICE) is None
    assert summary_due_minute(saturday.weekday(), frozenset(), None) == EVENING_MINUTE == 18 * 60
    assert not summary_due(berlin(2026, 12, 7, 17, 29), None, WEEKDAYS, OFFICE)
    assert summary_due(berlin(2026, 12, 7, 17, 30), None, WEEKDAYS, OFFICE)
    assert summary_due(berlin(2026, 12, 7, 23, 59), date(2026, 12, 6), WEEKDAYS, OFFICE)
    # Once a day: the date of the last one (kept in the state folder) stops a repeat after a restart.
    assert not summary_due(berlin(2026, 12, 7, 18, 0), monday, WEEKDAYS, OFFICE)
    # Not on a day off, and not made up after midnight.
    assert not summary_due(berlin(2026, 12, 5, 19, 0), None, WEEKDAYS, OFFICE)
    assert not summary_due(berlin(2026, 12, 8, 0, 10), monday, WEEKDAYS, OFFICE)
    assert summary_due(datetime(2026, 12, 5, 18, 0), None)  # no work hours: 18:00 every day


def test_the_app_moves_a_held_alerts_count_to_its_delivery(tmp_path):
    """Through the app's sink: an alert held 10 minutes under do-not-disturb counts from its delivery."""
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.runtime.messages import BusyChanged
    from postureguard.settings.config import Settings
    from test_app import GOOD, POOR, feed, make_app

    app, wall, mono, _ = make_app(tmp_path, load_knowledge(include_user=False),
                                  settings=Settings(max_notifications_per_hour=2))  # fmt: skip
    feed(app, wall, mono, GOOD, 10)
    app.outbox.put(BusyChanged((DO_NOT_DISTURB,)))
    app.drain()
    feed(app, wall, mono, POOR, 8)
    [raised] = [a.t for a in app.store.alerts()]
    assert not [n for n in app.notifier.sent if n["title"] == "Time to sit up"]  # held
    assert list(app.owner.policy._sent) == [raised]  # noqa: SLF001 - counted when raised, for now
    wall.t += 600
    feed(app, wall, mono, POOR, 2)
    delivered_at = wall.t
    app.outbox.put(BusyChanged(()))
    app.drain()
    assert [n for n in app.notifier.sent if n["title"] == "Time to sit up"]
    assert list(app.owner.policy._sent) == [delivered_at]  # noqa: SLF001 - now counted from its delivery


def test_the_tooltip_says_until_when_alerts_are_snoozed(tmp_path):
    """Monday 23 November 2026, 10:00 local (the app's clock): 1 hour ends 11:00 today; "until
    tomorrow" ends Tuesday 08:00; the words go once the time has passed."""
    from postureguard.knowledge.loader import load_knowledge
    from test_app import GOOD, feed, make_app

    app, wall, mono, _ = make_app(tmp_path, load_knowledge(include_user=False))
    feed(app, wall, mono, GOOD, 2)
    app.snooze_for(60)
    app.drain()
    assert "alerts snoozed until 11:00" in app.tray_state().tooltip  # "11:00" or "11:00 AM"
    app.snooze_for(None)
    app.drain()
    tooltip = app.tray_state().tooltip
    assert "alerts snoozed until" in tooltip and "Tue" in tooltip and "8:00" in tooltip, tooltip
    assert app.engine.snoozed(mono.t + 21 * 3600) and not app.engine.snoozed(mono.t + 22 * 3600 + 1)
    app.snooze_for(30)
    app.drain()
    wall.t += 30 * 60
    mono.t += 30 * 60
    feed(app, wall, mono, GOOD, 2)
    assert "snoozed" not in app.tray_state().tooltip
