"""Pick the routine to suggest for a trigger, safely, and say why in words.

Pure logic: it takes a :class:`~postureguard.knowledge.loader.KnowledgeBase` and the user's
:class:`SafetySettings` and never reads files, the clock or a random source. Rotation (so the same
routine is not proposed every time) is deterministic: the caller either passes the ids suggested
recently (``exclude_recent``, oldest first) or lets the :class:`Recommender` remember what it
suggested itself.

Safety rules, in order:

1. Pregnancy mode drops every step on a point traditionally avoided in pregnancy
   (:data:`postureguard.knowledge.loader.PREGNANCY_AVOID`: LI4, SP6, GB21, BL60, BL67, plus any point marked
   ``pregnancy_caution``, such as the lower-back BL23).
2. Steps on points the user chose to avoid are dropped.
3. A routine that loses steps this way is kept only while at least one press step and at least half
   of its press steps remain (:data:`MIN_PRESS_SHARE`); otherwise another routine for the same
   trigger is tried.
4. With a maximum length, a routine longer than it is offered in its short variant when that fits,
   and skipped when even that is too long.
5. With blood thinners or a bleeding disorder every point is pressed lightly
   (:attr:`Recommendation.light_only`, said in the reason), and routines with less firm pressing
   (fewer seconds on points not already pressed lightly) are preferred.

When nothing fits the answer is a :class:`NoRoutine` with the reasons, never an empty routine.

The user's ``routine_kind`` (:data:`ROUTINE_PREFERENCES`) chooses between acupressure ("points") and
desk exercises ("exercises", counted repetitions of about 2 minutes) or takes the trigger's order
("either"). A preferred kind with nothing that fits falls back to the other kind and says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from postureguard.errors import DataError
from postureguard.i18n import N_, _, format_decimal
from postureguard.knowledge.loader import PREGNANCY_AVOID, ROUTINE_KINDS, KnowledgeBase, Routine, Step

#: A routine that lost steps must keep at least this share of its press steps (and at least one).
MIN_PRESS_SHARE = 0.5
#: How many suggestions the Recommender remembers for rotation when the caller keeps no history.
HISTORY_SIZE = 20
#: The ``routine_kind`` preference: one kind of :data:`ROUTINE_KINDS`, or "either".
ROUTINE_PREFERENCES: tuple[str, ...] = (*ROUTINE_KINDS, "either")
#: The sentence added when no routine of the wanted kind fits and one of the other kind is offered.
_FALLBACK = {
    "points": N_("No points routine for {trigger} fits, so here is another kind."),
    "exercises": N_("No exercise for {trigger} fits, so here is another kind."),
}

#: What was seen (the camera's two triggers) or asked (the others, which only the user names), as the
#: first half of the reason sentence. Never a diagnosis: the app cannot tell what kind of pain it is.
_SITUATION = {
    "neck_strain": N_("Your head has been carried forward for a while"),
    "shoulder_tension": N_("You asked for help with tense shoulders"),
    "prolonged_sitting": N_("You have been sitting for a long stretch"),
    "eye_strain": N_("You asked for a break for your eyes"),
    "headache": N_("You asked for help with a headache"),
    "stress": N_("You asked for help with stress"),
    "low_back": N_("You asked for help with your lower back"),
}
#: What the routine offers for the trigger (second half); worded as an aim, never as a cure.
_PURPOSE = {
    "neck_strain": N_("aims to ease neck strain"),
    "shoulder_tension": N_("aims to loosen the shoulders and upper back"),
    "prolonged_sitting": N_("gets you up and moving and works on the legs and lower back"),
    "eye_strain": N_("gives your eyes a rest"),
    "headache": N_("aims to ease tension around the head and neck"),
    "stress": N_("offers a short, calming pause"),
    "low_back": N_("aims to ease the lower back and gets you moving"),
}


def _words(trigger: str) -> str:
    """A trigger in words, in the user's language (the command line's catalog names them)."""
    return _(trigger.replace("_", " "))


@dataclass(frozen=True)
class SafetySettings:
    """The user's safety choices.

    ``pregnancy``: pregnant or trying to conceive. ``blood_thinners``: takes an anticoagulant or
    antiplatelet medicine, or has a bleeding disorder (light pressure only). ``avoid_points``: point
    codes or aliases never to suggest. ``max_minutes``: longest routine to suggest (minutes, > 0), or
    None for no limit. ``routine_kind``: a preference rather than a safety rule, kept here because it
    travels with them: 'points', 'exercises' or 'either' (:data:`ROUTINE_PREFERENCES`).
    """

    pregnancy: bool = False
    blood_thinners: bool = False
    avoid_points: frozenset[str] = frozenset()
    max_minutes: float | None = None
    routine_kind: str = "points"

    def __post_init__(self) -> None:
        if isinstance(self.avoid_points, str):
            raise ValueError("avoid_points must be a collection of point codes, not one string")
        object.__setattr__(self, "avoid_points", frozenset(self.avoid_points))
        if self.max_minutes is not None and not (math.isfinite(self.max_minutes) and self.max_minutes > 0):
            raise ValueError(
                f"max_minutes must be a positive number of minutes or None, not {self.max_minutes!r}"
            )
        if self.routine_kind not in ROUTINE_PREFERENCES:
            raise ValueError(
                f"routine_kind must be one of {', '.join(ROUTINE_PREFERENCES)}, not {self.routine_kind!r}"
            )


@dataclass(frozen=True)
class RemovedStep:
    """A step left out for safety: ``index`` is its 1-based position in the original routine."""

    index: int
    step: Step
    reason: str


@dataclass(frozen=True)
class Recommendation:
    """The routine to suggest, ready to play (already filtered and timed), and why.

    ``routine.variant`` is 'short' when it was shortened to fit ``max_minutes``. ``removed`` lists
    the steps left out for safety; ``skipped`` the (routine id, reason) of better-ranked routines
    that did not fit. ``light_only``: every point is to be pressed lightly, whatever its usual
    pressure (blood thinners or a bleeding disorder).
    """

    trigger: str
    routine: Routine
    reason: str
    removed: tuple[RemovedStep, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    light_only: bool = False

    @property
    def minutes(self) -> float:
        return self.routine.minutes


@dataclass(frozen=True)
class NoRoutine:
    """Nothing fits; ``reason`` says why in plain words; ``skipped`` lists each routine's reason."""

    trigger: str
    reason: str
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Fit:
    routine: Routine
    removed: tuple[RemovedStep, ...]


def resolve_avoid_points(kb: KnowledgeBase, names: Iterable[str]) -> frozenset[str]:
    """Turn codes/aliases into canonical codes; an unknown name raises :class:`DataError`."""
    codes = set()
    for name in names:
        point = kb.find_point(name)
        if point is None:
            close = kb.suggest_points(name)
            if close:
                text = _("safety setting avoid_points: unknown point {name} (did you mean {close}?)")
            else:
                text = _("safety setting avoid_points: unknown point {name}")
            raise DataError(text.format(name=repr(name), close=", ".join(close)))
        codes.add(point.code)
    return frozenset(codes)


def apply_safety(
    kb: KnowledgeBase, routine: Routine, safety: SafetySettings
) -> tuple[Routine, tuple[RemovedStep, ...]]:
    """``routine`` without the steps ``safety`` rules out, and the removed steps with the reason.

    Only the pregnancy and avoid-list rules apply here; length and "too little left" are the
    recommender's decisions.
    """
    avoid = resolve_avoid_points(kb, safety.avoid_points)
    kept: list[Step] = []
    removed: list[RemovedStep] = []
    for index, step in enumerate(routine.steps, 1):
        why = None
        if step.point is not None:
            point = kb.point(step.point)
            if safety.pregnancy and (point.pregnancy_caution or point.code in PREGNANCY_AVOID):
                why = _("{code} is traditionally avoided in pregnancy").format(code=point.code)
            elif point.code in avoid:
                why = _("you asked to avoid {code}").format(code=point.code)
        if why is None:
            kept.append(step)
        else:
            removed.append(RemovedStep(index=index, step=step, reason=why))
    if not removed:
        return routine, ()
    return Routine(
        id=routine.id,
        title=routine.title,
        triggers=routine.triggers,
        steps=tuple(kept),
        evidence=routine.evidence,
        cautions=routine.cautions,
        origin=routine.origin,
        variant=routine.variant,
    ), tuple(removed)


class Recommender:
    """Chooses routines for triggers under fixed safety settings.

    Deterministic: the same calls in the same order give the same answers. Without
    ``exclude_recent`` it remembers its own last :data:`HISTORY_SIZE` suggestions for rotation.
    """

    def __init__(self, kb: KnowledgeBase, safety: SafetySettings | None = None) -> None:
        self.kb = kb
        self.safety = safety or SafetySettings()
        # Resolve once so a typo in the avoid list is reported when the recommender is built.
        self._avoid = resolve_avoid_points(kb, self.safety.avoid_points)
        self._history: list[str] = []

    @property
    def history(self) -> tuple[str, ...]:
        """Routine ids this recommender suggested (oldest first), used when no history is passed."""
        return tuple(self._history)

    def remember(self, routine_id: str) -> None:
        """Record that ``routine_id`` was suggested or played, for rotation."""
        self._history.append(routine_id)
        del self._history[:-HISTORY_SIZE]

    def apply_safety(
        self, routine: Routine, safety: SafetySettings | None = None
    ) -> tuple[Routine, tuple[RemovedStep, ...]]:
        """See :func:`apply_safety`; ``safety`` defaults to this recommender's settings."""
        return apply_safety(self.kb, routine, safety or self.safety)

    def _fit(self, routine: Routine) -> _Fit | str:
        """The routine made safe and short enough, or the reason it cannot be."""
        safe, removed = self.apply_safety(routine)
        if removed:
            before = len(routine.press_steps)
            after = len(safe.press_steps)
            if after == 0 or after < MIN_PRESS_SHARE * before:
                codes = ", ".join(dict.fromkeys(r.step.point or "" for r in removed))
                return _("too little of it is left without {codes}").format(codes=codes)
        limit = self.safety.max_minutes
        if limit is not None and safe.minutes > limit + 1e-9:
            short = safe.with_variant("short")
            if short.minutes > limit + 1e-9:
                return _("it takes at least {minutes} minutes, longer than your limit of {limit}").format(
                    minutes=format_decimal(short.minutes, "0.0"), limit=format_decimal(limit)
                )
            safe = short
        return _Fit(safe, removed)

    def _fitting(self, routines: Sequence[Routine]) -> tuple[list[_Fit], list[tuple[str, str]]]:
        fits: list[_Fit] = []
        skipped: list[tuple[str, str]] = []
        for routine in routines:
            result = self._fit(routine)
            if isinstance(result, str):
                skipped.append((routine.id, result))
            else:
                fits.append(result)
        if self.safety.blood_thinners:
            # Stable: among routines with the same amount of firm pressing the data's order stands.
            fits.sort(key=lambda fit: self._firm_seconds(fit.routine))
        return fits, skipped

    def _firm_seconds(self, routine: Routine) -> float:
        """Seconds of the routine spent on points not pressed lightly anyway (their usual technique)."""
        return sum(
            step.seconds
            for step in routine.press_steps
            if step.point is not None and not self.kb.point(step.point).light_pressure
        )

    def _light_only(self, routine: Routine) -> bool:
        return self.safety.blood_thinners and self._firm_seconds(routine) > 0

    def recommend(
        self, trigger: str, *, exclude_recent: Sequence[str] | None = None
    ) -> Recommendation | NoRoutine:
        """The routine to suggest for ``trigger`` (a name in :data:`postureguard.knowledge.loader.TRIGGERS`).

        ``exclude_recent``: routine ids suggested recently, oldest first. The best-ranked fitting
        routine not among them is chosen; when all are, the one used longest ago. ``None`` uses
        (and updates) this recommender's own history. Raises UnknownName for an unknown trigger.
        """
        candidates = self.kb.routines_for(trigger)
        wanted = self.safety.routine_kind
        fallback = ""
        if wanted == "either":
            fits, skipped = self._fitting(candidates)
        else:
            fits, skipped = self._fitting([r for r in candidates if r.kind == wanted])
            if not fits:
                other = [r for r in candidates if r.kind != wanted]
                fits, more = self._fitting(other)
                skipped += more
                if fits:
                    fallback = " " + _(_FALLBACK[wanted]).format(trigger=_words(trigger))
        if not fits:
            return NoRoutine(trigger, self._nothing_fits(trigger, skipped), tuple(skipped))
        recent = list(self._history if exclude_recent is None else exclude_recent)
        chosen = _rotate(fits, recent)
        if exclude_recent is None:
            self.remember(chosen.routine.id)
        if chosen.routine.kind == "exercises":
            this = _("this {n}-minute exercise").format(n=max(1, round(chosen.routine.minutes)))
        else:
            this = _("this points routine")
        reason = _("{situation}; {this} {purpose}.").format(
            situation=_(_SITUATION[trigger]), this=this, purpose=_(_PURPOSE[trigger])
        ) + fallback
        return Recommendation(
            trigger=trigger,
            routine=chosen.routine,
            reason=reason + _notes(chosen, self.safety),
            removed=chosen.removed,
            skipped=tuple(skipped),
            light_only=self._light_only(chosen.routine),
        )

    def prepare(self, routine_id: str) -> Recommendation | NoRoutine:
        """One named routine under the safety settings (for playing a routine the user picked).

        The trigger is the routine's first; raises UnknownName for an unknown id.
        """
        routine = self.kb.routine(routine_id)
        result = self._fit(routine)
        trigger = routine.triggers[0]
        if isinstance(result, str):
            return NoRoutine(
                trigger,
                _("'{title}' does not fit your safety settings: {reason}.").format(
                    title=routine.title, reason=result
                ),
                ((routine.id, result),),
            )
        return Recommendation(
            trigger=trigger,
            routine=result.routine,
            reason=_("You chose '{title}'.").format(title=routine.title) + _notes(result, self.safety),
            removed=result.removed,
            light_only=self._light_only(result.routine),
        )

    def safe_alternative(
        self, routine_id: str, *, exclude_recent: Sequence[str] = ()
    ) -> Recommendation | NoRoutine:
        """Another routine for the same triggers as ``routine_id`` that fits the safety settings.

        For the player's "this routine's points are excluded" case. Triggers are tried in the
        routine's order, routines in each trigger's preference order, skipping ``routine_id`` and
        preferring ones not in ``exclude_recent``. Does not touch the rotation history.
        """
        original = self.kb.routine(routine_id)
        all_skipped: list[tuple[str, str]] = []
        for trigger in original.triggers:
            others = [r for r in self.kb.routines_for(trigger) if r.id != original.id]
            fits, skipped = self._fitting(others)
            all_skipped += [s for s in skipped if s not in all_skipped]
            if fits:
                chosen = _rotate(fits, list(exclude_recent))
                reason = _("'{title}' does not suit your safety settings; this routine also {purpose}.")
                reason = reason.format(title=original.title, purpose=_(_PURPOSE[trigger]))
                return Recommendation(
                    trigger=trigger,
                    routine=chosen.routine,
                    reason=reason + _notes(chosen, self.safety),
                    removed=chosen.removed,
                    skipped=tuple(all_skipped),
                    light_only=self._light_only(chosen.routine),
                )
        triggers = ", ".join(_words(t) for t in original.triggers)
        return NoRoutine(
            original.triggers[0],
            _("No other routine for {triggers} fits your safety settings.").format(triggers=triggers),
            tuple(all_skipped),
        )

    def _nothing_fits(self, trigger: str, skipped: Sequence[tuple[str, str]]) -> str:
        if not skipped:
            return _("There is no routine for {trigger}.").format(trigger=_words(trigger))
        details = "; ".join(f"'{rid}': {why}" for rid, why in skipped)
        return _("No routine for {trigger} fits your safety settings ({details}).").format(
            trigger=_words(trigger), details=details
        )


def _rotate(fits: Sequence[_Fit], recent: Sequence[str]) -> _Fit:
    """The first fit not in ``recent``; if all are, the one whose last use is oldest."""
    last_use = {rid: i for i, rid in enumerate(recent)}  # later occurrences overwrite earlier ones
    for fit in fits:
        if fit.routine.id not in last_use:
            return fit
    return min(fits, key=lambda fit: last_use[fit.routine.id])


def _notes(fit: _Fit, safety: SafetySettings) -> str:
    """Extra sentences: shortened to fit the limit, steps left out for safety."""
    notes = ""
    if fit.routine.variant == "short":
        minutes = fit.routine.minutes
        notes += " " + _("Shortened to {minutes} minutes to fit your {limit}-minute limit.").format(
            minutes=format_decimal(minutes, "0.0"), limit=format_decimal(safety.max_minutes or 0)
        )
    if fit.removed:
        codes = ", ".join(dict.fromkeys(r.step.point or "" for r in fit.removed))
        notes += " " + _("Left out for safety: {codes}.").format(codes=codes)
    if safety.blood_thinners and fit.routine.press_steps:
        notes += " " + _(
            "Press every point lightly: your settings say blood thinners or a bleeding disorder."
        )
    return notes
