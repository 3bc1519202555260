"""The hold-back rule (engine/holdback.py) with explicit times, and what the tray says about it."""

from __future__ import annotations

from postureguard.engine.holdback import (
    DO_NOT_DISTURB,
    FULL_SCREEN,
    MAX_HOLD_S,
    OUTSIDE_WORK_HOURS,
    HoldBack,
    busy_reasons,
    held_text,
    in_work_hours,
)
from postureguard.runtime.messages import BusyChanged, TrayModel, reduce, tray_state

MON, SAT, SUN = 0, 5, 6
NINE, NOON, EIGHT_PM = 9 * 60, 12 * 60, 20 * 60
T0 = 1_700_000_000.0


def test_work_hours_days_and_times():
    weekdays, office = frozenset(range(5)), (8 * 60 + 30, 17 * 60 + 30)
    assert in_work_hours(weekdays, office, MON, NINE)
    assert not in_work_hours(weekdays, office, MON, EIGHT_PM)
    assert not in_work_hours(weekdays, office, SAT, NOON)
    assert in_work_hours(weekdays, office, MON, 8 * 60 + 30)  # start inclusive
    assert not in_work_hours(weekdays, office, MON, 17 * 60 + 30)  # end exclusive
    assert in_work_hours(frozenset(range(7)), None, SUN, 3 * 60)  # no window: all day
    night = (22 * 60, 6 * 60)
    assert in_work_hours(frozenset(range(7)), night, MON, 23 * 60)
    assert in_work_hours(frozenset(range(7)), night, MON, 5 * 60)
    assert not in_work_hours(frozenset(range(7)), night, MON, NOON)


def test_reasons_in_tooltip_order():
    assert busy_reasons(False, False, True) == ()
    assert busy_reasons(True, True, False) == (OUTSIDE_WORK_HOURS, DO_NOT_DISTURB, FULL_SCREEN)
    assert held_text((DO_NOT_DISTURB,)) == "held: do not disturb"
    assert held_text(()) == ""


def test_held_under_do_not_disturb_and_delivered_once_after():
    hb: HoldBack[str] = HoldBack()
    assert hb.offer("sit up", "posture", T0, (DO_NOT_DISTURB,)) == "hold"
    # While the reason lasts nothing comes out, and nothing is forgotten.
    assert hb.release(T0 + 60, (DO_NOT_DISTURB,), {"posture": True}) == []
    assert hb.release(T0 + 120, (), {"posture": True}) == ["sit up"]
    assert hb.release(T0 + 121, (), {"posture": True}) == []  # at most once
    assert hb.offer("sit up", "posture", T0 + 200, ()) == "deliver"
    assert hb.held == ()


def test_a_held_alert_that_is_no_longer_true_or_too_old_is_forgotten():
    hb: HoldBack[str] = HoldBack()
    hb.offer("sit up", "posture", T0, (FULL_SCREEN,))
    hb.offer("stand up", "sitting", T0, (FULL_SCREEN,))
    assert hb.release(T0 + 30, (), {"posture": False, "sitting": True}) == ["stand up"]
    assert hb.release(T0 + 31, (), {"posture": True, "sitting": True}) == []
    hb.offer("sit up", "posture", T0, (FULL_SCREEN,))
    assert hb.release(T0 + MAX_HOLD_S + 1, (), {"posture": True}) == []


def test_one_held_alert_per_kind_the_newest():
    hb: HoldBack[str] = HoldBack()
    hb.offer("first", "posture", T0, (DO_NOT_DISTURB,))
    hb.offer("second", "posture", T0 + 900, (DO_NOT_DISTURB, FULL_SCREEN))
    assert hb.release(T0 + 1000, (FULL_SCREEN,), {"posture": True}) == []
    assert hb.release(T0 + 1100, (), {"posture": True}) == ["second"]


def test_outside_work_hours_drops_and_clears():
    hb: HoldBack[str] = HoldBack()
    assert hb.offer("sit up", "posture", T0, (OUTSIDE_WORK_HOURS,)) == "drop"
    hb.offer("held", "posture", T0, (DO_NOT_DISTURB,))
    # The work day ended while it was held: tomorrow it would describe another moment.
    assert hb.release(T0 + 60, (OUTSIDE_WORK_HOURS, DO_NOT_DISTURB), {"posture": True}) == []
    assert hb.release(T0 + 60 * 60 * 12, (), {"posture": True}) == []


def test_tray_tooltip_says_why_alerts_are_held():
    model = reduce(TrayModel(), BusyChanged((DO_NOT_DISTURB,)))
    assert "held: do not disturb" in tray_state(model).tooltip
    assert "held" not in tray_state(reduce(model, BusyChanged(()))).tooltip
