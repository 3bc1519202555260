"""The knowledge base: the real data file, its validation on broken copies, lookups and anchors."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from postureguard.errors import DataError
from postureguard.files import paths, resources
from postureguard.knowledge.loader import (
    HAND_LANDMARKS,
    POSE_LANDMARKS,
    PREGNANCY_AVOID,
    TRIGGERS,
    VIRTUAL_POSE_LANDMARKS,
    UnknownName,
    load_knowledge,
)

REQUIRED_POINTS = [
    "LI4",
    "LI10",
    "TE3",
    "PC6",
    "GB21",
    "SP6",
    "ST36",
    "GB20",
    "SI3",
    "BL10",
    "GV14",
    "SI11",
    "SI14",
    "SI15",
    "BL23",
    "BL40",
    "LR3",
    "LU7",
    "HT7",
    "BL2",
    "EX-HN3",
    "EX-HN5",
    "EX-UE8",
]


@pytest.fixture(scope="module")
def real_doc() -> dict:
    return json.loads(resources.acupoints_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


def _write(tmp_path: Path, doc, name: str = "acupoints.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _point(doc: dict, code: str) -> dict:
    return next(p for p in doc["points"] if p["code"] == code)


def _routine(doc: dict, rid: str) -> dict:
    return next(r for r in doc["routines"] if r["id"] == rid)


# ----- the real file ---------------------------------------------------------------------------------


def test_real_file_loads_with_every_required_point(kb):
    codes = {p.code for p in kb.points}
    assert set(REQUIRED_POINTS) <= codes
    assert kb.version == 1
    assert len(kb.routines) >= 6
    assert "not medical advice" in kb.disclaimer
    assert any(flag.emergency for flag in kb.red_flags) and any(not flag.emergency for flag in kb.red_flags)


def test_required_routines_exist_with_their_defining_steps(kb):
    neck = kb.routine("neck-release")
    assert {"GB21", "TE3"} <= set(neck.point_codes)  # as the source article suggests
    for trigger in TRIGGERS:
        assert kb.routines_for(trigger), trigger
    sitting = kb.routines_for("prolonged_sitting")
    assert all(any(s.action == "move" for s in r.steps) for r in sitting)
    eyes = kb.routine("eye-strain")
    assert any(s.action == "look_away" and s.seconds == 20 for s in eyes.steps)
    assert eyes.evidence.level == "traditional use"
    assert kb.routine("seated-legs-low-back").evidence.level == "low to moderate"
    assert kb.routine("neck-release").evidence.level == "low"
    for rid in ("shoulders-upper-back", "tension-headache", "calm-stress"):
        assert kb.find_routine(rid) is not None


def test_every_builtin_routine_resolves_to_known_points(kb):
    for routine in kb.routines:
        for step, point in kb.steps_with_points(routine):
            if step.action == "press":
                assert point is not None and point.code == step.point
                assert (step.side == "center") == (not point.bilateral), (routine.id, step)
            else:
                assert point is None
        for trigger in routine.triggers:
            assert routine.id in kb.triggers[trigger]


def test_default_press_is_about_three_minutes_and_short_versions_fit_two_to_three_minutes(kb):
    firm = [s for r in kb.routines for s in r.press_steps if not kb.point(s.point).light_pressure]
    assert max(s.seconds for s in firm) == 180
    for routine in kb.routines:
        assert routine.short_total_seconds <= 180, routine.id
        short = routine.with_variant("short")
        assert short.variant == "short"
        assert short.total_seconds == routine.short_total_seconds
        assert [s.point for s in short.steps] == [s.point for s in routine.steps]


def test_safety_flags_follow_the_reference(kb):
    pregnancy = {p.code for p in kb.points if p.pregnancy_caution}
    assert pregnancy == {"LI4", "SP6", "GB21", "BL23"}
    assert {"LI4", "SP6", "GB21", "BL60", "BL67"} <= PREGNANCY_AVOID
    light = {p.code for p in kb.points if p.light_pressure}
    assert {"BL40", "LR3", "BL2", "EX-HN3", "EX-HN5"} <= light
    assert all(kb.point(code).technique.pressure == "light" for code in light)
    assert {p.code for p in kb.points if not p.bilateral} == {"GV14", "EX-HN3"}
    assert "varicose" in kb.point("BL40").cautions


#: The points the issue names as missing the broken-skin caution.
BROKEN_SKIN = ("GB20", "BL10", "GV14", "BL23", "BL40", "BL2", "EX-HN3", "EX-HN5")


def test_every_point_not_pressed_lightly_warns_about_blood_thinners(kb):
    firmer = [p for p in kb.points if p.technique.pressure != "light"]
    assert {"GB21", "LI4", "GB20", "BL23", "SI11"} <= {p.code for p in firmer}
    for point in firmer:
        assert "blood thinners or a bleeding disorder, press only lightly" in point.cautions, point.code
    caution = kb.bleeding_caution.lower()
    for word in ("anticoagulant", "antiplatelet", "haemophilia", "low platelets", "lightly", "doctor"):
        assert word in caution


@pytest.mark.parametrize("code", BROKEN_SKIN)
def test_points_named_in_the_issue_warn_about_broken_skin(kb, code):
    assert "broken skin" in kb.point(code).cautions


def test_gb20_is_left_out_after_whiplash(kb):
    assert "whiplash" in kb.point("GB20").cautions and "neck injury" in kb.point("GB20").cautions


def test_red_flags_include_heart_attack_stroke_and_clot(kb):
    def flag(*words):
        found = [f for f in kb.red_flags if all(w in f.text.lower() for w in words)]
        assert len(found) == 1, words
        return found[0]

    heart = flag("chest", "jaw", "arm", "heart attack")
    assert heart.emergency and "emergency services" in heart.text
    stroke = flag("sudden", "one side", "drooping face", "speaking", "seeing", "stroke")
    assert stroke.emergency and "emergency services" in stroke.text
    clot = flag("calf", "swollen", "sitting")
    assert clot.same_day and not clot.emergency and "today" in clot.text
    gradual = flag("numbness or weakness in an arm or leg")
    assert not gradual.emergency and "weeks" in gradual.text
    for old in ("saddle", "sudden, severe headache", "stiff neck"):
        assert flag(old).emergency
    assert sum(f.same_day for f in kb.red_flags) == 1


def test_find_texts_follow_the_who_landmarks(kb):
    si14 = kb.point("SI14").find
    assert "T1" in si14 and "below that one" in si14
    assert "distal palmar crease" in kb.point("SI3").find
    sp6 = kb.point("SP6")
    assert "most prominent point" in sp6.location and "most prominent point" in sp6.find
    assert "top of the inner ankle" not in sp6.location


def test_evidence_says_what_the_trials_studied(kb):
    headache = kb.routine("tension-headache").evidence.source
    assert "chronic headache" in headache and "with tension headache" not in headache
    for rid in ("low-back-release", "seated-legs-low-back"):
        source = kb.routine(rid).evidence.source
        assert "found moderate effects" not in source
        assert "moderate only against physical therapy and low against usual care" in source
    assert "TE3 was not among the points tested" in kb.routine("neck-release").evidence.source
    assert "SI11 was not among the points tested" in kb.routine("shoulders-upper-back").evidence.source


def test_seed_article_corrections_are_recorded(kb):
    li4 = kb.point("LI4")
    assert "metacarpal" in li4.location and "LI6" in li4.note and "forearm" in li4.note
    assert "back of the forearm" in kb.point("LI10").location
    assert "TE2" in kb.point("TE3").note
    assert "knuckle" in kb.point("TE3").location


def test_no_text_promises_a_cure(real_doc):
    text = json.dumps(real_doc).lower()
    for promise in ("cures ", "will cure", "guarantee", "will heal", "heals "):
        assert promise not in text
    assert "not proven to cure" in real_doc["disclaimer"].lower()


def test_locations_use_finger_width_measures(kb):
    measured = [p for p in kb.points if "finger width" in p.location or "finger width" in p.find]
    assert {"SP6", "ST36", "PC6", "LI10", "BL23", "LU7"} <= {p.code for p in measured}


# ----- lookups -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("SJ3", "TE3"),
        ("tb3", "TE3"),
        ("TW 3", "TE3"),
        ("th3", "TE3"),
        ("LV3", "LR3"),
        ("UB23", "BL23"),
        ("Du14", "GV14"),
        ("GV29", "EX-HN3"),
        ("exhn3", "EX-HN3"),
        ("P6", "PC6"),
        ("hegu", "LI4"),
        ("Luozhen", "EX-UE8"),
    ],
)
def test_point_lookup_by_alias_is_case_insensitive(kb, name, code):
    assert kb.point(name).code == code


def test_unknown_names_suggest_close_matches(kb):
    with pytest.raises(UnknownName) as info:
        kb.point("TE33")
    assert "TE3" in info.value.suggestions
    with pytest.raises(UnknownName) as info:
        kb.routine("nek-release")
    assert info.value.suggestions[0] == "neck-release"
    assert "did you mean neck-release" in str(info.value)
    assert kb.find_point("ZZ9") is None


# ----- anchors -----------------------------------------------------------------------------------------


def test_anchor_landmarks_are_real_mediapipe_names(kb):
    mp_vision = pytest.importorskip("mediapipe.tasks.python.vision")
    from mediapipe.tasks.python.vision.hand_landmarker import HandLandmark

    pose_names = {lm.name.lower() for lm in mp_vision.PoseLandmark}
    hand_names = {lm.name.lower() for lm in HandLandmark}
    assert set(POSE_LANDMARKS) == pose_names
    assert set(HAND_LANDMARKS) == hand_names
    for real_a, real_b in VIRTUAL_POSE_LANDMARKS.values():
        assert {real_a, real_b} <= pose_names
    for point in kb.points:
        allowed = pose_names | set(VIRTUAL_POSE_LANDMARKS) if point.anchor.model == "pose" else hand_names
        for side in ("left", "right"):
            assert set(point.anchor.landmarks(side)) <= allowed, point.code
        assert point.anchor.view in {"front", "back", "palm"}
    back = {p.code for p in kb.points if p.anchor.view == "back" and p.anchor.model == "pose"}
    assert {"GB21", "GV14", "SI11", "BL23", "GB20", "BL10"} <= back


def _front_figure() -> dict[str, tuple[float, float]]:
    """A person facing the viewer, symmetric about x = 0.5 (their left on the picture's right)."""
    half = {
        "eye_inner": (0.02, 0.10),
        "eye": (0.035, 0.10),
        "eye_outer": (0.05, 0.10),
        "ear": (0.08, 0.11),
        "shoulder": (0.15, 0.25),
        "elbow": (0.18, 0.40),
        "wrist": (0.19, 0.55),
        "pinky": (0.19, 0.60),
        "index": (0.18, 0.61),
        "thumb": (0.17, 0.59),
        "hip": (0.09, 0.55),
        "knee": (0.09, 0.75),
        "ankle": (0.09, 0.95),
        "heel": (0.09, 0.97),
        "foot_index": (0.10, 0.99),
    }
    coords = {"nose": (0.5, 0.12), "mouth_left": (0.52, 0.15), "mouth_right": (0.48, 0.15)}
    for name, (dx, y) in half.items():
        coords[f"left_{name}"] = (0.5 + dx, y)
        coords[f"right_{name}"] = (0.5 - dx, y)
    assert set(coords) == set(POSE_LANDMARKS)
    return coords


def _left_hand_back() -> dict[str, tuple[float, float]]:
    """Back of a left hand facing the viewer, fingers up, thumb on the right (x right, y down)."""
    coords = {"wrist": (0.0, 0.0), "thumb_cmc": (0.25, -0.15), "thumb_mcp": (0.4, -0.3)}
    coords["thumb_ip"], coords["thumb_tip"] = (0.5, -0.45), (0.55, -0.55)
    for finger, x in (
        ("index_finger", 0.25),
        ("middle_finger", 0.05),
        ("ring_finger", -0.12),
        ("pinky", -0.27),
    ):
        for joint, y in (("mcp", -0.8), ("pip", -1.1), ("dip", -1.3), ("tip", -1.45)):
            coords[f"{finger}_{joint}"] = (x, y)
    assert set(coords) == set(HAND_LANDMARKS)
    return coords


def test_bilateral_pose_anchors_mirror_across_the_body(kb):
    figure = _front_figure()
    for point in kb.points:
        anchor = point.anchor
        if anchor.model != "pose":
            continue
        lx, ly = anchor.resolve(figure, "left")
        if not point.bilateral:
            assert lx == pytest.approx(0.5), point.code
            continue
        rx, ry = anchor.resolve(figure, "right")
        assert lx + rx == pytest.approx(1.0), point.code
        assert ly == pytest.approx(ry), point.code
        # A selfie-flipped picture holds the same point, flipped.
        flipped = {name: (1 - x, y) for name, (x, y) in figure.items()}
        fx, fy = anchor.resolve(flipped, "left", mirrored=True)
        assert (fx, fy) == pytest.approx((1 - lx, ly)), point.code


def test_anchor_positions_match_the_written_locations(kb):
    figure = _front_figure()
    # GB21's anchor is drawn for a back view; a front picture mirrors it. Halfway from the neck base to the
    # shoulder, and above the shoulder line (the top of the shoulder).
    gb21 = kb.point("GB21").anchor.resolve(figure, mirrored=True)
    assert gb21[0] == pytest.approx((0.5 + 0.65) / 2) and gb21[1] < 0.25 - 0.02
    # ST36 lies outside the shin: on a front picture the person's left leg's outside is the picture's right.
    st36 = kb.point("ST36").anchor.resolve(figure)
    assert st36[0] > figure["left_knee"][0] and figure["left_knee"][1] < st36[1] < figure["left_ankle"][1]
    # SP6 is on the inner side of the leg, four finger widths above the ankle.
    sp6 = kb.point("SP6").anchor.resolve(figure)
    assert (
        sp6[0] < figure["left_ankle"][0] and sp6[1] > (figure["left_knee"][1] + figure["left_ankle"][1]) / 2
    )
    # Yintang sits above the eyes, between them; BL2 above the inner eye corner.
    yintang = kb.point("EX-HN3").anchor.resolve(figure)
    assert yintang[1] < figure["left_eye_inner"][1]
    bl2 = kb.point("BL2").anchor.resolve(figure)
    assert bl2[1] < figure["left_eye_inner"][1]

    hand = _left_hand_back()
    te3 = kb.point("TE3").anchor.resolve(hand)
    assert hand["pinky_mcp"][0] < te3[0] < hand["ring_finger_mcp"][0]  # between ring and little finger
    assert hand["ring_finger_mcp"][1] < te3[1] < hand["wrist"][1]  # on the wrist side of the knuckle
    luozhen = kb.point("EX-UE8").anchor.resolve(hand)
    assert hand["middle_finger_mcp"][0] < luozhen[0] < hand["index_finger_mcp"][0]
    si3 = kb.point("SI3").anchor.resolve(hand)
    assert si3[0] < hand["pinky_mcp"][0]  # on the little-finger edge
    li4 = kb.point("LI4").anchor.resolve(hand)
    assert hand["index_finger_mcp"][1] < li4[1] < hand["thumb_cmc"][1]


def test_hand_anchors_mirror_for_the_right_hand(kb):
    left = _left_hand_back()
    right = {name: (-x, y) for name, (x, y) in left.items()}  # the back of a right hand
    for point in kb.points:
        if point.anchor.model != "hand":
            continue
        lx, ly = point.anchor.resolve(left, "left")
        assert point.anchor.resolve(right, "right") == pytest.approx((-lx, ly)), point.code


def test_anchor_resolve_reports_missing_landmarks(kb):
    with pytest.raises(ValueError, match="left_knee"):
        kb.point("ST36").anchor.resolve({"left_ankle": (0.0, 0.0)})


# ----- validation on broken copies of the real file --------------------------------------------------


def _step(doc, rid, n):
    return _routine(doc, rid)["steps"][n - 1]


def _set(obj, key, value):
    obj[key] = value


BROKEN = {
    "unknown point": (
        lambda d: _set(_step(d, "neck-release", 2), "point", "TE33"),
        ["routine 'neck-release' step 2", "field 'point'", "unknown point 'TE33'", "TE3"],
    ),
    "duplicate code": (
        lambda d: _set(_point(d, "LU7"), "code", "HT7"),
        ["point 'HT7'", "field 'code'", "duplicate code 'HT7'"],
    ),
    "duplicate alias": (
        lambda d: _set(_point(d, "LR3"), "aliases", ["LV3", "SJ3"]),
        ["point 'LR3'", "field 'aliases'", "duplicate alias 'SJ3'", "'TE3'"],
    ),
    "duplicate routine id": (
        lambda d: _set(_routine(d, "calm-stress"), "id", "eye-strain"),
        ["routine 'eye-strain'", "field 'id'", "duplicate id"],
    ),
    "negative duration": (
        lambda d: _set(_step(d, "eye-strain", 3), "seconds", -5),
        ["routine 'eye-strain' step 3", "field 'seconds'", "-5"],
    ),
    "absurd step": (
        lambda d: _set(_step(d, "neck-release", 1), "seconds", 16 * 60),
        ["routine 'neck-release' step 1", "field 'seconds'", "at most 900"],
    ),
    "absurd routine": (
        lambda d: (
            [_set(s, "seconds", 840) for s in _routine(d, "calm-stress")["steps"]]
            and _routine(d, "calm-stress").pop("total_seconds")
        ),
        ["routine 'calm-stress'", "field 'steps'", "at most 60 minutes"],
    ),
    "short longer than full": (
        lambda d: _set(_step(d, "neck-release", 4), "short_seconds", 600),
        ["routine 'neck-release' step 4", "field 'short_seconds'"],
    ),
    "inconsistent total": (
        lambda d: _set(_routine(d, "neck-release"), "total_seconds", 601),
        ["routine 'neck-release'", "field 'total_seconds'", "601", "600"],
    ),
    "missing point field": (
        lambda d: _point(d, "ST36").pop("find"),
        ["point 'ST36'", "field 'find'", "missing"],
    ),
    "missing step field": (
        lambda d: _step(d, "tension-headache", 2).pop("instruction"),
        ["routine 'tension-headache' step 2", "field 'instruction'", "missing"],
    ),
    "wrong type bool": (
        lambda d: _set(_point(d, "SP6"), "bilateral", "yes"),
        ["point 'SP6'", "field 'bilateral'", "true or false"],
    ),
    "wrong type number": (
        lambda d: _set(_step(d, "neck-release", 2), "seconds", "180"),
        ["routine 'neck-release' step 2", "field 'seconds'", "must be a number"],
    ),
    "wrong type list": (
        lambda d: _set(_routine(d, "eye-strain"), "steps", {"point": "BL2"}),
        ["routine 'eye-strain'", "field 'steps'", "must be a list"],
    ),
    "unknown trigger": (
        lambda d: _set(_routine(d, "neck-release"), "triggers", ["neck_stran"]),
        ["routine 'neck-release'", "field 'triggers'", "unknown trigger 'neck_stran'", "neck_strain"],
    ),
    "trigger map unknown routine": (
        lambda d: d["triggers"]["stress"].append("calm-stres"),
        ["triggers", "field 'stress'", "unknown routine 'calm-stres'"],
    ),
    "trigger map unknown trigger": (
        lambda d: _set(d["triggers"], "back_pain", ["low-back-release"]),
        ["triggers", "unknown field 'back_pain'"],
    ),
    "anchor landmark": (
        lambda d: _set(_point(d, "LI10")["anchor"], "from", "left_elbo"),
        ["point 'LI10' anchor", "field 'from'", "'left_elbo' is not a MediaPipe pose landmark", "left_elbow"],
    ),
    "hand landmark on pose model": (
        lambda d: _set(_point(d, "TE3")["anchor"], "model", "pose"),
        ["point 'TE3' anchor", "field 'from'", "'ring_finger_mcp' is not a MediaPipe pose landmark"],
    ),
    "anchor fraction": (
        lambda d: _set(_point(d, "GB21")["anchor"], "t", 1.5),
        ["point 'GB21' anchor", "field 't'"],
    ),
    "press without point": (
        lambda d: _set(_step(d, "neck-release", 1), "point", None),
        ["routine 'neck-release' step 1", "field 'point'", "needs a point"],
    ),
    "movement with point": (
        lambda d: _set(_step(d, "neck-release", 4), "point", "TE3"),
        ["routine 'neck-release' step 4", "field 'point'"],
    ),
    "midline point on one side": (
        lambda d: _set(_step(d, "eye-strain", 4), "side", "left"),
        ["routine 'eye-strain' step 4", "field 'side'", "midline"],
    ),
    "unknown action": (
        lambda d: _set(_step(d, "eye-strain", 1), "action", "stare"),
        ["routine 'eye-strain' step 1", "field 'action'", "stare"],
    ),
    "typo field": (
        lambda d: _step(d, "eye-strain", 2).update(secnds=3),
        ["routine 'eye-strain' step 2", "unknown field 'secnds'", "seconds"],
    ),
    "sitting without movement": (
        lambda d: (
            _set(
                _routine(d, "low-back-release"),
                "steps",
                [s for s in _routine(d, "low-back-release")["steps"] if s["action"] != "move"],
            )
            or _routine(d, "low-back-release").pop("total_seconds")
        ),
        ["routine 'low-back-release'", "field 'steps'", "'move' step"],
    ),
    "pregnancy flag dropped": (
        lambda d: _set(_point(d, "LI4"), "pregnancy_caution", False),
        ["point 'LI4'", "field 'pregnancy_caution'"],
    ),
    "evidence level": (
        lambda d: _set(_routine(d, "eye-strain")["evidence"], "level", "strong"),
        ["routine 'eye-strain' evidence", "field 'level'", "'strong'"],
    ),
    "red flag type": (
        lambda d: _set(d["red_flags"][1], "emergency", "no"),
        ["red_flags item 2", "field 'emergency'"],
    ),
    "version": (
        lambda d: _set(d, "version", 2),
        ["top level", "field 'version'", "version 2 is not supported"],
    ),
    "missing top-level": (
        lambda d: d.pop("disclaimer"),
        ["top level", "field 'disclaimer'", "missing"],
    ),
    "no bleeding caution": (
        lambda d: d.pop("bleeding_caution"),
        ["top level", "field 'bleeding_caution'", "missing"],
    ),
    "red flag both urgent and same-day": (
        lambda d: _set(next(f for f in d["red_flags"] if f.get("same_day")), "emergency", True),
        ["red_flags item", "field 'same_day'", "emergency"],
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_copy_names_file_entry_and_field(tmp_path, real_doc, kind):
    mutate, fragments = BROKEN[kind]
    doc = copy.deepcopy(real_doc)
    mutate(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(DataError) as info:
        load_knowledge(path, include_user=False)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ") or message.startswith("acupoints.json: ")
    for fragment in fragments:
        assert fragment in message, (kind, message)


def test_unchanged_copy_loads(tmp_path, real_doc):
    path = _write(tmp_path, copy.deepcopy(real_doc))
    assert load_knowledge(path, include_user=False).source == path


def test_invalid_json_names_line_and_column(tmp_path):
    path = _write(tmp_path, '{"version": 1,\n  "points": [,]}')
    with pytest.raises(DataError, match=r"acupoints.json: not valid JSON: .* line 2 column \d+"):
        load_knowledge(path, include_user=False)


def test_duplicate_json_key_is_reported(tmp_path, real_doc):
    text = json.dumps(real_doc, indent=1)
    # Give the first step of the first routine a second "seconds" key.
    text = text.replace('"seconds": 180,', '"seconds": 180, "seconds": 5,', 1)
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=r"routine 'neck-release' step 1: field 'seconds' is given twice"):
        load_knowledge(path, include_user=False)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="nothing.json: file not found"):
        load_knowledge(tmp_path / "nothing.json", include_user=False)


# ----- the user's routines file -----------------------------------------------------------------------


def _user_routine(rid: str = "my-hands", **changes) -> dict:
    routine = {
        "id": rid,
        "title": "My hand points",
        "triggers": ["neck_strain"],
        "steps": [
            {"point": "SJ3", "action": "press", "side": "left", "seconds": 60, "instruction": "Left hand."},
            {
                "point": "te3",
                "action": "press",
                "side": "right",
                "seconds": 60,
                "short_seconds": 20,
                "instruction": "Right hand.",
            },
        ],
        "evidence": {"level": "none", "source": "My own choice."},
        "cautions": "Gently.",
    }
    routine.update(changes)
    return routine


def _write_user(doc) -> Path:
    path = paths.user_routines_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_user_routine_is_added_and_its_aliases_resolved(isolated_home):
    path = _write_user({"version": 1, "routines": [_user_routine()]})
    assert path.is_relative_to(isolated_home)
    kb = load_knowledge()
    mine = kb.routine("my-hands")
    assert mine.origin == "user"
    assert [s.point for s in mine.steps] == ["TE3", "TE3"]
    assert mine.steps[0].short_seconds == 60  # defaults to the full time
    assert kb.triggers["neck_strain"][-1] == "my-hands"  # after the built-in preferences
    assert kb.user_source == path


def test_user_routine_replaces_builtin_by_id():
    builtin = load_knowledge(include_user=False)
    _write_user(
        {"version": 1, "routines": [_user_routine("neck-release", title="My neck", triggers=["stress"])]}
    )
    kb = load_knowledge()
    assert len(kb.routines) == len(builtin.routines)
    replaced = kb.routine("neck-release")
    assert (replaced.title, replaced.origin) == ("My neck", "user")
    assert "neck-release" not in kb.triggers["neck_strain"]  # it no longer claims neck strain
    assert kb.triggers["stress"] == ("calm-stress", "neck-release")


def test_user_file_errors_name_the_user_file():
    _write_user(
        {
            "version": 1,
            "routines": [
                _user_routine(
                    steps=[
                        {
                            "point": "LI44",
                            "action": "press",
                            "side": "left",
                            "seconds": 60,
                            "instruction": "x",
                        }
                    ]
                )
            ],
        }
    )
    with pytest.raises(DataError) as info:
        load_knowledge()
    message = str(info.value)
    assert "routines.json: routine 'my-hands' step 1: field 'point': unknown point 'LI44'" in message


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (
            {"version": 1, "routines": [_user_routine(), _user_routine()]},
            "field 'id': duplicate id 'my-hands'",
        ),
        ({"version": 1, "routines": [_user_routine(triggers=["sleepy"])]}, "unknown trigger 'sleepy'"),
        ({"version": 1, "routines": [_user_routine(id="My Hands")]}, "field 'id'"),
        ({"version": 1}, "top level: field 'routines': is missing"),
        ({"version": 1, "routines": [], "points": []}, "unknown field 'points'"),
        ([1, 2], "top level: must be a JSON object"),
    ],
)
def test_user_file_is_validated_like_the_builtin_one(doc, fragment):
    _write_user(doc)
    with pytest.raises(DataError) as info:
        load_knowledge()
    assert "routines.json" in str(info.value) and fragment in str(info.value)


def test_missing_default_user_file_is_fine_but_an_explicit_one_is_not(tmp_path):
    assert not paths.user_routines_file().exists()
    assert load_knowledge().user_source is None
    with pytest.raises(DataError, match="mine.json: file not found"):
        load_knowledge(user_file=tmp_path / "mine.json")


def test_knowledge_module_stays_free_of_heavy_imports():
    source = Path(load_knowledge.__code__.co_filename).read_text(encoding="utf-8")
    for module in ("cv2", "mediapipe", "sqlite3", "tkinter", "pystray", "PIL"):
        assert not re.search(rf"^\s*(import|from)\s+{module}\b", source, re.M), module


EXERCISES = ("chin-tucks", "shoulder-blade-squeeze", "doorway-chest-stretch", "chair-back-extension",
             "stand-and-walk")


def test_exercise_routines_are_counted_with_figures_evidence_and_cautions(kb):
    from postureguard.knowledge.loader import EXERCISE_FIGURES

    for rid in EXERCISES:
        routine = kb.routine(rid)
        assert routine.kind == "exercises" and not routine.press_steps and routine.minutes <= 5
        exercise = [s for s in routine.steps if s.action == "exercise"]
        assert exercise and all(s.figure in EXERCISE_FIGURES and s.reps >= 1 for s in exercise)
        assert all(s.seconds == s.reps * (s.hold_seconds + s.rest_seconds) for s in exercise)
        assert routine.evidence.level == "low to moderate"
        assert re.search(r"(19|20)\d\d", routine.evidence.source)
        assert "dizz" in routine.cautions.lower() or "light-headed" in routine.cautions.lower()
        assert routine.with_variant("short").steps[0] == routine.steps[0]  # a counted set is not shortened
    assert {s.figure for rid in EXERCISES for s in kb.routine(rid).steps if s.figure} == set(EXERCISE_FIGURES)
    tucks = kb.routine("chin-tucks").steps[0]
    assert (tucks.reps, tucks.hold_seconds, tucks.rest_seconds) == (10, 5.0, 5.0)
    assert "Sheikhhoseini 2018" in kb.routine("chin-tucks").evidence.source
    assert "Dunstan 2012" in kb.routine("stand-and-walk").evidence.source
    assert any(s.action == "move" for s in kb.routine("stand-and-walk").steps)
    assert "chin-tucks" in kb.triggers["neck_strain"] and "stand-and-walk" in kb.triggers["prolonged_sitting"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reps": 0}, "reps", "whole number of repetitions from 1 to 30, not 0"),
        ({"reps": 2.5}, "reps", "whole number of repetitions"),
        ({"reps": True}, "reps", "whole number of repetitions"),
        ({"hold_seconds": -1}, "hold_seconds", "at least 0"),
        ({"hold_seconds": 0, "rest_seconds": 0}, "hold_seconds", "at least 1 second"),
        ({"rest_seconds": "5"}, "rest_seconds", "must be a number"),
        ({"figure": "chin-tuk"}, "figure", "unknown figure 'chin-tuk' (did you mean 'chin-tuck'?)"),
        ({"seconds": 99}, "seconds", "says 99 but reps x (hold_seconds + rest_seconds) is 100"),
        ({"point": "GB21"}, "point", "an 'exercise' step has no point"),
        ({"side": "left"}, "side", "uses side 'center'"),
        ({"reps": None}, "reps", "whole number"),
    ],
)
def test_broken_exercise_steps_are_refused_naming_file_entry_and_field(tmp_path, real_doc, change, field,
                                                                      message):
    doc = copy.deepcopy(real_doc)
    step = _routine(doc, "chin-tucks")["steps"][0]
    step.update(change)
    with pytest.raises(DataError) as info:
        load_knowledge(_write(tmp_path, doc), include_user=False)
    text = str(info.value)
    assert text.startswith(f"{tmp_path / 'acupoints.json'}: routine 'chin-tucks' step 1: field '{field}': ")
    assert message in text and "\n" not in text


def test_missing_exercise_field_and_mixed_routines_are_refused(tmp_path, real_doc):
    doc = copy.deepcopy(real_doc)
    del _routine(doc, "chin-tucks")["steps"][0]["figure"]
    with pytest.raises(DataError, match=r"routine 'chin-tucks' step 1: .*'figure'"):
        load_knowledge(_write(tmp_path, doc), include_user=False)
    doc = copy.deepcopy(real_doc)
    _routine(doc, "neck-release")["steps"].append(copy.deepcopy(_routine(doc, "chin-tucks")["steps"][0]))
    with pytest.raises(DataError, match=r"routine 'neck-release': field 'steps': mixes 'press' and"):
        load_knowledge(_write(tmp_path, doc), include_user=False)
