"""The settings window (``postureguard settings``, and Settings… in the tray), in its own process.

Every entry is checked as it is typed. A valid change is written at once (after a short pause in typing,
so "120" is not saved as "1" and "12" first) through :func:`postureguard.settings.config.save_settings`, which
replaces the file atomically; the running tray app watches that file and picks the change up. An invalid
entry is marked in red with the reason under it and is not saved; the file keeps the last good value.

Each save re-reads the file and changes only the key that was edited, so a change made meanwhile in the
tray menu is not overwritten; and the window reloads values changed elsewhere while it is open.

The logic (:func:`validate_change`, :class:`SettingsController`) is free of Tk; :class:`SettingsWindow`
is the Tk shell. Tk is imported only when a window is built.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from postureguard.engine.settings import SENSITIVITY_THRESHOLDS_DEG
from postureguard.errors import DataError, UserError
from postureguard.i18n import N_, _, format_decimal, format_time, ngettext
from postureguard.settings.config import (
    SPEC_BY_NAME,
    LoadResult,
    Settings,
    format_value,
    load_settings,
    parse_value,
    save_settings,
)

log = logging.getLogger(__name__)

WINDOW_TITLE = N_("PostureGuard settings")
#: Milliseconds without typing before a valid entry is saved.
SAVE_DELAY_MS = 600
#: Milliseconds between checks of the settings file for changes made elsewhere (the tray menu).
WATCH_INTERVAL_MS = 1000


# ----- texts (pure) -------------------------------------------------------------------------------


#: The choices of the ``alert_forms`` setting as the settings window words them (check boxes; ``tray``,
#: the icon alone, is what is left when none is ticked).
ALERT_FORM_LABELS = (
    ("notification", N_("a notification with buttons")),
    ("cue", N_("an on-screen cue (soft coloured edge, X11)")),
    ("sound", N_("a short sound")),
)
#: The choices of the ``cue_screens`` setting as the settings window words them.
CUE_SCREEN_LABELS = (("all", N_("every monitor")), ("primary", N_("the primary monitor")))


def forms_text(ticked: dict[str, bool]) -> str:
    """The ``alert_forms`` value (``config set`` text) for the ticked check boxes; none ticked: ``tray``."""
    return ",".join(form for form, _label in ALERT_FORM_LABELS if ticked.get(form)) or "tray"


#: The choices of the ``routine_kind`` setting as the settings window words them.
ROUTINE_KIND_LABELS = (
    ("points", N_("acupressure points")), ("exercises", N_("desk exercises")), ("either", N_("either")),
)  # fmt: skip
#: The choices of the ``language`` setting: each language named in itself, so it can be found in any.
LANGUAGE_LABELS = (
    ("auto", N_("the desktop's language")), ("en", "English"), ("de", "Deutsch"), ("es", "Español"),
)  # fmt: skip


def sensitivity_text(level: str) -> str:
    """Radio-button text for a sensitivity level, naming the head-forward angle it alerts at."""
    angle = SENSITIVITY_THRESHOLDS_DEG[level]
    name, words = {
        "low": (_("Low"), _("relaxed")), "medium": (_("Medium"), _("balanced")),
        "high": (_("High"), _("strict")),
    }.get(level, (level.capitalize(), ""))  # fmt: skip
    return _("{level} ({words}): alert at {angle}° or more forward of your upright").format(
        level=name, words=words, angle=format_decimal(angle)
    )


@dataclass(frozen=True)
class TextField:
    """One typed setting: where it sits, what it is called and the unit shown after the entry."""

    key: str
    section: str
    label: str
    unit: str
    width: int = 8


TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("sustain_seconds", "Posture", N_("Alert after poor posture lasting"), N_("seconds")),
    TextField("cooldown_minutes", "Posture", N_("Wait between two alerts at least"), N_("minutes")),
    TextField(
        "sitting_limit_minutes", "Sitting", N_("Remind me to take a break after"), N_("minutes (0 = off)")
    ),
    TextField(
        "stand_up_nudge_minutes", "Sitting", N_("Nudge me to stand and walk a little every"),
        N_("minutes (0 = off)"),
    ),  # fmt: skip
    TextField("break_minutes", "Sitting", N_("A break counts when I am away for"), N_("minutes")),
    TextField(
        "quiet_hours", "Notifications", N_("Quiet hours (no notifications)"), N_("e.g. 22:00-07:00"), 14
    ),
    TextField(
        "work_hours", "Notifications", N_("Work hours (no alerts outside them)"), N_("e.g. 08:30-17:30"), 14
    ),
    TextField("work_days", "Notifications", N_("Work days"), "every_day, mon-fri, mon-sat, sun-thu", 10),
    TextField(
        "max_notifications_per_hour",
        "Notifications",
        N_("At most this many notifications an hour"),
        N_("(0 = no cap)"),
    ),
    TextField("avoid_points", "Safety", N_("Never suggest these points"), N_("codes, e.g. LI4, GB21"), 22),
)


# ----- validation (pure) --------------------------------------------------------------------------


class PointLookup(Protocol):
    """What validation needs from the knowledge base (``KnowledgeBase`` fits)."""

    def find_point(self, name: str) -> Any: ...

    def suggest_points(self, name: str, n: int = 3) -> tuple[str, ...]: ...


def validate_change(settings: Settings, key: str, text: str, points: PointLookup | None) -> Settings:
    """``settings`` with ``key`` set from the typed ``text``; raises :class:`DataError` with the reason.

    Points to avoid are looked up in the knowledge base (``points``) when it is available: a code, alias
    or pinyin it knows is stored as the point's code (``hegu`` -> ``LI4``); anything else is refused with
    close matches. Without a knowledge base only the code format is checked.
    """
    spec = SPEC_BY_NAME[key]
    value = parse_value(spec, text)
    if spec.kind == "points" and points is not None:
        codes: list[str] = []
        for name in value:
            point = points.find_point(name)
            if point is None:
                close = points.suggest_points(name)
                if close:
                    text = _("{name} is not a point in PostureGuard's knowledge base; did you mean {close}?")
                    raise DataError(text.format(name=repr(name), close=_(" or ").join(close)))
                raise DataError(
                    _("{name} is not a point in PostureGuard's knowledge base").format(name=repr(name))
                )
            if point.code not in codes:
                codes.append(point.code)
        value = tuple(codes)
    return replace(settings, **{spec.name: value})


def error_text(exc: UserError) -> str:
    """The inline text for a refused entry: the reason without the ``setting NAME:`` prefix."""
    message = str(exc)
    if message.startswith("setting ") and ": " in message:
        message = message.split(": ", 1)[1]
    return message


# ----- controller (no Tk) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Result of :meth:`SettingsController.apply`: the saved settings, or the reason nothing was saved."""

    settings: Settings
    saved: bool
    error: str | None = None


class SettingsController:
    """Applies typed changes to the settings file, one key at a time.

    ``autostart`` (``postureguard.platform.autostart`` by default) is asked to install or remove the login
    entry when ``start_at_login`` changes, before the setting is saved, so the two never disagree.
    """

    def __init__(self, path: Path | None = None, points: PointLookup | None = None, autostart: Any = None):
        self.loaded: LoadResult = load_settings(path)
        self.path = self.loaded.path
        self.settings = self.loaded.settings
        self.points = points
        if autostart is None:
            from postureguard.platform import autostart as autostart_module

            autostart = autostart_module
        self.autostart = autostart
        self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def check(self, key: str, text: str) -> str | None:
        """The reason ``text`` is not acceptable for ``key``, or None."""
        try:
            validate_change(self.settings, key, text, self.points)
        except UserError as exc:
            return error_text(exc)
        return None

    def apply(self, key: str, text: str) -> Outcome:
        """Validate ``text`` for ``key`` and save it when it changes the value; never raises for the user."""
        try:
            wanted = validate_change(self.settings, key, text, self.points)
        except UserError as exc:
            log.info("not saved: %s = %r: %s", key, text, error_text(exc))
            return Outcome(self.settings, False, error_text(exc))
        value = getattr(wanted, key)
        # Re-read so a change made in the tray since we loaded is kept; only this key is replaced.
        current = load_settings(self.path).settings
        if getattr(current, key) == value:
            self.settings = current
            self._stamp = self._file_stamp()
            return Outcome(current, False)
        if key == "start_at_login":
            try:
                self.autostart.set_enabled(bool(value))
            except UserError as exc:
                return Outcome(self.settings, False, str(exc))
        updated = replace(current, **{key: value})
        try:
            save_settings(updated, self.path)
        except UserError as exc:
            return Outcome(self.settings, False, str(exc))
        self.settings = updated
        self._stamp = self._file_stamp()
        log.info("saved %s = %s to %s", key, format_value(value), self.path)
        return Outcome(updated, True)

    def reload_if_changed(self) -> Settings | None:
        """Re-read the file when another program changed it; returns the new settings, else None."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        fresh = load_settings(self.path).settings
        if fresh == self.settings:
            return None
        self.settings = fresh
        return fresh


def load_points() -> tuple[PointLookup | None, str | None]:
    """The knowledge base for point validation, or ``(None, reason)`` when it cannot be read."""
    try:
        from postureguard.knowledge.loader import load_knowledge

        return load_knowledge(), None
    except UserError as exc:
        return None, _("points are checked only for their format: {error}").format(error=exc)


# ----- Tk shell --------------------------------------------------------------


class _Scrollable:
    """A frame inside a canvas with a vertical scrollbar (the form is taller than the screen at 200 %)."""

    def __init__(self, parent: Any, tk: Any, ttk: Any) -> None:
        self.canvas = tk.Canvas(parent, highlightthickness=0, borderwidth=0)
        self.bar = ttk.Scrollbar(parent, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.bar.set)
        self.inner = ttk.Frame(self.canvas)
        self._item = self.canvas.create_window(0, 0, window=self.inner, anchor="nw")
        self.inner.bind("<Configure>", lambda e: self.canvas.configure(scrollregion=self.canvas.bbox("all")))
        self.canvas.bind("<Configure>", lambda e: self.canvas.itemconfigure(self._item, width=e.width))
        self.canvas.pack(side="left", fill="both", expand=True)
        self.bar.pack(side="right", fill="y")
        # X11 reports the wheel as buttons 4 and 5; other platforms as <MouseWheel>.
        for widget in (self.canvas, self.inner):
            widget.bind_all("<Button-4>", lambda e: self.canvas.yview_scroll(-3, "units"))
            widget.bind_all("<Button-5>", lambda e: self.canvas.yview_scroll(3, "units"))
            widget.bind_all("<MouseWheel>", lambda e: self.canvas.yview_scroll(-e.delta // 40 or -1, "units"))

    def show(self, widget: Any) -> None:
        """Scroll so ``widget`` is visible (used when keyboard focus moves to it)."""
        self.canvas.update_idletasks()
        total = max(1, self.inner.winfo_height())
        top = widget.winfo_rooty() - self.inner.winfo_rooty()
        view_top, view_bottom = (f * total for f in self.canvas.yview())
        if top < view_top or top + widget.winfo_height() > view_bottom:
            self.canvas.yview_moveto(max(0.0, (top - 20) / total))


class SettingsWindow:
    """The Tk window over a :class:`SettingsController`."""

    def __init__(self, controller: SettingsController, points_note: str | None = None) -> None:
        from postureguard.ui.tk_support import bring_to_front, import_tk, make_root

        tk = import_tk()
        from tkinter import ttk

        self.tk, self.ttk = tk, ttk
        self.c = controller
        self.root, self.scale = make_root(_(WINDOW_TITLE))
        self.fonts = self.root.pg_fonts
        self._pending: dict[str, str] = {}
        self._entries: dict[str, Any] = {}
        self._errors: dict[str, Any] = {}
        self._vars: dict[str, Any] = {}
        self._camera_queue: queue.Queue = queue.Queue()
        self._build(points_note)
        self._size_window()
        first = self._entries[TEXT_FIELDS[0].key]
        bring_to_front(self.root, first)
        first.select_range(0, "end")
        first.icursor("end")
        self.root.after(WATCH_INTERVAL_MS, self._watch_file)
        self.look_for_cameras()

    # -- layout ------------------------------------------------------------------------------------------
    def _pad(self, n: float = 1.0) -> int:
        return round(6 * n * self.scale)

    def _section(self, title: str) -> Any:
        frame = self.ttk.LabelFrame(self.body, text=title, padding=self._pad(1.5))
        frame.pack(fill="x", padx=self._pad(2), pady=(self._pad(1), self._pad(1)))
        frame.columnconfigure(2, weight=1)
        return frame

    def _build(self, points_note: str | None) -> None:
        ttk, tk = self.ttk, self.tk
        outer = ttk.Frame(self.root)
        outer.pack(fill="both", expand=True)
        footer = ttk.Frame(outer, padding=self._pad(1.5))
        footer.pack(side="bottom", fill="x")
        ttk.Separator(outer).pack(side="bottom", fill="x")
        holder = ttk.Frame(outer)
        holder.pack(side="top", fill="both", expand=True)
        self.scroller = _Scrollable(holder, tk, ttk)
        self.body = self.scroller.inner
        s = self.c.settings
        wrap = round(560 * self.scale)

        intro = ttk.Label(
            self.body,
            style="Muted.TLabel",
            wraplength=wrap,
            justify="left",
            text=_("Changes are checked as you type and saved at once; the tray app follows them."),
        )
        intro.pack(anchor="w", padx=self._pad(2), pady=(self._pad(2), 0))

        sections: dict[str, Any] = {}
        posture = sections["Posture"] = self._section(_("Posture"))
        ttk.Label(
            posture,
            text=_("Sensitivity (head-forward angle from your calibrated upright):"),
            wraplength=wrap,
            justify="left",
        ).grid(row=0, column=0, columnspan=3, sticky="w")
        self._vars["sensitivity"] = tk.StringVar(value=s.sensitivity)
        for i, level in enumerate(SENSITIVITY_THRESHOLDS_DEG, start=1):
            ttk.Radiobutton(
                posture,
                text=sensitivity_text(level),
                value=level,
                variable=self._vars["sensitivity"],
                command=lambda: self._save_now("sensitivity", self._vars["sensitivity"].get()),
            ).grid(row=i, column=0, columnspan=3, sticky="w", padx=(self._pad(2), 0))
        sections["Sitting"] = self._section(_("Sitting and breaks"))
        sections["Notifications"] = self._section(_("Notifications"))
        camera = self._section(_("Camera"))
        safety = sections["Safety"] = self._section(_("Safety"))
        self._vars["pregnancy_mode"] = tk.BooleanVar(value=s.pregnancy_mode)
        ttk.Checkbutton(
            safety,
            text=_("Pregnancy mode: never suggest points traditionally avoided in pregnancy"),
            variable=self._vars["pregnancy_mode"],
            command=lambda: self._save_flag("pregnancy_mode"),
        ).grid(row=0, column=0, columnspan=3, sticky="w")
        self._vars["blood_thinners"] = tk.BooleanVar(value=s.blood_thinners)
        ttk.Checkbutton(
            safety,
            text=_("Blood thinners or a bleeding disorder: light pressure only, gentlest routines first"),
            variable=self._vars["blood_thinners"],
            command=lambda: self._save_flag("blood_thinners"),
        ).grid(row=1, column=0, columnspan=3, sticky="w")

        rows = {"Posture": 4, "Sitting": 0, "Notifications": 0, "Safety": 2}
        for f in TEXT_FIELDS:
            self._text_row(sections[f.section], rows[f.section], f, wrap)
            rows[f.section] += 2
        self._vars["hold_when_busy"] = tk.BooleanVar(value=s.hold_when_busy)
        ttk.Checkbutton(
            sections["Notifications"],
            text=_("Hold alerts under do-not-disturb or a full-screen window; show them once after"),
            variable=self._vars["hold_when_busy"],
            command=lambda: self._save_flag("hold_when_busy"),
        ).grid(row=rows["Notifications"], column=0, columnspan=3, sticky="w")
        # Several forms at once: one check box each; none ticked leaves the tray icon alone.
        forms = ttk.Frame(sections["Notifications"])
        forms.grid(row=rows["Notifications"] + 1, column=0, columnspan=3, sticky="w", pady=(self._pad(1), 0))
        ttk.Label(forms, text=_("Alerts arrive as (the tray icon always shows them):")).pack(anchor="w")
        boxes = ttk.Frame(forms)  # a line of their own: beside the label they would not fit the window
        boxes.pack(anchor="w", padx=(self._pad(2), 0))
        self._form_vars = {form: tk.BooleanVar(value=s.alerts_as(form)) for form, _label in ALERT_FORM_LABELS}
        # At 200 % the three do not fit one line in any language: one per line then.
        per_line = len(ALERT_FORM_LABELS) if self.scale < 1.75 else 1
        for i, (value, label) in enumerate(ALERT_FORM_LABELS):
            ttk.Checkbutton(
                boxes, text=_(label), variable=self._form_vars[value], command=self._save_forms,
            ).grid(row=i // per_line, column=i % per_line, sticky="w", padx=(0, self._pad(2)))  # fmt: skip
        self._vars["cue_screens"] = tk.StringVar(value=s.cue_screens)
        screens = ttk.Frame(sections["Notifications"])
        screens.grid(row=rows["Notifications"] + 2, column=0, columnspan=3, sticky="w")
        ttk.Label(screens, text=_("The cue is drawn on:")).pack(side="left")
        for value, label in CUE_SCREEN_LABELS:
            ttk.Radiobutton(
                screens, text=_(label), value=value, variable=self._vars["cue_screens"],
                command=lambda: self._save_now("cue_screens", self._vars["cue_screens"].get()),
            ).pack(side="left", padx=(self._pad(1), 0))  # fmt: skip
        self._vars["daily_summary"] = tk.BooleanVar(value=s.daily_summary)
        ttk.Checkbutton(
            sections["Notifications"],
            text=_("A summary of the day at the end of the work hours (18:00 without them)"),
            variable=self._vars["daily_summary"],
            command=lambda: self._save_flag("daily_summary"),
        ).grid(row=rows["Notifications"] + 3, column=0, columnspan=3, sticky="w")
        if points_note:
            ttk.Label(safety, text=points_note, style="Muted.TLabel", wraplength=wrap, justify="left").grid(
                row=rows["Safety"], column=0, columnspan=3, sticky="w"
            )
        # What a suggestion offers: acupressure points, a 2-minute desk exercise, or whichever fits.
        self._vars["routine_kind"] = tk.StringVar(value=s.routine_kind)
        kinds = ttk.Frame(safety)
        kinds.grid(row=rows["Safety"] + 1, column=0, columnspan=3, sticky="w", pady=(self._pad(1), 0))
        ttk.Label(kinds, text=_("Suggest:")).pack(side="left")
        for value, label in ROUTINE_KIND_LABELS:
            ttk.Radiobutton(
                kinds, text=_(label), value=value, variable=self._vars["routine_kind"],
                command=lambda: self._save_now("routine_kind", self._vars["routine_kind"].get()),
            ).pack(side="left", padx=(self._pad(1), 0))  # fmt: skip

        # Camera: filled in when the (bounded, background) probe answers.
        self._vars["camera"] = tk.IntVar(value=s.camera)
        self.camera_frame = ttk.Frame(camera)
        self.camera_frame.grid(row=0, column=0, columnspan=3, sticky="we")
        self.camera_status = ttk.Label(
            camera, text=_("Looking for cameras…"), style="Muted.TLabel", wraplength=wrap, justify="left"
        )
        self.camera_status.grid(row=1, column=0, columnspan=3, sticky="w")
        self.camera_button = ttk.Button(camera, text=_("Look again"), command=self.look_for_cameras)
        # Its own row: the status text may be long, and must never squeeze the button.
        self.camera_button.grid(row=2, column=0, sticky="w", pady=(self._pad(1), 0))
        # The profile in use, chosen among those on disk (typing a name here would make a profile per
        # keystroke: new ones are made by calibrating, from the tray or `calibrate --profile`).
        self._vars["profile"] = tk.StringVar(value=s.profile)
        ttk.Label(camera, text=_("Profile in use:")).grid(row=3, column=0, sticky="w", pady=(self._pad(1), 0))
        self.profile_box = ttk.Combobox(camera, textvariable=self._vars["profile"], state="readonly",
                                        values=self._profile_names(s.profile), width=18)  # fmt: skip
        self.profile_box.grid(row=3, column=1, sticky="w", pady=(self._pad(1), 0), padx=(self._pad(1), 0))
        self.profile_box.bind(
            "<<ComboboxSelected>>", lambda _e: self._save_now("profile", self._vars["profile"].get())
        )
        ttk.Label(
            camera,
            text=_("Each profile has its own calibration; PostureGuard switches when your camera or where "
                   "you sit shows another. Make a new one with New profile in the tray's Profile menu."),
            style="Muted.TLabel", wraplength=wrap, justify="left",
        ).grid(row=4, column=0, columnspan=3, sticky="w")  # fmt: skip

        startup = self._section(_("Start-up and language"))
        self._vars["start_at_login"] = tk.BooleanVar(value=s.start_at_login)
        ttk.Checkbutton(
            startup,
            text=_("Start PostureGuard when I log in"),
            variable=self._vars["start_at_login"],
            command=lambda: self._save_flag("start_at_login"),
        ).grid(row=0, column=0, columnspan=2, sticky="w")
        self._errors["start_at_login"] = ttk.Label(startup, text="", style="Error.TLabel", wraplength=wrap)
        self._errors["start_at_login"].grid(row=1, column=0, columnspan=3, sticky="w")
        ttk.Button(startup, text=_("Run first-time setup again…"), command=self._open_setup).grid(
            row=2, column=0, sticky="w", pady=(self._pad(1), 0)
        )
        # The language: named in itself; the windows and the tray take it from their next start.
        self._vars["language"] = tk.StringVar(value=s.language)
        languages = ttk.Frame(startup)
        languages.grid(row=3, column=0, columnspan=3, sticky="w", pady=(self._pad(1), 0))
        ttk.Label(languages, text=_("Language:")).pack(side="left")
        for value, label in LANGUAGE_LABELS:
            ttk.Radiobutton(
                languages, text=_(label) if value == "auto" else label, value=value,
                variable=self._vars["language"],
                command=lambda: self._save_now("language", self._vars["language"].get()),
            ).pack(side="left", padx=(self._pad(1), 0))  # fmt: skip
        ttk.Label(
            startup, text=_("A new language shows from the next start."), style="Muted.TLabel",
            wraplength=wrap, justify="left",
        ).grid(row=4, column=0, columnspan=3, sticky="w")  # fmt: skip

        # The button is packed first so a long status text can never squeeze it.
        ttk.Button(footer, text=_("Close"), command=self.close).pack(side="right", anchor="n")
        self.status = ttk.Label(
            footer,
            text=_("Settings file: {path}").format(path=self.c.path),
            style="Muted.TLabel",
            wraplength=round(wrap * 0.8),
            justify="left",
        )
        self.status.pack(side="left", fill="x", expand=True, padx=(0, self._pad(2)))
        self.root.bind("<Escape>", lambda e: self.close())
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        if self.c.loaded.warnings:
            self._set_status("; ".join(self.c.loaded.warnings), error=True)

    def _text_row(self, parent: Any, row: int, field: TextField, wrap: int) -> None:
        ttk, tk = self.ttk, self.tk
        var = tk.StringVar(value=format_value(getattr(self.c.settings, field.key)))
        self._vars[field.key] = var
        ttk.Label(parent, text=_(field.label)).grid(row=row, column=0, sticky="w", pady=(self._pad(0.7), 0))
        entry = ttk.Entry(parent, textvariable=var, width=field.width, font=self.fonts["body"])
        entry.grid(row=row, column=1, sticky="w", padx=self._pad(1.5), pady=(self._pad(0.7), 0))
        # A long hint (the work days' choices) wraps rather than running off a window at 200 %.
        ttk.Label(
            parent, text=_(field.unit), style="Muted.TLabel", wraplength=round(180 * self.scale),
            justify="left",
        ).grid(row=row, column=2, sticky="w", pady=(self._pad(0.7), 0))
        error = ttk.Label(parent, text="", style="Error.TLabel", wraplength=wrap, justify="left")
        error.grid(row=row + 1, column=0, columnspan=3, sticky="w")
        error.grid_remove()  # shown only while there is something to say (keeps the form compact)
        self._entries[field.key] = entry
        self._errors[field.key] = error
        var.trace_add("write", lambda *_: self._typed(field.key))
        entry.bind("<Return>", lambda e: self._flush(field.key))
        entry.bind("<FocusOut>", lambda e: self._flush(field.key))
        entry.bind("<FocusIn>", lambda e: self.scroller.show(entry))

    def _size_window(self) -> None:
        self.root.update_idletasks()
        want_w = self.body.winfo_reqwidth() + self.scroller.bar.winfo_reqwidth() + 4
        want_h = self.body.winfo_reqheight() + 4 + self.status.master.winfo_reqheight()
        screen_w, screen_h = self.root.winfo_screenwidth(), self.root.winfo_screenheight()
        w = min(want_w, screen_w - 40)
        h = min(want_h, screen_h - 60)
        self.root.geometry(f"{w}x{h}+{max(0, (screen_w - w) // 2)}+{max(0, (screen_h - h) // 3)}")
        self.root.minsize(min(w, round(420 * self.scale)), min(h, round(300 * self.scale)))

    # -- behaviour --------------------------------------------------------------------------------------
    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.configure(text=text, style="Error.TLabel" if error else "Muted.TLabel")

    def _show_error(self, key: str, message: str | None) -> None:
        label = self._errors.get(key)
        if label is not None:
            label.configure(text=_("Not saved: {reason}").format(reason=message) if message else "")
            if message:
                label.grid()
            else:
                label.grid_remove()
        entry = self._entries.get(key)
        if entry is not None:
            entry.configure(style="Invalid.TEntry" if message else "TEntry")

    def _typed(self, key: str) -> None:
        text = self._vars[key].get()
        problem = self.c.check(key, text)
        self._show_error(key, problem)
        if problem:
            self._pending.pop(key, None)
            log.info("not saved: %s = %r: %s", key, text, problem)
            return
        # Save after a pause in typing; the latest text wins.
        first = key not in self._pending
        self._pending[key] = text
        if first:
            self.root.after(SAVE_DELAY_MS, lambda: self._flush(key))

    def _flush(self, key: str) -> None:
        text = self._pending.pop(key, None)
        if text is not None:
            self._save_now(key, text)

    def _save_forms(self) -> None:
        self._save_now("alert_forms", forms_text({f: bool(v.get()) for f, v in self._form_vars.items()}))

    def _save_flag(self, key: str) -> None:
        self._save_now(key, format_value(bool(self._vars[key].get())))

    @staticmethod
    def _profile_names(active: str) -> list[str]:
        """The profiles on disk (the one in use among them, even before it is calibrated)."""
        from postureguard.settings.profiles import with_active

        return [p.name for p in with_active(active)]

    def _save_now(self, key: str, text: str) -> None:
        outcome = self.c.apply(key, text)
        self._show_error(key, outcome.error)
        if outcome.error:
            self._set_status(_("{key} not saved: {reason}").format(key=key, reason=outcome.error), error=True)
            if key in ("start_at_login", "pregnancy_mode", "blood_thinners"):  # show what is in force
                self._vars[key].set(getattr(outcome.settings, key))
        elif outcome.saved:
            stamp = format_time(datetime.now(), "medium")
            value = format_value(getattr(outcome.settings, key))
            self._set_status(_("Saved {key} = {value} at {time}").format(key=key, value=value, time=stamp))

    def _watch_file(self) -> None:
        try:
            fresh = self.c.reload_if_changed()
        except Exception:  # noqa: BLE001 - a watcher must keep running; the next save reports problems
            log.exception("cannot re-read the settings file")
            fresh = None
        if fresh is not None:
            focused = self.root.focus_get()
            for key, var in self._vars.items():
                value = getattr(fresh, key)
                if key not in self._entries:
                    var.set(value)  # radio buttons and check boxes hold the value itself
                    continue
                if self._entries[key] is focused or key in self._pending or self._errors[key]["text"]:
                    continue  # never overwrite what the user is typing
                var.set(format_value(value))
            for form, ticked in self._form_vars.items():
                ticked.set(fresh.alerts_as(form))
            self.profile_box.configure(values=self._profile_names(fresh.profile))  # one may be new
            self._set_status(_("Settings changed elsewhere (e.g. the tray menu); shown here"))
        self.root.after(WATCH_INTERVAL_MS, self._watch_file)

    def look_for_cameras(self) -> None:
        """Probe the cameras on a background thread (bounded); the list is filled in when it answers."""
        from postureguard.platform.cameras import probe_cameras

        self.camera_button.state(["disabled"])
        self.camera_status.configure(text=_("Looking for cameras…"))
        threading.Thread(
            target=lambda: self._camera_queue.put(probe_cameras()), daemon=True, name="camera-probe"
        ).start()
        self.root.after(200, self._camera_answer)

    def _camera_answer(self) -> None:
        try:
            report = self._camera_queue.get_nowait()
        except queue.Empty:
            self.root.after(200, self._camera_answer)
            return
        self.camera_button.state(["!disabled"])
        for child in self.camera_frame.winfo_children():
            child.destroy()
        options = [(cam.index, cam.label()) for cam in report.cameras]
        current = self.c.settings.camera
        if report.cameras and current not in {cam.index for cam in report.cameras}:
            missing = _("Camera {index} (chosen before, not found now)").format(index=current)
            options.append((current, missing))
        for index, label in options:
            self.ttk.Radiobutton(
                self.camera_frame,
                text=label,
                value=index,
                variable=self._vars["camera"],
                command=lambda: self._save_now("camera", str(self._vars["camera"].get())),
            ).pack(anchor="w")
        if not report.cameras:
            text = _(
                "No camera found (the setting stays at camera {index}). PostureGuard can still "
                "analyse recordings: postureguard analyze VIDEO."
            ).format(index=current)
        else:
            text = ngettext(
                "{usable} of {count} camera gives a picture.", "{usable} of {count} cameras give a picture.",
                len(report.cameras),
            ).format(usable=len(report.usable), count=len(report.cameras))  # fmt: skip
        if report.problem:
            text += f" ({report.problem})"
        self.camera_status.configure(text=text)
        log.info("cameras: %s", text)

    def _open_setup(self) -> None:
        from postureguard.runtime.children import start_postureguard

        start_postureguard(["setup"])

    def close(self) -> None:
        for key in list(self._pending):
            self._flush(key)
        self.root.destroy()

    def run(self) -> None:
        self.root.mainloop()


def open_settings_window(
    path: Path | None = None, on_ready: Callable[[SettingsWindow], None] | None = None
) -> int:
    """Open the window and run it until closed; returns an exit status (0)."""
    points, note = load_points()
    window = SettingsWindow(SettingsController(path, points), note)
    if on_ready is not None:
        on_ready(window)
    window.run()
    return 0
