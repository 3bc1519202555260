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
from postureguard.i18n import N_, _, format_decimal, ngettext

WIDTH = 100
_INDENT = "    "


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``routines``, ``routine show`` and ``points`` to the top-level sub-commands."""
    listing = subparsers.add_parser(
        "routines",
        help=_("list the acupressure routines"),
        description=_("List the built-in routines and your own (from routines.json in the config folder)."),
    )
    listing.set_defaults(func=cmd_routines)

    actions = routine_actions(subparsers)
    show = actions.add_parser(
        "show",
        help=_("show one routine's steps, where to find each point, cautions and evidence"),
        description=_("Show a routine step by step: where and how to find each point, cautions, red flags "
                      "and the evidence behind it."),
    )
    show.add_argument("id", metavar="ID", help=_("routine id, as listed by 'postureguard routines'"))
    show.set_defaults(func=cmd_routine_show)

    points = subparsers.add_parser(
        "points",
        help=_("list the acupoints, or show one (codes and aliases such as SJ3 work)"),
        description=_("Without CODE list every point; with CODE show where it is and how to find it."),
    )
    points.add_argument(
        "code", metavar="CODE", nargs="?", help=_("point code, alias or pinyin, e.g. TE3, SJ3, Hegu")
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
        help=_("work with one routine (show ID, ...)"),
        description=_("Work with one routine."),
    )
    actions = parser.add_subparsers(dest="routine_action", metavar="ACTION")

    def missing_action(args: argparse.Namespace) -> int:
        choices = ", ".join(sorted(actions.choices))
        raise UserError(
            _("'routine' needs an action ({choices}), e.g. 'postureguard routine show neck-release'").format(
                choices=choices
            )
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
        return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=secs)
    return _("{minutes} min").format(minutes=minutes) if minutes else _("{seconds} s").format(seconds=secs)


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )


#: Trigger and body-region ids of the knowledge base as the user reads them (others: the id, spaced).
_TRIGGER_WORDS = {
    "neck_strain": N_("neck strain"), "shoulder_tension": N_("shoulder tension"), "headache": N_("headache"),
    "eye_strain": N_("eye strain"), "stress": N_("stress"), "low_back": N_("low back"),
    "prolonged_sitting": N_("prolonged sitting"),
}
_EVIDENCE_WORDS = {
    "low": N_("low"), "low to moderate": N_("low to moderate"), "traditional use": N_("traditional use"),
}
_REGION_WORDS = {
    "face": N_("face"), "foot": N_("foot"), "forearm": N_("forearm"), "hand": N_("hand"), "knee": N_("knee"),
    "leg": N_("leg"), "lower_back": N_("lower back"), "neck": N_("neck"), "shoulder": N_("shoulder"),
    "upper_back": N_("upper back"), "wrist": N_("wrist"),
}


def _id_words(table: dict[str, str], key: str) -> str:
    return _(table[key]) if key in table else key.replace("_", " ")


_SIDE_WORDS = {
    "left": N_("left side"), "right": N_("right side"), "both": N_("both sides at once"),
    "center": N_("midline"),
}


def _side_words(side: str) -> str:
    return _(_SIDE_WORDS[side])


_ACTION_WORDS = {
    "move": N_("Move"), "rest": N_("Rest"), "look_away": N_("Look away"), "exercise": N_("Exercise"),
}


def exercise_counts(step) -> str:
    """``10 repetitions: hold 5 s, rest 5 s`` for an exercise step (pure; seconds as whole numbers)."""
    parts = [_("hold {seconds} s").format(seconds=f"{step.hold_seconds:g}")] if step.hold_seconds else []
    if step.rest_seconds:
        parts.append(_("rest {seconds} s").format(seconds=f"{step.rest_seconds:g}"))
    reps = ngettext("{n} repetition", "{n} repetitions", step.reps).format(n=step.reps)
    return f"{reps}: {', '.join(parts)}" if parts else reps


def _pressure_words(point) -> str:
    """``LIGHT pressure only`` for a point to press gently, else ``firm pressure`` and the like."""
    if point.light_pressure:
        return _("LIGHT pressure only")
    pressure = point.technique.pressure
    return _(_PRESSURE_WORDS[pressure]) if pressure in _PRESSURE_WORDS else f"{pressure} pressure"


_PRESSURE_WORDS = {
    "firm": N_("firm pressure"), "moderate": N_("moderate pressure"), "light": N_("light pressure"),
}


def format_routines_table(kb) -> str:
    rows = [(_("ID"), _("TITLE"), _("TRIGGERS"), _("MIN"), _("SHORT"), _("EVIDENCE"))]
    for routine in kb.routines:
        title = routine.title + (_(" (yours)") if routine.origin == "user" else "")
        rows.append(
            (
                routine.id,
                title,
                ", ".join(routine.triggers),  # the ids: a compact column, the same in every language
                format_decimal(routine.minutes, "0.0"),
                format_decimal(routine.short_total_seconds / 60, "0.0"),
                _id_words(_EVIDENCE_WORDS, routine.evidence.level),
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
    lines.append(_("MIN is the full routine (about 3 minutes a point); SHORT the quick version."))
    lines.append(_("Details: {command}").format(command="postureguard routine show ID"))
    return "\n".join(lines) + "\n"


def format_routine(kb, routine) -> str:
    out = [f"{routine.title}  [{routine.id}]" + (_("  (your routine)") if routine.origin == "user" else "")]
    triggers = ", ".join(_id_words(_TRIGGER_WORDS, t) for t in routine.triggers)
    out.append(_("For: {triggers}").format(triggers=triggers))
    out.append(
        _("Time: {total} (short version: {short})").format(
            total=format_duration(routine.total_seconds), short=format_duration(routine.short_total_seconds)
        )
    )
    if kb.bleeding_caution and routine.kind == "points":  # before the steps, like the player's first screen
        out.append(_wrap(kb.bleeding_caution, "  ", first=_("Before you start: ")))
    out.append("")
    out.append(_("Steps:"))
    seen: dict[str, int] = {}
    for number, (step, point) in enumerate(kb.steps_with_points(routine), 1):
        timing = _("{time} (short: {short})").format(
            time=format_duration(step.seconds), short=format_duration(step.short_seconds)
        )
        if point is None:
            if step.action == "exercise":
                timing = _("{counts}, {time} in all").format(
                    counts=exercise_counts(step), time=format_duration(step.seconds)
                )
            out.append(f"{number:2d}. {_(_ACTION_WORDS.get(step.action, step.action))}, {timing}")
            out.append(_wrap(step.instruction, _INDENT))
            continue
        out.append(f"{number:2d}. {point.label}, {_side_words(step.side)}, {timing}")
        out.append(_wrap(step.instruction, _INDENT))
        if point.code in seen:
            out.append(_INDENT + _("Where: see step {number}.").format(number=seen[point.code]))
            continue
        seen[point.code] = number
        out.append(_wrap(point.location, _INDENT, first=_INDENT + _("Where: ")))
        out.append(_wrap(point.find, _INDENT, first=_INDENT + _("How to find it: ")))
        technique = point.technique
        pressure = _pressure_words(point)
        out.append(_INDENT + _("Pressure: {pressure}, {motion}.").format(
            pressure=pressure, motion=technique.motion))
        # Every pregnancy-cautioned point must say so, even if its own caution text forgets to.
        flags = ""
        # The stem is the current language's ("pregnan" in English), as the cautions are translated.
        if point.avoid_in_pregnancy and _("pregnan") not in point.cautions.lower():
            flags = _(" Not in pregnancy.")
        out.append(_wrap(point.cautions + flags, _INDENT, first=_INDENT + _("Caution: ")))
    out.append("")
    out.append(_wrap(routine.cautions, "  ", first=_("Cautions: ")))
    out.append("")
    level = _id_words(_EVIDENCE_WORDS, routine.evidence.level)
    out.append(_wrap(f"{level}. {routine.evidence.source}", "  ", first=_("Evidence: ")))
    out.append("")
    out.append(format_red_flags(kb))
    out.append("")
    out.append(_wrap(kb.disclaimer))
    return "\n".join(out) + "\n"


def format_red_flags(kb) -> str:
    lines = [_("Stop and see a doctor instead if:")]
    for flag in kb.red_flags:
        prefix = _("URGENT, get care now: ") if flag.emergency else ""
        prefix = _("See a doctor today: ") if flag.same_day else prefix
        text = prefix + flag.text
        lines.append(_wrap(text, "    ", first="  - "))
    return "\n".join(lines)


def format_points_table(kb) -> str:
    rows = [(_("CODE"), _("ALIASES"), _("PINYIN"), _("ENGLISH"), _("REGION"), _("NOTES"))]
    for point in kb.points:
        notes = []
        if point.avoid_in_pregnancy:
            notes.append(_("not in pregnancy"))
        if point.light_pressure:
            notes.append(_("light pressure"))
        rows.append(
            (
                point.code,
                ", ".join(point.aliases) or "-",
                point.pinyin,
                point.english,
                _id_words(_REGION_WORDS, point.region),
                "; ".join(notes),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("")
    lines.append(_("Details: {command}").format(command="postureguard points CODE"))
    return "\n".join(lines) + "\n"


def format_point(kb, point) -> str:
    out = [point.label]
    if point.aliases:
        out.append(_("Also written: {aliases}").format(aliases=", ".join(point.aliases)))
    side = _("on both sides of the body") if point.bilateral else _("on the midline")
    out.append(_("Channel: {channel}; region: {region}, {side}").format(
        channel=point.meridian, region=_id_words(_REGION_WORDS, point.region), side=side))
    out.append("")
    out.append(_wrap(point.location, "  ", first=_("Where: ")))
    out.append(_wrap(point.find, "  ", first=_("How to find it: ")))
    technique = point.technique
    pressure = _pressure_words(point)
    per_side = format_duration(technique.seconds_per_side)
    out.append(_("Pressure: {pressure}, {motion}, about {time} a side").format(
        pressure=pressure, motion=technique.motion, time=per_side))
    if point.avoid_in_pregnancy:
        out.append(
            _("Not in pregnancy: this point is traditionally avoided if you are pregnant or trying to "
              "conceive.")
        )
    out.append(_wrap(point.cautions, "  ", first=_("Caution: ")))
    if point.note:
        out.append(_wrap(point.note, "  ", first=_("Note: ")))
    used = [r.id for r in kb.routines if point.code in r.point_codes]
    out.append(_("Used in: {routines}").format(routines=", ".join(used) if used else _("no routine yet")))
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
