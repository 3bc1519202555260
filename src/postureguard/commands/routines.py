"""``postureguard routines``, ``postureguard routine show ID`` and ``postureguard points [CODE]``.

Read-only views of the knowledge base (built-in routines merged with the user's ``routines.json``).
``routine`` is a group of actions; other modules add theirs (``routine play``) through
:func:`routine_actions`.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from postureguard.errors import UserError
from postureguard.files.validate import visible_controls

WIDTH = 100
_INDENT = "    "


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``routines``, ``routine show`` and ``points`` to the top-level sub-commands."""
    listing = subparsers.add_parser(
        "routines",
        help="list the acupressure routines",
        description="List the built-in routines and your own (from routines.json in the config folder).",
    )
    listing.set_defaults(func=cmd_routines)

    actions = routine_actions(subparsers)
    show = actions.add_parser(
        "show",
        help="show one routine's steps, where to find each point, cautions and evidence",
        description="Show a routine step by step: where and how to find each point, cautions, red flags "
        "and the evidence behind it.",
    )
    show.add_argument("id", metavar="ID", help="routine id, as listed by 'postureguard routines'")
    show.set_defaults(func=cmd_routine_show)

    points = subparsers.add_parser(
        "points",
        help="list the acupoints, or show one (codes and aliases such as SJ3 work)",
        description="Without CODE list every point; with CODE show where it is and how to find it.",
    )
    points.add_argument(
        "code", metavar="CODE", nargs="?", help="point code, alias or pinyin, e.g. TE3, SJ3, Hegu"
    )
    points.set_defaults(func=cmd_points)


def routine_actions(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The action group of ``postureguard routine``, created on first use.

    Another command module adds an action with ``routine_actions(subparsers).add_parser("play")``,
    whichever module registers first.
    """
    existing = subparsers.choices.get("routine")
    if existing is not None:
        return existing._postureguard_actions  # noqa: SLF001 - set below, our own attribute
    parser = subparsers.add_parser(
        "routine",
        help="work with one routine (show ID, ...)",
        description="Work with one routine.",
    )
    actions = parser.add_subparsers(dest="routine_action", metavar="ACTION")

    def missing_action(args: argparse.Namespace) -> int:
        choices = ", ".join(sorted(actions.choices))
        raise UserError(
            f"'routine' needs an action ({choices}), e.g. 'postureguard routine show neck-release'"
        )

    parser.set_defaults(func=missing_action)
    parser._postureguard_actions = actions  # noqa: SLF001
    return actions


# --------------------------------------------------------------------------------------------------
# Formatting helpers (pure: they return text)


def format_duration(seconds: float) -> str:
    """``180`` -> ``"3 min"``, ``90`` -> ``"1 min 30 s"``, ``40`` -> ``"40 s"``."""
    total = int(round(seconds))
    minutes, secs = divmod(total, 60)
    if minutes and secs:
        return f"{minutes} min {secs} s"
    return f"{minutes} min" if minutes else f"{secs} s"


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )


def _side_words(side: str) -> str:
    return {"left": "left side", "right": "right side", "both": "both sides at once", "center": "midline"}[
        side
    ]


_ACTION_WORDS = {"move": "Move", "rest": "Rest", "look_away": "Look away", "exercise": "Exercise"}


def exercise_counts(step) -> str:
    """``10 repetitions: hold 5 s, rest 5 s`` for an exercise step (pure; seconds as whole numbers)."""
    parts = [f"hold {step.hold_seconds:g} s"] if step.hold_seconds else []
    if step.rest_seconds:
        parts.append(f"rest {step.rest_seconds:g} s")
    reps = f"{step.reps} repetition{'s' if step.reps != 1 else ''}"
    return f"{reps}: {', '.join(parts)}" if parts else reps


def format_routines_table(kb) -> str:
    rows = [("ID", "TITLE", "TRIGGERS", "MIN", "SHORT", "EVIDENCE")]
    for routine in kb.routines:
        title = routine.title + (" (yours)" if routine.origin == "user" else "")
        rows.append(
            (
                routine.id,
                title,
                ", ".join(routine.triggers),
                f"{routine.minutes:.1f}",
                f"{routine.short_total_seconds / 60:.1f}",
                routine.evidence.level,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].ljust(widths[2]),
            row[3].rjust(widths[3]),
            row[4].rjust(widths[4]),
            row[5],
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append("MIN is the full routine (about 3 minutes a point); SHORT the quick version.")
    lines.append("Details: postureguard routine show ID")
    return "\n".join(lines) + "\n"


def format_routine(kb, routine) -> str:
    out = [f"{routine.title}  [{routine.id}]" + ("  (your routine)" if routine.origin == "user" else "")]
    out.append(f"For: {', '.join(t.replace('_', ' ') for t in routine.triggers)}")
    out.append(
        f"Time: {format_duration(routine.total_seconds)} "
        f"(short version: {format_duration(routine.short_total_seconds)})"
    )
    if kb.bleeding_caution and routine.kind == "points":  # before the steps, like the player's first screen
        out.append(_wrap(kb.bleeding_caution, "  ", first="Before you start: "))
    out.append("")
    out.append("Steps:")
    seen: dict[str, int] = {}
    for number, (step, point) in enumerate(kb.steps_with_points(routine), 1):
        timing = f"{format_duration(step.seconds)} (short: {format_duration(step.short_seconds)})"
        if point is None:
            if step.action == "exercise":
                timing = f"{exercise_counts(step)}, {format_duration(step.seconds)} in all"
            out.append(f"{number:2d}. {_ACTION_WORDS.get(step.action, step.action)}, {timing}")
            out.append(_wrap(step.instruction, _INDENT))
            continue
        out.append(f"{number:2d}. {point.label}, {_side_words(step.side)}, {timing}")
        out.append(_wrap(step.instruction, _INDENT))
        if point.code in seen:
            out.append(f"{_INDENT}Where: see step {seen[point.code]}.")
            continue
        seen[point.code] = number
        out.append(_wrap(point.location, _INDENT, first=f"{_INDENT}Where: "))
        out.append(_wrap(point.find, _INDENT, first=f"{_INDENT}How to find it: "))
        technique = point.technique
        pressure = "LIGHT pressure only" if point.light_pressure else f"{technique.pressure} pressure"
        out.append(f"{_INDENT}Pressure: {pressure}, {technique.motion}.")
        # Every pregnancy-cautioned point must say so, even if its own caution text forgets to.
        flags = " Not in pregnancy." if point.avoid_in_pregnancy and "pregnan" not in point.cautions else ""
        out.append(_wrap(point.cautions + flags, _INDENT, first=f"{_INDENT}Caution: "))
    out.append("")
    out.append(_wrap(routine.cautions, "  ", first="Cautions: "))
    out.append("")
    out.append(_wrap(f"{routine.evidence.level}. {routine.evidence.source}", "  ", first="Evidence: "))
    out.append("")
    out.append(format_red_flags(kb))
    out.append("")
    out.append(_wrap(kb.disclaimer))
    return "\n".join(out) + "\n"


def format_red_flags(kb) -> str:
    lines = ["Stop and see a doctor instead if:"]
    for flag in kb.red_flags:
        prefix = "URGENT, get care now: " if flag.emergency else ""
        prefix = "See a doctor today: " if flag.same_day else prefix
        text = prefix + flag.text
        lines.append(_wrap(text, "    ", first="  - "))
    return "\n".join(lines)


def format_points_table(kb) -> str:
    rows = [("CODE", "ALIASES", "PINYIN", "ENGLISH", "REGION", "NOTES")]
    for point in kb.points:
        notes = []
        if point.avoid_in_pregnancy:
            notes.append("not in pregnancy")
        if point.light_pressure:
            notes.append("light pressure")
        rows.append(
            (
                point.code,
                ", ".join(point.aliases) or "-",
                point.pinyin,
                point.english,
                point.region.replace("_", " "),
                "; ".join(notes),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("")
    lines.append("Details: postureguard points CODE")
    return "\n".join(lines) + "\n"


def format_point(kb, point) -> str:
    out = [point.label]
    if point.aliases:
        out.append(f"Also written: {', '.join(point.aliases)}")
    side = "on both sides of the body" if point.bilateral else "on the midline"
    out.append(f"Channel: {point.meridian}; region: {point.region.replace('_', ' ')}, {side}")
    out.append("")
    out.append(_wrap(point.location, "  ", first="Where: "))
    out.append(_wrap(point.find, "  ", first="How to find it: "))
    technique = point.technique
    pressure = "LIGHT pressure only" if point.light_pressure else f"{technique.pressure} pressure"
    per_side = format_duration(technique.seconds_per_side)
    out.append(f"Pressure: {pressure}, {technique.motion}, about {per_side} a side")
    if point.avoid_in_pregnancy:
        out.append(
            "Not in pregnancy: this point is traditionally avoided if you are pregnant or trying to conceive."
        )
    out.append(_wrap(point.cautions, "  ", first="Caution: "))
    if point.note:
        out.append(_wrap(point.note, "  ", first="Note: "))
    used = [r.id for r in kb.routines if point.code in r.point_codes]
    out.append(f"Used in: {', '.join(used) if used else 'no routine yet'}")
    out.append("")
    out.append(_wrap(kb.disclaimer))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------
# Commands (the imperative shell: load, format, write)


def _load():
    from postureguard.knowledge.loader import load_knowledge

    return load_knowledge()


def _write(text: str) -> None:
    """Print ``text`` with any control character left in it shown as an escape (``\\x1b``), never
    sent raw: the loader removes them from routine text, and this holds for whatever else is shown."""
    sys.stdout.write(visible_controls(text))


def cmd_routines(args: argparse.Namespace) -> int:
    _write(format_routines_table(_load()))
    return 0


def cmd_routine_show(args: argparse.Namespace) -> int:
    kb = _load()
    _write(format_routine(kb, kb.routine(args.id)))
    return 0


def cmd_points(args: argparse.Namespace) -> int:
    kb = _load()
    if args.code is None:
        _write(format_points_table(kb))
    else:
        _write(format_point(kb, kb.point(args.code)))
    return 0
