"""The tray icon and its menu (pystray). Its main loop owns the main thread.

The menu reads the app's :class:`~postureguard.app.TrayState` when it is drawn, so radio items and
enabled states are always current; the icon image and tooltip are redrawn only when they change.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from typing import Any

from postureguard.app import App, TrayState
from postureguard.ui.icons import icon_for

log = logging.getLogger(__name__)

PAUSES = (("15 minutes", 15 * 60), ("1 hour", 60 * 60), ("Until I resume", None))
SITTING_CHOICES = ((30, "30 min"), (45, "45 min"), (60, "60 min"), (90, "90 min"), (0, "Off"))
SENSITIVITY_LABELS = (("low", "Low"), ("medium", "Medium"), ("high", "High"))


class Tray:
    """A pystray icon bound to an :class:`App`."""

    def __init__(self, backend: Any, app: App, routines: list[tuple[str, str]], *, setup_first: bool = False):
        """``backend`` is a postureguard.platform.tray_backend.TrayBackend; ``routines`` (id, title);
        ``setup_first`` opens the first-run walk-through once the tray is up."""
        self.setup_first = setup_first
        self.backend = backend
        self.app = app
        self.routines = routines
        self.state: TrayState = app.tray_state()
        pystray = backend.pystray
        self._shown: tuple[str, str] | None = None
        self.icon = pystray.Icon(
            "postureguard", icon_for(self.state.icon), self.state.tooltip, menu=self._menu(pystray)
        )

    # -- menu -------------------------------------------------------------------------------------
    def _menu(self, pystray) -> Any:
        Item, Menu = pystray.MenuItem, pystray.Menu
        app = self.app

        def pause_item(label, seconds):
            return Item(label, lambda icon, item: app.pause(seconds))

        def sensitivity_item(value, label):
            return Item(
                label,
                lambda icon, item: app.set_setting("sensitivity", value),
                checked=lambda item: self.state.sensitivity == value,
                radio=True,
            )

        def sitting_item(minutes, label):
            return Item(
                label,
                lambda icon, item: app.set_setting("sitting_limit_minutes", str(minutes)),
                checked=lambda item: self.state.sitting_limit_min == minutes,
                radio=True,
            )

        def routine_item(routine_id, title):
            return Item(title, lambda icon, item: app.start_routine(routine_id, "tray"))

        suggested = Item(
            lambda item: (
                f"Start suggested routine: {self.state.suggestion_title}"
                if self.state.suggestion_title
                else "Start suggested routine"
            ),
            lambda icon, item: app.start_routine(None, "tray"),
            default=True,
        )
        return Menu(
            suggested,
            Menu.SEPARATOR,
            Item("Pause", Menu(*(pause_item(label, s) for label, s in PAUSES))),
            Item("Resume", lambda icon, item: app.resume(), enabled=lambda item: self.state.paused),
            Item("Sensitivity", Menu(*(sensitivity_item(v, label) for v, label in SENSITIVITY_LABELS))),
            Item("Sitting reminder", Menu(*(sitting_item(m, label) for m, label in SITTING_CHOICES))),
            Item("Calibrate now", lambda icon, item: app.begin_calibration()),
            Item("Routines", Menu(*(routine_item(rid, title) for rid, title in self.routines))),
            Item("Today's summary", lambda icon, item: app.show_summary()),
            Item("Report…", lambda icon, item: app.open_report()),
            Item("Settings…", lambda icon, item: open_settings_window()),
            Item("Setup…", lambda icon, item: app.open_setup()),
            Menu.SEPARATOR,
            Item("Quit", lambda icon, item: self.stop()),
        )

    # -- drawing ----------------------------------------------------------------------------------
    def refresh(self, state: TrayState) -> None:
        """Called from any thread by the app; pystray's backends marshal to their own loop."""
        self.state = state
        shown = (state.icon, state.tooltip)
        if shown == self._shown:
            return
        if self._shown is None or shown[0] != self._shown[0]:
            self.icon.icon = icon_for(state.icon)
        if self._shown is None or shown[1] != self._shown[1]:
            self.icon.title = state.tooltip
        self._shown = shown
        try:
            self.icon.update_menu()
        except Exception:  # noqa: BLE001 - some backends cannot update a menu before it is shown
            log.debug("menu update deferred", exc_info=True)

    # -- loop ---------------------------------------------------------------------------------------
    def run(self) -> None:
        """Run the tray's main loop until Quit or SIGTERM/SIGINT."""
        self._install_signal_handlers()

        def setup(icon):
            icon.visible = True
            self.app.start(setup_first=self.setup_first)

        self.icon.run(setup=setup)

    def stop(self) -> None:
        log.info("quitting")
        self.icon.stop()

    def _install_signal_handlers(self) -> None:
        # A GTK main loop runs in C: Python signal handlers would wait for it to return. GLib can
        # deliver the signal inside the loop instead.
        if self.backend.name in ("gtk", "appindicator"):
            try:
                from gi.repository import GLib

                for sig in (signal.SIGTERM, signal.SIGINT):
                    GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, self._on_signal)
                return
            except (ImportError, AttributeError):  # pragma: no cover - old PyGObject
                pass
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def _on_signal(self, *_args) -> bool:
        self.stop()
        return False  # remove the GLib source: one signal is enough


def open_settings_window() -> None:
    """The settings window runs as its own process, so Tk and the tray never share a thread."""
    try:
        subprocess.Popen([sys.executable, "-m", "postureguard", "settings"], start_new_session=True)
    except OSError:
        log.exception("could not open the settings window")
