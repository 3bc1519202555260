"""Reports: a day's or a week's history as pictures and a small table of numbers.

Two layers, kept apart on purpose:

* **Data preparation** (pure): :func:`build_day` and :func:`build_week` take history records, the day's
  bounds (epoch seconds of local midnights) and :class:`ReportSettings`, and return frozen
  :class:`DayReport` / :class:`WeekReport` values. They never read the clock, a file or the database.
* **Rendering** (I/O): :func:`render_day` and :func:`render_week` draw a report with matplotlib (the Agg
  canvas, imported inside the functions; no pyplot, so no global backend is switched under a GUI that
  shares the process) and write a PNG or one self-contained HTML file.

Images are :data:`FIGURE_SIZE_PX` (1600 x 1200 pixels, drawn at :data:`DPI` = 100 dots per inch) so the
picture looks the same on every machine. The HTML file embeds that PNG as a ``data:`` URI and carries the
numbers as an HTML table with inline CSS; it refers to nothing outside itself.

Honesty rules the drawing: a minute without a record is *not monitored* (the angle series holds NaN there
and the line breaks; nothing is interpolated), spans the app recorded as gaps are labelled with their
reason (paused, camera off, ...), and an empty day says "No monitoring on this day".
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from postureguard.errors import UserError
from postureguard.history.base import (
    AlertRecord,
    BreakRecord,
    GapRecord,
    MinuteRecord,
    PressedRecord,
    RoutineRecord,
)
from postureguard.history.summary import PRESENT_FOR_STRETCH, summarize_day
from postureguard.i18n import N_, _, current_language, format_date, format_decimal

#: Output size in pixels (width, height) and the resolution it is drawn at.
FIGURE_SIZE_PX = (1600, 1200)
DPI = 100

#: A minute counts as poor posture when at least this share of its judged samples was poor.
POOR_MINUTE_SHARE = 0.5

#: Gap reasons as the user reads them.
GAP_REASONS = {"paused": N_("paused"), "camera_off": N_("camera off"), "locked": N_("screen locked"),
               "setup": N_("first-run setup"), "guide": N_("camera guide")}
#: Label of missing minutes that no gap record explains (the app was simply not running).
NOT_RUNNING = N_("app not running")


# ---------------------------------------------------------------------------------------------------
# Data (pure)


@dataclass(frozen=True)
class ReportSettings:
    """The user's settings a report draws against.

    ``threshold_deg``: head-forward angle (degrees) above which posture is poor, for ``sensitivity``;
    ``sitting_limit_min``: minutes of sitting before a reminder (``None`` = reminder off);
    ``break_min``: minutes away that count as a break (splits sitting stretches), at least 1.
    """

    sensitivity: str = "medium"
    threshold_deg: float = 5.0
    sitting_limit_min: int | None = 50
    break_min: int = 2

    @classmethod
    def from_settings(cls, settings) -> ReportSettings:
        """From :class:`postureguard.settings.config.Settings` (threshold from the engine's sensitivity
        table)."""
        from postureguard.engine.settings import EngineSettings

        return cls(
            sensitivity=settings.sensitivity,
            threshold_deg=EngineSettings(sensitivity=settings.sensitivity).threshold_deg,
            sitting_limit_min=settings.sitting_limit_minutes or None,
            break_min=max(1, int(settings.break_minutes)),
        )


@dataclass(frozen=True)
class Span:
    """A stretch of time ``[start, end)`` in epoch seconds, with a label (e.g. why it was not monitored)."""

    start: float
    end: float
    label: str = ""

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / 60.0


@dataclass(frozen=True)
class DayNumbers:
    """The numbers in a report's table.

    * ``minutes_monitored``: minutes with at least one sample.
    * ``good_share``: share (0..1) of judged monitored time in good posture (the mean over judged minutes
      of 1 - ``poor_share``), ``None`` when nothing was judged.
    * ``judged_minutes``: minutes that had a posture judgement (weights ``good_share`` in week totals).
    * ``longest_stretch_min``: the longest sitting stretch (see :func:`sitting_stretches`), minutes.
    * ``breaks``, ``alerts`` (= ``posture_alerts`` + ``sitting_alerts``): counts.
    * ``routines_done``: routines completed; ``routines_started``: all routines opened.
    * ``paused_minutes``: minutes inside recorded gaps (paused, camera off), overlaps counted once.
    * ``pressed_seconds``: seconds the camera guide saw a point actually pressed, all points together.
    """

    minutes_monitored: int
    good_share: float | None
    judged_minutes: int
    longest_stretch_min: int
    breaks: int
    alerts: int
    posture_alerts: int
    sitting_alerts: int
    routines_done: int
    routines_started: int
    paused_minutes: int = 0
    pressed_seconds: float = 0.0


@dataclass(frozen=True)
class DayReport:
    """Everything a day's chart shows (times in epoch seconds, angles in degrees).

    ``minute_starts`` lists every minute of the local day (1440, or 1380/1500 on a DST change) and
    ``angles`` the per-minute mean head-forward angle for each, NaN where the minute was not monitored or
    had no angle (nobody in view, no calibration). ``view`` is the time window the chart shows.
    """

    day: date
    start: float
    end: float
    settings: ReportSettings
    minute_starts: tuple[int, ...]
    angles: tuple[float, ...]
    poor: tuple[Span, ...]
    away: tuple[Span, ...]
    not_monitored: tuple[Span, ...]
    stretches: tuple[Span, ...]
    alerts: tuple[AlertRecord, ...]
    breaks: tuple[BreakRecord, ...]
    routines: tuple[RoutineRecord, ...]
    numbers: DayNumbers
    view: tuple[float, float]

    @property
    def empty(self) -> bool:
        """Nothing was monitored this day."""
        return self.numbers.minutes_monitored == 0


@dataclass(frozen=True)
class WeekDay:
    day: date
    start: float
    end: float
    numbers: DayNumbers


@dataclass(frozen=True)
class WeekReport:
    """Seven (or any number of) consecutive days with their numbers, and the totals over all of them."""

    days: tuple[WeekDay, ...]
    settings: ReportSettings
    totals: DayNumbers

    @property
    def empty(self) -> bool:
        return self.totals.minutes_monitored == 0


def _in(t: float, start: float, end: float) -> bool:
    return start <= t < end


def _runs(flags: Sequence[bool], minute_starts: Sequence[int], label: str = "") -> list[Span]:
    """Merge consecutive flagged minutes into spans."""
    spans: list[Span] = []
    run_start: int | None = None
    for i, flag in enumerate(flags):
        if flag and run_start is None:
            run_start = minute_starts[i]
        elif not flag and run_start is not None:
            spans.append(Span(run_start, minute_starts[i], label))
            run_start = None
    if run_start is not None:
        spans.append(Span(run_start, minute_starts[-1] + 60, label))
    return spans


def sitting_stretches(
    minutes: Iterable[MinuteRecord], breaks: Iterable[BreakRecord], day_start: float, day_end: float,
    break_min: int,
) -> list[Span]:
    """Sitting stretches of a day: spans of time at the desk between breaks.

    A minute is *at the desk* when the person was in view for at least
    :data:`~postureguard.history.summary.PRESENT_FOR_STRETCH` of it. A stretch runs from its first such
    minute to the end of its last one; ``break_min`` or more minutes in a row not at the desk (away, or
    not monitored at all) end it, as does a break the app recorded, while shorter absences stay inside it,
    as they do for the sitting reminder.
    """
    by_minute = {m.minute_start: m for m in minutes if _in(m.minute_start, day_start, day_end)}
    leaves = sorted(b.t - b.away_s for b in breaks)
    stretches: list[Span] = []
    first = last = None
    missing = 0
    minute = int(day_start)
    while minute < day_end:
        record = by_minute.get(minute)
        if record is not None and record.present_share >= PRESENT_FOR_STRETCH:
            if first is not None and any(last < t <= minute for t in leaves):
                stretches.append(Span(first, last + 60))
                first = None
            if first is None:
                first = minute
            last, missing = minute, 0
        elif first is not None:
            missing += 1
            if missing >= break_min:
                stretches.append(Span(first, last + 60))
                first, missing = None, 0
        minute += 60
    if first is not None:
        stretches.append(Span(first, last + 60))
    return stretches


def _numbers(
    minutes: Sequence[MinuteRecord], alerts: Sequence[AlertRecord], routines: Sequence[RoutineRecord],
    breaks: Sequence[BreakRecord], gaps: Sequence[GapRecord], start: float, end: float,
    stretches: Sequence[Span], pressed: Sequence[PressedRecord] = (),
) -> DayNumbers:
    s = summarize_day(minutes, alerts, routines, breaks, start, end, gaps=gaps)
    return DayNumbers(
        minutes_monitored=s.minutes_monitored,
        good_share=s.good_share,
        judged_minutes=sum(m.poor_share is not None for m in minutes if _in(m.minute_start, start, end)),
        longest_stretch_min=int(round(max((x.minutes for x in stretches), default=0.0))),
        breaks=s.breaks,
        alerts=s.alerts,
        posture_alerts=s.posture_alerts,
        sitting_alerts=s.sitting_alerts,
        routines_done=s.routines_done,
        routines_started=s.routines_started,
        paused_minutes=s.paused_minutes,
        pressed_seconds=sum(p.seconds for p in pressed if _in(p.t, start, end)),
    )


def _view(start: float, end: float, times: Sequence[float]) -> tuple[float, float]:
    """Whole hours around ``times`` (at least two hours wide, within the day); the whole day if none."""
    if not times:
        return start, end
    lo = start + math.floor((min(times) - start) / 3600.0) * 3600.0
    hi = start + math.ceil((max(times) - start) / 3600.0) * 3600.0
    while hi - lo < 2 * 3600.0:
        if hi < end:
            hi += 3600.0
        elif lo > start:
            lo -= 3600.0
        else:
            break
    return max(start, lo), min(end, hi)


def build_day(
    day: date,
    start: float,
    end: float,
    minutes: Iterable[MinuteRecord],
    alerts: Iterable[AlertRecord],
    routines: Iterable[RoutineRecord],
    breaks: Iterable[BreakRecord],
    gaps: Iterable[GapRecord] = (),
    settings: ReportSettings | None = None,
    *,
    until: float | None = None,
    pressed: Iterable[PressedRecord] = (),
) -> DayReport:
    """A day's report from its records; ``start``/``end`` are the epoch seconds of its local midnights.

    Records outside ``[start, end)`` are ignored. ``until`` (epoch seconds, e.g. now for today's report)
    ends what counts as "not monitored": minutes after it have not happened yet and are left blank.
    """
    settings = settings or ReportSettings()
    mins = sorted((m for m in minutes if _in(m.minute_start, start, end)), key=lambda m: m.minute_start)
    day_alerts = tuple(sorted((a for a in alerts if _in(a.t, start, end)), key=lambda a: a.t))
    day_routines = tuple(sorted((r for r in routines if _in(r.started_t, start, end)),
                                key=lambda r: (r.started_t, r.id)))
    day_breaks = tuple(sorted((b for b in breaks if _in(b.t, start, end)), key=lambda b: b.t))
    day_gaps = tuple(g for g in gaps if g.end > start and g.start < end)

    first_minute = int(start) - int(start) % 60  # local midnight is a whole minute in every real zone
    minute_starts = tuple(range(first_minute, int(math.ceil(end)), 60))
    by_minute = {m.minute_start: m for m in mins}
    records = [by_minute.get(t) for t in minute_starts]
    nan = float("nan")
    angles = tuple(
        r.mean_angle_deg if r is not None and r.mean_angle_deg is not None else nan for r in records
    )
    poor = _runs([r is not None and r.poor_share is not None and r.poor_share >= POOR_MINUTE_SHARE
                  for r in records], minute_starts, "poor posture")
    away = _runs([r is not None and r.present_share < PRESENT_FOR_STRETCH for r in records],
                 minute_starts, "away")
    limit = end if until is None else min(end, until)
    unmonitored = _runs([r is None and t + 60 <= limit for r, t in zip(records, minute_starts, strict=True)],
                        minute_starts)
    not_monitored = tuple(Span(s.start, s.end, _gap_label(s, day_gaps)) for s in unmonitored)

    stretches = tuple(sitting_stretches(mins, day_breaks, start, end, settings.break_min))
    numbers = _numbers(mins, day_alerts, day_routines, day_breaks, day_gaps, start, end, stretches,
                       tuple(pressed))  # fmt: skip
    times = [float(m.minute_start) for m in mins] + [float(mins[-1].minute_start + 60)] if mins else []
    times += [a.t for a in day_alerts] + [b.t for b in day_breaks] + [r.started_t for r in day_routines]
    times += [r.ended_t for r in day_routines if r.ended_t is not None and _in(r.ended_t, start, end)]
    return DayReport(
        day=day, start=start, end=end, settings=settings,
        minute_starts=minute_starts, angles=angles,
        poor=tuple(poor), away=tuple(away), not_monitored=not_monitored, stretches=stretches,
        alerts=day_alerts, breaks=day_breaks, routines=day_routines, numbers=numbers,
        view=_view(start, end, times),
    )


def _gap_label(span: Span, gaps: Sequence[GapRecord]) -> str:
    """Why ``span`` was not monitored: the reasons of the recorded gaps it overlaps, else the app was off."""
    reasons: list[str] = []
    for g in sorted(gaps, key=lambda g: g.start):
        if g.end > span.start and g.start < span.end:
            reason = _(GAP_REASONS[g.reason]) if g.reason in GAP_REASONS else g.reason.replace("_", " ")
            if reason not in reasons:
                reasons.append(reason)
    return ", ".join(reasons) if reasons else _(NOT_RUNNING)


def build_week(
    days: Sequence[tuple[date, float, float]],
    minutes: Iterable[MinuteRecord],
    alerts: Iterable[AlertRecord],
    routines: Iterable[RoutineRecord],
    breaks: Iterable[BreakRecord],
    gaps: Iterable[GapRecord] = (),
    settings: ReportSettings | None = None,
    *,
    pressed: Iterable[PressedRecord] = (),
) -> WeekReport:
    """A week's report: ``days`` are ``(date, start, end)`` with epoch seconds of each day's midnights."""
    settings = settings or ReportSettings()
    minutes, alerts, routines = list(minutes), list(alerts), list(routines)
    breaks, gaps, pressed = list(breaks), list(gaps), tuple(pressed)
    week: list[WeekDay] = []
    for day, start, end in days:
        mins = [m for m in minutes if _in(m.minute_start, start, end)]
        day_breaks = [b for b in breaks if _in(b.t, start, end)]
        day_gaps = [g for g in gaps if g.end > start and g.start < end]
        stretches = sitting_stretches(mins, day_breaks, start, end, settings.break_min)
        week.append(WeekDay(day, start, end,
                            _numbers(mins, alerts, routines, day_breaks, day_gaps, start, end, stretches,
                                     pressed)))
    return WeekReport(tuple(week), settings, _totals([d.numbers for d in week]))


def _totals(days: Sequence[DayNumbers]) -> DayNumbers:
    judged = sum(d.judged_minutes for d in days)
    good = sum(d.good_share * d.judged_minutes for d in days if d.good_share is not None)
    return DayNumbers(
        minutes_monitored=sum(d.minutes_monitored for d in days),
        good_share=good / judged if judged else None,
        judged_minutes=judged,
        longest_stretch_min=max((d.longest_stretch_min for d in days), default=0),
        breaks=sum(d.breaks for d in days),
        alerts=sum(d.alerts for d in days),
        posture_alerts=sum(d.posture_alerts for d in days),
        sitting_alerts=sum(d.sitting_alerts for d in days),
        routines_done=sum(d.routines_done for d in days),
        routines_started=sum(d.routines_started for d in days),
        paused_minutes=sum(d.paused_minutes for d in days),
        pressed_seconds=sum(d.pressed_seconds for d in days),
    )


# ---------------------------------------------------------------------------------------------------
# Text (pure)


def format_duration(minutes: float) -> str:
    """``95`` -> ``"1 h 35 min"``, ``120`` -> ``"2 h"``, ``40`` -> ``"40 min"``."""
    hours, mins = divmod(int(round(minutes)), 60)
    if not hours:
        return _("{minutes} min").format(minutes=mins)
    if mins:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=mins)
    return _("{hours} h").format(hours=hours)


def format_share(share: float | None) -> str:
    """A share (0..1) in whole percents, in the current language's form (``"82 %"``; ``—`` for None)."""
    return "—" if share is None else _("{percent} %").format(percent=format_decimal(round(100 * share)))


#: Column headings of the numbers table, in order (English; :func:`table_headings` translates them).
TABLE_HEADINGS = (N_("Monitored"), N_("Good posture"), N_("Longest stretch"), N_("Breaks"), N_("Alerts"),
                  N_("Routines done"), N_("Points pressed"))


def table_headings() -> tuple[str, ...]:
    """:data:`TABLE_HEADINGS` in the current language."""
    return tuple(_(heading) for heading in TABLE_HEADINGS)


def table_cells(n: DayNumbers) -> tuple[str, ...]:
    """The numbers table's cells for ``n``, matching :data:`TABLE_HEADINGS`."""
    alerts = "0"
    if n.alerts:
        alerts = _("{alerts} ({posture} posture, {sitting} sitting)").format(
            alerts=n.alerts, posture=n.posture_alerts, sitting=n.sitting_alerts)
    return (
        format_duration(n.minutes_monitored),
        format_share(n.good_share),
        format_duration(n.longest_stretch_min) if n.longest_stretch_min else "—",
        str(n.breaks),
        alerts,
        _("{done} of {started}").format(done=n.routines_done, started=n.routines_started)
        if n.routines_started else "0",
        format_pressed(n.pressed_seconds),
    )


def format_pressed(seconds: float) -> str:
    """Time the camera guide saw points pressed: ``"—"`` (none), ``"40 s"``, ``"12 min"``."""
    if seconds <= 0:
        return "—"
    if seconds < 60:
        return _("{seconds} s").format(seconds=int(round(seconds)))
    return format_duration(seconds / 60)


def day_title(day: date) -> str:
    # The date pattern (Babel/CLDR) is translated with the text: each language orders a date its own way.
    return _("PostureGuard — {date}").format(date=format_date(day, _("EEEE d MMMM y")))


def week_title(report: WeekReport) -> str:
    first, last = report.days[0].day, report.days[-1].day
    return _("PostureGuard — week {first} – {last}").format(
        first=format_date(first, _("d MMM")), last=format_date(last, _("d MMM y")))


# ---------------------------------------------------------------------------------------------------
# Drawing (matplotlib, Agg canvas)

_C_ANGLE = "#1f4e79"
_C_THRESHOLD = "#c0392b"
_C_POOR = "#f5b7b1"
_C_AWAY = "#aed6f1"
_C_NOT = "#d5d8dc"
_C_LIMIT = "#d35400"
_C_GOOD = "#27ae60"
_C_ROUTINE = "#7d3c98"


def _matplotlib():
    from postureguard.errors import require

    mpl = require("matplotlib", "drawing reports", "matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return mpl, Figure, FigureCanvasAgg


def _new_figure():
    _, Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(FIGURE_SIZE_PX[0] / DPI, FIGURE_SIZE_PX[1] / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    # No bbox_inches="tight": it would change the documented pixel size.
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _deg(angle: float) -> str:
    """An angle in degrees as few digits as it needs (``5``, ``7.5``), with the language's decimal mark."""
    return format_decimal(angle, "0.##")


def _sensitivity(level: str) -> str:
    """A sensitivity setting's value (low, medium, high) as the user reads it."""
    return _(_SENSITIVITY_WORDS[level]) if level in _SENSITIVITY_WORDS else level


_SENSITIVITY_WORDS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M")


def _draw_table(ax, headings: Sequence[str], rows: Sequence[Sequence[str]], font: float = 12.0,
                bold_last: bool = False) -> None:
    ax.axis("off")
    # Columns as wide as their longest text (the alerts column says "10 (4 posture, 6 sitting)").
    longest = [max(len(str(r[i])) for r in [headings, *rows]) + 4 for i in range(len(headings))]
    widths = [n / sum(longest) for n in longest]
    table = ax.table(cellText=[list(r) for r in rows], colLabels=list(headings), loc="center",
                     cellLoc="center", colWidths=widths)
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    table.scale(1.0, 1.9 if len(rows) <= 2 else 1.45)
    for (row, _col), cell in table.get_celld().items():
        cell.set_edgecolor("#aab7b8")
        if row == 0:
            cell.set_facecolor("#eaf2f8")
            cell.set_text_props(weight="bold")
        elif bold_last and row == len(rows):
            cell.set_facecolor("#f4f6f6")
            cell.set_text_props(weight="bold")


def day_figure(report: DayReport):
    """The day's chart as a matplotlib Figure (Agg canvas attached), :data:`FIGURE_SIZE_PX` in size."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    fig = _new_figure()
    fig.suptitle(day_title(report.day), fontsize=20, fontweight="bold", y=0.985)
    grid = fig.add_gridspec(4, 1, height_ratios=[4.2, 1.25, 2.3, 1.05], hspace=0.42,
                            left=0.075, right=0.975, top=0.875, bottom=0.03)
    ax = fig.add_subplot(grid[0])
    ev = fig.add_subplot(grid[1], sharex=ax)
    st = fig.add_subplot(grid[2], sharex=ax)
    tb = fig.add_subplot(grid[3])
    settings = report.settings
    t0 = report.start

    def hours(t: float) -> float:  # x axis: hours since local midnight (correct across DST changes)
        return (t - t0) / 3600.0

    x0, x1 = hours(report.view[0]), hours(report.view[1])
    span_h = x1 - x0
    clock = FuncFormatter(lambda x, _pos: _clock(t0 + x * 3600.0))
    step = 1.0 if span_h <= 12 else 2.0

    # -- timeline of the head-forward angle ------------------------------------------------------
    xs = [hours(t + 30.0) for t in report.minute_starts]  # each minute's value at its middle
    finite = [a for a in report.angles if not math.isnan(a)]
    top = max(settings.threshold_deg * 2.5, (max(finite) * 1.15) if finite else 0.0, 10.0)
    for s in report.poor:
        ax.axvspan(hours(s.start), hours(s.end), color=_C_POOR, alpha=0.8, lw=0, zorder=1)
    for s in report.away:
        ax.axvspan(hours(s.start), hours(s.end), color=_C_AWAY, alpha=0.8, lw=0, zorder=1)
    for s in report.not_monitored:
        ax.axvspan(hours(s.start), hours(s.end), facecolor=_C_NOT, edgecolor="#909497", hatch="//",
                   alpha=0.6, lw=0, zorder=1)
        a, b = max(hours(s.start), x0), min(hours(s.end), x1)
        if not report.empty and b - a >= 0.06 * span_h:
            ax.text((a + b) / 2, top * 0.93, _("not monitored") + f"\n({s.label})", ha="center", va="top",
                    fontsize=10, color="#424949", zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 2})
    # NaN minutes break the line: a gap stays a gap.
    ax.plot(xs, report.angles, color=_C_ANGLE, lw=1.6, zorder=3)
    ax.axhline(settings.threshold_deg, color=_C_THRESHOLD, ls="--", lw=1.8, zorder=2)
    threshold = " " + _("threshold {angle}°").format(angle=_deg(settings.threshold_deg))
    ax.text(x1, settings.threshold_deg, threshold, color=_C_THRESHOLD,
            ha="right", va="bottom", fontsize=10, zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    ax.set_ylim(0, top)
    ax.set_xlim(x0, x1)
    ax.set_ylabel(_("Degrees more forward than your upright"), fontsize=12)
    ax.set_title(_("Head-forward angle, per-minute mean"), fontsize=13, loc="left")
    ax.grid(axis="y", color="#e5e8e8", lw=0.8)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(clock)
    ax.tick_params(labelbottom=True, labelsize=11)
    ax.legend(
        handles=[
            Line2D([], [], color=_C_ANGLE, lw=1.6, label=_("head-forward angle")),
            Line2D([], [], color=_C_THRESHOLD, ls="--", lw=1.8,
                   label=_("your threshold ({angle}°, {sensitivity})").format(
                       angle=_deg(settings.threshold_deg), sensitivity=_sensitivity(settings.sensitivity))),
            Patch(facecolor=_C_POOR, label=_("poor posture")),
            Patch(facecolor=_C_AWAY, label=_("away from the desk")),
            Patch(facecolor=_C_NOT, edgecolor="#909497", hatch="//", label=_("not monitored")),
        ],
        loc="lower center", bbox_to_anchor=(0.5, 1.07), ncol=5, fontsize=11, frameon=False,
    )
    if report.empty:
        ax.text((x0 + x1) / 2, top * 0.68, _("No monitoring on this day"), ha="center", va="center",
                fontsize=26, color="#424949", zorder=5,
                bbox={"facecolor": "white", "edgecolor": "#909497", "boxstyle": "round,pad=0.6"})

    # -- events strip: alerts, breaks, routines -----------------------------------------------------
    rows = {_("Alerts"): 3, _("Breaks"): 2, _("Routines"): 1}
    for s in report.not_monitored:
        ev.axvspan(hours(s.start), hours(s.end), facecolor=_C_NOT, edgecolor="#909497", hatch="//",
                   alpha=0.6, lw=0)
    posture = [hours(a.t) for a in report.alerts if a.kind == "posture"]
    sitting = [hours(a.t) for a in report.alerts if a.kind == "sitting"]
    ev.plot(posture, [3] * len(posture), "v", color=_C_THRESHOLD, ms=11, label=_("posture alert"))
    ev.plot(sitting, [3] * len(sitting), "D", color=_C_LIMIT, ms=9, label=_("sitting alert"))
    leaves = [hours(b.t - b.away_s) for b in report.breaks]
    ev.plot(leaves, [2] * len(leaves), "^", color=_C_GOOD, ms=11, label=_("break (left the desk)"))
    done = [hours(r.started_t) for r in report.routines if r.status == "completed"]
    other = [hours(r.started_t) for r in report.routines if r.status != "completed"]
    ev.plot(done, [1] * len(done), "*", color=_C_ROUTINE, ms=15, label=_("routine completed"))
    ev.plot(other, [1] * len(other), "o", mfc="none", mec=_C_ROUTINE, mew=1.8, ms=9,
            label=_("routine skipped or unfinished"))
    ev.set_ylim(0.4, 3.6)
    ev.set_yticks(list(rows.values()), list(rows))
    ev.tick_params(labelsize=11, labelbottom=True)
    ev.grid(axis="y", color="#e5e8e8", lw=0.8)
    ev.set_title(_("Alerts, breaks and routines"), fontsize=13, loc="left")
    ev.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=5, fontsize=10, frameon=False,
              handletextpad=0.3, columnspacing=1.2)

    # -- sitting stretches --------------------------------------------------------------------------
    limit = settings.sitting_limit_min
    longest = max((s.minutes for s in report.stretches), default=0.0)
    st_top = max((limit or 0) * 1.3, longest * 1.25, 30.0)
    for s in report.not_monitored:
        st.axvspan(hours(s.start), hours(s.end), facecolor=_C_NOT, edgecolor="#909497", hatch="//",
                   alpha=0.6, lw=0)
    for s in report.stretches:
        over = limit is not None and s.minutes >= limit
        st.bar(hours(s.start), s.minutes, width=hours(s.end) - hours(s.start), align="edge",
               color=_C_LIMIT if over else "#5d6d7e", alpha=0.85, edgecolor="white", lw=0.8, zorder=2)
        if hours(s.end) - hours(s.start) >= 0.02 * span_h:
            st.text((hours(s.start) + hours(s.end)) / 2, s.minutes + st_top * 0.03,
                    format_duration(s.minutes), ha="center", va="bottom", fontsize=10, zorder=3)
    handles = [Patch(facecolor="#5d6d7e", label=_("sitting stretch (height = its length)"))]
    if limit is not None:
        st.axhline(limit, color=_C_LIMIT, ls="--", lw=1.8, zorder=3)
        st.text(x1, limit, " " + _("limit {minutes} min").format(minutes=limit), color=_C_LIMIT, ha="right",
                va="bottom", fontsize=10,
                zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
        handles += [Patch(facecolor=_C_LIMIT, label=_("stretch at or over the limit")),
                    Line2D([], [], color=_C_LIMIT, ls="--", lw=1.8,
                           label=_("sitting limit ({minutes} min)").format(minutes=limit))]
    st.set_ylim(0, st_top)
    st.set_ylabel(_("Minutes"), fontsize=12)
    st.set_xlabel(_("Time of day"), fontsize=12)
    st.tick_params(labelsize=11)
    st.grid(axis="y", color="#e5e8e8", lw=0.8)
    st.set_title(_("Sitting stretches between breaks"), fontsize=13, loc="left")
    st.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, fontsize=10,
              frameon=False)
    if not report.stretches:
        st.text((x0 + x1) / 2, st_top * 0.35, _("No sitting stretches recorded"), ha="center", va="center",
                fontsize=13, color="#626567", bbox={"facecolor": "white", "edgecolor": "none", "pad": 4})

    _draw_table(tb, table_headings(), [table_cells(report.numbers)], font=13)
    for axes in fig.axes:
        axes.set_axisbelow(True)  # grid lines behind the bars and shading, not through them
    return fig


def week_figure(report: WeekReport):
    """The week's chart as a matplotlib Figure (Agg canvas attached), :data:`FIGURE_SIZE_PX` in size."""
    from matplotlib.patches import Patch

    fig = _new_figure()
    fig.suptitle(week_title(report), fontsize=20, fontweight="bold", y=0.985)
    grid = fig.add_gridspec(4, 1, height_ratios=[2.6, 1.7, 1.7, 3.0], hspace=0.5,
                            left=0.075, right=0.975, top=0.915, bottom=0.02)
    share_ax = fig.add_subplot(grid[0])
    alert_ax = fig.add_subplot(grid[1], sharex=share_ax)
    routine_ax = fig.add_subplot(grid[2], sharex=share_ax)
    tb = fig.add_subplot(grid[3])
    labels = [format_date(d.day, _("EEE d MMM")) for d in report.days]
    xs = list(range(len(report.days)))

    for x, d in zip(xs, report.days, strict=True):
        n = d.numbers
        if n.minutes_monitored == 0:
            share_ax.bar(x, 100, width=0.7, facecolor=_C_NOT, edgecolor="#909497", hatch="//", alpha=0.6)
            share_ax.text(x, 50, _("not\nmonitored"), ha="center", va="center", fontsize=11, color="#424949")
        elif n.good_share is None:
            share_ax.text(x, 50, _("posture\nnot measured"), ha="center", va="center", fontsize=11,
                          color="#424949")
        else:
            share_ax.bar(x, 100 * n.good_share, width=0.7, color=_C_GOOD, alpha=0.85)
            share_ax.text(x, 100 * n.good_share + 2, format_share(n.good_share), ha="center",
                          va="bottom", fontsize=11)
        if n.minutes_monitored:
            share_ax.text(x, -4, _("{time} monitored").format(time=format_duration(n.minutes_monitored)),
                          ha="center",
                          va="top", fontsize=10, color="#626567")
    share_ax.set_ylim(-14, 112)
    share_ax.set_yticks([0, 25, 50, 75, 100])
    share_ax.set_ylabel(_("Share of monitored time (%)"), fontsize=12)
    share_ax.set_title(_("Good posture (share of monitored time)"), fontsize=13, loc="left")
    share_ax.grid(axis="y", color="#e5e8e8", lw=0.8)
    share_ax.tick_params(labelsize=11)

    posture = [d.numbers.posture_alerts for d in report.days]
    sitting = [d.numbers.sitting_alerts for d in report.days]
    alert_ax.bar(xs, posture, width=0.6, color=_C_THRESHOLD, label=_("posture alerts"))
    alert_ax.bar(xs, sitting, width=0.6, bottom=posture, color=_C_LIMIT, label=_("sitting alerts"))
    _count_axis(alert_ax, [p + s for p, s in zip(posture, sitting, strict=True)], _("Alerts per day"))
    alert_ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=10, frameon=False)

    done = [d.numbers.routines_done for d in report.days]
    routine_ax.bar(xs, done, width=0.6, color=_C_ROUTINE, label=_("routines completed"))
    _count_axis(routine_ax, done, _("Routines completed per day"))
    routine_ax.set_xticks(xs, labels)
    for ax in (share_ax, alert_ax):
        ax.tick_params(labelbottom=True)
    routine_ax.set_xlim(-0.6, len(xs) - 0.4)
    routine_ax.legend(handles=[Patch(facecolor=_C_ROUTINE, label=_("routines completed"))], loc="lower right",
                      bbox_to_anchor=(1.0, 1.0), fontsize=10, frameon=False)

    rows = [(label, *table_cells(d.numbers)) for label, d in zip(labels, report.days, strict=True)]
    rows.append((_("Week"), *table_cells(report.totals)))
    _draw_table(tb, (_("Day"), *table_headings()), rows, font=11.5, bold_last=True)
    if report.empty:
        share_ax.text((len(xs) - 1) / 2, 50, _("No monitoring in this week"), ha="center", va="center",
                      fontsize=26, color="#424949",
                      bbox={"facecolor": "white", "edgecolor": "#909497", "boxstyle": "round,pad=0.6"})
    for axes in fig.axes:
        axes.set_axisbelow(True)
    return fig


def _count_axis(ax, counts: Sequence[int], title: str) -> None:
    from matplotlib.ticker import MaxNLocator

    top = max(counts, default=0)
    for x, c in enumerate(counts):
        if c:
            ax.text(x, c + max(top, 1) * 0.04, str(c), ha="center", va="bottom", fontsize=11)
    ax.set_ylim(0, max(top * 1.35, 3))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylabel(_("Count"), fontsize=12)
    ax.set_title(title, fontsize=13, loc="left")
    ax.grid(axis="y", color="#e5e8e8", lw=0.8)
    ax.tick_params(labelsize=11)


def day_png(report: DayReport) -> bytes:
    """The day's chart as PNG bytes (:data:`FIGURE_SIZE_PX`)."""
    return _png(day_figure(report))


def week_png(report: WeekReport) -> bytes:
    """The week's chart as PNG bytes (:data:`FIGURE_SIZE_PX`)."""
    return _png(week_figure(report))


# ---------------------------------------------------------------------------------------------------
# HTML (one self-contained file)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1640px; color: #1c2833;
       padding: 0 1em; }
h1 { font-size: 1.6em; }
img { max-width: 100%; height: auto; border: 1px solid #d5d8dc; }
table { border-collapse: collapse; margin: 1.5em 0; }
th, td { border: 1px solid #aab7b8; padding: 0.45em 0.9em; text-align: center; }
th { background: #eaf2f8; }
p.note { color: #566573; font-size: 0.95em; }
"""


def html_document(title: str, png: bytes, headings: Sequence[str], rows: Sequence[Sequence[str]],
                  notes: Sequence[str] = ()) -> str:
    """A complete HTML page: ``png`` embedded as a data URI, the numbers as a table, inline CSS only."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    note_html = "".join(f'<p class="note">{esc(n)}</p>\n' for n in notes)
    data = base64.b64encode(png).decode("ascii")
    alt = _("{title} chart").format(title=title)
    width, height = FIGURE_SIZE_PX
    return (
        f"<!DOCTYPE html>\n<html lang=\"{current_language()}\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n"
        f"<img alt=\"{esc(alt)}\" width=\"{width}\" height=\"{height}\" "
        f"src=\"data:image/png;base64,{data}\">\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"
        f"{note_html}</body>\n</html>\n"
    )


def _day_notes(report: DayReport) -> list[str]:
    s = report.settings
    limit = _("sitting limit {minutes} min").format(minutes=s.sitting_limit_min) if s.sitting_limit_min \
        else _("sitting reminder off")
    notes = [
        _("Threshold: {angle}° more forward than your upright (sensitivity {sensitivity}); {limit}; a break "
          "is {minutes} min or more away from the desk.").format(
            angle=_deg(s.threshold_deg), sensitivity=_sensitivity(s.sensitivity), limit=limit,
            minutes=s.break_min)
    ]
    if report.not_monitored and not report.empty:
        spans = ", ".join(f"{_clock(x.start)}–{_clock(x.end)} ({x.label})" for x in report.not_monitored
                          if x.end > report.view[0] and x.start < report.view[1])
        if spans:
            notes.append(_("Not monitored within the times shown: {spans}. Nothing is drawn for those "
                           "minutes.").format(spans=spans))
    if report.empty:
        notes.append(_("No monitoring on this day."))
    return notes


# ---------------------------------------------------------------------------------------------------
# Files


def _write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, readable by the user only (a report shows private history)."""
    from postureguard.files.paths import write_atomic

    path = Path(path)
    try:
        return write_atomic(path, data)
    except OSError as exc:
        raise UserError(_("cannot write the report to {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None


def _format_of(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return "png"
    if suffix in (".html", ".htm"):
        return "html"
    raise UserError(_("the report file {path} must end in .png or .html").format(path=path))


def render_day(report: DayReport, path: str | Path) -> Path:
    """Draw ``report`` to ``path``: a PNG (``.png``) or one self-contained HTML file (``.html``)."""
    path = Path(path)
    kind = _format_of(path)
    png = day_png(report)
    if kind == "png":
        return _write(path, png)
    page = html_document(day_title(report.day), png, table_headings(), [table_cells(report.numbers)],
                         _day_notes(report))
    return _write(path, page.encode("utf-8"))


def render_week(report: WeekReport, path: str | Path) -> Path:
    """Draw ``report`` to ``path``: a PNG (``.png``) or one self-contained HTML file (``.html``)."""
    path = Path(path)
    kind = _format_of(path)
    png = week_png(report)
    if kind == "png":
        return _write(path, png)
    rows = [(d.day.isoformat(), *table_cells(d.numbers)) for d in report.days]
    rows.append((_("Week"), *table_cells(report.totals)))
    s = report.settings
    notes = [_("Threshold: {angle}° more forward than your upright (sensitivity {sensitivity}). Days without "
               "monitoring are marked, not estimated.").format(angle=_deg(s.threshold_deg),
                                                              sensitivity=_sensitivity(s.sensitivity))]
    page = html_document(week_title(report), png, (_("Day"), *table_headings()), rows, notes)
    return _write(path, page.encode("utf-8"))
