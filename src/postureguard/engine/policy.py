"""When an alert may become a notification, and what it says. Pure: time and settings are arguments.

The engine decides that posture has been poor long enough; this module decides whether to speak up
now (quiet hours, a cap per hour) and words the message. Times are epoch seconds; ``minute_of_day``
is local time, 0..1439.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from dataclasses import dataclass

from postureguard.engine.events import PostureAlert, SittingAlert, StandUpNudge
from postureguard.i18n import _, ngettext


def is_quiet_time(window: tuple[int, int] | None, minute_of_day: int) -> bool:
    """Whether ``minute_of_day`` (0..1439, local time) falls in ``window`` (start inclusive, end exclusive).

    A window whose end is before its start wraps past midnight (22:00-07:00).
    """
    if window is None:
        return False
    start, end = window
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


@dataclass(frozen=True)
class Decision:
    notify: bool
    reason: str = ""


class NotificationPolicy:
    """Quiet hours and at most ``max_per_hour`` notifications in any 60-minute span."""

    def __init__(self, max_per_hour: int, quiet_window: tuple[int, int] | None):
        self.max_per_hour = max_per_hour
        self.quiet_window = quiet_window
        self._sent: deque[float] = deque()

    def configure(self, max_per_hour: int, quiet_window: tuple[int, int] | None) -> None:
        self.max_per_hour = max_per_hour
        self.quiet_window = quiet_window

    def decide(self, now: float, minute_of_day: int) -> Decision:
        if is_quiet_time(self.quiet_window, minute_of_day):
            return Decision(False, _("quiet hours"))
        while self._sent and now - self._sent[0] >= 3600:
            self._sent.popleft()
        if self.max_per_hour > 0 and len(self._sent) >= self.max_per_hour:
            return Decision(False, ngettext("already {n} notification in the last hour",
                                            "already {n} notifications in the last hour",
                                            len(self._sent)).format(n=len(self._sent)))
        return Decision(True)

    def record(self, now: float) -> None:
        self._sent.append(now)

    def recount(self, raised: float, delivered: float | None) -> None:
        """A held alert (see :mod:`.holdback`), counted by :meth:`record` when it was ``raised``, counts
        from when it is ``delivered`` instead; ``None``: it is never delivered and gives its place back.

        So a notification shown after a hold still counts toward the cap for the 60 minutes after it
        appears, and one that never appears does not block others. Epoch seconds.
        """
        if raised in self._sent:
            self._sent.remove(raised)
        if delivered is not None:
            sent = list(self._sent)
            insort(sent, delivered)  # kept in time order: decide() drops the oldest first
            self._sent = deque(sent)

    def sent_in_hour(self, now: float) -> int:
        """Notifications counted in the 60 minutes before ``now`` (epoch seconds)."""
        return sum(0 <= now - t < 3600 for t in self._sent)


def _duration_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return ngettext("{n} second", "{n} seconds", round(seconds)).format(n=round(seconds))
    return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def alert_title(event: PostureAlert | SittingAlert) -> str:
    if isinstance(event, StandUpNudge):
        return _("Stand up for a few minutes")
    return _("Time to sit up") if isinstance(event, PostureAlert) else _("Time for a break")


def alert_text(event: PostureAlert | SittingAlert) -> str:
    """What was seen, in plain words (degrees are the head-forward angle, see engine/geometry.py)."""
    if isinstance(event, PostureAlert):
        return _("Your head has been about {angle}° more forward than your upright for {duration}.").format(
            angle=round(event.angle_deg), duration=_duration_words(event.duration_s)
        )
    if isinstance(event, StandUpNudge):
        return _(
            "You have been sitting for {duration}. Stand up and walk for 2-5 minutes; short walks every "
            "half hour suit long sitting."
        ).format(duration=_duration_words(event.minutes * 60))
    return _("You have been sitting for {duration} without a break.").format(
        duration=_duration_words(event.minutes * 60)
    )


def suggestion_text(title: str | None, minutes: float | None, reason: str = "", kind: str = "points") -> str:
    """The notification's sentence naming the suggested routine and its kind (``"points"`` or
    ``"exercises"``, as :attr:`postureguard.knowledge.loader.Routine.kind`); ``minutes`` is its length.

    An exercise's title already says how long it takes ("Chin tucks (2-minute exercise)"), so only a
    points routine gets its minutes added.
    """
    if title is None:
        return reason or _("No routine fits your safety settings right now; a short walk helps too.")
    if kind == "exercises":
        return _("Suggested exercise: {title}.").format(title=title)
    return _("Suggested: {title} (points routine, {minutes} min).").format(
        title=title, minutes=max(1, round(minutes or 0))
    )
