"""Canonical landmark layouts: the body and hand figures the routine player draws points on.

Pure data and pure functions; no toolkit. Every figure is built from MediaPipe landmark positions, so
the same :class:`postureguard.knowledge.loader.Anchor` that places a point on a camera frame places it on the
diagram (one source of truth).

Units: figure units. A layout lives in a box ``(0, 0)``–``(width, height)`` with x to the right and
y downward, the same unit on both axes. The body figures are a standing adult 0.9 units tall in a
1 × 1 box (so the numbers read like MediaPipe's normalised coordinates of a square photo); the hand
figures are two 1 × 1 boxes side by side, one hand each. Proportions follow the usual segment-length
tables of anthropometry (shoulder height about 0.82 of body height, elbow 0.63, wrist 0.49, hip joint
0.53, knee 0.29, ankle 0.04).

Views follow the knowledge base's anchor spec:

* pose ``front``: the person faces the viewer, their left on the picture's right;
* pose ``back``: seen from behind, their left on the picture's left;
* hand ``back``: the backs of both hands, fingers up, as you see your own hands held up in front
  of you palms away: left hand on the left with its thumb on the right (the canonical left hand),
  the right hand its mirror image;
* hand ``palm``: both palms facing the viewer, left hand on the left, thumbs outward.

A figure is drawn as a silhouette (thick rounded strokes for limbs and fingers, polygons for the
torso and palms, ovals for the head) with thin detail lines on top (spine, shoulder blades, face,
hand bones). :func:`on_body` says whether a position lies on that silhouette, which the tests use
to check that every anchor lands on its figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from postureguard.i18n import N_
from postureguard.knowledge.loader import (
    HAND_LANDMARKS,
    POSE_LANDMARKS,
    VIRTUAL_POSE_LANDMARKS,
    Anchor,
    Point,
)

XY = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in figure units

# --------------------------------------------------------------------------------------------------
# Drawing primitives (figure units)


@dataclass(frozen=True)
class Stroke:
    """A thick polyline with round ends and joins; ``width`` is the full thickness in figure units."""

    points: tuple[XY, ...]
    width: float


@dataclass(frozen=True)
class Oval:
    """An axis-aligned ellipse: centre ``(cx, cy)`` and half-axes ``rx``, ``ry`` (figure units)."""

    cx: float
    cy: float
    rx: float
    ry: float


@dataclass(frozen=True)
class Drawing:
    """What to draw: the silhouette (``strokes``, ``polygons``, ``ovals``) and thin ``lines``/``dots``.

    A renderer paints every silhouette outline first and every fill after, so overlapping limbs merge
    into one outlined shape; ``lines`` (polylines) and ``dots`` (small ovals) go on top.
    """

    strokes: tuple[Stroke, ...] = ()
    polygons: tuple[tuple[XY, ...], ...] = ()
    ovals: tuple[Oval, ...] = ()
    lines: tuple[tuple[XY, ...], ...] = ()
    dots: tuple[Oval, ...] = ()

    def __add__(self, other: Drawing) -> Drawing:
        return Drawing(
            self.strokes + other.strokes,
            self.polygons + other.polygons,
            self.ovals + other.ovals,
            self.lines + other.lines,
            self.dots + other.dots,
        )

    def transformed(self, fn) -> Drawing:
        """The drawing with every position passed through ``fn((x, y)) -> (x, y)`` (a rigid move/mirror)."""

        def pts(seq: Iterable[XY]) -> tuple[XY, ...]:
            return tuple(fn(p) for p in seq)

        def oval(o: Oval) -> Oval:
            cx, cy = fn((o.cx, o.cy))
            return Oval(cx, cy, o.rx, o.ry)

        return Drawing(
            tuple(Stroke(pts(s.points), s.width) for s in self.strokes),
            tuple(pts(p) for p in self.polygons),
            tuple(oval(o) for o in self.ovals),
            tuple(pts(line) for line in self.lines),
            tuple(oval(o) for o in self.dots),
        )

    def bounds(self) -> Box:
        """Smallest box holding the whole silhouette and details."""
        xs: list[float] = []
        ys: list[float] = []
        for s in self.strokes:
            for x, y in s.points:
                xs += [x - s.width / 2, x + s.width / 2]
                ys += [y - s.width / 2, y + s.width / 2]
        for seq in (*self.polygons, *self.lines):
            xs += [x for x, _ in seq]
            ys += [y for _, y in seq]
        for o in (*self.ovals, *self.dots):
            xs += [o.cx - o.rx, o.cx + o.rx]
            ys += [o.cy - o.ry, o.cy + o.ry]
        return min(xs), min(ys), max(xs), max(ys)


# --------------------------------------------------------------------------------------------------
# Layouts


@dataclass(frozen=True)
class Part:
    """One body (``side == "both"``) or one hand (``"left"``/``"right"``) and its landmark positions."""

    side: str
    coords: Mapping[str, XY]


@dataclass(frozen=True)
class Label:
    """A word to print on the diagram (e.g. which side is the left), centred at ``(x, y)``."""

    text: str
    x: float
    y: float


@dataclass(frozen=True)
class Layout:
    """A canonical figure: landmark positions for ``model``/``view``, and how to draw it."""

    name: str
    model: str
    view: str
    caption: str
    parts: tuple[Part, ...]
    drawing: Drawing
    labels: tuple[Label, ...]
    width: float
    height: float

    def coords_for(self, side: str) -> Mapping[str, XY]:
        """Landmark positions to resolve a point's ``side`` on (a hand figure has one set per hand)."""
        wanted = side if side in ("left", "right") else "left"
        for part in self.parts:
            if part.side in ("both", wanted):
                return part.coords
        raise ValueError(f"layout {self.name!r} has no {wanted} side")

    @property
    def bounds(self) -> Box:
        return self.drawing.bounds()


def _with_virtual(coords: Mapping[str, XY]) -> Mapping[str, XY]:
    """``coords`` plus the virtual pose landmarks (midpoints) when their real landmarks are there."""
    out = dict(coords)
    for name, (a, b) in VIRTUAL_POSE_LANDMARKS.items():
        if a in out and b in out:
            out[name] = ((out[a][0] + out[b][0]) / 2, (out[a][1] + out[b][1]) / 2)
    return MappingProxyType(out)


def _mirror_x(coords: Mapping[str, XY], axis: float) -> dict[str, XY]:
    return {name: (2 * axis - x, y) for name, (x, y) in coords.items()}


# ----- body ---------------------------------------------------------------------------------------

#: The person's left half of a front view, as (x, y) in a 1 x 1 box; the right half mirrors it about
#: x = 0.5. Midline landmarks (the nose) are listed here too. Standing, arms hanging, palms forward.
_FRONT_LEFT: dict[str, XY] = {
    "nose": (0.500, 0.128),
    "left_eye_inner": (0.509, 0.108),
    "left_eye": (0.518, 0.107),
    "left_eye_outer": (0.527, 0.108),
    "left_ear": (0.541, 0.115),
    "mouth_left": (0.513, 0.146),
    "left_shoulder": (0.588, 0.215),
    "left_elbow": (0.607, 0.385),
    "left_wrist": (0.616, 0.515),
    "left_pinky": (0.607, 0.566),
    "left_index": (0.622, 0.570),
    "left_thumb": (0.633, 0.545),
    "left_hip": (0.546, 0.475),
    "left_knee": (0.551, 0.690),
    "left_ankle": (0.549, 0.915),
    "left_heel": (0.547, 0.935),
    "left_foot_index": (0.562, 0.955),
}


def _front_pose() -> dict[str, XY]:
    coords: dict[str, XY] = {}
    for name, (x, y) in _FRONT_LEFT.items():
        coords[name] = (x, y)
        if name.startswith("left_") or name == "mouth_left":
            twin = "right_" + name[5:] if name.startswith("left_") else "mouth_right"
            coords[twin] = (1.0 - x, y)
    missing = set(POSE_LANDMARKS) - set(coords)
    assert not missing, f"front figure lacks {sorted(missing)}"
    return coords


# Thicknesses of the silhouette, figure units (a 1.75 m adult is 0.9 units tall).
_NECK_W = 0.048
_UPPER_ARM_W = 0.044
_FOREARM_W = 0.036
_THIGH_W = 0.078
_SHIN_W = 0.05
_FOOT_W = 0.028


def _head_oval(c: Mapping[str, XY]) -> Oval:
    """The head: centred between the ears at eye height, a little wider than the ears' span."""
    (lx, _), (rx_, _) = c["left_ear"], c["right_ear"]
    eye_y = (c["left_eye"][1] + c["right_eye"][1]) / 2
    half_width = abs(lx - rx_) / 2 * 1.06
    # Eyes sit at mid-height of the head; the chin is about as far below them as the crown is above.
    return Oval((lx + rx_) / 2, eye_y + 0.0015, half_width, half_width * 1.42)


def _body_silhouette(c: Mapping[str, XY]) -> Drawing:
    """Silhouette of a standing body from pose landmarks (works for front and back: it is symmetric)."""
    head = _head_oval(c)
    neck_top = (head.cx, head.cy + head.ry * 0.75)
    neck_base = c["neck_base"]
    strokes = [Stroke((neck_top, (neck_base[0], neck_base[1] - 0.005)), _NECK_W)]
    polygons = []
    torso = []
    for side in ("left", "right"):
        sh, hip = c[f"{side}_shoulder"], c[f"{side}_hip"]
        out = 1.0 if sh[0] > neck_base[0] else -1.0  # outward on the picture
        strokes += [
            Stroke((sh, c[f"{side}_elbow"]), _UPPER_ARM_W),
            Stroke((c[f"{side}_elbow"], c[f"{side}_wrist"]), _FOREARM_W),
            Stroke((c[f"{side}_wrist"], c[f"{side}_index"]), _FOREARM_W * 0.85),
            Stroke((c[f"{side}_wrist"], c[f"{side}_thumb"]), _FOREARM_W * 0.45),
            Stroke((hip, c[f"{side}_knee"]), _THIGH_W),
            Stroke((c[f"{side}_knee"], c[f"{side}_ankle"]), _SHIN_W),
            Stroke((c[f"{side}_heel"], c[f"{side}_foot_index"]), _FOOT_W),
        ]
        # Half of the torso outline, from the side of the neck to the crotch, built around the joints.
        half = [
            (neck_base[0] + out * _NECK_W / 2, neck_base[1] - 0.03),
            (sh[0] + out * 0.004, sh[1] - 0.017),
            (sh[0] + out * 0.02, sh[1] + 0.01),
            (sh[0] - out * 0.006, sh[1] + 0.075),
            ((sh[0] + hip[0]) / 2 - out * 0.012, (sh[1] + hip[1]) / 2 + 0.04),
            (hip[0] + out * 0.038, hip[1] + 0.005),
            (hip[0] + out * 0.01, hip[1] + 0.045),
        ]
        torso.append(half)
    left_half, right_half = torso
    polygons.append(tuple(left_half + list(reversed(right_half))))
    return Drawing(strokes=tuple(strokes), polygons=tuple(polygons), ovals=(head,))


def _face_details(c: Mapping[str, XY]) -> Drawing:
    lines = [
        (c["left_eye_inner"], c["left_eye"], c["left_eye_outer"]),
        (c["right_eye_inner"], c["right_eye"], c["right_eye_outer"]),
        (c["mouth_left"], c["mouth_right"]),
        (c["mid_eyes"], c["nose"]),
    ]
    # Eyebrows, a little above each eye, so the eyebrow points (BL2) have something to sit by.
    for side in ("left", "right"):
        inner, outer = c[f"{side}_eye_inner"], c[f"{side}_eye_outer"]
        brow_end = (outer[0] + (outer[0] - inner[0]) * 0.3, outer[1] - 0.013)
        lines.append(((inner[0], inner[1] - 0.012), brow_end))
    ears = tuple(Oval(c[f"{s}_ear"][0], c[f"{s}_ear"][1], 0.006, 0.012) for s in ("left", "right"))
    return Drawing(lines=tuple(lines), dots=ears)


def _back_details(c: Mapping[str, XY]) -> Drawing:
    neck_base, mid_hips = c["neck_base"], c["mid_hips"]
    head = _head_oval(c)
    lines = [((neck_base[0], head.cy + head.ry * 0.8), (mid_hips[0], mid_hips[1] - 0.01))]  # the spine
    for side in ("left", "right"):
        sh = c[f"{side}_shoulder"]
        out = 1.0 if sh[0] > neck_base[0] else -1.0
        inner_x = neck_base[0] + out * abs(sh[0] - neck_base[0]) * 0.3
        outer_x = neck_base[0] + out * abs(sh[0] - neck_base[0]) * 0.9
        # A shoulder blade: a triangle with its spine (the ridge) along the top.
        lines.append(((inner_x, sh[1] + 0.012), (outer_x, sh[1] + 0.002), (inner_x + out * 0.01, sh[1] + 0.1),
                      (inner_x, sh[1] + 0.012)))  # fmt: skip
        # The crease behind the knee.
        knee = c[f"{side}_knee"]
        lines.append(((knee[0] - 0.018, knee[1]), (knee[0] + 0.018, knee[1])))
    ears = tuple(Oval(c[f"{s}_ear"][0], c[f"{s}_ear"][1], 0.006, 0.012) for s in ("left", "right"))
    return Drawing(lines=tuple(lines), dots=ears)


def _side_labels(c: Mapping[str, XY]) -> tuple[Label, ...]:
    labels = []
    for side in ("left", "right"):
        x, y = c[f"{side}_shoulder"]
        labels.append(Label(side.capitalize(), x + (0.06 if x > 0.5 else -0.06), y - 0.05))
    return tuple(labels)


def _body_layout(view: str) -> Layout:
    front = _front_pose()
    coords = front if view == "front" else _mirror_x(front, 0.5)
    c = _with_virtual(coords)
    details = _face_details(c) if view == "front" else _back_details(c)
    caption = N_("Front view (as someone facing you sees you)") if view == "front" else N_("Seen from behind")
    return Layout(
        name=f"body-{view}",
        model="pose",
        view=view,
        caption=caption,
        parts=(Part("both", c),),
        drawing=_body_silhouette(c) + details,
        labels=_side_labels(c),
        width=1.0,
        height=1.0,
    )


# ----- hands --------------------------------------------------------------------------------------

#: The back of a left hand, fingers up, thumb on the right, in a 1 x 1 box (MediaPipe's 21 landmarks).
_LEFT_HAND_BACK: dict[str, XY] = {
    "wrist": (0.500, 0.880),
    "thumb_cmc": (0.610, 0.800),
    "thumb_mcp": (0.705, 0.705),
    "thumb_ip": (0.770, 0.620),
    "thumb_tip": (0.815, 0.545),
    "index_finger_mcp": (0.605, 0.500),
    "index_finger_pip": (0.625, 0.355),
    "index_finger_dip": (0.635, 0.270),
    "index_finger_tip": (0.640, 0.195),
    "middle_finger_mcp": (0.515, 0.480),
    "middle_finger_pip": (0.520, 0.320),
    "middle_finger_dip": (0.523, 0.225),
    "middle_finger_tip": (0.525, 0.145),
    "ring_finger_mcp": (0.428, 0.500),
    "ring_finger_pip": (0.418, 0.350),
    "ring_finger_dip": (0.412, 0.262),
    "ring_finger_tip": (0.408, 0.190),
    "pinky_mcp": (0.350, 0.545),
    "pinky_pip": (0.330, 0.435),
    "pinky_dip": (0.320, 0.370),
    "pinky_tip": (0.312, 0.305),
}

#: MediaPipe's hand connections (the bones drawn as thin lines), plus the two metacarpals MediaPipe
#: leaves out (wrist to the middle and ring knuckles) because the back-of-hand points sit between them.
HAND_BONES: tuple[tuple[str, str], ...] = (
    ("wrist", "thumb_cmc"), ("thumb_cmc", "thumb_mcp"), ("thumb_mcp", "thumb_ip"), ("thumb_ip", "thumb_tip"),
    ("wrist", "index_finger_mcp"), ("index_finger_mcp", "index_finger_pip"),
    ("index_finger_pip", "index_finger_dip"), ("index_finger_dip", "index_finger_tip"),
    ("wrist", "middle_finger_mcp"), ("middle_finger_mcp", "middle_finger_pip"),
    ("middle_finger_pip", "middle_finger_dip"), ("middle_finger_dip", "middle_finger_tip"),
    ("wrist", "ring_finger_mcp"), ("ring_finger_mcp", "ring_finger_pip"),
    ("ring_finger_pip", "ring_finger_dip"), ("ring_finger_dip", "ring_finger_tip"),
    ("wrist", "pinky_mcp"), ("pinky_mcp", "pinky_pip"), ("pinky_pip", "pinky_dip"),
    ("pinky_dip", "pinky_tip"),
    ("index_finger_mcp", "middle_finger_mcp"), ("middle_finger_mcp", "ring_finger_mcp"),
    ("ring_finger_mcp", "pinky_mcp"),
)  # fmt: skip

_FINGER_W = 0.072
_THUMB_W = 0.082
_FOREARM_HAND_W = 0.2


def _hand_drawing(c: Mapping[str, XY], *, knuckles: bool) -> Drawing:
    """One hand's silhouette and bones; works for either hand (it uses which way the thumb points)."""
    wrist = c["wrist"]
    out = 1.0 if c["thumb_cmc"][0] > wrist[0] else -1.0  # thumb side on the picture
    strokes = [Stroke((wrist, (wrist[0], wrist[1] + 0.15)), _FOREARM_HAND_W)]
    for finger in ("index_finger", "middle_finger", "ring_finger", "pinky"):
        strokes.append(Stroke(tuple(c[f"{finger}_{j}"] for j in ("mcp", "pip", "dip", "tip")), _FINGER_W))
    strokes.append(Stroke(tuple(c[f"thumb_{j}"] for j in ("cmc", "mcp", "ip", "tip")), _THUMB_W))
    palm = (
        (wrist[0] - out * 0.095, wrist[1]),
        (c["pinky_mcp"][0] - out * 0.03, c["pinky_mcp"][1] + 0.02),
        c["pinky_mcp"],
        c["ring_finger_mcp"],
        c["middle_finger_mcp"],
        c["index_finger_mcp"],
        (c["index_finger_mcp"][0] + out * 0.03, c["index_finger_mcp"][1] + 0.03),
        c["thumb_cmc"],
        (wrist[0] + out * 0.095, wrist[1]),
    )
    lines = tuple((c[a], c[b]) for a, b in HAND_BONES)
    dots: tuple[Oval, ...] = ()
    if knuckles:
        fingers = ("index_finger", "middle_finger", "ring_finger", "pinky")
        dots = tuple(Oval(*c[f"{f}_mcp"], 0.012, 0.012) for f in fingers)
    return Drawing(strokes=tuple(strokes), polygons=(palm,), lines=lines, dots=dots)


def _hand_layout(view: str) -> Layout:
    # Canonical left hand in the left box: back view as listed (thumb right), palm view mirrored.
    left = dict(_LEFT_HAND_BACK) if view == "back" else _mirror_x(_LEFT_HAND_BACK, 0.5)
    # The right hand is the mirror image of the left, drawn in the right-hand box (x from 1 to 2).
    right = {name: (1.0 + (1.0 - x), y) for name, (x, y) in left.items()}
    assert set(left) == set(HAND_LANDMARKS)
    knuckles = view == "back"
    drawing = _hand_drawing(left, knuckles=knuckles) + _hand_drawing(right, knuckles=knuckles)
    caption = N_("Backs of your hands") if view == "back" else N_("Palms of your hands")
    return Layout(
        name=f"hands-{view}",
        model="hand",
        view=view,
        caption=caption,
        parts=(Part("left", MappingProxyType(left)), Part("right", MappingProxyType(right))),
        drawing=drawing,
        labels=(Label("Left hand", 0.5, 0.05), Label("Right hand", 1.5, 0.05)),
        width=2.0,
        height=1.0,
    )


LAYOUTS: Mapping[tuple[str, str], Layout] = MappingProxyType(
    {
        ("pose", "front"): _body_layout("front"),
        ("pose", "back"): _body_layout("back"),
        ("hand", "back"): _hand_layout("back"),
        ("hand", "palm"): _hand_layout("palm"),
    }
)


def layout_for(anchor: Anchor) -> Layout:
    """The canonical figure an anchor is drawn on, chosen by its ``model`` and ``view``."""
    try:
        return LAYOUTS[(anchor.model, anchor.view)]
    except KeyError:
        raise ValueError(f"no figure for a {anchor.model!r} anchor in view {anchor.view!r}") from None


def point_sides(point: Point) -> tuple[str, ...]:
    """The sides a point exists on: ``("left", "right")`` when bilateral, else ``("center",)``."""
    return ("left", "right") if point.bilateral else ("center",)


def point_positions(point: Point, layout: Layout | None = None) -> list[tuple[str, float, float]]:
    """Where ``point`` lies on ``layout`` (default: its own figure): ``[(side, x, y), ...]``.

    Both sides for a bilateral point (left first), one ``"center"`` entry otherwise; figure units.
    """
    layout = layout or layout_for(point.anchor)
    if layout.model != point.anchor.model:
        raise ValueError(f"{point.code} is anchored to {point.anchor.model} landmarks, not {layout.model}")
    out = []
    for side in point_sides(point):
        x, y = point.anchor.resolve(layout.coords_for(side), side)
        out.append((side, x, y))
    return out


# --------------------------------------------------------------------------------------------------
# What part of the figure to show, and where a position falls on the silhouette

#: For body figures: the part of the picture to show for each region (figure units, x0, y0, x1, y1);
#: a small point on the face is lost on a whole-body picture, a point on the shin is not.
_REGION_BOXES: Mapping[str, Box] = MappingProxyType(
    {
        "head": (0.40, 0.03, 0.60, 0.20),
        "face": (0.42, 0.035, 0.58, 0.19),
        "neck": (0.36, 0.03, 0.64, 0.30),
        "shoulder": (0.34, 0.03, 0.66, 0.42),
        "upper_back": (0.34, 0.03, 0.66, 0.42),
        "forearm": (0.28, 0.03, 0.72, 0.62),
        "wrist": (0.28, 0.03, 0.72, 0.62),
        "lower_back": (0.3, 0.15, 0.7, 0.62),
        "hand": (0.28, 0.03, 0.72, 0.62),
    }
)


def focus_box(layout: Layout, region: str, positions: Sequence[tuple[str, float, float]] = ()) -> Box:
    """The part of ``layout`` to show for a point in ``region``, grown to include ``positions``.

    Hand figures are always shown whole; body figures are cropped to the region (whole body for the
    legs and the lower back).
    """
    if layout.model == "pose" and region in _REGION_BOXES:
        x0, y0, x1, y1 = _REGION_BOXES[region]
    else:
        x0, y0, x1, y1 = layout.bounds
        x0, y0, x1, y1 = x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02
        if layout.model == "hand":
            # Room above the fingertips for the "Left hand" / "Right hand" words.
            y0 = min([y0, *(label.y - 0.03 for label in layout.labels)])
    for _, x, y in positions:
        x0, y0, x1, y1 = min(x0, x - 0.03), min(y0, y - 0.03), max(x1, x + 0.03), max(y1, y + 0.03)
    return x0, y0, x1, y1


@dataclass(frozen=True)
class Transform:
    """Figure units to canvas pixels: ``px = x * scale + dx``, ``py = y * scale + dy``."""

    scale: float
    dx: float
    dy: float

    def __call__(self, x: float, y: float) -> XY:
        return x * self.scale + self.dx, y * self.scale + self.dy


def fit(box: Box, width: float, height: float, margin: float = 0.0) -> Transform:
    """The transform that shows ``box`` as large as fits in ``width`` × ``height`` pixels, centred.

    ``margin`` (pixels) is kept free on every side. Same scale on both axes, so nothing is distorted.
    """
    x0, y0, x1, y1 = box
    bw, bh = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    scale = max(min((width - 2 * margin) / bw, (height - 2 * margin) / bh), 1e-9)
    dx = (width - bw * scale) / 2 - x0 * scale
    dy = (height - bh * scale) / 2 - y0 * scale
    return Transform(scale, dx, dy)


def _segment_distance(p: XY, a: XY, b: XY) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _inside_polygon(p: XY, polygon: Sequence[XY]) -> bool:
    x, y = p
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, (*polygon[1:], polygon[0]), strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def on_body(drawing: Drawing, x: float, y: float, tolerance: float = 0.0) -> bool:
    """Whether ``(x, y)`` lies on the silhouette of ``drawing`` (within ``tolerance`` figure units)."""
    p = (x, y)
    for stroke in drawing.strokes:
        for a, b in zip(stroke.points, stroke.points[1:], strict=False):
            if _segment_distance(p, a, b) <= stroke.width / 2 + tolerance:
                return True
    if any(_inside_polygon(p, poly) for poly in drawing.polygons):
        return True
    for o in drawing.ovals:
        if ((x - o.cx) / (o.rx + tolerance)) ** 2 + ((y - o.cy) / (o.ry + tolerance)) ** 2 <= 1.0:
            return True
    return False


# --------------------------------------------------------------------------------------------------
# Exercise figures: a body in two poses (start, then the held position) with arrows for the movement

#: Body height of an exercise figure (figure units, floor to crown); a little smaller than the 0.9 of
#: the point figures so that a standing body fits its panel with room for the floor and the arrows.
EXERCISE_BODY_HEIGHT = 0.8
#: Where the floor is in every exercise panel (figure units, y down).
FLOOR_Y = 0.92

# Segment lengths (figure units) from the usual anthropometric fractions of body height (Winter:
# trunk hip joint to shoulder 0.288, upper arm 0.186, forearm 0.146, thigh 0.245, shin 0.246).
_H = EXERCISE_BODY_HEIGHT
_TRUNK_HALF = 0.288 * _H / 2  # hip joint to mid back, and mid back to the base of the neck (C7)
_NECK_LEN = 0.06 * _H  # C7 to the base of the skull
_UPPER_ARM_LEN = 0.186 * _H
_FOREARM_LEN = 0.146 * _H
_HAND_LEN = 0.07 * _H
_THIGH_LEN = 0.245 * _H
_SHIN_LEN = 0.246 * _H
_FOOT_LEN = 0.12 * _H
_ANKLE_HEIGHT = 0.04 * _H
#: Half-axes of the head: side view (depth x height) and back view (width x height), figure units.
HEAD_SIDE = (0.06 * _H, 0.065 * _H)
HEAD_BACK = (0.054 * _H, 0.065 * _H)
# Thicknesses (figure units), as for the point figures, scaled to this body height.
_EX_W: Mapping[str, float] = MappingProxyType({
    "neck": 0.05 * _H, "trunk": 0.115 * _H, "upper_arm": 0.048 * _H, "forearm": 0.039 * _H,
    "hand": 0.034 * _H, "thigh": 0.08 * _H, "shin": 0.056 * _H, "foot": 0.031 * _H,
})  # fmt: skip


@dataclass(frozen=True)
class Arrow:
    """How a body part moves: a polyline from its tail to its head (figure units of the pose's panel)."""

    points: tuple[XY, ...]

    @property
    def direction(self) -> XY:
        """Unit vector of the arrow's last segment (where it points)."""
        (x0, y0), (x1, y1) = self.points[-2], self.points[-1]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        return (x1 - x0) / length, (y1 - y0) / length


@dataclass(frozen=True)
class ExercisePose:
    """One pose of an exercise figure: joint positions (figure units) and the arrows drawn with it.

    Side views (the body seen from its right, facing right, +x): ``hip``, ``mid_back``, ``neck_base``
    (C7), ``shoulder``, ``neck`` (the base of the skull), ``head`` (centre of the head oval), ``eye``,
    ``nose``, ``elbow``, ``wrist``, ``hand``, ``knee``, ``ankle``, ``toe`` and optionally ``knee2``,
    ``ankle2``, ``toe2`` (the far leg). Back views: ``head``, ``neck``, ``neck_base``, and
    ``left_``/``right_`` ``shoulder``, ``elbow``, ``wrist``, ``hip``, ``blade_inner``, ``blade_outer``,
    ``blade_tip`` (the shoulder blade's inner and outer upper corners and its lower tip).
    ``label`` is English, marked for translation (the player translates it when drawing).
    """

    label: str
    joints: Mapping[str, XY]
    arrows: tuple[Arrow, ...] = ()
    #: Where a part was in the pose before (e.g. the head before a chin tuck), drawn as a dashed outline.
    ghosts: tuple[Oval, ...] = ()


@dataclass(frozen=True)
class ExerciseFigure:
    """The figure of one exercise: ``view`` ``"side"`` or ``"back"``, its poses, the furniture.

    ``props`` are thin lines (chair, door frame, floor) shared by every pose; ``box`` is each pose's
    panel (figure units, x0, y0, x1, y1), which holds the whole body, the furniture and the arrows
    of every pose; ``caption`` is English, marked for translation.
    """

    name: str
    view: str
    caption: str
    poses: tuple[ExercisePose, ...]
    props: tuple[tuple[XY, ...], ...]
    box: Box


def _toward(origin: XY, degrees: float, length: float) -> XY:
    """The point ``length`` away from ``origin`` in the direction ``degrees``.

    Directions are measured clockwise on the picture from straight up: 0 is up, 90 forward (the way a
    side-view figure faces, +x), 180 down, -90 backward.
    """
    a = math.radians(degrees)
    return origin[0] + length * math.sin(a), origin[1] - length * math.cos(a)


def side_pose(
    label: str,
    hip: XY,
    *,
    trunk: tuple[float, float] = (0.0, 0.0),
    neck: float = 0.0,
    head: float = 0.0,
    arm: tuple[float, float] = (175.0, 100.0),
    hand: float | None = None,
    leg: tuple[float, float] = (90.0, 180.0),
    leg2: tuple[float, float] | None = None,
    elbow_at: XY | None = None,
    wrist_at: XY | None = None,
    arrows: tuple[Arrow, ...] = (),
) -> ExercisePose:
    """A side-view pose built from segment directions (degrees, see :func:`_toward`) and fixed lengths.

    ``trunk`` is the direction of the lower and the upper half of the trunk, ``neck`` of the neck,
    ``head`` how far the face is turned down from vertical, whatever the neck does (0 = face vertical,
    eyes level); ``arm`` the upper arm and forearm (``hand`` the hand, if it does not carry on from
    the forearm), ``leg`` the thigh and shin (``leg2`` the far leg, if it stands elsewhere).
    ``elbow_at`` pins the elbow (an arm resting on a door frame: the upper arm, seen end-on, is drawn
    shorter) and the forearm goes on from there; ``wrist_at`` pins the wrist the same way (a forearm
    pointing out to the side is foreshortened). The other lengths never change, so a pose is always
    a plausible body.
    """
    mid_back = _toward(hip, trunk[0], _TRUNK_HALF)
    neck_base = _toward(mid_back, trunk[1], _TRUNK_HALF)
    shoulder = _toward(neck_base, trunk[1] + 160, 0.02 * _H)  # the joint sits just below C7, a little forward
    skull = _toward(neck_base, neck, _NECK_LEN)
    head_c = _toward(_toward(skull, head, 0.05 * _H), head + 90, 0.022 * _H)
    face = head + 90  # the direction the face looks
    eye = _toward(_toward(head_c, face, HEAD_SIDE[0] * 0.62), face - 90, 0.012 * _H)
    nose = _toward(_toward(head_c, face, HEAD_SIDE[0] * 1.08), face + 90, 0.006 * _H)
    elbow = elbow_at or _toward(shoulder, arm[0], _UPPER_ARM_LEN)
    wrist = wrist_at or _toward(elbow, arm[1], _FOREARM_LEN)
    hand_end = _toward(wrist, arm[1] if hand is None else hand, _HAND_LEN)
    joints = {"hip": hip, "mid_back": mid_back, "neck_base": neck_base, "shoulder": shoulder,
              "neck": skull, "head": head_c, "eye": eye, "nose": nose, "elbow": elbow, "wrist": wrist,
              "hand": hand_end}  # fmt: skip
    for suffix, (thigh, shin) in (("", leg), ("2", leg2)) if leg2 else (("", leg),):
        knee = _toward(hip, thigh, _THIGH_LEN)
        ankle = _toward(knee, shin, _SHIN_LEN)
        joints |= {f"knee{suffix}": knee, f"ankle{suffix}": ankle,
                   f"toe{suffix}": _toward(ankle, shin - 90 + 8, _FOOT_LEN * 0.8)}  # fmt: skip
    return ExercisePose(label, MappingProxyType(joints), arrows)


def _turned(pose: ExercisePose, names: Iterable[str], pivot: XY, degrees: float, label: str,
            arrows: tuple[Arrow, ...] = ()) -> ExercisePose:  # fmt: skip
    """``pose`` with the joints ``names`` turned rigidly about ``pivot`` (degrees, clockwise on the
    picture, y down)."""
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    joints = dict(pose.joints)
    for name in names:
        x, y = joints[name][0] - pivot[0], joints[name][1] - pivot[1]
        joints[name] = (pivot[0] + x * cos - y * sin, pivot[1] + x * sin + y * cos)
    return ExercisePose(label, MappingProxyType(joints), arrows)


def _arc(centre: XY, radius: float, start: float, end: float, n: int = 9) -> tuple[XY, ...]:
    """Points on a circle about ``centre`` from direction ``start`` to ``end`` (degrees, as for
    :func:`_toward`)."""
    return tuple(_toward(centre, start + (end - start) * i / (n - 1), radius) for i in range(n))


#: Seated on a chair: the hip joint at seat height (thigh level, knee at the height of a standing
#: knee), x where the chair puts it.
_SEATED_HIP: XY = (0.40, FLOOR_Y - _ANKLE_HEIGHT - _SHIN_LEN)
_STANDING_HIP_Y = FLOOR_Y - _ANKLE_HEIGHT - _SHIN_LEN - _THIGH_LEN
#: The seat's top surface (y) and a chair seen from the side: seat, legs, and a back rest whose top
#: is ``back_top`` (y).
_SEAT_Y = _SEATED_HIP[1] + _EX_W["thigh"] / 2 + 0.004


def _side_chair(back_top: float, x0: float = 0.32, x1: float = 0.58) -> tuple[tuple[XY, ...], ...]:
    return (
        ((x0, _SEAT_Y), (x1, _SEAT_Y)),
        ((x0 + 0.02, _SEAT_Y), (x0 + 0.02, FLOOR_Y)),
        ((x1 - 0.02, _SEAT_Y), (x1 - 0.02, FLOOR_Y)),
        ((x0 + 0.012, _SEAT_Y), (x0 + 0.012, back_top)),
    )


def _floor(x0: float, x1: float) -> tuple[XY, ...]:
    return ((x0, FLOOR_Y), (x1, FLOOR_Y))


def _chin_tuck() -> ExerciseFigure:
    # Start: the head carried forward of the shoulders (the neck leans forward, the eyes stay level);
    # held: the chin glides straight back until the ear is over the shoulder, face still vertical.
    start = side_pose(N_("Start: head forward"), _SEATED_HIP, neck=32.0)
    held = side_pose(N_("Hold: chin glided back"), _SEATED_HIP, neck=0.0)
    # The arrow points back at chin height, in front of the face; the dashed oval is the head before.
    y = held.joints["nose"][1] + 0.03
    arrow = Arrow(((held.joints["nose"][0] + 0.12, y), (held.joints["nose"][0] + 0.035, y)))
    held = replace(held, arrows=(arrow,), ghosts=(Oval(*start.joints["head"], *HEAD_SIDE),))
    return ExerciseFigure(
        "chin-tuck", "side", N_("Seen from the side: the chin glides back, the eyes stay level"),
        (start, held), (*_side_chair(_SEATED_HIP[1] - 0.2), _floor(0.28, 0.70)), (0.27, 0.27, 0.71, 0.94),
    )  # fmt: skip


def _back_pose(label: str, retract: float, arrows: tuple[Arrow, ...] = ()) -> ExercisePose:
    """Seated, seen from behind (the person's left on the picture's left); ``retract`` (figure units)
    is how far each shoulder blade has moved towards the spine (0 = at rest)."""
    hip_y = _SEATED_HIP[1]
    neck_base_y = hip_y - 2 * _TRUNK_HALF
    joints: dict[str, XY] = {
        "neck_base": (0.5, neck_base_y),
        "neck": (0.5, neck_base_y - _NECK_LEN),
        "head": (0.5, neck_base_y - _NECK_LEN - 0.042 * _H),
    }
    half_shoulders = 0.13 * _H
    blade_y = neck_base_y + 0.04 * _H + retract * 0.3  # the blades also slide a little down
    for side, out in (("left", -1.0), ("right", 1.0)):
        sh = (0.5 + out * (half_shoulders - retract * 0.5), neck_base_y + 0.02 * _H + retract * 0.3)
        elbow = _toward(sh, 180 - out * 8, _UPPER_ARM_LEN)
        joints |= {
            f"{side}_shoulder": sh,
            f"{side}_elbow": (elbow[0] - out * retract * 0.4, elbow[1]),
            # The forearms reach forward to the lap: seen from behind they are short.
            f"{side}_wrist": (elbow[0] - out * 0.035 * _H, elbow[1] + 0.035 * _H),
            f"{side}_hip": (0.5 + out * 0.075 * _H, hip_y),
            f"{side}_blade_inner": (0.5 + out * (0.05 * _H - retract), blade_y + 0.005 * _H),
            f"{side}_blade_outer": (0.5 + out * (0.115 * _H - retract), blade_y),
            f"{side}_blade_tip": (0.5 + out * (0.06 * _H - retract), blade_y + 0.12 * _H),
        }
    return ExercisePose(label, MappingProxyType(joints), arrows)


def _scapular_retraction() -> ExerciseFigure:
    start = _back_pose(N_("Start: relaxed"), 0.0)
    squeeze = 0.022
    held = _back_pose(N_("Hold: shoulder blades together"), squeeze)
    arrows = []
    for side, out in (("left", -1.0), ("right", 1.0)):
        inner, outer = held.joints[f"{side}_blade_inner"], held.joints[f"{side}_blade_outer"]
        y = (inner[1] + held.joints[f"{side}_blade_tip"][1]) / 2
        arrows.append(Arrow(((outer[0] + out * 0.02, y), (inner[0] + out * 0.004, y))))
    held = replace(held, arrows=tuple(arrows))
    seat = ((0.5 - 0.17 * _H, _SEAT_Y), (0.5 + 0.17 * _H, _SEAT_Y))
    return ExerciseFigure(
        "scapular-retraction", "back", N_("Seen from behind: the shoulder blades draw back and down"),
        (start, held), (seat,), (0.31, 0.27, 0.69, 0.76),
    )  # fmt: skip


def _doorway_stretch() -> ExerciseFigure:
    frame_x = 0.40  # the face of the door frame the forearm rests on
    shoulder_y = side_pose("", (0.44, _STANDING_HIP_Y), leg=(180.0, 180.0)).joints["shoulder"][1]
    elbow = (frame_x + _EX_W["forearm"] / 2, shoulder_y)  # elbow at shoulder height, on the frame
    forearm_up = (0.0, 0.0)  # the forearm runs straight up the frame
    start = side_pose(N_("Start: forearm on the frame"), (0.44, _STANDING_HIP_Y), leg=(180.0, 180.0),
                      elbow_at=elbow, arm=forearm_up)  # fmt: skip
    # Held: one step forward through the doorway, the body a little ahead of the arm; the elbow stays
    # on the frame at shoulder height, which opens the front of the chest.
    hip = (0.52, _STANDING_HIP_Y + 0.006)
    back_leg = math.degrees(math.atan2(0.44 - hip[0], FLOOR_Y - _ANKLE_HEIGHT - hip[1]))
    held_shoulder_y = side_pose("", hip, trunk=(5.0, 5.0)).joints["shoulder"][1]
    held = side_pose(N_("Hold: step through"), hip, trunk=(5.0, 5.0), leg=(180 - back_leg, 180 - back_leg),
                     leg2=(165.0, 185.0), elbow_at=(elbow[0], held_shoulder_y), arm=forearm_up)  # fmt: skip
    y = held.joints["mid_back"][1] - 0.02
    front = held.joints["mid_back"][0] + _EX_W["trunk"] / 2
    held = replace(held, arrows=(Arrow(((front + 0.02, y), (front + 0.13, y))),))
    jamb = ((frame_x - 0.035, FLOOR_Y), (frame_x - 0.035, 0.05), (frame_x, 0.05), (frame_x, FLOOR_Y))
    return ExerciseFigure(
        "doorway-stretch", "side", N_("Seen from the side: forearm on the frame, then one step forward"),
        (start, held), (jamb, _floor(0.30, 0.74)), (0.29, 0.04, 0.75, 0.94),
    )  # fmt: skip


def _thoracic_extension() -> ExerciseFigure:
    # Hands behind the head, elbows out to the sides: seen from the side the elbow is a little in front
    # of the face, the forearm (pointing outwards, so foreshortened) runs back above the eyes to the
    # back of the head, and the hand lies on it.
    head = side_pose("", _SEATED_HIP).joints["head"]
    start = side_pose(N_("Start: hands behind your head"), _SEATED_HIP, hand=200.0,
                      elbow_at=(head[0] + 1.6 * HEAD_SIDE[0], head[1] - 0.8 * HEAD_SIDE[1]),
                      wrist_at=(head[0] - 0.9 * HEAD_SIDE[0], head[1] - 0.75 * HEAD_SIDE[1]))  # fmt: skip
    # Held: the upper back bends backwards over the top of the chair back (the pivot, at mid back);
    # the neck and head follow the upper back, they do not tip back on their own.
    pivot = (_SEATED_HIP[0] - _EX_W["trunk"] / 2, start.joints["mid_back"][1])
    upper = ("neck_base", "shoulder", "neck", "head", "eye", "nose", "elbow", "wrist", "hand")
    arc = Arrow(_arc(pivot, 0.33, 10.0, -20.0))
    held = _turned(start, upper, pivot, -20.0, N_("Hold: lean back over the chair"), (arc,))
    return ExerciseFigure(
        "thoracic-extension", "side",
        N_("Seen from the side: the upper back bends over the top of the chair"),
        (start, held), (*_side_chair(pivot[1] + 0.004), _floor(0.22, 0.70)), (0.21, 0.22, 0.71, 0.94),
    )  # fmt: skip


def _stand_walk() -> ExerciseFigure:
    sit = side_pose(N_("Sit"), _SEATED_HIP)
    # Standing up leaves the feet where they were: the hip rises to above the ankles.
    ankle_x = sit.joints["ankle"][0]
    stand = side_pose(N_("Stand tall, then walk"), (ankle_x, _STANDING_HIP_Y), leg=(180.0, 180.0),
                      arm=(180.0, 180.0))  # fmt: skip
    x = ankle_x + 0.13
    stand = replace(stand, arrows=(Arrow(((x, sit.joints["hip"][1]), (x, stand.joints["hip"][1] - 0.02))),))
    return ExerciseFigure(
        "stand-walk", "side", N_("Seen from the side: stand up from the chair without your hands"),
        (sit, stand), (*_side_chair(_SEATED_HIP[1] - 0.2), _floor(0.26, 0.80)), (0.25, 0.08, 0.81, 0.94),
    )  # fmt: skip


#: Every exercise figure by the name an ``exercise`` step gives in its ``figure`` field.
EXERCISE_FIGURE_SPECS: Mapping[str, ExerciseFigure] = MappingProxyType(
    {f.name: f for f in (_chin_tuck(), _scapular_retraction(), _doorway_stretch(), _thoracic_extension(),
                         _stand_walk())}  # fmt: skip
)


def exercise_figure(name: str) -> ExerciseFigure:
    """The figure named by an exercise step (``ValueError`` for a name without one)."""
    try:
        return EXERCISE_FIGURE_SPECS[name]
    except KeyError:
        raise ValueError(f"no exercise figure named {name!r}") from None


def _side_layers(j: Mapping[str, XY]) -> tuple[Drawing, ...]:
    """A side-view body: the trunk, head and legs as one silhouette, the near arm on top of it."""
    w = _EX_W
    strokes = [
        Stroke((j["hip"], j["mid_back"], j["neck_base"]), w["trunk"]),
        Stroke((j["neck_base"], j["neck"]), w["neck"]),
    ]
    for suffix in ("2", ""):  # the far leg first
        if f"knee{suffix}" in j:
            strokes += [
                Stroke((j["hip"], j[f"knee{suffix}"]), w["thigh"]),
                Stroke((j[f"knee{suffix}"], j[f"ankle{suffix}"]), w["shin"]),
                Stroke((j[f"ankle{suffix}"], j[f"toe{suffix}"]), w["foot"]),
            ]
    ovals = (Oval(*j["head"], *HEAD_SIDE), Oval(*j["nose"], 0.012, 0.01))
    body = Drawing(strokes=tuple(strokes), ovals=ovals, dots=(Oval(*j["eye"], 0.006, 0.006),))
    arm = Drawing(strokes=(
        Stroke((j["shoulder"], j["elbow"]), w["upper_arm"]),
        Stroke((j["elbow"], j["wrist"]), w["forearm"]),
        Stroke((j["wrist"], j["hand"]), w["hand"]),
    ))  # fmt: skip
    return body, arm


def _back_layers(j: Mapping[str, XY]) -> tuple[Drawing, ...]:
    """A seated upper body seen from behind, with the spine and both shoulder blades drawn on it."""
    w = _EX_W
    strokes = [Stroke((j["neck_base"], j["neck"]), w["neck"])]
    halves = []
    for side, out in (("left", -1.0), ("right", 1.0)):
        sh, hip = j[f"{side}_shoulder"], j[f"{side}_hip"]
        strokes += [Stroke((sh, j[f"{side}_elbow"]), w["upper_arm"]),
                    Stroke((j[f"{side}_elbow"], j[f"{side}_wrist"]), w["forearm"])]  # fmt: skip
        halves.append([
            (0.5 + out * w["neck"] / 2, j["neck_base"][1] - 0.012),
            (sh[0], sh[1] - 0.016),
            (sh[0] + out * 0.016, sh[1] + 0.012),
            (sh[0] - out * 0.006, sh[1] + 0.07),
            (hip[0] + out * 0.01, (sh[1] + hip[1]) / 2 + 0.05),
            (hip[0] + out * 0.02, hip[1] + 0.03),
        ])  # fmt: skip
    left, right = halves
    torso = tuple(left + list(reversed(right)))
    lines = [((0.5, j["neck"][1] + 0.01), (0.5, j["left_hip"][1]))]
    for side in ("left", "right"):
        inner, outer, tip = (j[f"{side}_blade_{k}"] for k in ("inner", "outer", "tip"))
        lines.append((inner, outer, tip, inner))
    body = Drawing(strokes=tuple(strokes), polygons=(torso,), ovals=(Oval(*j["head"], *HEAD_BACK),),
                   lines=tuple(lines))  # fmt: skip
    return (body,)


def pose_layers(figure: ExerciseFigure, pose: ExercisePose) -> tuple[Drawing, ...]:
    """The drawings of one pose, back to front: each is painted whole (outline, then fill) in turn."""
    return _side_layers(pose.joints) if figure.view == "side" else _back_layers(pose.joints)


@dataclass(frozen=True)
class ExercisePanel:
    """One pose placed on the exercise picture: its layers, arrows and label, already moved into place."""

    label: str
    box: Box
    props: tuple[tuple[XY, ...], ...]
    layers: tuple[Drawing, ...]
    arrows: tuple[Arrow, ...]
    ghosts: tuple[Oval, ...]


#: Gap between two panels of an exercise picture (figure units).
PANEL_GAP = 0.04


def exercise_panels(figure: ExerciseFigure) -> tuple[ExercisePanel, ...]:
    """The poses of ``figure`` side by side, left to right in order (start first), with the furniture.

    Each panel shows ``figure.box`` of its pose; panel ``i`` is moved right by ``i`` box widths plus
    gaps, so the whole picture is ``len(poses)`` boxes wide.
    """
    x0, y0, x1, y1 = figure.box
    panels = []
    for i, pose in enumerate(figure.poses):
        shift = i * (x1 - x0 + PANEL_GAP)

        def move(p: XY, shift: float = shift) -> XY:
            return p[0] + shift, p[1]

        props = tuple(tuple(move(p) for p in line) for line in figure.props)
        layers = tuple(d.transformed(move) for d in pose_layers(figure, pose))
        arrows = tuple(Arrow(tuple(move(p) for p in a.points)) for a in pose.arrows)
        ghosts = tuple(replace(o, cx=o.cx + shift) for o in pose.ghosts)
        panels.append(ExercisePanel(pose.label, (x0 + shift, y0, x1 + shift, y1), props, layers, arrows,
                                    ghosts))  # fmt: skip
    return tuple(panels)
