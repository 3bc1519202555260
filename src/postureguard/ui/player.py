"""The guided routine player: one window, one step at a time, with a diagram and a countdown.

Run as its own process by ``postureguard routine play ID`` (see :mod:`postureguard.runtime.children`), so the
tray never waits on it. The module has two halves:

* a functional core with no toolkit and no clock: :func:`plan_phases` turns a routine into timed
  phases, :class:`Progress` with :func:`advance`, :func:`go_next`, :func:`go_back` and
  :func:`toggle_pause` is the countdown's state machine (elapsed time is passed in), :func:`outcome`
  says what to write to the history, :func:`choose` applies the safety settings, and a few text
  helpers word the screens;
* the Tk shell (:func:`run` and :class:`PlayerWindow`), the only place in PostureGuard that imports
  tkinter. It reads the clock, the settings, the knowledge base and the small state file
  (``player.json`` in the config folder: notice acknowledged, window size), and writes the history.

A step whose point is bilateral and whose side is ``both`` is played as two phases, left then
right, each half of the step's time, so the routine still lasts what its first screen says.
``--step-seconds N`` replaces the time of every phase (both halves included) by N seconds.

A step counts as done when each of its phases was practised for at least :data:`MIN_DONE_SHARE`
of its time (the countdown running out counts fully; pressing Next early counts what was practised).
Closing writes ``completed`` (every step done), ``partial`` (some) or ``skipped`` (none).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from postureguard.errors import DataError, MissingDependency, UserError
from postureguard.i18n import N_, _, format_decimal, ngettext
from postureguard.knowledge.loader import KnowledgeBase, Point, Routine, Step
from postureguard.knowledge.recommender import NoRoutine, Recommendation, Recommender, SafetySettings

log = logging.getLogger(__name__)

#: Share of a phase's time (0..1) that must be practised for its step to count as done.
MIN_DONE_SHARE = 0.5
#: Tk timer period (milliseconds) of the countdown; the displayed seconds are whole, this keeps them true.
TICK_MS = 100
#: How long (milliseconds) the end-of-step flash lasts.
FLASH_MS = 700
#: How long (milliseconds) the window stays "always on top" after opening, to come to the front.
TOPMOST_MS = 1500
#: Environment variable that sets the interface scale (1.0 = 100 %, 2.0 = 200 %), for tests and users
#: whose desktop does not report its scaling to Tk.
SCALE_ENV = "POSTUREGUARD_UI_SCALE"
#: Default window size in logical pixels (multiplied by the interface scale).
DEFAULT_SIZE = (980, 680)
MIN_SIZE = (640, 480)
STATE_FILE_NAME = "player.json"
STATE_VERSION = 1


# ==================================================================================================
# Functional core: phases and progress


@dataclass(frozen=True)
class Phase:
    """One countdown: ``step`` is the 0-based index into the routine's steps, ``side`` one of
    'left', 'right', 'center'; ``seconds`` > 0; ``part`` of ``parts`` (2 for a both-sides step)."""

    step: int
    side: str
    seconds: float
    part: int = 1
    parts: int = 1


def plan_phases(kb: KnowledgeBase, routine: Routine, step_seconds: float | None = None) -> tuple[Phase, ...]:
    """The routine's timed phases, in order; ``step_seconds`` (> 0) replaces every phase's time."""
    if step_seconds is not None and not (math.isfinite(step_seconds) and step_seconds > 0):
        raise ValueError(f"step_seconds must be a positive number of seconds, not {step_seconds!r}")
    phases: list[Phase] = []
    for index, (step, point) in enumerate(kb.steps_with_points(routine)):
        if point is not None and point.bilateral and step.side == "both":
            half = step_seconds if step_seconds is not None else step.seconds / 2
            phases.append(Phase(index, "left", half, 1, 2))
            phases.append(Phase(index, "right", half, 2, 2))
        else:
            side = step.side if step.side in ("left", "right") else "center"
            phases.append(Phase(index, side, step_seconds if step_seconds is not None else step.seconds))
    return tuple(phases)


@dataclass(frozen=True)
class Progress:
    """Where the player is: phase ``phase`` with ``remaining`` seconds; ``practised[i]`` is the most
    time (seconds) ever spent in phase i; ``finished`` once the last phase is over."""

    phase: int
    remaining: float
    practised: tuple[float, ...]
    paused: bool = False
    finished: bool = False


def start(phases: Sequence[Phase]) -> Progress:
    """Progress at the beginning of the first phase."""
    if not phases:
        raise ValueError("a routine needs at least one phase")
    return Progress(0, phases[0].seconds, (0.0,) * len(phases))


def _record(progress: Progress, phases: Sequence[Phase]) -> tuple[float, ...]:
    spent = phases[progress.phase].seconds - progress.remaining
    practised = list(progress.practised)
    practised[progress.phase] = max(practised[progress.phase], min(spent, phases[progress.phase].seconds))
    return tuple(practised)


def _enter(progress: Progress, phases: Sequence[Phase], index: int, practised: tuple[float, ...]) -> Progress:
    if index >= len(phases):
        return replace(progress, practised=practised, remaining=0.0, finished=True, paused=False)
    return replace(
        progress, phase=index, remaining=phases[index].seconds, practised=practised, finished=False
    )


def advance(progress: Progress, phases: Sequence[Phase], elapsed: float) -> tuple[Progress, bool]:
    """Count ``elapsed`` seconds (>= 0) down; returns the new progress and whether a phase just ended.

    Paused or finished progress does not move. A phase that runs out moves on to the next one (time
    beyond its end is not carried over: a tick is a fraction of a second).
    """
    if progress.paused or progress.finished or elapsed <= 0:
        return progress, False
    remaining = progress.remaining - elapsed
    if remaining > 1e-9:
        moved = replace(progress, remaining=remaining)
        return replace(moved, practised=_record(moved, phases)), False
    ended = replace(progress, remaining=0.0)
    return _enter(ended, phases, progress.phase + 1, _record(ended, phases)), True


def go_next(progress: Progress, phases: Sequence[Phase]) -> Progress:
    """Skip to the next phase (or finish after the last); what was practised so far is kept."""
    if progress.finished:
        return progress
    return replace(_enter(progress, phases, progress.phase + 1, _record(progress, phases)), paused=False)


def go_back(progress: Progress, phases: Sequence[Phase]) -> Progress:
    """Back to the start of the previous phase (the first phase restarts); from the end, the last."""
    if progress.finished:
        return replace(_enter(progress, phases, len(phases) - 1, progress.practised), paused=False)
    practised = _record(progress, phases)
    return replace(_enter(progress, phases, max(progress.phase - 1, 0), practised), paused=False)


def toggle_pause(progress: Progress) -> Progress:
    """Pause a running countdown or resume a paused one (a finished routine stays finished)."""
    if progress.finished:
        return progress
    return replace(progress, paused=not progress.paused)


def steps_done(progress: Progress, phases: Sequence[Phase]) -> int:
    """How many steps count as done: every phase of the step practised >= MIN_DONE_SHARE of its time."""
    by_step: dict[int, bool] = {}
    for phase, practised in zip(phases, progress.practised, strict=True):
        ok = practised >= MIN_DONE_SHARE * phase.seconds - 1e-9
        by_step[phase.step] = by_step.get(phase.step, True) and ok
    return sum(by_step.values())


def outcome(done: int, total: int) -> str:
    """History status for ``done`` of ``total`` steps: 'completed', 'partial' or 'skipped'."""
    if total > 0 and done >= total:
        return "completed"
    return "partial" if done > 0 else "skipped"


# ==================================================================================================
# Functional core: safety and words


@dataclass(frozen=True)
class Choice:
    """What the player can offer for a requested routine under the user's safety settings.

    ``playable`` is the routine to play (safety-filtered and timed) or None when the settings rule
    it out, ``reason`` says why in that case; ``removed`` lists steps left out as (code, why);
    ``alternative`` is another routine that fits, offered whenever something was excluded.
    """

    requested: Routine
    playable: Recommendation | None
    reason: str = ""
    removed: tuple[tuple[str, str], ...] = ()
    alternative: Recommendation | None = None

    @property
    def light_only(self) -> bool:
        """Every point of the playable routine is pressed lightly (blood thinners, a bleeding disorder)."""
        return self.playable is not None and self.playable.light_only


def _timed(routine: Routine, short: bool) -> Routine:
    return routine.with_variant("short") if short and routine.variant == "full" else routine


def choose(kb: KnowledgeBase, routine_id: str, safety: SafetySettings, *, short: bool = False) -> Choice:
    """Apply ``safety`` to routine ``routine_id`` (UnknownName if there is none); pure."""
    recommender = Recommender(kb, safety)
    requested = kb.routine(routine_id)
    prepared = recommender.prepare(routine_id)
    if isinstance(prepared, NoRoutine):
        playable, reason, removed = None, prepared.reason, ()
        _kept, dropped = recommender.apply_safety(requested)
        removed = tuple((r.step.point or "", r.reason) for r in dropped)
    else:
        playable = replace(prepared, routine=_timed(prepared.routine, short))
        reason = ""
        removed = tuple((r.step.point or "", r.reason) for r in prepared.removed)
    alternative = None
    if removed or playable is None:
        found = recommender.safe_alternative(routine_id)
        if isinstance(found, Recommendation):
            alternative = replace(found, routine=_timed(found.routine, short))
        elif playable is None:
            reason = f"{reason} {found.reason}".strip()
    unique_removed = tuple(dict.fromkeys(removed))
    return Choice(requested, playable, reason, unique_removed, alternative)


def bleeding_text(kb: KnowledgeBase, choice: Choice) -> str:
    """The blood-thinner line of a routine's first screen: the general caution, or, when the user's
    settings say blood thinners or a bleeding disorder, that this routine is pressed lightly throughout."""
    if choice.light_only:
        return _(
            "Your settings say you take a blood thinner or have a bleeding disorder: press every point in "
            "this routine lightly, and stop if a spot bruises."
        )
    return kb.bleeding_caution


def format_clock(seconds: float) -> str:
    """Whole seconds left, rounded up, as ``m:ss`` (``65.2`` -> ``"1:06"``, ``0`` -> ``"0:00"``)."""
    whole = max(0, math.ceil(seconds - 1e-9))
    return f"{whole // 60}:{whole % 60:02d}"


def format_minutes(seconds: float) -> str:
    """A routine's length in words: ``"about 9 minutes"``, ``"about 1 minute"``, ``"40 seconds"``."""
    if seconds < 60:
        whole = int(round(seconds))
        return ngettext("{n} second", "{n} seconds", whole).format(n=whole)
    minutes = max(1, int(round(seconds / 60)))
    return ngettext("about {n} minute", "about {n} minutes", minutes).format(n=minutes)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def find_lines(text: str, max_lines: int = 3) -> list[str]:
    """The point's ``find`` text as at most ``max_lines`` short lines, one sentence each.

    Sentences beyond the limit are joined to the last line, so nothing the user needs is dropped.
    """
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    if len(sentences) <= max_lines:
        return sentences
    return sentences[: max_lines - 1] + [" ".join(sentences[max_lines - 1 :])]


_LIMB = {
    "hand": "hand",
    "wrist": "arm",
    "forearm": "arm",
    "leg": "leg",
    "knee": "leg",
    "foot": "foot",
}
#: (side, limb) -> the words; each whole, as German and Spanish inflect side and limb together.
_SIDE_TEXTS = {
    ("left", "hand"): N_("Left hand"), ("right", "hand"): N_("Right hand"),
    ("left", "arm"): N_("Left arm"), ("right", "arm"): N_("Right arm"),
    ("left", "leg"): N_("Left leg"), ("right", "leg"): N_("Right leg"),
    ("left", "foot"): N_("Left foot"), ("right", "foot"): N_("Right foot"),
    ("left", "side"): N_("Left side"), ("right", "side"): N_("Right side"),
}  # fmt: skip


def side_text(point: Point | None, phase: Phase) -> str:
    """Which side to work on, in words ('Left hand', 'Right side (2 of 2)', 'Middle')."""
    if point is None:
        return ""
    if phase.side == "center":
        return _("Middle of the body")
    where = _LIMB.get(point.region, "side")
    words = _SIDE_TEXTS.get((phase.side, where))
    text = _(words) if words else f"{phase.side.capitalize()} {where}"
    if phase.parts > 1:
        text += " " + _("({part} of {parts}: left, then right)").format(part=phase.part, parts=phase.parts)
    return text


def technique_text(point: Point, light_only: bool = False) -> str:
    """How to press, e.g. 'Firm pressure, circular or up-and-down'; light points say so first.

    ``light_only`` (blood thinners or a bleeding disorder) makes every point light, and says why.
    """
    technique = point.technique
    if light_only and not point.light_pressure:
        return _("Light pressure only (blood thinners or a bleeding disorder), {motion}.").format(
            motion=technique.motion
        )
    if point.light_pressure:
        pressure = _("Light pressure only")
    else:
        words = _PRESSURE_TEXTS.get(technique.pressure)
        pressure = _(words) if words else f"{technique.pressure.capitalize()} pressure"
    return _("{pressure}, {motion}.").format(pressure=pressure, motion=technique.motion)


#: The knowledge base's pressures (PRESSURES) in words.
_PRESSURE_TEXTS = {
    "light": N_("Light pressure"), "moderate": N_("Moderate pressure"), "firm": N_("Firm pressure"),
}  # fmt: skip


_ACTION_TITLES = {
    "move": N_("Move"), "rest": N_("Rest"), "look_away": N_("Look away"), "exercise": N_("Exercise"),
}  # fmt: skip


def exercise_progress(step: Step, seconds: float, remaining: float) -> str:
    """Where an exercise step is, for the line beside its clock (pure): ``"Rep 3 of 10: hold 2 s"``.

    ``seconds`` is the phase's full length and ``remaining`` what is left of it (both seconds); each
    repetition is ``hold_seconds`` of holding then ``rest_seconds`` of rest. Counts round up, so the
    first second of a hold reads "hold 5 s", not "hold 4 s".
    """
    rep_s = step.rep_seconds
    if step.reps <= 0 or rep_s <= 0:
        return ""
    elapsed = min(max(seconds - remaining, 0.0), seconds)
    rep = min(int(elapsed // rep_s), step.reps - 1)
    within = elapsed - rep * rep_s
    if within < step.hold_seconds or not step.rest_seconds:
        text, left = _("Rep {rep} of {reps}: hold {seconds} s"), step.hold_seconds - within
    else:
        text, left = _("Rep {rep} of {reps}: rest {seconds} s"), rep_s - within
    return text.format(rep=rep + 1, reps=step.reps, seconds=max(1, math.ceil(left - 1e-9)))


def exercise_holding(step: Step, seconds: float, remaining: float) -> bool:
    """Whether an exercise step is in the hold of a repetition (True) or in its rest (False) (pure).

    The same arguments as :func:`exercise_progress`. The player marks the figure's held pose while
    holding and the start pose while resting, so the picture follows the count.
    """
    rep_s = step.rep_seconds
    if step.reps <= 0 or rep_s <= 0:
        return False
    elapsed = min(max(seconds - remaining, 0.0), seconds)
    rep = min(int(elapsed // rep_s), step.reps - 1)
    return elapsed - rep * rep_s < step.hold_seconds or not step.rest_seconds


def step_title(step: Step, point: Point | None) -> tuple[str, str]:
    """The big heading and the subheading of a step: ('TE3 Zhongzhu', 'Central Islet') or ('Move', '')."""
    if point is None:
        title = _ACTION_TITLES.get(step.action)
        return (_(title) if title else step.action.capitalize()), ""
    return f"{point.code} {point.pinyin}", point.english


def routine_cautions(kb: KnowledgeBase, routine: Routine) -> list[tuple[str, str]]:
    """The routine's caution and each pressed point's caution, as (heading, text), without repeats."""
    out = [(_("This routine"), routine.cautions)]
    seen: set[str] = set()
    for _step, point in kb.steps_with_points(routine):
        if point is None or point.code in seen:
            continue
        seen.add(point.code)
        text = point.cautions
        # The stems are the current language's ("pregnan" in English), as the cautions are translated.
        if point.avoid_in_pregnancy and _("pregnan") not in text.lower():
            text += " " + _("Not in pregnancy.")
        if point.light_pressure and _("light") not in text.lower():
            text += " " + _("Press lightly.")
        out.append((point.label, text))
    return out


def ui_scale(env_value: str | None, tk_scaling: float) -> float:
    """The interface scale (1.0 = 100 %): ``env_value`` when set, else from Tk's pixels per point.

    Tk reports 96 dpi as 1.333 pixels per point; a desktop at 125 % or 200 % reports 1.667 or 2.667.
    The result is kept within 0.75..4. A malformed ``env_value`` raises DataError naming the variable.
    """
    if env_value is not None and env_value.strip():
        try:
            value = float(env_value.strip().rstrip("%"))
        except ValueError:
            raise DataError(
                _("{name} must be a number such as 1.25 or 2, not {value}").format(
                    name=SCALE_ENV, value=repr(env_value)
                )
            ) from None
        if env_value.strip().endswith("%"):
            value /= 100.0
        if not (math.isfinite(value) and 0.75 <= value <= 4.0):
            raise DataError(
                _("{name} must be between 0.75 and 4 (1 = 100 %), not {value}").format(
                    name=SCALE_ENV, value=repr(env_value)
                )
            )
        return value
    return min(max(tk_scaling / (96 / 72), 1.0), 4.0)


def window_size(remembered: tuple[int, int] | None, scale: float, screen: tuple[int, int]) -> tuple[int, int]:
    """Window size in pixels: the remembered logical size (or the default) times ``scale``, kept
    between :data:`MIN_SIZE` (scaled) and 95 % of the ``screen`` (pixels)."""
    width, height = remembered or DEFAULT_SIZE
    max_w, max_h = int(screen[0] * 0.95), int(screen[1] * 0.92)
    min_w, min_h = min(int(MIN_SIZE[0] * scale), max_w), min(int(MIN_SIZE[1] * scale), max_h)
    return (
        max(min_w, min(int(width * scale), max_w)),
        max(min_h, min(int(height * scale), max_h)),
    )


# ==================================================================================================
# The state file (notice acknowledged, window size)


@dataclass(frozen=True)
class PlayerPrefs:
    """What the player remembers: the notice was acknowledged; the window's logical size (pixels at
    100 %, so it reopens the same at another scale)."""

    notice_acknowledged: bool = False
    size: tuple[int, int] | None = None


def prefs_from_doc(doc: Any, file: str) -> tuple[PlayerPrefs, list[str]]:
    """Read the state document; every bad field is left at its default and named in a warning."""
    warnings: list[str] = []
    if not isinstance(doc, dict):
        return PlayerPrefs(), [f"{file}: expected a JSON object; starting afresh"]
    ack = doc.get("notice_acknowledged", False)
    if not isinstance(ack, bool):
        warnings.append(f"{file}: field 'notice_acknowledged' must be true or false, not {ack!r}")
        ack = False
    size = None
    raw = doc.get("window_size")
    if raw is not None:
        if (
            isinstance(raw, list)
            and len(raw) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 10000 for v in raw)
        ):
            size = (raw[0], raw[1])
        else:
            warnings.append(f"{file}: field 'window_size' must be [width, height] in pixels, not {raw!r}")
    return PlayerPrefs(ack, size), warnings


def prefs_to_doc(prefs: PlayerPrefs) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": STATE_VERSION, "notice_acknowledged": prefs.notice_acknowledged}
    if prefs.size is not None:
        doc["window_size"] = list(prefs.size)
    return doc


def state_file() -> Path:
    """The player's state file (``player.json`` in :func:`postureguard.files.paths.config_dir`)."""
    from postureguard.files import paths

    return paths.config_dir() / STATE_FILE_NAME


def load_prefs(path: Path) -> PlayerPrefs:
    """Read the state file; a missing, unreadable or broken one gives the defaults (and a warning)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return PlayerPrefs()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s cannot be read (%s); the player starts with its defaults", path, exc)
        return PlayerPrefs()
    prefs, warnings = prefs_from_doc(doc, str(path))
    for warning in warnings:
        log.warning("%s", warning)
    return prefs


def save_prefs(path: Path, prefs: PlayerPrefs) -> None:
    """Write the state file atomically (temp file, fsync, rename), mode 0600, folder 0700."""
    from postureguard.files import paths

    paths.ensure_private_dir(path.parent)
    paths.write_atomic(path, (json.dumps(prefs_to_doc(prefs), indent=2) + "\n").encode("utf-8"))


# ==================================================================================================
# History (a thin adapter around the store, so a history problem never stops a routine)


@dataclass
class HistoryLog:
    """Writes one routine run to the history store; problems are logged, never raised.

    ``opener`` returns a :class:`postureguard.history.HistoryStore` (opened on first use).
    """

    opener: Callable[[], Any]
    clock: Callable[[], float] = time.time
    record_id: int | None = None
    routine_id: str | None = None
    finished: bool = False
    _store: Any = field(default=None, repr=False)

    def _get(self):
        if self._store is None:
            self._store = self.opener()
            if getattr(self._store, "notice", None):
                log.warning("history: %s", self._store.notice)
        return self._store

    def started(self, routine_id: str, steps_total: int, source: str) -> None:
        try:
            self.record_id = self._get().start_routine(routine_id, self.clock(), steps_total, source)
            self.routine_id, self.finished = routine_id, False
            log.info(
                "history: routine %s started (record %s, %d steps)", routine_id, self.record_id, steps_total
            )
        except (UserError, OSError, ValueError) as exc:
            log.warning("history: cannot record the start of %s: %s", routine_id, exc)

    def finish(self, status: str, done: int) -> None:
        if self.record_id is None or self.finished:
            return
        try:
            self._get().finish_routine(self.record_id, status, done, self.clock())
            self.finished = True
            log.info("history: routine %s %s (%d steps done)", self.routine_id, status, done)
        except (UserError, OSError, ValueError) as exc:
            log.warning("history: cannot record how %s ended: %s", self.routine_id, exc)

    def pressed(self, seconds: Mapping[str, float]) -> None:
        """Record the seconds actually pressed per point (camera guide); a repeat replaces the values."""
        if self.record_id is None or not seconds:
            return
        try:
            self._get().set_pressed(self.record_id, dict(seconds))
            log.info("history: pressed %s", {k: round(v, 1) for k, v in seconds.items()})
        except (UserError, OSError, ValueError) as exc:
            log.warning("history: cannot record the pressed seconds of %s: %s", self.routine_id, exc)

    def close(self) -> None:
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None


# ==================================================================================================
# The Tk shell


def _import_tk():
    try:
        import tkinter
        import tkinter.font
    except ImportError as exc:
        raise MissingDependency(
            _(
                "the routine player needs Tk for Python ({error}); install it with: sudo apt-get install "
                "python3-tk (Debian/Ubuntu), or your system's python3-tkinter / tk package"
            ).format(error=exc)
        ) from exc
    return tkinter


COLOURS: Mapping[str, str] = {
    "bg": "#f6f4ef",
    "panel": "#ffffff",
    "text": "#1f2328",
    "muted": "#57606a",
    "accent": "#1f5f8b",
    "accent_text": "#ffffff",
    "warn_bg": "#fff4d6",
    "warn_text": "#5c4400",
    "danger": "#b42318",
    "flash": "#ffd166",
    "skin": "#efd9c3",
    "skin_line": "#a8896d",
    "detail": "#8a7560",
    "point": "#d1345b",
    "point_other": "#ffffff",
    "point_other_line": "#6e7781",
    "prop": "#9aa4ae",
    "marked": "#fbeef1",
    "rule": "#e4e0d6",
}


class PlayerWindow:
    """The player's window; all Tk work happens here. ``now`` is the monotonic clock (seconds)."""

    def __init__(
        self,
        tk,
        root,
        kb: KnowledgeBase,
        choice: Choice,
        *,
        source: str,
        step_seconds: float | None,
        history: HistoryLog,
        prefs: PlayerPrefs,
        prefs_path: Path,
        scale: float,
        now: Callable[[], float] = time.monotonic,
        guide_view: Callable[[PlayerWindow], Any] | None = None,
    ) -> None:
        self.tk, self.root, self.kb = tk, root, kb
        self.choice = choice
        self.source = source
        self.step_seconds = step_seconds
        self.history = history
        self.prefs, self.prefs_path = prefs, prefs_path
        self.scale = scale
        self.now = now
        self.routine: Routine = choice.playable.routine if choice.playable else choice.requested
        self.phases: tuple[Phase, ...] = ()
        self.progress: Progress | None = None
        self.screen = ""
        self.body = None
        self._tick_job = None
        self._last_tick = 0.0
        self._shown_clock = ""
        self._shown_state = ""
        self._figure_pose: int | None = None  # which pose of an exercise figure is marked (0 start, 1 held)
        self._closed = False
        self._flash_job = None
        self._ready = False
        self._make_fonts()
        root.configure(bg=COLOURS["bg"])
        root.title(f"PostureGuard — {self.routine.title}")
        root.protocol("WM_DELETE_WINDOW", self.close)
        for key, handler in (
            ("<space>", self.on_space),
            ("<Right>", self.on_next),
            ("<Left>", self.on_back),
            ("<Escape>", self.on_escape),
            ("<Return>", self.on_return),
            ("<KP_Enter>", self.on_return),
            ("<F1>", self.show_red_flags),
        ):
            root.bind(key, lambda _event, h=handler: h())
        self._primary: Callable[[], None] | None = None
        # The camera guide (ui/guide_view.py), when the settings and a camera allow it.
        self.guide = guide_view(self) if guide_view is not None else None

    # ----- sizes and fonts ------------------------------------------------------------------------

    def px(self, value: float) -> int:
        """Logical pixels (at 100 %) to screen pixels."""
        return max(1, int(round(value * self.scale)))

    def _make_fonts(self) -> None:
        font = self.tk.font
        family = font.nametofont("TkDefaultFont").actual("family")
        sizes = {
            "PGBody": (15, "normal"),
            "PGSmall": (13, "normal"),
            "PGHeading": (17, "bold"),
            "PGTitle": (26, "bold"),
            "PGSubtitle": (19, "normal"),
            "PGClock": (64, "bold"),
            "PGButton": (15, "bold"),
        }
        self.fonts = {}
        for name, (size, weight) in sizes.items():
            # Negative sizes are pixels: exact at every scale, whatever the X server reports as its dpi.
            self.fonts[name] = font.Font(
                self.root, name=name, family=family, size=-self.px(size), weight=weight
            )
        # Dialogs and any default-font widget follow the same scale.
        for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont", "TkCaptionFont"):
            with contextlib.suppress(Exception):
                font.nametofont(name).configure(size=-self.px(15))

    # ----- widgets --------------------------------------------------------------------------------

    def label(self, parent, text: str = "", font: str = "PGBody", fg: str | None = None, wrap: bool = True,
              anchor: str = "w"):  # fmt: skip
        widget = self.tk.Label(
            parent,
            text=text,
            font=font,
            fg=fg or COLOURS["text"],
            bg=parent.cget("bg"),
            justify="left",
            anchor=anchor,
        )
        if wrap:
            # Wrap to the label's own width, which follows the window, so nothing is ever cut off.
            widget.bind("<Configure>", lambda e, w=widget: w.configure(wraplength=max(e.width - 4, 50)))
        return widget

    def button(self, parent, text: str, command: Callable[[], None], primary: bool = False):
        colours = (
            {"bg": COLOURS["accent"], "fg": COLOURS["accent_text"], "activebackground": "#174a6d",
             "activeforeground": COLOURS["accent_text"]}
            if primary
            else {"bg": COLOURS["panel"], "fg": COLOURS["text"], "activebackground": "#e8e4da",
                  "activeforeground": COLOURS["text"]}
        )  # fmt: skip
        return self.tk.Button(
            parent,
            text=text,
            command=command,
            font="PGButton",
            relief="flat",
            borderwidth=0,
            highlightthickness=self.px(1),
            highlightbackground="#c9c4b8",
            padx=self.px(16),
            pady=self.px(8),
            cursor="hand2",
            # Keys are handled by the window; a focused button would also take the space bar.
            takefocus=0,
            **colours,
        )

    def _new_screen(self, name: str):
        if self.body is not None:
            self.body.destroy()
        self.screen = name
        self._primary = None
        self.body = self.tk.Frame(self.root, bg=COLOURS["bg"], padx=self.px(24), pady=self.px(18))
        self.body.pack(fill="both", expand=True)
        log.info("player: screen %s", name)
        return self.body

    # ----- opening and closing --------------------------------------------------------------------

    def open(self) -> None:
        """Size the window, bring it to the front and show the first screen."""
        screen = (self.root.winfo_screenwidth(), self.root.winfo_screenheight())
        width, height = window_size(self.prefs.size, self.scale, screen)
        x, y = max((screen[0] - width) // 2, 0), max((screen[1] - height) // 3, 0)
        self.root.geometry(f"{width}x{height}+{x}+{y}")
        min_w, min_h = window_size(MIN_SIZE, self.scale, screen)
        self.root.minsize(min(min_w, width), min(min_h, height))
        if not self.prefs.notice_acknowledged:
            self.show_notice()
        elif self.choice.playable is None:
            self.show_blocked()
        else:
            self.show_intro()
        self.root.lift()
        self.root.attributes("-topmost", True)
        self.root.after(TOPMOST_MS, lambda: self.root.attributes("-topmost", False))
        self.root.bind("<FocusIn>", self._on_focus, add="+")
        self.root.focus_force()

    def _on_focus(self, _event=None) -> None:
        # Keys reach the player only once it has the keyboard focus; say so once (tests wait for it).
        if not self._ready:
            self._ready = True
            log.info("player: window ready for keys")

    def close(self) -> None:
        """Record how the routine ended, remember the window size, and close."""
        if self._closed:
            return
        self._closed = True
        if self.guide is not None:
            self.guide.close()
            self.history.pressed(self.guide.pressed)
        if self.history.record_id is None:
            # Closed before starting: the routine was offered and not done.
            self.history.started(self.routine.id, len(self.routine.steps), self.source)
            self.history.finish("skipped", 0)
        elif self.progress is not None:
            done = steps_done(self.progress, self.phases)
            self.history.finish(outcome(done, len(self.routine.steps)), done)
        self.history.close()
        try:
            width, height = self.root.winfo_width(), self.root.winfo_height()
            if width > 1 and height > 1:
                size = (int(round(width / self.scale)), int(round(height / self.scale)))
                self.prefs = replace(self.prefs, size=size)
                save_prefs(self.prefs_path, self.prefs)
        except (OSError, self.tk.TclError) as exc:
            log.warning("cannot remember the window size in %s: %s", self.prefs_path, exc)
        log.info("player: closed")
        self.root.destroy()

    # ----- keys -----------------------------------------------------------------------------------

    def on_space(self) -> None:
        if self.screen == "step":
            self.pause_resume()
        elif self._primary is not None:
            self._primary()

    def on_next(self) -> None:
        if self.screen == "step":
            self.move(go_next)

    def on_back(self) -> None:
        if self.screen in ("step", "finished"):
            self.move(go_back)

    def on_escape(self) -> None:
        self.close()

    def on_return(self) -> None:
        if self._primary is not None:
            self._primary()

    # ----- screens --------------------------------------------------------------------------------

    def show_notice(self) -> None:
        body = self._new_screen("notice")
        self.label(body, _("Before you start"), "PGTitle").pack(fill="x", pady=(0, self.px(12)))
        self.label(body, self.kb.disclaimer, "PGSubtitle").pack(fill="x", pady=(0, self.px(12)))
        self.label(
            body,
            _("Press gently and stop if anything hurts. This notice is shown once."),
            "PGBody",
            fg=COLOURS["muted"],
        ).pack(fill="x")
        bar = self.tk.Frame(body, bg=COLOURS["bg"])
        bar.pack(side="bottom", fill="x", pady=(self.px(12), 0))
        self.button(bar, _("When to see a doctor"), self.show_red_flags).pack(side="left")
        self.button(bar, _("I understand"), self.acknowledge, primary=True).pack(side="right")
        self._primary = self.acknowledge

    def acknowledge(self) -> None:
        self.prefs = replace(self.prefs, notice_acknowledged=True)
        try:
            save_prefs(self.prefs_path, self.prefs)
        except OSError as exc:
            log.warning("cannot remember that the notice was read (%s): %s", self.prefs_path, exc)
        log.info("player: notice acknowledged")
        if self.choice.playable is None:
            self.show_blocked()
        else:
            self.show_intro()

    def show_blocked(self) -> None:
        """The requested routine is ruled out by the safety settings: say why, offer the alternative."""
        body = self._new_screen("blocked")
        self.label(body, self.choice.requested.title, "PGTitle").pack(fill="x")
        unsuitable = _("Not suitable with your safety settings")
        self.label(body, unsuitable, "PGSubtitle", fg=COLOURS["danger"]).pack(
            fill="x", pady=(self.px(4), self.px(12))
        )
        box = self.tk.Frame(body, bg=COLOURS["warn_bg"], padx=self.px(14), pady=self.px(10))
        box.pack(fill="x")
        self.label(box, self.choice.reason, "PGBody", fg=COLOURS["warn_text"]).pack(fill="x")
        for code, why in self.choice.removed:
            self.label(box, f"•  {code}: {why}", "PGBody", fg=COLOURS["warn_text"]).pack(fill="x")
        bar = self.tk.Frame(body, bg=COLOURS["bg"])
        bar.pack(side="bottom", fill="x", pady=(self.px(12), 0))
        self.button(bar, _("Close"), self.close).pack(side="left")
        alternative = self.choice.alternative
        if alternative is not None:
            self.label(body, _("Instead you could do:"), "PGHeading").pack(fill="x", pady=(self.px(16), 0))
            self.label(
                body,
                f"{alternative.routine.title} ({format_minutes(alternative.routine.total_seconds)})",
                "PGSubtitle",
            ).pack(fill="x")
            self.label(body, alternative.reason, "PGBody", fg=COLOURS["muted"]).pack(fill="x")
            self.button(
                bar, _("Show “{title}”").format(title=alternative.routine.title), self.switch_to_alternative,
                primary=True,
            ).pack(side="right")
            self._primary = self.switch_to_alternative
        log.info(
            "player: %s is excluded by the safety settings: %s", self.choice.requested.id, self.choice.reason
        )

    def switch_to_alternative(self) -> None:
        alternative = self.choice.alternative
        if alternative is None:
            return
        log.info("player: switching to the safe alternative %s", alternative.routine.id)
        self.choice = Choice(alternative.routine, alternative, removed=tuple(
            (r.step.point or "", r.reason) for r in alternative.removed))  # fmt: skip
        self.routine = alternative.routine
        self.root.title(f"PostureGuard — {self.routine.title}")
        self.show_intro()

    def show_intro(self) -> None:
        routine = self.routine
        body = self._new_screen("intro")
        self.label(body, routine.title, "PGTitle").pack(fill="x")
        presses = len(routine.press_steps)
        length = format_minutes(sum(p.seconds for p in plan_phases(self.kb, routine, self.step_seconds)))
        variant = " " + _("(short version)") if routine.variant == "short" else ""
        if self.step_seconds is not None:
            variant += " " + _("(every step {seconds} s, for a demonstration)").format(
                seconds=format_decimal(self.step_seconds)
            )
        steps = ngettext(
            "{n} step, {presses} on acupressure points", "{n} steps, {presses} on acupressure points",
            len(routine.steps),
        ).format(n=len(routine.steps), presses=presses)  # fmt: skip
        if routine.kind == "exercises":  # nothing is pressed: say what is counted instead
            reps = sum(step.reps for step in routine.steps if step.action == "exercise")
            steps = ngettext("{n} step", "{n} steps", len(routine.steps)).format(n=len(routine.steps))
            steps += ", " + ngettext(
                "{reps} counted repetition", "{reps} counted repetitions", reps
            ).format(reps=reps)
        self.label(
            body,
            f"{length[:1].upper()}{length[1:]}{variant} · {steps}",
            "PGSubtitle",
            fg=COLOURS["muted"],
        ).pack(fill="x", pady=(self.px(2), self.px(10)))
        if self.choice.removed:
            box = self.tk.Frame(body, bg=COLOURS["warn_bg"], padx=self.px(12), pady=self.px(8))
            box.pack(fill="x", pady=(0, self.px(8)))
            left_out = "; ".join(f"{code} ({why})" for code, why in self.choice.removed)
            left_out = _("Left out for your safety settings: {points}.").format(points=left_out)
            self.label(box, left_out, "PGBody", fg=COLOURS["warn_text"]).pack(fill="x")
        if self.kb.bleeding_caution and self.routine.kind == "points":
            # On the first screen of every points routine, not only in the scrolled cautions: firm presses
            # of 1-3 minutes bruise people on blood thinners.
            bleed = self.tk.Frame(body, bg=COLOURS["warn_bg"], padx=self.px(12), pady=self.px(8))
            bleed.pack(fill="x", pady=(0, self.px(8)))
            self.label(bleed, bleeding_text(self.kb, self.choice), "PGBody",
                       fg=COLOURS["warn_text"]).pack(fill="x")  # fmt: skip

        bar = self.tk.Frame(body, bg=COLOURS["bg"])
        bar.pack(side="bottom", fill="x", pady=(self.px(12), 0))
        self.button(bar, _("When to see a doctor"), self.show_red_flags).pack(side="left")
        self.button(bar, _("Close"), self.close).pack(side="left", padx=(self.px(10), 0))
        self.button(bar, _("Start"), self.start_routine, primary=True).pack(side="right")
        alternative = self.choice.alternative
        if self.choice.removed and alternative is not None:
            try_it = _("Try “{title}”").format(title=alternative.routine.title)
            self.button(bar, try_it, self.switch_to_alternative).pack(side="right", padx=(0, self.px(10)))
        self._primary = self.start_routine

        text = self._text_panel(body)
        text.insert("end", _("Evidence") + "\n", "heading")
        level = _("Evidence level: {level}.").format(level=routine.evidence.level_text)
        text.insert("end", level + " ", "strong")
        text.insert("end", _("Source: {source}").format(source=routine.evidence.source) + "\n", "body")
        text.insert("end", _("Cautions") + "\n", "heading")
        for heading, caution in routine_cautions(self.kb, routine):
            text.insert("end", f"{heading}: ", "strong")
            text.insert("end", f"{caution}\n", "body")
        text.insert("end", _("Steps") + "\n", "heading")
        for number, (step, point) in enumerate(self.kb.steps_with_points(routine), 1):
            title, sub = step_title(step, point)
            line = f"{number}. {title}" + (f" ({sub})" if sub else "") + f" — {step.instruction}\n"
            text.insert("end", line, "body")
        text.configure(state="disabled")

    def _text_panel(self, parent):
        """A read-only, scrollable text panel (long cautions scroll instead of being cut off)."""
        frame = self.tk.Frame(parent, bg=COLOURS["panel"], highlightthickness=self.px(1),
                              highlightbackground="#d8d3c7")  # fmt: skip
        frame.pack(fill="both", expand=True)
        scrollbar = self.tk.Scrollbar(frame, width=self.px(14))
        text = self.tk.Text(
            frame,
            wrap="word",
            font="PGBody",
            bg=COLOURS["panel"],
            fg=COLOURS["text"],
            relief="flat",
            borderwidth=0,
            padx=self.px(14),
            pady=self.px(10),
            spacing1=self.px(2),
            spacing3=self.px(4),
            height=4,
            width=20,
            yscrollcommand=scrollbar.set,
            takefocus=0,
            cursor="arrow",
        )
        scrollbar.configure(command=text.yview)
        scrollbar.pack(side="right", fill="y")
        text.pack(side="left", fill="both", expand=True)
        text.tag_configure("heading", font="PGHeading", spacing1=self.px(12), spacing3=self.px(2))
        text.tag_configure("strong", font="PGButton")
        text.tag_configure("body", font="PGBody", lmargin1=0, lmargin2=self.px(18))
        text.tag_configure("urgent", font="PGButton", foreground=COLOURS["danger"])
        return text

    def show_red_flags(self) -> None:
        """The red flags in a dialog of their own (one click from the first screens)."""
        top = self.tk.Toplevel(self.root, bg=COLOURS["bg"], padx=self.px(18), pady=self.px(14))
        top.title("PostureGuard — " + _("When to see a doctor"))
        top.transient(self.root)
        screen = (self.root.winfo_screenwidth(), self.root.winfo_screenheight())
        width, height = window_size((700, 520), self.scale, screen)
        top.geometry(f"{width}x{height}")
        self.label(top, _("Stop and see a doctor instead if:"), "PGHeading").pack(
            fill="x", pady=(0, self.px(8))
        )
        bar = self.tk.Frame(top, bg=COLOURS["bg"])
        bar.pack(side="bottom", fill="x", pady=(self.px(10), 0))
        self.button(bar, _("Close"), top.destroy, primary=True).pack(side="right")
        text = self._text_panel(top)
        for flag in self.kb.red_flags:
            if flag.emergency:
                text.insert("end", "•  " + _("Urgent, get care now:") + " ", "urgent")
            elif flag.same_day:
                text.insert("end", "•  " + _("See a doctor today:") + " ", "urgent")
            else:
                text.insert("end", "•  ", "body")
            text.insert("end", f"{flag.text}\n", "body")
        text.configure(state="disabled")
        # Closed on the key's release: closing on the press hands the rest of the key stroke to the
        # main window, where Escape would close the player and Return start the routine.
        top.bind("<KeyRelease-Escape>", lambda _e: top.destroy())
        top.bind("<KeyRelease-Return>", lambda _e: top.destroy())
        top.lift()
        top.focus_force()
        log.info("player: red flags shown")

    # ----- playing --------------------------------------------------------------------------------

    def start_routine(self) -> None:
        self.phases = plan_phases(self.kb, self.routine, self.step_seconds)
        self.progress = start(self.phases)
        self.history.started(self.routine.id, len(self.routine.steps), self.source)
        if self.guide is not None:
            self.guide.start()
        self._build_step_screen()
        self._show_phase()
        self._last_tick = self.now()
        self._schedule_tick()

    def _build_step_screen(self) -> None:
        tk, px = self.tk, self.px
        body = self._new_screen("step")
        header = tk.Frame(body, bg=COLOURS["bg"])
        header.pack(fill="x")
        self.w_counter = self.label(header, "", "PGSmall", fg=COLOURS["muted"], wrap=False)
        self.w_counter.pack(side="left")
        self.label(header, self.routine.title, "PGSmall", fg=COLOURS["muted"], wrap=False).pack(side="right")

        bottom = tk.Frame(body, bg=COLOURS["bg"])
        bottom.pack(side="bottom", fill="x", pady=(px(10), 0))
        self.w_clock_box = tk.Frame(bottom, bg=COLOURS["bg"], padx=px(10))
        self.w_clock_box.pack(side="left")
        self.w_clock = self.label(self.w_clock_box, "0:00", "PGClock", wrap=False)
        self.w_clock.pack(side="left")
        self.w_state = self.label(self.w_clock_box, "", "PGHeading", fg=COLOURS["muted"], wrap=False)
        self.w_state.pack(side="left", padx=(px(12), 0))
        buttons = tk.Frame(bottom, bg=COLOURS["bg"])
        buttons.pack(side="right")
        self.button(buttons, _("Back"), lambda: self.move(go_back)).pack(side="left", padx=(0, px(8)))
        self.w_pause = self.button(buttons, _("Pause"), self.pause_resume)
        self.w_pause.pack(side="left", padx=(0, px(8)))
        self.button(buttons, _("Next"), lambda: self.move(go_next)).pack(side="left", padx=(0, px(8)))
        self.button(buttons, _("Done"), self.close, primary=True).pack(side="left")
        keys = _("Space: pause · → next · ← back · Esc: done · F1: when to see a doctor")
        self.label(body, keys, "PGSmall", fg=COLOURS["muted"], wrap=False).pack(side="bottom", anchor="e")

        main = tk.Frame(body, bg=COLOURS["bg"])
        main.pack(fill="both", expand=True, pady=(px(6), 0))
        main.columnconfigure(0, weight=11, uniform="col")
        main.columnconfigure(1, weight=9, uniform="col")
        main.rowconfigure(0, weight=1)
        text = tk.Frame(main, bg=COLOURS["bg"])
        text.grid(row=0, column=0, sticky="nsew", padx=(0, px(16)))
        self.w_text_frame = text
        self.w_title = self.label(text, "", "PGTitle")
        self.w_title.pack(fill="x")
        self.w_english = self.label(text, "", "PGSubtitle", fg=COLOURS["muted"])
        self.w_english.pack(fill="x")
        self.w_side = self.label(text, "", "PGHeading", fg=COLOURS["point"])
        self.w_side.pack(fill="x", pady=(px(8), px(4)))
        self.w_instruction = self.label(text, "", "PGBody")
        self.w_instruction.pack(fill="x", pady=(0, px(8)))
        self.w_find_head = self.label(text, _("How to find it"), "PGHeading")
        self.w_find = self.label(text, "", "PGBody")
        self.w_tech_head = self.label(text, _("Technique"), "PGHeading")
        self.w_tech = self.label(text, "", "PGBody")

        diagram = tk.Frame(main, bg=COLOURS["panel"], highlightthickness=px(1), highlightbackground="#d8d3c7")
        diagram.grid(row=0, column=1, sticky="nsew")
        self.w_diagram_frame = diagram
        self.w_caption = self.label(diagram, "", "PGSmall", fg=COLOURS["muted"], wrap=False, anchor="center")
        self.w_caption.pack(side="bottom", fill="x", pady=(0, px(6)))
        self.w_canvas = tk.Canvas(
            diagram, bg=COLOURS["panel"], highlightthickness=0, width=px(200), height=px(200)
        )
        self.w_canvas.pack(fill="both", expand=True)
        self.w_canvas.bind("<Configure>", lambda _e: self._draw_diagram())
        if self.guide is not None:
            self.guide.attach(diagram, before=self.w_canvas)

    def _current(self) -> tuple[Phase, Step, Point | None]:
        assert self.progress is not None
        phase = self.phases[self.progress.phase]
        step = self.routine.steps[phase.step]
        point = self.kb.point(step.point) if step.point else None
        return phase, step, point

    def _show_phase(self) -> None:
        phase, step, point = self._current()
        px = self.px
        total_steps = len(self.routine.steps)
        self.w_counter.configure(text=_("Step {n} of {total}").format(n=phase.step + 1, total=total_steps))
        title, sub = step_title(step, point)
        self.w_title.configure(text=title)
        self.w_english.configure(text=sub)
        self.w_side.configure(text=side_text(point, phase))
        self.w_instruction.configure(text=step.instruction)
        # Re-pack in order, leaving out what this step does not have (no empty gaps).
        for widget in (self.w_english, self.w_side, self.w_instruction, self.w_find_head, self.w_find,
                       self.w_tech_head, self.w_tech):  # fmt: skip
            widget.pack_forget()
        if point is not None:
            self.w_find.configure(text="\n".join(f"•  {line}" for line in find_lines(point.find)))
            self.w_tech.configure(text=technique_text(point, self.choice.light_only))
            self.w_english.pack(fill="x")
            self.w_side.pack(fill="x", pady=(px(8), px(4)))
            self.w_instruction.configure(font="PGBody")
            self.w_instruction.pack(fill="x", pady=(0, px(8)))
            self.w_find_head.pack(fill="x", pady=(px(6), px(2)))
            self.w_find.pack(fill="x")
            self.w_tech_head.pack(fill="x", pady=(px(10), px(2)))
            self.w_tech.pack(fill="x")
            self.w_text_frame.grid_configure(columnspan=1)
            self.w_diagram_frame.grid()
        elif step.figure:
            # An exercise step: its instruction beside the figure of the movement (start, then held).
            self.w_instruction.configure(font="PGSubtitle")
            self.w_instruction.pack(fill="x", pady=(px(12), px(8)))
            self.w_text_frame.grid_configure(columnspan=1)
            self.w_diagram_frame.grid()
        else:
            # A movement or rest step has no point to show: its instruction gets the whole width.
            self.w_diagram_frame.grid_remove()
            self.w_text_frame.grid_configure(columnspan=2)
            self.w_instruction.configure(font="PGSubtitle")
            self.w_instruction.pack(fill="x", pady=(px(12), px(8)))
        if self.guide is not None:
            self.guide.show(point, step, phase.side, phase.seconds)
        self._draw_diagram()
        self._update_clock(force=True)
        log.info(
            "player: step %d/%d phase %d/%d %s side=%s seconds=%g",
            phase.step + 1, total_steps, self.progress.phase + 1, len(self.phases),
            step.point or step.action, phase.side, phase.seconds,
        )  # fmt: skip

    def _update_clock(self, force: bool = False) -> None:
        assert self.progress is not None
        clock = format_clock(self.progress.remaining)
        if clock != self._shown_clock or force:
            self._shown_clock = clock
            self.w_clock.configure(text=clock)
            log.debug("player: countdown %s", clock)
        paused = _("Paused")
        state = paused if self.progress.paused else ""
        if not state and not self.progress.finished:
            phase, step, _point = self._current()
            if step.action == "exercise":
                state = exercise_progress(step, phase.seconds, self.progress.remaining)
                if step.figure and self._figure_pose != self._exercise_pose():
                    self._draw_diagram()  # the marked pose follows the hold and the rest
        if state != self._shown_state:
            self._shown_state = state
            self.w_state.configure(text=state)
            if state and state != paused:
                log.debug("player: exercise %s", state)
        self.w_pause.configure(text=_("Resume") if self.progress.paused else _("Pause"))

    def _draw_diagram(self) -> None:
        if self.screen != "step" or self.progress is None or self.progress.finished:
            return
        phase, step, point = self._current()
        canvas = self.w_canvas
        canvas.delete("all")
        if point is None and not step.figure:
            return
        width, height = canvas.winfo_width(), canvas.winfo_height()
        if width < 20 or height < 20:
            return
        if point is None:
            from postureguard.ui.figures import exercise_figure

            figure = exercise_figure(step.figure)
            self._figure_pose = self._exercise_pose()
            draw_exercise_figure(self, canvas, figure, width, height, active=self._figure_pose)
            # An exercise's caption says what moves: it may take two lines under the figure.
            self.w_caption.configure(text=_(figure.caption), wraplength=max(width - self.px(16), 50),
                                     justify="center")
            log.info("player: figure %s drawn, %d poses, %dx%d px, pose %d marked", figure.name,
                     len(figure.poses), width, height, self._figure_pose + 1)  # fmt: skip
            return
        draw_point_diagram(self, canvas, point, phase.side, width, height)
        from postureguard.ui.figures import layout_for

        self.w_caption.configure(text=_(layout_for(point.anchor).caption))

    def _exercise_pose(self) -> int:
        """The pose of the current exercise figure to mark: 1 (held) while holding, 0 (start) at rest."""
        assert self.progress is not None
        phase, step, _point = self._current()
        return 1 if exercise_holding(step, phase.seconds, self.progress.remaining) else 0

    def _schedule_tick(self) -> None:
        self._tick_job = self.root.after(TICK_MS, self._tick)

    def _tick(self) -> None:
        if self._closed or self.progress is None or self.screen != "step":
            return
        now = self.now()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.guide is not None:  # with the press timer, only pressed time counts down
            elapsed = self.guide.gate(elapsed, self.progress.paused)
        self.progress, ended = advance(self.progress, self.phases, elapsed)
        if ended:
            self._cue()
            self._after_move()
        else:
            self._update_clock()
        self._schedule_tick()

    def _cue(self) -> None:
        """A step (or side) ended: ring the bell and flash the countdown."""
        self.root.bell()
        log.info("player: phase ended (cue)")
        box = self.w_clock_box
        for widget in (box, *box.winfo_children()):
            widget.configure(bg=COLOURS["flash"])

        def restore() -> None:
            if self.screen == "step":
                for widget in (box, *box.winfo_children()):
                    widget.configure(bg=COLOURS["bg"])

        if self._flash_job is not None:
            self.root.after_cancel(self._flash_job)
        self._flash_job = self.root.after(FLASH_MS, restore)

    def move(self, how: Callable[[Progress, Sequence[Phase]], Progress]) -> None:
        if self.progress is None:
            return
        if self.screen == "finished" and how is go_back:
            self._build_step_screen()
            self.progress = how(self.progress, self.phases)
            self._last_tick = self.now()
            self._show_phase()
            self._schedule_tick()
            return
        self.progress = how(self.progress, self.phases)
        self._last_tick = self.now()
        log.info("player: %s", how.__name__.replace("go_", ""))
        self._after_move()

    def _after_move(self) -> None:
        assert self.progress is not None
        if self.progress.finished:
            self.show_finished()
        else:
            self._show_phase()

    def pause_resume(self) -> None:
        if self.progress is None:
            return
        self.progress = toggle_pause(self.progress)
        self._last_tick = self.now()
        log.info("player: %s", "paused" if self.progress.paused else "resumed")
        self._update_clock(force=True)

    def show_finished(self) -> None:
        assert self.progress is not None
        done = steps_done(self.progress, self.phases)
        total = len(self.routine.steps)
        status = outcome(done, total)
        # Written now, not only at close, so the history is right even if the window is killed later.
        if self.guide is not None:
            self.guide.hide()
            self.history.pressed(self.guide.pressed)
        self.history.finish(status, done)
        body = self._new_screen("finished")
        heading = _("Well done.") if status == "completed" else _("Routine ended.")
        self.label(body, heading, "PGTitle").pack(fill="x")
        summary = ngettext(
            "{title}: {done} of {total} step done.", "{title}: {done} of {total} steps done.", total
        ).format(title=self.routine.title, done=done, total=total)
        self.label(body, summary, "PGSubtitle",
                   fg=COLOURS["muted"]).pack(fill="x", pady=(self.px(4), self.px(12)))  # fmt: skip
        self.label(
            body,
            _(
                "Sit back for a moment, let your shoulders drop and notice how you feel. "
                "If pain is severe or lasting, see a doctor."
            ),
            "PGBody",
        ).pack(fill="x")
        bar = self.tk.Frame(body, bg=COLOURS["bg"])
        bar.pack(side="bottom", fill="x", pady=(self.px(12), 0))
        self.button(bar, _("Back"), lambda: self.move(go_back)).pack(side="left")
        self.button(bar, _("When to see a doctor"), self.show_red_flags).pack(
            side="left", padx=(self.px(10), 0)
        )
        self.button(bar, _("Close"), self.close, primary=True).pack(side="right")
        self._primary = self.close
        log.info("player: finished, %s, %d of %d steps", status, done, total)


def _paint_silhouette(win: PlayerWindow, canvas, drawing, tr, dot_fill: str = "") -> None:
    """Paint a :class:`~postureguard.ui.figures.Drawing` through the transform ``tr`` (figure units to
    pixels): every outline first, every fill after, so overlapping limbs merge into one shape."""
    px = win.px
    outline = max(1.5, px(1.6))

    def flat(points) -> list[float]:
        return [v for p in points for v in tr(*p)]

    for colour, grow in ((COLOURS["skin_line"], outline), (COLOURS["skin"], 0.0)):
        for stroke in drawing.strokes:
            canvas.create_line(*flat(stroke.points), width=stroke.width * tr.scale + 2 * grow, fill=colour,
                               capstyle="round", joinstyle="round")  # fmt: skip
        for polygon in drawing.polygons:
            canvas.create_polygon(*flat(polygon), fill=colour, outline=colour, width=max(2 * grow, 1),
                                  joinstyle="round")  # fmt: skip
        for oval in drawing.ovals:
            cx, cy = tr(oval.cx, oval.cy)
            rx, ry = oval.rx * tr.scale + grow, oval.ry * tr.scale + grow
            canvas.create_oval(cx - rx, cy - ry, cx + rx, cy + ry, fill=colour, outline="")
    for line in drawing.lines:
        canvas.create_line(*flat(line), fill=COLOURS["detail"], width=max(1, px(1.2)), capstyle="round")
    for dot in drawing.dots:
        cx, cy = tr(dot.cx, dot.cy)
        rx, ry = dot.rx * tr.scale, dot.ry * tr.scale
        canvas.create_oval(cx - rx, cy - ry, cx + rx, cy + ry, outline=COLOURS["detail"],
                           fill=dot_fill, width=max(1, px(1.2)))  # fmt: skip


def draw_exercise_figure(win: PlayerWindow, canvas, figure, width: int, height: int,
                         active: int | None = None) -> None:  # fmt: skip
    """Draw an exercise's :class:`~postureguard.ui.figures.ExerciseFigure` on ``canvas`` (pixels):
    its poses side by side in equal columns, left to right (start, then the held position), each
    under its label, with the furniture in grey and the movement as arrows in the marker colour.
    Pose ``active`` (0-based), if given, is marked: a tinted column and its label in the marker colour.
    """
    from postureguard.ui.figures import Transform, exercise_panels, fit

    px = win.px
    panels = exercise_panels(figure)
    column = width / len(panels)
    wrap = max(px(60), column - px(12))  # a label (a translation may be long) wraps within its column
    labels = [f"{number}. {_(panel.label)}" for number, panel in enumerate(panels, 1)]
    label_h = 0
    for text in labels:
        item = canvas.create_text(0, px(6), text=text, font="PGSmall", anchor="n", width=wrap)
        label_h = max(label_h, canvas.bbox(item)[3] + px(8))
        canvas.delete(item)
    for index, panel in enumerate(panels):
        marked = active == index
        left = index * column
        if marked:
            canvas.create_rectangle(left, px(2), left + column, height - px(2), fill=COLOURS["marked"],
                                    outline="")  # fmt: skip
        if index:  # a thin rule between two poses
            canvas.create_line(left, px(6), left, height - px(6), fill=COLOURS["rule"], width=max(1, px(1)))
        fitted = fit(panel.box, column, height - label_h, margin=px(8))
        tr = Transform(fitted.scale, fitted.dx + left, fitted.dy + label_h)
        for line in panel.props:
            canvas.create_line(*[v for p in line for v in tr(*p)], fill=COLOURS["prop"], width=max(2, px(3)),
                               capstyle="round", joinstyle="round")  # fmt: skip
        for layer in panel.layers:
            _paint_silhouette(win, canvas, layer, tr, dot_fill=COLOURS["detail"])
        for ghost in panel.ghosts:
            (cx, cy), rx, ry = tr(ghost.cx, ghost.cy), ghost.rx * tr.scale, ghost.ry * tr.scale
            canvas.create_oval(cx - rx, cy - ry, cx + rx, cy + ry, outline=COLOURS["muted"],
                               width=max(1, px(1.5)), dash=(px(4), px(3)))  # fmt: skip
        # Arrow heads in proportion to the figure (a fixed size would swallow a short arrow).
        head = max(9.0, 0.04 * tr.scale)
        for arrow in panel.arrows:
            canvas.create_line(*[v for p in arrow.points for v in tr(*p)], fill=COLOURS["point"],
                               width=max(3.0, min(px(4), 0.012 * tr.scale)), arrow="last",
                               smooth=len(arrow.points) > 2, arrowshape=(head, head * 1.15, head * 0.45),
                               capstyle="round")  # fmt: skip
        canvas.create_text(left + column / 2, px(6), text=labels[index], font="PGSmall",
                           fill=COLOURS["point"] if marked else COLOURS["text"], anchor="n", width=wrap,
                           justify="center")  # fmt: skip


def draw_point_diagram(
    win: PlayerWindow, canvas, point: Point, active_side: str, width: int, height: int
) -> None:
    """Draw ``point``'s figure on ``canvas`` (``width`` × ``height`` pixels) with the point marked.

    Both sides of a bilateral point are shown; ``active_side`` is filled and ringed, the other side
    is an open circle.
    """
    from postureguard.ui.figures import fit, focus_box, layout_for, point_positions

    px = win.px
    layout = layout_for(point.anchor)
    positions = point_positions(point, layout)
    box = focus_box(layout, point.region, positions)
    tr = fit(box, width, height, margin=px(14))
    _paint_silhouette(win, canvas, layout.drawing, tr)

    x0, y0, x1, y1 = box
    for label in layout.labels:
        lx = min(max(label.x, x0 + 0.04 * (x1 - x0)), x1 - 0.04 * (x1 - x0))
        ly = min(max(label.y, y0 + 0.03 * (y1 - y0)), y1 - 0.03 * (y1 - y0))
        cx, cy = tr(lx, ly)
        anchor = "center"
        if layout.model == "pose":
            # The side words go in the picture's top corners, whatever part of the body is shown.
            cx, cy = (px(12), px(12)) if label.x < (x0 + x1) / 2 else (width - px(12), px(12))
            anchor = "nw" if label.x < (x0 + x1) / 2 else "ne"
        canvas.create_text(cx, cy, text=label.text, font="PGSmall", fill=COLOURS["muted"], anchor=anchor)

    radius = px(9)
    for side, x, y in positions:
        cx, cy = tr(x, y)
        active = active_side == side or active_side == "center" or side == "center"
        if active:
            canvas.create_oval(cx - radius * 1.7, cy - radius * 1.7, cx + radius * 1.7, cy + radius * 1.7,
                               outline=COLOURS["point"], width=px(3))  # fmt: skip
            canvas.create_oval(cx - radius, cy - radius, cx + radius, cy + radius, fill=COLOURS["point"],
                               outline=COLOURS["panel"], width=px(2))  # fmt: skip
        else:
            canvas.create_oval(cx - radius * 0.8, cy - radius * 0.8, cx + radius * 0.8, cy + radius * 0.8,
                               fill=COLOURS["point_other"], outline=COLOURS["point_other_line"],
                               width=px(2))  # fmt: skip


def run(
    routine_id: str,
    *,
    source: str = "cli",
    short: bool = False,
    step_seconds: float | None = None,
    camera: str | None = None,
) -> int:
    """Open the player for ``routine_id`` and return when its window closes (exit status 0).

    ``camera`` names the camera guide's frame source (a camera index or a recording, as the monitor's
    ``--source``); by default the ``camera`` setting. The guide runs when the ``guide`` setting is on.

    Raises :class:`UserError` subclasses for an unknown routine, a missing Tk or no display.
    """
    from postureguard.history import open_store
    from postureguard.history.base import ROUTINE_SOURCES
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.settings.config import load_settings
    from postureguard.ui.guide_view import guide_factory

    if source not in ROUTINE_SOURCES:
        raise UserError(
            _("--source must be one of {choices}, not {value}").format(
                choices=", ".join(ROUTINE_SOURCES), value=repr(source)
            )
        )
    if step_seconds is not None and not (math.isfinite(step_seconds) and step_seconds > 0):
        raise UserError(
            _("--step-seconds must be a positive number of seconds, not {value}").format(
                value=repr(step_seconds)
            )
        )
    kb = load_knowledge()
    loaded = load_settings()
    for warning in loaded.warnings:
        log.warning("%s", warning)
    safety = SafetySettings(**loaded.settings.to_safety())
    choice = choose(kb, routine_id, safety, short=short)  # UnknownName for a bad id, before any window

    tk = _import_tk()
    scale_env = os.environ.get(SCALE_ENV)
    ui_scale(scale_env, 96 / 72)  # a malformed variable is reported before the window opens
    try:
        root = tk.Tk(className="PostureGuard")
    except tk.TclError as exc:
        raise UserError(
            _(
                "the routine player needs a graphical display ({error}); "
                "'postureguard routine show {routine}' prints the routine instead"
            ).format(error=exc, routine=routine_id)
        ) from None
    scale = ui_scale(scale_env, float(root.tk.call("tk", "scaling")))
    # Point sizes (anything not using our pixel fonts) follow the same scale.
    root.tk.call("tk", "scaling", scale * 96 / 72)
    path = state_file()
    window = PlayerWindow(
        tk,
        root,
        kb,
        choice,
        source=source,
        step_seconds=step_seconds,
        history=HistoryLog(opener=open_store),
        prefs=load_prefs(path),
        prefs_path=path,
        scale=scale,
        guide_view=guide_factory(loaded.settings, kb, choice, camera),
    )
    # SIGTERM (the tray quitting, a session ending) closes like Esc, so the history says how far it got.
    signal.signal(signal.SIGTERM, lambda *_: root.after_idle(window.close))
    window.open()

    # A periodic no-op lets Python run signal handlers while Tk waits for events.
    def keepalive() -> None:
        if not window._closed:  # noqa: SLF001 - our own window
            root.after(250, keepalive)

    root.after(250, keepalive)
    root.mainloop()
    return 0
