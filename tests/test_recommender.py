"""The recommender on the real knowledge base: safety filters, length limits, rotation, wording."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from postureguard.errors import DataError
from postureguard.files import paths
from postureguard.knowledge.loader import PREGNANCY_AVOID, TRIGGERS, UnknownName, load_knowledge
from postureguard.knowledge.recommender import (
    NoRoutine,
    Recommendation,
    Recommender,
    SafetySettings,
    apply_safety,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


def _cautioned(kb) -> set[str]:
    return {p.code for p in kb.points if p.pregnancy_caution} | set(PREGNANCY_AVOID)


def test_pregnancy_mode_removes_exactly_the_cautioned_steps(kb):
    cautioned = _cautioned(kb)
    safety = SafetySettings(pregnancy=True)
    for routine in kb.routines:
        safe, removed = apply_safety(kb, routine, safety)
        expected_removed = [i for i, s in enumerate(routine.steps, 1) if s.point in cautioned]
        assert [r.index for r in removed] == expected_removed, routine.id
        assert list(safe.steps) == [s for s in routine.steps if s.point not in cautioned]
        assert all("pregnancy" in r.reason for r in removed)
    # The built-in data exercise the rule: these routines lose steps, eye strain loses none.
    assert [r.step.point for r in apply_safety(kb, kb.routine("neck-release"), safety)[1]] == ["GB21"]
    assert [r.step.point for r in apply_safety(kb, kb.routine("tension-headache"), safety)[1]] == [
        "LI4",
        "LI4",
    ]
    assert [r.step.point for r in apply_safety(kb, kb.routine("seated-legs-low-back"), safety)[1]] == ["BL23"]
    assert apply_safety(kb, kb.routine("eye-strain"), safety)[1] == ()


def test_pregnancy_mode_never_suggests_a_cautioned_point(kb):
    cautioned = _cautioned(kb)
    rec = Recommender(kb, SafetySettings(pregnancy=True))
    for trigger in TRIGGERS:
        for _ in range(4):  # go round the rotation
            result = rec.recommend(trigger)
            assert isinstance(result, Recommendation), (trigger, result)
            assert not set(result.routine.point_codes) & cautioned
            assert result.routine.press_steps


def test_without_pregnancy_mode_nothing_is_removed(kb):
    result = Recommender(kb).recommend("neck_strain")
    assert result.routine == kb.routine("neck-release")
    assert result.removed == ()
    assert "GB21" in result.routine.point_codes


def _write_user_routines(routines: list[dict]) -> None:
    path = paths.user_routines_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "routines": routines}), encoding="utf-8")


def _press(point: str, side: str, seconds: int = 60) -> dict:
    return {
        "point": point,
        "action": "press",
        "side": side,
        "seconds": seconds,
        "instruction": f"{point} {side}",
    }


def test_routine_left_with_too_little_is_replaced():
    # The user's own neck routine is mostly on LI4: in pregnancy only one press step of three remains.
    _write_user_routines(
        [
            {
                "id": "neck-release",
                "title": "My neck",
                "triggers": ["neck_strain"],
                "steps": [_press("LI4", "left"), _press("LI4", "right"), _press("TE3", "left")],
                "evidence": {"level": "none", "source": "mine"},
                "cautions": "none",
            }
        ]
    )
    kb = load_knowledge()
    result = Recommender(kb, SafetySettings(pregnancy=True)).recommend("neck_strain")
    assert isinstance(result, Recommendation)
    assert result.routine.id == "neck-base-release"
    assert result.skipped[0][0] == "neck-release" and "LI4" in result.skipped[0][1]
    # Without pregnancy mode the user's routine is the first choice.
    assert Recommender(kb).recommend("neck_strain").routine.title == "My neck"


def test_avoid_list_accepts_aliases_and_removes_the_point(kb):
    rec = Recommender(kb, SafetySettings(avoid_points=frozenset({"P6", "SJ3"})))
    result = rec.recommend("stress")
    assert result.routine.id == "calm-stress"
    assert "PC6" not in result.routine.point_codes
    assert [(r.index, r.step.point, r.reason) for r in result.removed] == [
        (5, "PC6", "you asked to avoid PC6"),
        (6, "PC6", "you asked to avoid PC6"),
    ]
    assert "Left out for safety: PC6." in result.reason
    # Neck release would keep only GB21 of its three press steps without TE3, so the next one is offered.
    neck = rec.recommend("neck_strain")
    assert neck.routine.id == "neck-base-release"
    assert neck.skipped == (("neck-release", "too little of it is left without TE3"),)


def test_unknown_avoid_point_is_a_clear_error(kb):
    with pytest.raises(DataError, match=r"avoid_points: unknown point 'TE33' \(did you mean TE3"):
        Recommender(kb, SafetySettings(avoid_points=frozenset({"TE33"})))


def test_nothing_fits_is_said_plainly(kb):
    rec = Recommender(kb, SafetySettings(avoid_points=frozenset({"BL2", "EX-HN5", "Yintang"})))
    result = rec.recommend("eye_strain")
    assert isinstance(result, NoRoutine)
    assert result.reason.startswith("No routine for eye strain fits your safety settings")
    assert "eye-strain" in result.reason
    assert result.skipped[0][0] == "eye-strain"


def test_max_length_picks_the_short_variant_or_nothing(kb):
    full = Recommender(kb, SafetySettings(max_minutes=20)).recommend("neck_strain")
    assert full.routine.variant == "full" and full.minutes == pytest.approx(10)

    short = Recommender(kb, SafetySettings(max_minutes=5)).recommend("neck_strain")
    assert short.routine.variant == "short"
    assert short.minutes == pytest.approx(2.5)
    assert all(s.seconds == s.short_seconds for s in short.routine.steps)
    assert "5-minute limit" in short.reason

    for trigger in TRIGGERS:
        result = Recommender(kb, SafetySettings(max_minutes=3)).recommend(trigger)
        assert isinstance(result, Recommendation) and result.minutes <= 3, trigger

    none = Recommender(kb, SafetySettings(max_minutes=1)).recommend("eye_strain")
    assert isinstance(none, NoRoutine)
    assert "longer than your limit of 1" in none.reason


def test_pregnancy_and_length_limit_combine(kb):
    result = Recommender(kb, SafetySettings(pregnancy=True, max_minutes=4)).recommend("headache")
    assert result.routine.id == "tension-headache"
    assert "LI4" not in result.routine.point_codes
    assert result.routine.variant == "short" and result.minutes <= 4


def test_rotation_with_own_history_is_deterministic(kb):
    first = Recommender(kb)
    sequence = [first.recommend("neck_strain").routine.id for _ in range(5)]
    assert sequence == [
        "neck-release",
        "neck-base-release",
        "shoulders-upper-back",
        "neck-release",
        "neck-base-release",
    ]
    second = Recommender(kb)
    assert [second.recommend("neck_strain").routine.id for _ in range(5)] == sequence
    assert first.history == tuple(sequence)


def test_rotation_with_caller_history(kb):
    rec = Recommender(kb)
    assert rec.recommend("neck_strain", exclude_recent=["neck-release"]).routine.id == "neck-base-release"
    # All three used: the one used longest ago comes back.
    recent = ["shoulders-upper-back", "neck-release", "neck-base-release"]
    assert rec.recommend("neck_strain", exclude_recent=recent).routine.id == "shoulders-upper-back"
    recent = ["neck-release", "shoulders-upper-back", "neck-base-release", "neck-release"]
    assert rec.recommend("neck_strain", exclude_recent=recent).routine.id == "shoulders-upper-back"
    assert rec.history == ()  # the caller keeps the history, the recommender does not


def test_single_routine_trigger_repeats_rather_than_failing(kb):
    rec = Recommender(kb)
    assert [rec.recommend("stress").routine.id for _ in range(3)] == ["calm-stress"] * 3


def test_reasons_are_in_words(kb):
    rec = Recommender(kb)
    reason = rec.recommend("neck_strain").reason
    assert reason == (
        "Your head has been carried forward for a while; this points routine aims to ease neck strain."
    )
    assert "sitting" in rec.recommend("prolonged_sitting").reason
    for trigger in TRIGGERS:
        text = rec.recommend(trigger).reason.lower()
        assert "cure" not in text and "heal" not in text


def test_unknown_trigger_is_refused(kb):
    with pytest.raises(UnknownName, match="neck_strain"):
        Recommender(kb).recommend("neck_strian")


def test_safe_alternative_for_an_excluded_routine(kb):
    rec = Recommender(kb, SafetySettings(avoid_points=frozenset({"GB21", "TE3"})))
    assert isinstance(rec.prepare("neck-release"), NoRoutine)  # nothing but the neck movement would be left
    alternative = rec.safe_alternative("neck-release")
    assert isinstance(alternative, Recommendation)
    assert alternative.routine.id == "neck-base-release"
    assert alternative.trigger == "neck_strain"
    assert not {"GB21", "TE3"} & set(alternative.routine.point_codes)
    assert alternative.reason.startswith("'Neck release' does not suit your safety settings")
    # Eye strain has a single routine: no alternative, said plainly.
    lonely = rec.safe_alternative("eye-strain")
    assert isinstance(lonely, NoRoutine) and "eye strain" in lonely.reason


def test_prepare_applies_safety_to_a_chosen_routine(kb):
    prepared = Recommender(kb, SafetySettings(pregnancy=True)).prepare("neck-release")
    assert isinstance(prepared, Recommendation)
    assert [r.step.point for r in prepared.removed] == ["GB21"]
    assert prepared.reason == "You chose 'Neck release'. Left out for safety: GB21."


@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_safety_settings_reject_bad_limits(bad):
    with pytest.raises(ValueError, match="max_minutes"):
        SafetySettings(max_minutes=bad)


def test_recommender_imports_no_gui_camera_or_database_modules():
    code = (
        "import sys, postureguard.knowledge.recommender, postureguard.knowledge.loader\n"
        "heavy = {'cv2', 'mediapipe', 'sqlite3', 'tkinter', 'pystray', 'PIL', 'gi', 'numpy'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_blood_thinners_press_lightly_and_prefer_the_gentler_routine(kb):
    plain = Recommender(kb).recommend("prolonged_sitting")
    assert plain.routine.id == "seated-legs-low-back" and not plain.light_only
    assert "lightly" not in plain.reason
    rec = Recommender(kb, SafetySettings(blood_thinners=True))
    sitting = rec.recommend("prolonged_sitting")
    # Same trigger, less time on firmly pressed points (BL40 is light anyway): it comes first now.
    assert sitting.routine.id == "low-back-release" and sitting.light_only
    assert "Press every point lightly" in sitting.reason and "blood thinners" in sitting.reason
    assert sitting.removed == ()  # nothing is dropped, only pressed lightly
    neck = rec.recommend("neck_strain")
    assert neck.light_only and neck.routine.id == "neck-release"
    # An eye routine has only light points: nothing to lighten.
    assert not rec.recommend("eye_strain").light_only
    assert rec.prepare("shoulders-upper-back").light_only


def test_both_answers_together(kb):
    rec = Recommender(kb, SafetySettings(pregnancy=True, blood_thinners=True))
    neck = rec.recommend("neck_strain")
    assert "GB21" not in neck.routine.point_codes and neck.light_only
    assert "Left out for safety: GB21" in neck.reason and "lightly" in neck.reason


@pytest.mark.parametrize("trigger", ["headache", "stress", "low_back", "shoulder_tension", "eye_strain"])
def test_reasons_say_what_was_asked_not_a_diagnosis(kb, trigger):
    reason = Recommender(kb).recommend(trigger).reason
    assert reason.startswith("You asked for"), reason
    assert "You have a" not in reason and "tension-type" not in reason


@pytest.mark.parametrize("kind", ["points", "exercises", "either"])
def test_routine_kind_preference_is_honoured(kb, kind):
    rec = Recommender(kb, SafetySettings(routine_kind=kind))
    seen = {}
    for trigger in ("neck_strain", "shoulder_tension", "prolonged_sitting"):
        for _ in range(6):  # round the rotation
            result = rec.recommend(trigger)
            assert isinstance(result, Recommendation)
            seen.setdefault(trigger, set()).add(result.routine.kind)
            if result.routine.kind == "exercises":
                assert "-minute exercise" in result.reason and not result.routine.press_steps
                assert result.routine.minutes <= 5
            else:
                assert result.reason.split(";")[1].startswith(" this points routine")
    if kind == "either":
        assert all(kinds == {"points", "exercises"} for kinds in seen.values())
    else:
        assert all(kinds == {kind} for kinds in seen.values())
    neck = Recommender(kb, SafetySettings(routine_kind=kind)).recommend("neck_strain")
    expected = {"points": "neck-release", "exercises": "chin-tucks", "either": "neck-release"}[kind]
    assert neck.routine.id == expected


def test_exercise_preference_falls_back_to_points_and_says_so(kb):
    # No exercise is offered for headache: the points routine comes with a sentence saying why.
    result = Recommender(kb, SafetySettings(routine_kind="exercises")).recommend("headache")
    assert isinstance(result, Recommendation) and result.routine.kind == "points"
    assert result.reason.endswith("No exercise for headache fits, so here is another kind.")
    with pytest.raises(ValueError, match="routine_kind must be one of points, exercises, either"):
        SafetySettings(routine_kind="yoga")
