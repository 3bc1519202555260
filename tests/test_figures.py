"""The canonical body and hand figures, and where the knowledge base's anchors put each point on them."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from postureguard.knowledge.loader import Anchor, load_knowledge
from postureguard.ui import figures as F


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


def _positions(kb, code):
    point = kb.point(code)
    layout = F.layout_for(point.anchor)
    return layout, {side: (x, y) for side, x, y in F.point_positions(point, layout)}


def _segment_distance(p, a, b):
    return F._segment_distance(p, a, b)


def _inside_triangle(p, a, b, c) -> bool:
    def cross(o, u, v):
        return (u[0] - o[0]) * (v[1] - o[1]) - (u[1] - o[1]) * (v[0] - o[0])

    signs = [cross(a, b, p), cross(b, c, p), cross(c, a, p)]
    return all(s > 0 for s in signs) or all(s < 0 for s in signs)


def test_layout_is_chosen_by_model_and_view(kb):
    assert F.layout_for(kb.point("GB21").anchor).name == "body-back"
    assert F.layout_for(kb.point("SP6").anchor).name == "body-front"
    assert F.layout_for(kb.point("TE3").anchor).name == "hands-back"
    palm = Anchor("hand", "palm", "wrist", "middle_finger_mcp", 0.5)
    assert F.layout_for(palm).name == "hands-palm"
    with pytest.raises(ValueError, match="no figure"):
        F.layout_for(Anchor("hand", "side", "wrist", "thumb_cmc", 0.5))


def test_views_put_the_persons_left_where_the_anchor_spec_says():
    front = F.LAYOUTS[("pose", "front")].coords_for("left")
    back = F.LAYOUTS[("pose", "back")].coords_for("left")
    # front: facing the viewer, their left on the picture's right; back: their left on the left
    assert front["left_shoulder"][0] > 0.5 > front["right_shoulder"][0]
    assert back["left_shoulder"][0] < 0.5 < back["right_shoulder"][0]
    hand = F.LAYOUTS[("hand", "back")].coords_for("left")
    palm = F.LAYOUTS[("hand", "palm")].coords_for("left")
    assert hand["thumb_cmc"][0] > hand["pinky_mcp"][0]  # back of the left hand: thumb on the right
    assert palm["thumb_cmc"][0] < palm["pinky_mcp"][0]  # its palm: thumb on the left
    # Fingers point up (y grows downward) and the hand is a hand: fingertips above their knuckles.
    for finger in ("index_finger", "middle_finger", "ring_finger", "pinky"):
        tip, pip, mcp = (hand[f"{finger}_{joint}"][1] for joint in ("tip", "pip", "mcp"))
        assert tip < pip < mcp < hand["wrist"][1]


def test_body_proportions_are_those_of_a_standing_adult():
    c = F.LAYOUTS[("pose", "front")].coords_for("left")
    height = c["left_heel"][1] - 0.05  # the crown is at y = 0.05
    assert height == pytest.approx(0.885, abs=0.02)
    for name, share in (("left_shoulder", 0.818), ("left_elbow", 0.63), ("left_wrist", 0.485),
                        ("left_hip", 0.53), ("left_knee", 0.285)):  # fmt: skip
        above_floor = 0.95 - c[name][1]
        assert above_floor / 0.9 == pytest.approx(share, abs=0.03), name


def _torso_top_y(layout, x: float) -> float:
    """Where the top outline of the torso (neck side to shoulder tip) crosses ``x`` on the back figure."""
    torso = layout.drawing.polygons[0]
    edges = zip(torso, (*torso[1:], torso[0]), strict=True)
    ys = [y1 + (x - x1) * (y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in edges
          if min(x1, x2) <= x <= max(x1, x2) and x1 != x2]  # fmt: skip
    return min(ys)  # the upper crossing


def _head_bottom_y(layout, x: float) -> float:
    """The lower edge of the head oval at ``x`` (where the skull meets the neck on the back figure)."""
    head = layout.drawing.ovals[0]
    return head.cy + head.ry * math.sqrt(1 - ((x - head.cx) / head.rx) ** 2)


def test_gb21_sits_on_the_top_of_the_shoulder_midway_between_c7_and_the_acromion(kb):
    layout, pos = _positions(kb, "GB21")
    c = layout.coords_for("left")
    neck, left_sh, right_sh = c["neck_base"], c["left_shoulder"], c["right_shoulder"]
    for side, shoulder in (("left", left_sh), ("right", right_sh)):
        x, y = pos[side]
        # Midway across: C7 is on the midline, the acromion above the shoulder joint.
        assert x == pytest.approx((neck[0] + shoulder[0]) / 2, abs=0.005)
        # On the trapezius ridge: just inside the top outline, not down on the upper back.
        top = _torso_top_y(layout, x)
        assert 0 < y - top < 0.01, (side, y, top)
        assert F.on_body(layout.drawing, x, y) and not F.on_body(layout.drawing, x, top - 0.004)
        assert y < shoulder[1] - 0.015  # above the line between the shoulder joints
    # and clearly apart from SI14 (upper back, below T1) and SI15, which lie on that line's level
    _, si14 = _positions(kb, "SI14")
    _, si15 = _positions(kb, "SI15")
    assert si14["left"][1] - pos["left"][1] > 0.015 and si15["left"][1] - pos["left"][1] > 0.01
    assert left_sh[0] < pos["left"][0] < neck[0] < pos["right"][0] < right_sh[0]


def test_gb20_and_bl10_sit_at_the_base_of_the_skull_on_the_top_of_the_neck(kb):
    layout, gb20 = _positions(kb, "GB20")
    _, bl10 = _positions(kb, "BL10")
    c = layout.coords_for("left")
    head = layout.drawing.ovals[0]
    neck = layout.drawing.strokes[0]  # the silhouette starts with the neck
    assert neck.points[0][1] < neck.points[1][1] and abs(neck.points[0][0] - c["neck_base"][0]) < 1e-9
    neck_meets_shoulders = _torso_top_y(layout, c["neck_base"][0] - neck.width / 2)
    for code, pos in (("GB20", gb20), ("BL10", bl10)):
        for side, (x, y) in pos.items():
            # outside the head oval, never inside it...
            assert ((x - head.cx) / head.rx) ** 2 + ((y - head.cy) / head.ry) ** 2 > 1, (code, side)
            # ...on the neck, just below where the skull meets it (the top of the neck)
            assert abs(x - neck.points[0][0]) < neck.width / 2, (code, side)
            assert 0 < y - _head_bottom_y(layout, x) < 0.012, (code, side)
            assert y < neck_meets_shoulders - 0.005, (code, side)  # the top of the neck, not its base
            assert F.on_body(layout.drawing, x, y)
    # GB20 in the hollows further out, under the skull; BL10 a little lower and closer to the middle
    mid = c["neck_base"][0]
    assert abs(gb20["left"][0] - mid) > abs(bl10["left"][0] - mid) > 0.005
    assert gb20["left"][1] < bl10["left"][1]
    assert gb20["left"][0] < mid < gb20["right"][0]  # back view: the person's left on the picture's left


def test_te3_is_on_the_back_of_the_hand_between_the_4th_and_5th_metacarpals(kb):
    layout, pos = _positions(kb, "TE3")
    assert layout.view == "back"
    for side in ("left", "right"):
        c = layout.coords_for(side)
        p = pos[side]
        # between the ring-finger and little-finger metacarpals (wrist -> knuckle), nearer the knuckles
        assert _inside_triangle(p, c["wrist"], c["ring_finger_mcp"], c["pinky_mcp"]), side
        assert p[1] < (c["ring_finger_mcp"][1] + c["wrist"][1]) / 2
    # each on its own hand: the left one in the left box, the right one in the right box
    assert 0 < pos["left"][0] < 1 < pos["right"][0] < 2


def test_li4_is_in_the_web_between_thumb_and_index_metacarpals(kb):
    layout, pos = _positions(kb, "LI4")
    c = layout.coords_for("left")
    (ax, ay), (bx, by) = c["thumb_cmc"], c["index_finger_mcp"]
    mid = ((ax + bx) / 2, (ay + by) / 2)
    assert math.dist(pos["left"], mid) < 1e-9
    assert _inside_triangle(pos["left"], c["wrist"], c["index_finger_mcp"], c["thumb_mcp"])


def test_ex_ue8_and_si3_sit_on_the_right_sides_of_their_bones(kb):
    layout, ue8 = _positions(kb, "EX-UE8")
    c = layout.coords_for("left")
    # between the index and middle metacarpals
    assert _inside_triangle(ue8["left"], c["wrist"], c["index_finger_mcp"], c["middle_finger_mcp"])
    _, si3 = _positions(kb, "SI3")
    # on the little-finger edge, outside the 5th metacarpal
    assert si3["left"][0] < c["pinky_mcp"][0]


def test_limb_points_sit_on_the_inner_or_outer_side_their_location_names(kb):
    layout, sp6 = _positions(kb, "SP6")
    c = layout.coords_for("left")
    # Front view: the person's left leg is on the picture's right; its inner side faces the middle.
    shin_x = (c["left_knee"][0] + c["left_ankle"][0]) / 2
    assert sp6["left"][0] < shin_x  # SP6: inner side of the shin
    _, st36 = _positions(kb, "ST36")
    assert st36["left"][0] > c["left_knee"][0]  # ST36: outer side, off the shin bone
    _, li10 = _positions(kb, "LI10")
    forearm_x = (c["left_elbow"][0] + c["left_wrist"][0]) / 2
    assert li10["left"][0] > forearm_x  # thumb side of the forearm (palms forward)
    _, ht7 = _positions(kb, "HT7")
    _, lu7 = _positions(kb, "LU7")
    assert ht7["left"][0] < lu7["left"][0]  # HT7 little-finger side, LU7 thumb side


def test_face_points(kb):
    layout, bl2 = _positions(kb, "BL2")
    c = layout.coords_for("left")
    assert bl2["left"][1] < c["left_eye_inner"][1]  # above the inner corner of the eye (eyebrow)
    assert bl2["left"][0] > 0.5 > bl2["right"][0]
    _, yintang = _positions(kb, "EX-HN3")
    assert list(yintang) == ["center"]
    x, y = yintang["center"]
    assert x == pytest.approx(0.5) and y < c["left_eye_inner"][1]


@pytest.mark.parametrize("model_view", sorted(F.LAYOUTS))
def test_bilateral_points_mirror(kb, model_view):
    layout = F.LAYOUTS[model_view]
    axis = layout.width / 2  # body: x = 0.5; hands: x = 1, between the two boxes
    points = [p for p in kb.points if (p.anchor.model, p.anchor.view) == model_view and p.bilateral]
    for point in points:
        pos = {side: (x, y) for side, x, y in F.point_positions(point, layout)}
        assert set(pos) == {"left", "right"}
        assert pos["left"][0] + pos["right"][0] == pytest.approx(2 * axis, abs=1e-9), point.code
        assert pos["left"][1] == pytest.approx(pos["right"][1], abs=1e-9), point.code
        assert pos["left"] != pos["right"]


def test_every_point_in_the_knowledge_base_lands_on_its_figure(kb):
    assert kb.points, "the knowledge base has points"
    for point in kb.points:
        layout = F.layout_for(point.anchor)
        x0, y0, x1, y1 = layout.bounds
        positions = F.point_positions(point, layout)
        assert len(positions) == (2 if point.bilateral else 1)
        for side, x, y in positions:
            assert x0 <= x <= x1 and y0 <= y <= y1, (point.code, side)
            # On the drawn silhouette itself (a hair's breadth of tolerance for points on an edge).
            assert F.on_body(layout.drawing, x, y, tolerance=0.003), (point.code, side, x, y)
            # And inside the part of the figure the player shows for the point's region.
            bx0, by0, bx1, by1 = F.focus_box(layout, point.region, positions)
            assert bx0 < x < bx1 and by0 < y < by1


def test_on_body_rejects_empty_space():
    front = F.LAYOUTS[("pose", "front")]
    assert not F.on_body(front.drawing, 0.05, 0.05)
    assert not F.on_body(front.drawing, 0.5, 0.62)  # between the legs
    assert F.on_body(front.drawing, 0.5, 0.35)  # the chest
    hands = F.LAYOUTS[("hand", "back")]
    assert not F.on_body(hands.drawing, 1.0, 0.5)  # between the hands


def test_focus_box_zooms_on_the_face_and_keeps_hands_whole(kb):
    front = F.LAYOUTS[("pose", "front")]
    face = F.focus_box(front, "face")
    leg = F.focus_box(front, "leg")
    assert (face[2] - face[0]) * (face[3] - face[1]) < 0.1 * (leg[2] - leg[0]) * (leg[3] - leg[1])
    hands = F.LAYOUTS[("hand", "back")]
    x0, y0, x1, y1 = F.focus_box(hands, "hand")
    bx0, by0, bx1, by1 = hands.bounds
    assert x0 < bx0 and y0 < by0 and x1 > bx1 and y1 > by1
    assert all(y0 < label.y for label in hands.labels)
    # a position outside the region's box grows the box
    grown = F.focus_box(front, "face", [("left", 0.9, 0.9)])
    assert grown[2] > 0.9 and grown[3] > 0.9


def test_fit_keeps_the_aspect_and_centres_the_box():
    tr = F.fit((0.0, 0.0, 2.0, 1.0), 400, 400, margin=10)
    assert tr.scale == pytest.approx(190)
    assert tr(0.0, 0.0)[0] == pytest.approx(10) and tr(2.0, 0.0)[0] == pytest.approx(390)
    top, bottom = tr(0, 0)[1], tr(0, 1)[1]
    assert top == pytest.approx(400 - bottom)  # vertically centred


def test_positions_need_the_right_model(kb):
    with pytest.raises(ValueError, match="hand landmarks"):
        F.point_positions(kb.point("TE3"), F.LAYOUTS[("pose", "back")])


def test_figures_and_player_core_import_no_toolkit():
    code = (
        "import sys, postureguard.ui.figures, postureguard.ui.player, postureguard.runtime.children; "
        "assert 'tkinter' not in sys.modules, 'tkinter was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ===== exercise figures ============================================================================


def _exercise_steps(kb):
    return [(r, s) for r in kb.routines for s in r.steps if s.action == "exercise"]


def test_every_exercise_step_has_a_figure_of_two_poses_inside_its_panel(kb):
    from postureguard.knowledge.loader import EXERCISE_FIGURES

    steps = _exercise_steps(kb)
    assert {s.figure for _, s in steps} == set(EXERCISE_FIGURES) == set(F.EXERCISE_FIGURE_SPECS)
    for name in EXERCISE_FIGURES:
        figure = F.exercise_figure(name)
        assert figure.view in ("side", "back") and figure.caption
        assert len(figure.poses) == 2 and all(p.label for p in figure.poses)
        assert any(p.arrows for p in figure.poses), f"{name}: no arrow shows the movement"
        panels = F.exercise_panels(figure)
        for panel, pose in zip(panels, figure.poses, strict=True):
            x0, y0, x1, y1 = panel.box
            for layer in panel.layers:
                bx0, by0, bx1, by1 = layer.bounds()
                assert x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1, (name, pose.label)
            for arrow in panel.arrows:
                assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in arrow.points), (name, pose.label)
            for line in panel.props:
                assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in line), (name, pose.label)
        # Side by side, start first, never overlapping.
        assert panels[0].box[2] < panels[1].box[0]
    with pytest.raises(ValueError, match="no exercise figure"):
        F.exercise_figure("cartwheel")


def test_side_figures_keep_their_segment_lengths_in_both_poses():
    """A pose is a body, not a drawing: thigh, shin and forearm keep their lengths from start to hold."""
    for name in ("chin-tuck", "doorway-stretch", "thoracic-extension", "stand-walk"):
        figure = F.exercise_figure(name)
        lengths = [
            tuple(round(math.dist(p.joints[a], p.joints[b]), 6)
                  for a, b in (("hip", "knee"), ("knee", "ankle"), ("elbow", "wrist"), ("neck_base", "neck")))
            for p in figure.poses
        ]  # fmt: skip
        assert lengths[0] == lengths[1], name


def test_chin_tuck_glides_the_head_back_without_tipping_it():
    start, held = F.exercise_figure("chin-tuck").poses
    s, h = start.joints, held.joints
    # The head ends behind where it started (the figure faces +x), over the shoulder.
    assert h["head"][0] < s["head"][0] - 0.025
    assert abs(h["neck"][0] - h["neck_base"][0]) < 0.005 < s["neck"][0] - s["neck_base"][0]
    # Eyes level in both poses: the face turned neither down nor up (eye to nose keeps its direction).
    for j in (s, h):
        assert abs(j["eye"][1] - j["nose"][1]) < 0.02 and j["nose"][0] > j["eye"][0]
    assert math.dist(*(
        (j["nose"][0] - j["eye"][0], j["nose"][1] - j["eye"][1]) for j in (s, h)
    )) < 1e-9  # fmt: skip
    # The trunk, the hips and the seat do not move; only the head and neck do.
    assert all(s[k] == h[k] for k in ("hip", "mid_back", "neck_base", "knee", "ankle"))
    (arrow,) = held.arrows
    assert arrow.direction[0] < -0.99  # straight back
    assert held.ghosts and held.ghosts[0].cx == pytest.approx(s["head"][0])


def test_scapular_retraction_draws_the_blades_towards_the_spine():
    start, held = F.exercise_figure("scapular-retraction").poses
    for side in ("left", "right"):
        for corner in ("inner", "outer", "tip"):
            before = abs(start.joints[f"{side}_blade_{corner}"][0] - 0.5)
            after = abs(held.joints[f"{side}_blade_{corner}"][0] - 0.5)
            assert after < before - 0.015, (side, corner)
        # back and down, not up: the shoulders do not shrug
        assert held.joints[f"{side}_shoulder"][1] >= start.joints[f"{side}_shoulder"][1]
        # the blades stay on the back, clear of the spine
        assert abs(held.joints[f"{side}_blade_inner"][0] - 0.5) > 0.01
    directions = sorted(a.direction[0] for a in held.arrows)
    assert directions[0] < -0.99 and directions[1] > 0.99  # one arrow from each side, towards the middle
    for arrow in held.arrows:
        assert abs(arrow.points[-1][0] - 0.5) < abs(arrow.points[0][0] - 0.5)


def test_doorway_stretch_keeps_the_elbow_on_the_frame_at_shoulder_height():
    figure = F.exercise_figure("doorway-stretch")
    start, held = figure.poses
    frame_x = max(x for x, _ in figure.props[0])  # the face of the door jamb
    for pose in (start, held):
        j = pose.joints
        assert abs(j["elbow"][1] - j["shoulder"][1]) < 0.01  # elbow at shoulder height
        for part in ("elbow", "wrist", "hand"):  # the forearm rests on the frame
            assert 0 <= j[part][0] - frame_x < 0.03, (pose.label, part)
        assert j["wrist"][1] < j["elbow"][1]  # forearm upright
    # Held: a step through the doorway: the chest ahead of the arm, one foot ahead of the other.
    def reach(j):  # how far the shoulder is ahead of the elbow on the frame
        return j["shoulder"][0] - j["elbow"][0]

    assert reach(held.joints) > reach(start.joints) + 0.06
    assert held.joints["ankle2"][0] - held.joints["ankle"][0] > 0.08
    assert held.arrows[0].direction[0] > 0.99  # forward


def test_thoracic_extension_bends_the_upper_back_over_the_chair_top():
    figure = F.exercise_figure("thoracic-extension")
    start, held = figure.poses
    s, h = start.joints, held.joints
    chair_back = figure.props[3]
    top = min(y for _, y in chair_back)
    # The chair back reaches the middle of the back, between the hips and the base of the neck.
    assert s["neck_base"][1] < top < s["hip"][1]
    assert abs(top - s["mid_back"][1]) < 0.02
    # The hips and the lower back stay on the seat; the upper back and the head go backwards.
    assert all(s[k] == h[k] for k in ("hip", "mid_back", "knee", "ankle"))
    assert h["neck_base"][0] < s["neck_base"][0] - 0.03 and h["head"][0] < s["head"][0] - 0.05
    # The upper back leans back by at least 10 degrees; the neck and head move with it as one piece
    # (every distance between them kept), so the bend is in the upper back, not in the neck.
    def lean(j):  # degrees the upper trunk leans forward of vertical (negative: backwards)
        (x0, y0), (x1, y1) = j["mid_back"], j["neck_base"]
        return math.degrees(math.atan2(x1 - x0, y0 - y1))

    assert lean(s) == pytest.approx(0.0, abs=1e-6) and lean(h) < -10
    upper = ("neck_base", "neck", "head", "eye", "nose")
    for a in upper:
        for b in upper:
            assert math.dist(s[a], s[b]) == pytest.approx(math.dist(h[a], h[b]), abs=1e-9)
    # hands behind the head: the wrist behind the head's centre, the elbow in front of it
    assert s["wrist"][0] < s["head"][0] < s["elbow"][0]
    assert held.arrows[0].direction[0] < 0  # the arrow curls backwards


def test_stand_walk_rises_from_the_seat_over_the_feet():
    figure = F.exercise_figure("stand-walk")
    sit, stand = figure.poses
    seat_y = figure.props[0][0][1]
    assert sit.joints["hip"][1] < seat_y < sit.joints["hip"][1] + 0.06  # sitting on the seat
    assert stand.joints["hip"][1] < sit.joints["hip"][1] - 0.15  # standing: the hip rises
    assert abs(stand.joints["hip"][0] - stand.joints["ankle"][0]) < 0.01  # upright over the feet
    assert stand.joints["ankle"] == pytest.approx(sit.joints["ankle"])  # the feet did not move
    assert stand.arrows[0].direction[1] < -0.99  # up
