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
from dataclasses import dataclass
from types import MappingProxyType

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
    caption = "Front view (as someone facing you sees you)" if view == "front" else "Seen from behind"
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
    caption = "Backs of your hands" if view == "back" else "Palms of your hands"
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
