"""Tray icons drawn at run time with Pillow, one per monitoring state.

Each state has its own colour *and* its own symbol inside the disc, so the states stay apart for
people who do not see the colours (and on monochrome panels): a tick for good posture, an
exclamation mark for poor posture, a dash for away, two bars for paused, a struck-through camera
for camera unavailable and a cross-hair for calibrating. An optional badge (a small dot with a
white ring in the top-right corner) marks that something wants attention.

The drawing is pure: the same arguments always give the same pixels, and nothing is read from disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

#: The states a tray icon can show, in the order a legend lists them.
STATES: tuple[str, ...] = ("good", "poor", "away", "paused", "camera_unavailable", "calibrating")

#: Drawing happens on a grid this many times larger than the output, then is scaled down, which
#: gives smooth (anti-aliased) edges that ImageDraw does not produce by itself.
_SUPERSAMPLE = 4

#: The drawing is laid out on a 64-unit square; coordinates below are in these units.
_UNIT = 64

_WHITE = (255, 255, 255, 255)
_BADGE = (230, 40, 40, 255)


@dataclass(frozen=True)
class IconStyle:
    """Colours for one state: the disc fill and its darker outline (RGBA, 0-255 per channel)."""

    fill: tuple[int, int, int, int]
    outline: tuple[int, int, int, int]
    description: str


#: Colours chosen to differ in lightness as well as hue (green is light, red mid, grey/purple dark).
STYLES: dict[str, IconStyle] = {
    "good": IconStyle((46, 160, 67, 255), (20, 90, 35, 255), "good posture"),
    "poor": IconStyle((215, 90, 20, 255), (130, 45, 5, 255), "poor posture"),
    "away": IconStyle((140, 140, 140, 255), (80, 80, 80, 255), "nobody at the desk"),
    "paused": IconStyle((40, 110, 200, 255), (20, 60, 120, 255), "monitoring paused"),
    "camera_unavailable": IconStyle((70, 70, 78, 255), (25, 25, 30, 255), "camera unavailable"),
    "calibrating": IconStyle((130, 70, 180, 255), (70, 35, 105, 255), "calibrating"),
}


def icon_for(state: str, size: int = 64, badge: bool = False) -> Image.Image:
    """Return the tray icon for ``state`` as a new ``size`` x ``size`` RGBA image.

    ``state`` is one of :data:`STATES`; ``size`` is in pixels (16-512); ``badge`` adds the attention
    dot. The returned image is a fresh copy the caller may modify.
    """
    if state not in STYLES:
        raise ValueError(f"unknown tray icon state {state!r}; expected one of {', '.join(STATES)}")
    if not 16 <= size <= 512:
        raise ValueError(f"icon size must be 16-512 pixels, not {size}")
    return _render(state, size, badge).copy()


@lru_cache(maxsize=64)
def _render(state: str, size: int, badge: bool) -> Image.Image:
    big = size * _SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    scale = big / _UNIT
    style = STYLES[state]

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0 * scale, y0 * scale, x1 * scale, y1 * scale)

    def px(value: float) -> int:
        return max(1, round(value * scale))

    draw.ellipse(box(3, 3, 61, 61), fill=style.fill, outline=style.outline, width=px(3))
    _SYMBOLS[state](draw, box, px, scale)
    if badge:
        draw.ellipse(box(40, 0, 64, 24), fill=_WHITE)
        draw.ellipse(box(43, 3, 61, 21), fill=_BADGE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def app_icon(size: int = 128) -> Image.Image:
    """PostureGuard's application icon (``data/postureguard.svg``) as a new ``size`` x ``size`` RGBA image.

    The same drawing as the SVG the applications menu shows (a white upright head and shoulders on a
    green rounded square), for places that need pixels: notifications show it beside their text, so
    an alert does not wear the tray's "good posture" tick. ``size`` is in pixels (16-512).
    """
    if not 16 <= size <= 512:
        raise ValueError(f"icon size must be 16-512 pixels, not {size}")
    big = size * _SUPERSAMPLE
    scale = big / _UNIT
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0 * scale, y0 * scale, x1 * scale, y1 * scale)

    # The SVG's square spans 2..62 with a 2-unit stroke centred on its edge: 1..63 outside, 3 inside.
    draw.rounded_rectangle(box(1, 1, 63, 63), radius=15 * scale, fill=(46, 160, 67, 255),
                           outline=(20, 90, 35, 255), width=max(1, round(2 * scale)))  # fmt: skip
    draw.ellipse(box(32 - 8.5, 19 - 8.5, 32 + 8.5, 19 + 8.5), fill=_WHITE)  # the head
    draw.rectangle(box(29, 26, 35, 35), fill=_WHITE)  # the neck

    def cubic(p0, p1, p2, p3, n: int = 24) -> list[tuple[float, float]]:
        out = []
        for i in range(n + 1):
            t = i / n
            u = 1 - t
            out.append(tuple((u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d) * scale
                             for a, b, c, d in zip(p0, p1, p2, p3, strict=True)))  # fmt: skip
        return out

    # The shoulders: M12 56 C12 42 20 35 32 35 C44 35 52 42 52 56 Z
    outline = cubic((12, 56), (12, 42), (20, 35), (32, 35)) + cubic((32, 35), (44, 35), (52, 42), (52, 56))
    draw.polygon(outline, fill=_WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


_Box = Callable[[float, float, float, float], tuple[float, float, float, float]]
_Px = Callable[[float], int]


def _line(draw: ImageDraw.ImageDraw, scale: float, points: list[tuple[float, float]], width: int) -> None:
    """A polyline with round joins and caps (Pillow rounds joins only; caps are drawn as dots)."""
    scaled = [(x * scale, y * scale) for x, y in points]
    draw.line(scaled, fill=_WHITE, width=width, joint="curve")
    radius = width / 2
    for x, y in (scaled[0], scaled[-1]):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_WHITE)


def _good(draw: ImageDraw.ImageDraw, box: _Box, px: _Px, scale: float) -> None:
    _line(draw, scale, [(18, 33), (28, 43), (46, 22)], px(7))


def _poor(draw: ImageDraw.ImageDraw, box: _Box, px: _Px, scale: float) -> None:
    _line(draw, scale, [(32, 14), (32, 36)], px(8))
    draw.ellipse(box(27, 42, 37, 52), fill=_WHITE)


def _away(draw: ImageDraw.ImageDraw, box: _Box, px: _Px, scale: float) -> None:
    _line(draw, scale, [(18, 32), (46, 32)], px(8))


def _paused(draw: ImageDraw.ImageDraw, box: _Box, px: _Px, scale: float) -> None:
    draw.rounded_rectangle(box(20, 17, 28, 47), radius=px(2), fill=_WHITE)
    draw.rounded_rectangle(box(36, 17, 44, 47), radius=px(2), fill=_WHITE)


def _camera_unavailable(draw: ImageDraw.ImageDraw, box: _Box, px: _Px, scale: float) -> None:
    style = STYLES["camera_unavailable"]
    draw.rounded_rectangle(box(14, 23, 42, 43), radius=px(3), fill=_WHITE)
    draw.polygon([(x * scale, y * scale) for x, y in ((42, 29), (51, 23), (51, 43), (42, 37))], fill=_WHITE)
    # The strike is drawn twice: a wide stroke in the disc colour cuts a gap, a narrow white one sits in it.
    draw.line(box(15, 15, 50, 50), fill=style.fill, width=px(9))
    draw.line(box(15, 15, 50, 50), fill=_WHITE, width=px(4))


def _calibrating(draw: ImageDraw.ImageDraw, box: _Box, px: _Px, scale: float) -> None:
    draw.ellipse(box(19, 19, 45, 45), outline=_WHITE, width=px(4))
    for points in ([(32, 11), (32, 23)], [(32, 41), (32, 53)], [(11, 32), (23, 32)], [(41, 32), (53, 32)]):
        draw.line([(x * scale, y * scale) for x, y in points], fill=_WHITE, width=px(4))
    draw.ellipse(box(29, 29, 35, 35), fill=_WHITE)


_SYMBOLS: dict[str, Callable[[ImageDraw.ImageDraw, _Box, _Px, float], None]] = {
    "good": _good,
    "poor": _poor,
    "away": _away,
    "paused": _paused,
    "camera_unavailable": _camera_unavailable,
    "calibrating": _calibrating,
}
