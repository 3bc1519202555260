"""The camera guide's field in the knowledge base: one definition per point, validated on load."""

from __future__ import annotations

import copy
import json

import pytest

from postureguard.errors import DataError
from postureguard.files.resources import acupoints_path
from postureguard.knowledge.loader import load_knowledge

GUIDED = ("GB21", "GB20", "BL10", "GV14", "SI11", "SI14", "SI15", "LI4", "TE3", "SI3", "EX-UE8", "PC6", "LU7",
          "HT7", "BL2", "EX-HN3", "EX-HN5")  # fmt: skip


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


def test_the_points_of_the_issue_have_a_guide(kb):
    points = {p.code: p for p in kb.points}
    for code in GUIDED:
        guide = points[code].guide
        assert guide is not None, code
        assert guide.measure, code
        if not guide.own_anchor:
            assert guide.anchor is points[code].anchor  # the figure and the guide share one definition
    assert {points[c].guide.anchor.model for c in ("BL2", "EX-HN3", "EX-HN5")} == {"face"}
    assert points["PC6"].guide.anchor.model == "arm" and "12 B-cun" in points["PC6"].guide.measure
    assert all(points[c].guide.behind for c in ("GB20", "GV14", "SI11")) and not points["GB21"].guide.behind


def _write(tmp_path, change) -> str:
    doc = json.loads(acupoints_path().read_text(encoding="utf-8"))
    point = next(p for p in doc["points"] if p["code"] == "PC6")
    change(point)
    path = tmp_path / "acupoints.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["guide"]["anchor"].update({"from": "wrsit"}),
         r"'wrsit' is not a MediaPipe arm landmark \(did you mean 'wrist'\?\)"),
        (lambda p: p["guide"]["anchor"].update({"model": "foot"}), r"field 'model'"),
        (lambda p: p["guide"]["anchor"].update({"view": "front"}), r"field 'view'"),
        (lambda p: p["guide"].update({"measure": ""}), r"guide.*field 'measure'"),
        (lambda p: p["guide"].update({"behind": "yes"}), r"guide.*field 'behind'"),
        (lambda p: p["guide"].update({"where": 1}), r"unknown field 'where'"),
        (lambda p: p.update({"guide": [1]}), r"guide.*must be a JSON object"),
    ],
)  # fmt: skip
def test_a_broken_guide_is_named_in_one_line(tmp_path, change, message):
    path = _write(tmp_path, change)
    with pytest.raises(DataError, match=message) as err:
        load_knowledge(path, include_user=False)
    assert "PC6" in str(err.value) and "\n" not in str(err.value)


def test_a_point_without_a_guide_loads(tmp_path):
    path = _write(tmp_path, lambda p: p.pop("guide"))
    points = {p.code: p for p in load_knowledge(path, include_user=False).points}
    assert points["PC6"].guide is None


def test_face_landmark_names_in_a_guide_are_checked(tmp_path):
    def change(p):
        p["guide"]["anchor"] = copy.deepcopy({"model": "face", "view": "front", "from": "left_brow_inner",
                                              "to": "left_brow", "t": 0.5})  # fmt: skip

    with pytest.raises(DataError, match="'left_brow' is not a MediaPipe face landmark"):
        load_knowledge(_write(tmp_path, change), include_user=False)
