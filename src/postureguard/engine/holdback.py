"""Holding alerts back while the user is busy, then letting them out once. Pure: times are arguments.

An alert the policy lets through (see :mod:`.policy`) may still arrive at a bad moment: under the
desktop's do-not-disturb, during a full-screen video or presentation. Such an alert is held, not
dropped; when every reason has ended it is delivered once, if what it says is still true and it is
not older than :data:`MAX_HOLD_S`. Outside the work hours there are no alerts at all: one raised then
is dropped (like quiet hours), since nobody wants this morning's posture alert from last night.

Times are epoch seconds; ``minute_of_day`` is local time (0..1439); ``weekday`` is 0 (Monday) to 6.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from postureguard.engine.policy import is_quiet_time
from postureguard.i18n import N_, _

#: Reasons, as the tray's tooltip says them ("held: do not disturb").
DO_NOT_DISTURB = N_("do not disturb")
FULL_SCREEN = N_("full-screen window")
OUTSIDE_WORK_HOURS = N_("outside work hours")

#: A held alert older than this (seconds) is not delivered any more: it would describe another moment.
MAX_HOLD_S = 2 * 3600.0

A = TypeVar("A")


def in_work_hours(
    days: frozenset[int], window: tuple[int, int] | None, weekday: int, minute_of_day: int
) -> bool:
    """Whether local ``weekday`` (0 = Monday .. 6) and ``minute_of_day`` (0..1439) are work time.

    ``days`` empty means every day; ``window`` None means all day (start inclusive, end exclusive;
    a window ending before it starts wraps past midnight, as for quiet hours, and belongs to the day
    it starts on only for the part before midnight: kept simple, the weekday is today's).
    """
    if days and weekday not in days:
        return False
    return window is None or is_quiet_time(window, minute_of_day)


def busy_reasons(do_not_disturb: bool, full_screen: bool, work_time: bool) -> tuple[str, ...]:
    """The reasons in force, in the order the tooltip names them (empty: nothing holds alerts)."""
    reasons = []
    if not work_time:
        reasons.append(OUTSIDE_WORK_HOURS)
    if do_not_disturb:
        reasons.append(DO_NOT_DISTURB)
    if full_screen:
        reasons.append(FULL_SCREEN)
    return tuple(reasons)


def held_text(reasons: Iterable[str]) -> str:
    """The tooltip's words: ``"held: do not disturb"`` (empty when nothing holds alerts), translated."""
    names = [_(reason) for reason in reasons]
    return _("held: {reasons}").format(reasons=", ".join(names)) if names else ""


@dataclass(frozen=True)
class Held(Generic[A]):
    """An alert waiting for the user to be free; ``since`` is when it was raised (epoch seconds)."""

    alert: A
    kind: str
    since: float


class HoldBack(Generic[A]):
    """At most one held alert per kind (``posture``, ``sitting``): a newer one replaces an older one."""

    def __init__(self, max_hold_s: float = MAX_HOLD_S) -> None:
        self.max_hold_s = max_hold_s
        self._held: dict[str, Held[A]] = {}
        self._replaced: list[Held[A]] = []  # held alerts a newer one of their kind replaced

    @property
    def held(self) -> tuple[Held[A], ...]:
        return tuple(self._held.values())

    def offer(self, alert: A, kind: str, now: float, reasons: tuple[str, ...]) -> str:
        """What to do with a new alert: ``"deliver"``, ``"hold"`` or ``"drop"`` (outside work hours).

        A held alert is remembered until :meth:`release`.
        """
        if OUTSIDE_WORK_HOURS in reasons:
            return "drop"
        if reasons:
            if kind in self._held:
                self._replaced.append(self._held[kind])
            self._held[kind] = Held(alert, kind, now)
            return "hold"
        return "deliver"

    def release(self, now: float, reasons: tuple[str, ...], still_true: dict[str, bool]) -> list[A]:
        """The held alerts to deliver now (each once), when no reason holds them any more.

        ``still_true`` says, per kind, whether the alert still describes the present (posture still
        poor, still sitting); an alert that is not, or is older than ``max_hold_s``, is forgotten
        unsent. While a reason holds, nothing is released and nothing is forgotten.
        """
        return [h.alert for h in self.settle(now, reasons, still_true)[0]]

    def settle(
        self, now: float, reasons: tuple[str, ...], still_true: dict[str, bool]
    ) -> tuple[list[Held[A]], list[Held[A]]]:
        """Like :meth:`release`, with the whole story: ``(delivered, given_up)``.

        ``given_up`` are the held alerts that will never be shown: not true any more, too old, dropped
        at the end of the work hours, or replaced meanwhile by a newer one of their kind. The hourly cap
        counted each when it was raised; the caller moves that count to the delivery time (delivered)
        or gives it back (given up): see ``NotificationPolicy.recount``.
        """
        if reasons and OUTSIDE_WORK_HOURS not in reasons:
            return [], []
        delivered: list[Held[A]] = []
        given_up, self._replaced = self._replaced, []
        for h in self._held.values():
            fresh = not reasons and still_true.get(h.kind, False) and now - h.since <= self.max_hold_s
            (delivered if fresh else given_up).append(h)
        self._held.clear()
        return delivered, given_up
