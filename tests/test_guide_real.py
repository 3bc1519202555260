"""The camera guide on real photos: the real hand, face and pose models, points checked against
positions marked by hand, hints when a part is out of view, and press detection.

Photos: scikit-image's ``astronaut`` and matplotlib's ``grace_hopper`` (tests/photos.py), and Google's
MediaPipe hand samples in tests/guide_photos/ (README there). Positions are pixels of the unmirrored
photo, marked by hand on magnified crops; each tolerance is stated beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from photos import photo
from postureguard.knowledge.loader import load_knowledge
from postureguard.vision.guide.landmarkers import MediaPipeFace, MediaPipeHands
from postureguard.vision.guide.locator import Observation, hand_face, hand_px, hand_size, locate, pressing
from postureguard.vision.pose import MediaPipePose

HERE = Path(__file__).resolve().parent / "guide_photos"


def guide_photo(name: str) -> np.ndarray:
    img = cv2.imread(str(HERE / f"{name}.jpg"))
    assert img is not None, name
    return img


@pytest.fixture(scope="module")
def points():
    return {p.code: p for p in load_knowledge(include_user=False).points}


@pytest.fixture(scope="module")
def models():
    hands, face, pose = MediaPipeHands(mode="image"), MediaPipeFace(mode="image"), MediaPipePose(mode="image")
    yield hands, face, pose
    for m in (hands, face, pose):
        m.close()


def observe(models, img) -> Observation:
    hands, face, pose = models
    return Observation(img.shape[1], img.shape[0], pose.detect(img, 0.0), hands.detect(img, 0.0),
                       face.detect(img, 0.0))  # fmt: skip


def only(location):
    assert not location.hint, location.hint
    (target,) = location.targets
    return target


# Astronaut (512 x 512): the face is about 60 px between the outer eye corners; 8 px is about 1 cm.
ASTRONAUT_FACE = {
    ("BL2", "left"): (235, 93),
    ("BL2", "right"): (215, 93),
    ("EX-HN3", "center"): (225, 94),
    ("EX-HN5", "left"): (266, 98),
    ("EX-HN5", "right"): (183, 97),
}


@pytest.mark.parametrize(("code", "side"), list(ASTRONAUT_FACE))
def test_face_points_land_where_marked_by_hand(models, points, code, side):
    seen = observe(models, photo("astronaut"))
    target = only(locate(points[code], side, seen))
    mx, my = ASTRONAUT_FACE[(code, side)]
    assert math.hypot(target.x - mx, target.y - my) <= 8, (code, side, target)


def test_face_points_on_a_second_face_keep_their_order(models, points):
    # Grace Hopper's brows are behind her glasses' frames: check the order, not a marked spot.
    seen = observe(models, photo("grace_hopper"))
    left, right = (only(locate(points["BL2"], s, seen)) for s in ("left", "right"))
    mid = only(locate(points["EX-HN3"], "center", seen))
    temple_l, temple_r = (only(locate(points["EX-HN5"], s, seen)) for s in ("left", "right"))
    # Her left is on the right of the unmirrored photo.
    assert temple_r.x < right.x < mid.x < left.x < temple_l.x
    assert abs(left.y - right.y) < 15


# The shoulders of the astronaut's suit: the top of each shoulder midway between the neck (x ~ 207)
# and the suit's outer edge; the suit hides the real outline, so 15 px (~ 0.15 shoulder widths).
ASTRONAUT_GB21 = {"left": (258, 220), "right": (160, 212)}


@pytest.mark.parametrize("side", ["left", "right"])
def test_gb21_on_the_top_of_each_shoulder(models, points, side):
    seen = observe(models, photo("astronaut"))
    target = only(locate(points["GB21"], side, seen))
    mx, my = ASTRONAUT_GB21[side]
    assert math.hypot(target.x - mx, target.y - my) <= 15, target
    assert target.body and not target.behind


def test_back_points_are_marked_as_seen_from_the_front(models, points):
    seen = observe(models, photo("astronaut"))
    gv14 = only(locate(points["GV14"], "center", seen))
    assert gv14.behind
    shoulders_y = (seen.pose.px(11)[1] + seen.pose.px(12)[1]) / 2
    assert abs(gv14.y - shoulders_y) < 0.25 * abs(seen.pose.px(11)[0] - seen.pose.px(12)[0])
    both = locate(points["GB20"], "both", seen)
    assert {t.side for t in both.targets} == {"left", "right"}


def test_handedness_and_the_face_of_each_hand(models):
    seen = observe(models, guide_photo("google_sample_woman_hands"))
    by_side = {h.side: h for h in seen.hands}
    # Her left arm comes in from the right of the photo and ends low on the left; her right hand
    # rests on her forehead. Both palms face the camera.
    assert set(by_side) == {"left", "right"}
    assert hand_px(by_side["left"])[0][1] > 600 and hand_px(by_side["right"])[0][1] < 450
    assert [hand_face(by_side[s]) for s in ("left", "right")] == ["palm", "palm"]
    thumbs = observe(models, guide_photo("thumbs_up")).hands
    assert [(h.side, hand_face(h)) for h in thumbs] == [("right", "back")]


# HT7 on the palmar wrist crease at the little-finger end; marked by hand, tolerance a quarter of the
# hand's size (wrist to middle knuckle: about 2.5 cm).
WOMAN_HT7 = {"left": (255, 648), "right": (297, 362)}


@pytest.mark.parametrize("side", ["left", "right"])
def test_ht7_on_each_palm(models, points, side):
    seen = observe(models, guide_photo("google_sample_woman_hands"))
    target = only(locate(points["HT7"], side, seen))
    hand = seen.hands[target.hand]
    mx, my = WOMAN_HT7[side]
    assert hand.side == side
    assert math.hypot(target.x - mx, target.y - my) <= 0.25 * hand_size(hand), target


def test_li4_in_the_web_of_the_thumb(models, points):
    seen = observe(models, guide_photo("thumbs_up"))
    target = only(locate(points["LI4"], "right", seen))
    # The crease where the raised thumb meets the fist; 10 px is about a fifth of the hand's size.
    assert math.hypot(target.x - 272, target.y - 262) <= 10, target


def test_out_of_view_parts_give_a_hint_and_no_target(models, points):
    astronaut = observe(models, photo("astronaut"))
    hint = locate(points["LI4"], "left", astronaut)
    assert hint.targets == () and hint.hint == "Hold your left hand up, back of the hand to the camera"
    woman = observe(models, guide_photo("google_sample_woman_hands"))  # both palms to the camera
    turn = locate(points["TE3"], "right", woman)
    assert turn.targets == () and turn.hint == "Turn your right hand: back of the hand to the camera"
    nobody = observe(models, photo("coffee"))
    assert locate(points["BL2"], "left", nobody).hint == "Face the camera, with your eyebrows in view"
    assert locate(points["GB21"], "both", nobody).hint.startswith("Sit so that your head")
    forearm = locate(points["PC6"], "left", observe(models, guide_photo("thumbs_up")))
    assert forearm.targets == () and "left forearm" in forearm.hint


def test_a_point_without_a_guide_is_refused(points, models):
    with pytest.raises(ValueError, match="no camera guide"):
        locate(points["ST36"], "left", observe(models, photo("astronaut")))


def pointing_hand_on(models, points, code: str, shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """thumbs_up.jpg with the real pointing hand of pointing_up.jpg pasted (skin pixels only, turned
    upside down) so that its index fingertip lands on ``code`` of the raised right hand, plus ``shift``."""
    hands = models[0]
    base, source = guide_photo("thumbs_up"), guide_photo("pointing_up")
    (target_hand,) = hands.detect(base, 0.0)
    (pointer,) = hands.detect(source, 0.0)
    alone = Observation(base.shape[1], base.shape[0], hands=(target_hand,))
    target = only(locate(points[code], "right", alone))
    pts = np.array(hand_px(pointer))
    x0, y0 = np.maximum(pts.min(0) - 15, 0).astype(int)
    x1, y1 = (pts.max(0) + 15).astype(int)
    scale = hand_size(target_hand) / hand_size(pointer)
    crop = cv2.resize(source[y0:y1, x0:x1], None, fx=scale, fy=scale)[::-1, ::-1]  # a half turn
    tip = np.array([crop.shape[1] - 1, crop.shape[0] - 1]) - (pts[8] - [x0, y0]) * scale
    ox, oy = (np.round([target.x, target.y] - tip) + shift).astype(int)
    out = base.copy()
    skin = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) < 215  # the white studio background is left out
    ys, xs = np.nonzero(skin)
    inside = (ys + oy >= 0) & (ys + oy < out.shape[0]) & (xs + ox >= 0) & (xs + ox < out.shape[1])
    out[ys[inside] + oy, xs[inside] + ox] = crop[ys[inside], xs[inside]]
    return out


@pytest.mark.parametrize("code", ["LI4", "TE3"])
def test_a_fingertip_of_the_other_hand_on_the_point_presses_it(models, points, code):
    seen = observe(models, pointing_hand_on(models, points, code))
    assert len(seen.hands) == 2
    other = "TE3" if code == "LI4" else "LI4"
    assert pressing(locate(points[code], "right", seen), seen)
    assert not pressing(locate(points[other], "right", seen), seen)  # the wrong point is not pressed


def test_the_other_hand_held_away_does_not_press(models, points):
    seen = observe(models, pointing_hand_on(models, points, "LI4", shift=(70, -40)))
    assert len(seen.hands) == 2
    assert not pressing(locate(points["LI4"], "right", seen), seen)
    woman = observe(models, guide_photo("google_sample_woman_hands"))  # hands far apart
    assert not pressing(locate(points["HT7"], "left", woman), woman)
