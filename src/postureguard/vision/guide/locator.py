"""Where the current point is on the user's own image, and whether the other hand presses it.

Each point's position comes from the knowledge base once (its ``guide``, which reuses the figure's
anchor unless it needs other landmarks; :class:`postureguard.knowledge.loader.Guide`), resolved here
on the landmarks the camera sees. Proportions are therefore the user's own measures (cun): the
anchor's ``t`` and ``offset`` are fractions of the from->to line of *this* user's body, and each
point's ``guide.measure`` names that line (e.g. the wrist-to-elbow line as 12 B-cun for PC6, the thumb
base to index knuckle for LI4, the eye's outer corner to the face outline for EX-HN5).

Coordinates are pixels of the frame as the camera gives it (not mirrored): x to the right, y down.
Sides are the person's own (``"left"`` = their left, on the right of an unmirrored frame). When the
part of the body a point needs is not in view, :func:`locate` returns a hint saying what to do and no
target: the guide never draws a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from postureguard.engine.landmarks import Pose
from postureguard.i18n import _
from postureguard.knowledge.loader import FACE_LANDMARKS, HAND_LANDMARKS, POSE_LANDMARKS, Point
from postureguard.vision.guide.landmarkers import Face, Hand

#: A pose landmark counts as seen at this visibility (MediaPipe's 0..1) or more.
MIN_VISIBILITY = 0.5
#: A fingertip within this many hand sizes of the target presses it. The hand size is the wrist to
#: middle-finger knuckle distance of the hand the point is on (hand and forearm points) or of the
#: pressing hand (body and face points), about 9-10 cm on an adult, so the radius is about 3 cm:
#: smaller than the distance between neighbouring points on the back of the hand (LI4 to TE3).
PRESS_RADIUS_HANDS = 0.35
#: When only the pose model sees the pressing hand (reaching behind the neck, where the hand model
#: loses it) the radius is this fraction of the shoulder width (about 6 cm).
PRESS_RADIUS_SHOULDERS = 0.15
#: The fingertips that may press: thumb, index and middle finger (hand landmark indices).
FINGERTIPS = (4, 8, 12)
_POSE_FINGERS = {"left": ("left_thumb", "left_index"), "right": ("right_thumb", "right_index")}
#: The sign of (wrist -> middle knuckle) x (index knuckle -> little-finger knuckle) on screen for the
#: canonical picture of each view: the back of a left hand (or a right palm) gives -1.
_CHIRALITY = {"back": -1, "palm": 1}

XY = tuple[float, float]


@dataclass(frozen=True)
class Observation:
    """What the landmarkers saw in one frame (any of them may be missing); size in pixels."""

    width: int
    height: int
    pose: Pose | None = None
    hands: tuple[Hand, ...] = ()
    face: Face | None = None


@dataclass(frozen=True)
class Target:
    """One place to press: pixel position, press radius (pixels), the person's side of it.

    ``hand`` is the index in :attr:`Observation.hands` of the hand the point is on (None for body and
    face points); that hand cannot press itself. ``behind``: the point is on the back of the body and
    (x, y) only shows its height and side. ``body``: placed from the pose landmarks (the pose model's
    coarser finger landmarks may press it too).
    """

    x: float
    y: float
    radius: float
    side: str
    hand: int | None = None
    behind: bool = False
    body: bool = False


@dataclass(frozen=True)
class Location:
    """The targets of a point in one frame, or (no targets) the hint saying what to show the camera."""

    targets: tuple[Target, ...]
    hint: str = ""


def _dist(a: XY, b: XY) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def hand_px(hand: Hand) -> tuple[XY, ...]:
    return tuple((x * hand.width, y * hand.height) for x, y in hand.points)


def hand_size(hand: Hand) -> float:
    """The hand's size in pixels: wrist to middle-finger knuckle."""
    pts = hand_px(hand)
    return _dist(pts[0], pts[9])


def hand_face(hand: Hand) -> str:
    """Which face of the hand the camera sees, ``"back"`` or ``"palm"`` (from its handedness and shape)."""
    pts = hand_px(hand)
    up = (pts[9][0] - pts[0][0], pts[9][1] - pts[0][1])
    across = (pts[17][0] - pts[5][0], pts[17][1] - pts[5][1])
    chirality = 1 if up[0] * across[1] - up[1] * across[0] > 0 else -1
    left_back = chirality == _CHIRALITY["back"]
    return "back" if left_back == (hand.side == "left") else "palm"


def _pose_coords(pose: Pose, names: Sequence[str]) -> dict[str, XY] | None:
    coords = {}
    for name in POSE_LANDMARKS:
        p = pose.image[POSE_LANDMARKS.index(name)]
        coords[name] = (p.x * pose.width, p.y * pose.height)
    for name in names:
        parts = {"neck_base": ("left_shoulder", "right_shoulder"), "mid_hips": ("left_hip", "right_hip"),
                 "mid_ears": ("left_ear", "right_ear"), "mid_eyes": ("left_eye", "right_eye"),
                 "mid_mouth": ("mouth_left", "mouth_right")}.get(name, (name,))  # fmt: skip
        for part in parts:
            if part in POSE_LANDMARKS and pose.image[POSE_LANDMARKS.index(part)].visibility < MIN_VISIBILITY:
                return None
    return coords


def _shoulder_width(pose: Pose | None) -> float:
    if pose is None:
        return 0.0
    return _dist(pose.px(11), pose.px(12))


def _sides(step_side: str, point: Point) -> tuple[str, ...]:
    if not point.bilateral or step_side == "center":
        return ("left",)
    if step_side == "both":
        return ("left", "right")
    return (step_side,)


def your(side: str) -> str:
    return _("your left") if side == "left" else _("your right")


def _hand_hint(side: str, face: str, *, turn: bool, arm: bool) -> str:
    if arm:
        if side == "left":
            return _("Hold your left forearm up, inner side to the camera, with the elbow in view")
        return _("Hold your right forearm up, inner side to the camera, with the elbow in view")
    if turn:
        if face == "back":
            return _("Turn your left hand: back of the hand to the camera") if side == "left" else _(
                "Turn your right hand: back of the hand to the camera"
            )
        return _("Turn your left hand: palm to the camera") if side == "left" else _(
            "Turn your right hand: palm to the camera"
        )
    if face == "back":
        return _("Hold your left hand up, back of the hand to the camera") if side == "left" else _(
            "Hold your right hand up, back of the hand to the camera"
        )
    return _("Hold your left hand up, palm to the camera") if side == "left" else _(
        "Hold your right hand up, palm to the camera"
    )


def locate(point: Point, step_side: str, seen: Observation) -> Location:
    """The point's target(s) on this frame, or a hint when what it needs is out of view.

    Raises ValueError for a point without a ``guide`` (the caller shows the figure only).
    """
    guide = point.guide
    if guide is None:
        raise ValueError(f"{point.code} has no camera guide")
    anchor = guide.anchor
    targets: list[Target] = []
    for side in _sides(step_side, point):
        names = anchor.landmarks(side)
        if anchor.model == "pose":
            coords = None if seen.pose is None else _pose_coords(seen.pose, names)
            if coords is None:
                return Location((), _("Sit so that your head and both shoulders are in view"))
            # The camera sees the front; a 'back' anchor's canonical picture is the mirror of that.
            x, y = anchor.resolve(coords, side, mirrored=anchor.view == "back")
            hands = [hand_size(h) for h in seen.hands]
            radius = PRESS_RADIUS_HANDS * max(hands) if hands else PRESS_RADIUS_SHOULDERS * _shoulder_width(
                seen.pose
            )
            targets.append(Target(x, y, radius, side, behind=guide.behind, body=True))
        elif anchor.model == "face":
            if seen.face is None:
                return Location((), _("Face the camera, with your eyebrows in view"))
            face = seen.face
            coords = {
                name: (face.points[i][0] * face.width, face.points[i][1] * face.height)
                for name, i in FACE_LANDMARKS.items()
            }
            x, y = anchor.resolve(coords, side)
            hands = [hand_size(h) for h in seen.hands]
            # Without a hand in view, size the radius by the face (eye corner to eye corner ~ 1 hand size).
            size = max(hands) if hands else _dist(coords["left_eye_outer"], coords["right_eye_outer"])
            targets.append(Target(x, y, PRESS_RADIUS_HANDS * size, side))
        else:  # "hand" or "arm": on one of the user's hands
            found = [(i, h) for i, h in enumerate(seen.hands) if h.side == side]
            arm = anchor.model == "arm"
            if not found:
                return Location((), _hand_hint(side, anchor.view, turn=False, arm=arm))
            index, hand = found[0]
            if hand_face(hand) != anchor.view:
                return Location((), _hand_hint(side, anchor.view, turn=True, arm=False))
            pts = hand_px(hand)
            coords = {name: pts[i] for i, name in enumerate(HAND_LANDMARKS)}
            if arm:
                pose_coords = None if seen.pose is None else _pose_coords(seen.pose, names[1:])
                if pose_coords is None:
                    return Location((), _hand_hint(side, anchor.view, turn=False, arm=True))
                coords.update(pose_coords)
            # With the right face shown, a right hand's picture is the mirror of the canonical (left)
            # one, which resolve() accounts for by the side alone.
            x, y = anchor.resolve(coords, side)
            targets.append(Target(x, y, PRESS_RADIUS_HANDS * hand_size(hand), side, hand=index))
    return Location(tuple(targets))


def pressing(location: Location, seen: Observation) -> bool:
    """True when a fingertip (thumb, index or middle) of another hand is within a target's radius.

    Hand-landmarker fingertips count first; for body points the pose model's thumb and index
    landmarks also count (a hand reaching behind the neck is often lost by the hand model).
    """
    for target in location.targets:
        for i, hand in enumerate(seen.hands):
            if i == target.hand:
                continue  # a hand cannot press a point on itself
            pts = hand_px(hand)
            if any(_dist(pts[tip], (target.x, target.y)) <= target.radius for tip in FINGERTIPS):
                return True
        if target.body and seen.pose is not None:
            pose = seen.pose
            for names in _POSE_FINGERS.values():
                for name in names:
                    p = pose.image[POSE_LANDMARKS.index(name)]
                    if p.visibility >= MIN_VISIBILITY and _dist(
                        (p.x * pose.width, p.y * pose.height), (target.x, target.y)
                    ) <= target.radius:
                        return True
    return False
