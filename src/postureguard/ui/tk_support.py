"""Shared Tk plumbing for PostureGuard's windows: importing Tk, scaling fonts, a common look.

Tkinter is imported only through :func:`import_tk`, and only by the ui modules that open windows, so the
rest of the program (and ``postureguard doctor`` on a server) runs without it.

Scaling: Tk measures fonts in points and converts with ``tk scaling`` (pixels per point), which it
derives from the X server's reported screen size; desktops at 125 % or 200 % often report 96 dpi anyway.
:func:`ui_scale` therefore takes a factor from ``POSTUREGUARD_UI_SCALE`` (tests, and users whose desktop
does not say), else ``GDK_SCALE`` / ``QT_SCALE_FACTOR`` (what GNOME and KDE export), else 1.0, and
:func:`make_root` sizes every named font from it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from postureguard.errors import MissingDependency
from postureguard.i18n import N_, _

log = logging.getLogger(__name__)

#: Base font size in points at 100 %; 10 pt is what GTK and KDE use by default.
BASE_FONT_PT = 10
#: Accepted range for a scale factor; anything outside is a typo, not a display.
SCALE_RANGE = (0.5, 4.0)

#: Colours shared by the windows (also looked for in screenshots by the tests).
ERROR_FG = "#b00020"
ERROR_BG = "#ffe4e8"
OK_FG = "#1b5e20"
MUTED_FG = "#505050"

TK_HINT = N_(
    "the PostureGuard windows need Tk: install the Debian/Ubuntu package python3-tk "
    "(Fedora: python3-tkinter; macOS/Windows: use the python.org installer, which includes Tk)"
)


def import_tk() -> Any:
    """Return the ``tkinter`` module, or raise :class:`MissingDependency` naming python3-tk."""
    try:
        import tkinter
        import tkinter.ttk  # noqa: F401 - loaded here so a half-installed Tk fails in one place
    except ImportError as exc:
        raise MissingDependency(f"{_(TK_HINT)} ({exc})") from None
    return tkinter


def ui_scale(env: Mapping[str, str] | None = None) -> float:
    """The UI scale factor (1.0 = 100 %, 2.0 = 200 %) from the environment; see the module docstring.

    Invalid or out-of-range values are ignored with a warning (never an error: a window must still open).
    """
    env = os.environ if env is None else env
    for name in ("POSTUREGUARD_UI_SCALE", "GDK_SCALE", "QT_SCALE_FACTOR"):
        raw = env.get(name, "").strip()
        if not raw:
            continue
        try:
            value = float(raw.rstrip("%")) / (100.0 if raw.endswith("%") else 1.0)
        except ValueError:
            log.warning("ignoring %s=%r: not a number", name, raw)
            continue
        if SCALE_RANGE[0] <= value <= SCALE_RANGE[1]:
            return value
        log.warning("ignoring %s=%r: outside %.1f-%.1f", name, raw, *SCALE_RANGE)
    return 1.0


def font_sizes(scale: float) -> dict[str, int]:
    """Point sizes of the fonts the windows use, for a scale factor (pure)."""
    base = BASE_FONT_PT * scale
    return {
        "body": round(base),
        "small": max(6, round(base * 0.9)),
        "heading": round(base * 1.3),
        "title": round(base * 1.6),
        "huge": round(base * 3.2),
    }


def make_root(title: str, class_name: str = "PostureGuard") -> tuple[Any, float]:
    """Create the Tk root with the common look; returns ``(root, scale)``.

    Named Tk fonts are resized for the scale so every widget follows; ``root.pg_fonts`` maps the
    names of :func:`font_sizes` to ``tkinter.font.Font`` objects for headings and the like.
    """
    tk = import_tk()
    from tkinter import font as tkfont
    from tkinter import ttk

    try:
        root = tk.Tk(className=class_name)
    except tk.TclError as exc:
        # No display: the same one-line message style the tray uses.
        text = _("cannot open a window: {error}; the settings and setup windows need a graphical session")
        raise MissingDependency(text.format(error=exc)) from None
    root.title(title)
    scale = ui_scale()
    sizes = font_sizes(scale)
    for name in (
        "TkDefaultFont",
        "TkTextFont",
        "TkMenuFont",
        "TkCaptionFont",
        "TkSmallCaptionFont",
        "TkIconFont",
        "TkTooltipFont",
        "TkHeadingFont",
        "TkFixedFont",
    ):
        try:
            tkfont.nametofont(name).configure(size=sizes["body"])
        except tk.TclError:
            continue
    family = tkfont.nametofont("TkDefaultFont")["family"]
    fonts = {
        "body": tkfont.nametofont("TkDefaultFont"),
        "small": tkfont.Font(root=root, family=family, size=sizes["small"]),
        "heading": tkfont.Font(root=root, family=family, size=sizes["heading"], weight="bold"),
        "title": tkfont.Font(root=root, family=family, size=sizes["title"], weight="bold"),
        "huge": tkfont.Font(root=root, family=family, size=sizes["huge"], weight="bold"),
    }
    root.pg_fonts = fonts  # type: ignore[attr-defined]
    root.pg_scale = scale  # type: ignore[attr-defined]
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")  # the same look on every X11 desktop; the default theme is dated
    # Plain Tk widgets (the root, canvases) take the theme's background so no grey patches show.
    background = style.lookup("TFrame", "background") or "#dcdad5"
    root.configure(background=background)
    root.option_add("*Canvas.background", background)
    pad = round(4 * scale)
    style.configure("TButton", padding=(pad * 2, pad))
    style.configure("Heading.TLabel", font=fonts["heading"])
    style.configure("Title.TLabel", font=fonts["title"])
    style.configure("Huge.TLabel", font=fonts["huge"])
    style.configure("Muted.TLabel", foreground=MUTED_FG, font=fonts["small"])
    style.configure("Error.TLabel", foreground=ERROR_FG, font=fonts["small"])
    style.configure("Ok.TLabel", foreground=OK_FG, font=fonts["small"])
    style.configure("Invalid.TEntry", fieldbackground=ERROR_BG, foreground=ERROR_FG)
    style.configure("TLabelframe.Label", font=fonts["heading"])
    # Indicators of check and radio buttons are drawn in pixels: grow them with the text.
    style.configure("TCheckbutton", indicatorsize=round(12 * scale))
    style.configure("TRadiobutton", indicatorsize=round(12 * scale))
    return root, scale


def bring_to_front(root: Any, focus: Any = None) -> None:
    """Raise the window and ask for focus, then put the keyboard focus on ``focus`` (a widget) if given.

    Window managers may refuse focus; raising still helps.
    """
    root.update_idletasks()
    root.deiconify()
    root.lift()
    root.attributes("-topmost", True)
    root.after(300, lambda: root.attributes("-topmost", False))
    root.focus_force()
    # focus_force leaves Tk's focus on the toplevel itself; move it to the widget the window wants.
    if focus is not None:
        focus.focus_set()
