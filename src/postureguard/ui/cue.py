"""The on-screen cue: a soft coloured edge around the screen with a small tab, drawn by its own process.

``postureguard cue`` runs this (the tray app starts it through
:class:`postureguard.runtime.cue_link.CueProcess`): its own GTK main loop, so it works the same with
every tray backend. It reads one command a line on stdin and answers one line on stdout:

* ``show KIND SCREENS SECONDS``: draw the cue (``KIND`` ``posture`` or ``sitting`` picks the colour;
  ``SCREENS`` ``all`` or ``primary``) for at most ``SECONDS``; answers ``shown N`` (N windows);
* ``hide``: fade it out; answers ``hidden``; ``quit`` (or the end of stdin) ends the process.

It answers ``fine`` when the user right-clicks the tab ("I'm sitting fine"), ``dismissed`` for a left
click (the cue goes), and ``unavailable REASON`` once when it cannot draw here (no X display, a Wayland
session, an X server without input shapes); then it ends.

One window per monitor, covering it, in GTK's POPUP type (override-redirect): the window manager never
gives it the focus, lists it in a task bar or moves it. Its bounding shape is the edge ring and the tab,
so nothing else of the screen is covered even without a compositor; its input shape is the tab alone,
so every click on the edge reaches the window underneath. With a compositor the edge fades in and out
and softens towards the screen; without one it is drawn opaque in a gradient and appears at once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from postureguard.i18n import _

log = logging.getLogger(__name__)

#: Width of the coloured edge, pixels (device pixels; kept thin so it reads as a frame, not a panel).
EDGE_PX = 10
#: The tab hanging from the top edge's middle (the only part that takes clicks), pixels.
TAB_W, TAB_H = 72, 22
#: Colours (red, green, blue in 0..1) per kind of alert: a warm amber for posture, a calm blue for sitting.
COLOURS = {"posture": (0.96, 0.58, 0.16), "sitting": (0.27, 0.56, 0.89)}
#: Milliseconds a fade in or out takes (with a compositor), in steps of FADE_STEP_MS.
FADE_MS, FADE_STEP_MS = 600, 30


@dataclass(frozen=True)
class Rect:
    """A rectangle in root-window pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int


def ring_rects(w: int, h: int, edge: int = EDGE_PX) -> list[Rect]:
    """The four bands of the edge in window coordinates (origin top left, pixels), without overlap."""
    edge = max(1, min(edge, w // 2, h // 2))
    return [Rect(0, 0, w, edge), Rect(0, h - edge, w, edge),
            Rect(0, edge, edge, h - 2 * edge), Rect(w - edge, edge, edge, h - 2 * edge)]  # fmt: skip


def tab_rect(w: int, edge: int = EDGE_PX) -> Rect:
    """The tab in window coordinates: centred on the top edge, just below it."""
    return Rect((w - TAB_W) // 2, edge, TAB_W, TAB_H)


def tab_rows(w: int, edge: int = EDGE_PX) -> list[Rect]:
    """The tab as one-pixel rows in window coordinates: square at the top edge, its bottom corners
    rounded (radius half its height), so the window's shape matches what is drawn without a compositor."""
    import math

    t = tab_rect(w, edge)
    radius = t.h / 2
    rows = []
    for y in range(t.h):
        dy = y + 0.5 - (t.h - radius)  # > 0 inside the rounded bottom half
        inset = 0 if dy <= 0 else int(round(radius - math.sqrt(max(radius * radius - dy * dy, 0.0))))
        rows.append(Rect(t.x + inset, t.y + y, t.w - 2 * inset, 1))
    return rows


def edge_strength(depth: float, edge: int = EDGE_PX) -> float:
    """How strong the colour is ``depth`` pixels in from the screen's edge: 1 at the edge, easing to a
    quarter at the inner side of the band (a soft edge rather than a hard line)."""
    t = min(max(depth / max(edge, 1), 0.0), 1.0)
    return 1.0 - 0.75 * t * t


def monitor_rects(display: Any, screens: str) -> list[Rect]:
    """The monitors to draw on (root-window pixels): every one, or the primary (else the first)."""
    n = display.get_n_monitors()
    monitors = [display.get_monitor(i) for i in range(n)]
    if screens == "primary" and monitors:
        primary = display.get_primary_monitor()
        monitors = [primary if primary is not None else monitors[0]]
    out = []
    for m in monitors:
        g = m.get_geometry()
        out.append(Rect(g.x, g.y, g.width, g.height))
    return out


class CueWindows:
    """The cue's windows (GTK, on its main thread) and its answers to the parent."""

    def __init__(self, Gtk: Any, Gdk: Any, GLib: Any, cairo: Any, say: Callable[[str], None]) -> None:
        self.Gtk, self.Gdk, self.GLib, self.cairo = Gtk, Gdk, GLib, cairo
        self.say = say
        self.windows: list[Any] = []
        self.colour = COLOURS["posture"]
        self._timeout: int | None = None
        self._fade: int | None = None
        screen = Gdk.Screen.get_default()
        self.composited = bool(screen.is_composited())
        self.visual = screen.get_rgba_visual() if self.composited else None

    # -- commands ---------------------------------------------------------------------------------
    def show(self, kind: str, screens: str, seconds: float) -> None:
        self.colour = COLOURS.get(kind, COLOURS["posture"])
        self._close_windows()
        display = self.Gdk.Display.get_default()
        for rect in monitor_rects(display, screens):
            self.windows.append(self._window(rect))
        if self._timeout is not None:
            self.GLib.source_remove(self._timeout)
        self._timeout = self.GLib.timeout_add(int(max(seconds, 1.0) * 1000), self._expire)
        self._fade_to(1.0)
        self.say(f"shown {len(self.windows)}")

    def hide(self, answer: str = "hidden") -> None:
        if self._timeout is not None:
            self.GLib.source_remove(self._timeout)
            self._timeout = None
        if self.windows:
            self._fade_to(0.0, then=self._close_windows)
        self.say(answer)

    def _expire(self) -> bool:
        self._timeout = None
        self.hide()
        return False

    # -- windows ----------------------------------------------------------------------------------
    def _window(self, rect: Rect) -> Any:
        Gtk, Gdk, cairo = self.Gtk, self.Gdk, self.cairo
        win = Gtk.Window(type=Gtk.WindowType.POPUP)
        win.set_title("PostureGuard cue")
        win.set_wmclass("postureguard-cue", "PostureGuard")
        win.set_accept_focus(False)
        win.set_focus_on_map(False)
        win.set_skip_taskbar_hint(True)
        win.set_skip_pager_hint(True)
        win.set_keep_above(True)
        win.set_type_hint(Gdk.WindowTypeHint.NOTIFICATION)
        win.set_app_paintable(True)
        if self.visual is not None:
            win.set_visual(self.visual)
        win.set_tooltip_text(_("PostureGuard: right-click if you are sitting fine; click to hide"))
        win.move(rect.x, rect.y)
        win.set_default_size(rect.w, rect.h)
        win.resize(rect.w, rect.h)
        win.add_events(Gdk.EventMask.BUTTON_PRESS_MASK)
        win.connect("draw", self._draw, rect)
        win.connect("button-press-event", self._clicked)
        win.realize()
        shape = cairo.Region()
        for r in ring_rects(rect.w, rect.h):
            shape.union(cairo.RectangleInt(r.x, r.y, r.w, r.h))
        tab = cairo.Region()
        for r in tab_rows(rect.w):
            tab.union(cairo.RectangleInt(r.x, r.y, r.w, r.h))
        shape.union(tab)
        # Drawn: the edge and the tab. Clicked: the tab alone; the edge lets every click through.
        win.shape_combine_region(shape)
        win.input_shape_combine_region(tab)
        if self.composited:
            win.set_opacity(0.0)
        win.show()
        return win

    def _draw(self, _widget: Any, cr: Any, rect: Rect) -> bool:
        cairo = self.cairo
        red, green, blue = self.colour
        cr.set_operator(cairo.OPERATOR_SOURCE)
        cr.set_source_rgba(0, 0, 0, 0)
        cr.paint()
        w, h, e = rect.w, rect.h, min(EDGE_PX, rect.w // 2, rect.h // 2)
        for depth in range(e):
            s = edge_strength(depth + 0.5, e)
            if self.composited:
                cr.set_source_rgba(red, green, blue, 0.85 * s)
            else:  # no alpha: soften towards white instead
                cr.set_source_rgb(*(1 - (1 - c) * s for c in (red, green, blue)))
            cr.rectangle(depth + 0.5, depth + 0.5, w - 2 * depth - 1, h - 2 * depth - 1)
            cr.set_line_width(1)
            cr.stroke()
        t = tab_rect(w)
        radius = t.h / 2
        cr.new_sub_path()
        cr.move_to(t.x, t.y)
        cr.line_to(t.x + t.w, t.y)
        cr.arc(t.x + t.w - radius, t.y + t.h - radius, radius, 0, 3.14159265 / 2)
        cr.arc(t.x + radius, t.y + t.h - radius, radius, 3.14159265 / 2, 3.14159265)
        cr.close_path()
        cr.set_source_rgba(red, green, blue, 0.95)
        cr.fill()
        # Three small dots: "something to click here", without words that would need room.
        cr.set_source_rgba(1, 1, 1, 0.95)
        for i in (-1, 0, 1):
            cr.arc(t.x + t.w / 2 + 10 * i, t.y + t.h / 2, 2.2, 0, 2 * 3.14159265)
            cr.fill()
        return True

    def _clicked(self, _widget: Any, event: Any) -> bool:
        if event.button == 3:
            self.hide("fine")
        elif event.button == 1:
            self.hide("dismissed")
        return True

    def _fade_to(self, target: float, then: Callable[[], None] | None = None) -> None:
        if self._fade is not None:
            self.GLib.source_remove(self._fade)
            self._fade = None
        if not self.composited:
            if then is not None:
                then()
            return
        step = FADE_STEP_MS / FADE_MS

        def tick() -> bool:
            done = True
            for win in self.windows:
                now = win.get_opacity()
                new = min(now + step, target) if target > now else max(now - step, target)
                win.set_opacity(new)
                done = done and new == target
            if done:
                self._fade = None
                if then is not None:
                    then()
                return False
            return True

        self._fade = self.GLib.timeout_add(FADE_STEP_MS, tick)

    def _close_windows(self) -> None:
        for win in self.windows:
            win.destroy()
        self.windows = []


def _say(line: str) -> None:
    """One answer line to the parent (the protocol on stdout; not user-facing text)."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass  # the parent is gone; the end of stdin will end this process too


def run_cue() -> int:
    """The ``postureguard cue`` process: draw the cue as the parent's lines say (see the module doc)."""
    from postureguard.runtime.cue_link import unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        _say("unavailable " + reason)
        return 0
    # With Xwayland beside Wayland, X11 is the way that lets a window be click-through and stay on top.
    os.environ["GDK_BACKEND"] = "x11"
    try:
        import cairo
        import gi

        gi.require_version("Gtk", "3.0")
        gi.require_version("Gdk", "3.0")
        from gi.repository import Gdk, GLib, Gtk
    except (ImportError, ValueError) as exc:
        _say("unavailable " + _("GTK 3 for Python is missing ({error})").format(error=exc))
        return 0
    ok, _argv = Gtk.init_check(sys.argv[:1])
    if not ok:
        name = os.environ.get("DISPLAY", "")
        _say("unavailable " + _("cannot open the X display {name}").format(name=name))
        return 0
    display = Gdk.Display.get_default()
    if not (display.supports_shapes() and display.supports_input_shapes()):
        _say("unavailable " + _("the X server does not support shaped, click-through windows"))
        return 0
    cue = CueWindows(Gtk, Gdk, GLib, cairo, _say)

    def command(line: str) -> bool:
        words = line.split()
        if not words:
            return False
        if words[0] == "show":
            kind = words[1] if len(words) > 1 else "posture"
            screens = words[2] if len(words) > 2 else "all"
            try:
                seconds = float(words[3]) if len(words) > 3 else 600.0
            except ValueError:
                seconds = 600.0
            cue.show(kind, screens, seconds)
        elif words[0] == "hide":
            cue.hide()
        elif words[0] == "quit":
            Gtk.main_quit()
        return False

    def read_stdin() -> None:
        for line in sys.stdin:
            GLib.idle_add(command, line)
        GLib.idle_add(Gtk.main_quit)  # the parent closed the pipe (or ended): so does the cue

    threading.Thread(target=read_stdin, name="cue-commands", daemon=True).start()
    _say("ready")
    Gtk.main()
    return 0
