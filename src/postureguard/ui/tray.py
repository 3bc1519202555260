"""The tray icon and its menu (pystray). Its main loop owns the main thread.

The menu reads the app's :class:`~postureguard.runtime.app.TrayState` when it is drawn, so radio items and
enabled states are always current; the icon image and tooltip are redrawn only when they change.

pystray's GTK backends also open a D-Bus proxy to the notification server for ``Icon.notify`` (which
PostureGuard does not use: see postureguard.platform.notifications). When that server is missing or
its D-Bus activation fails, the proxy raises as the loop starts or stops; :func:`_icon_class` lets
those steps fail quietly, so a desktop without notifications still gets its tray icon.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from postureguard.i18n import N_, _
from postureguard.runtime.app import App, TrayState
from postureguard.runtime.day import SNOOZE_CHOICES
from postureguard.ui.icons import icon_for

log = logging.getLogger(__name__)

PAUSES = ((N_("15 minutes"), 15 * 60), (N_("1 hour"), 60 * 60), (N_("Until I resume"), None))
#: The sitting reminder's menu (minutes, label; 0 = off). 30 minutes is the stand-up nudge: in the trials,
#: a few minutes of light walking every half hour or less is what lowered blood sugar after meals. 50-60
#: minutes is the break reminder (UK HSE: a short break after 50-60 minutes); 50 is the default.
SITTING_CHOICES = (
    (30, N_("30 min: stand-up nudge (walk 2–5 min)")),
    (45, N_("45 min")),
    (50, N_("50 min: break (default)")),
    (60, N_("60 min: break")),
    (90, N_("90 min")),
    (0, N_("Off")),
)


def other_sitting_label(current: int) -> str | None:
    """The menu entry for a limit (minutes) set elsewhere (the settings file, ``config``) that no fixed
    item shows, so the menu always has the current value ticked; None when a fixed item shows it."""
    if any(minutes == current for minutes, _label in SITTING_CHOICES):
        return None
    return _("{minutes} min (your setting)").format(minutes=current)
SENSITIVITY_LABELS = (("low", N_("Low")), ("medium", N_("Medium")), ("high", N_("High")))

#: The ``alert_forms`` choices as the tray's "Alerts" menu words them (check items; several may be on).
ALERT_FORM_LABELS = (
    ("notification", N_("Notification with buttons")),
    ("cue", N_("On-screen cue (a soft coloured edge)")),
    ("sound", N_("Sound")),
    ("tray", N_("Tray icon only")),
)


def toggled_forms(forms: tuple[str, ...], form: str) -> str:
    """The ``alert_forms`` value (as ``config set`` text) after the menu item for ``form`` is picked:
    ``tray`` stands alone; any other form is switched on or off beside the others (none left: ``tray``)."""
    if form == "tray":
        return "tray"
    chosen = [f for f in forms if f != "tray"]
    chosen = [f for f in chosen if f != form] if form in chosen else [*chosen, form]
    return ",".join(chosen) or "tray"


class _NoNotifier:
    """Stands in for pystray's notification proxy when the notification server cannot be reached."""

    def notify(self, *_args: object) -> None:
        pass

    def hide(self) -> None:
        pass


def _icon_class(pystray, after_initialize: Callable[[], None] | None = None) -> type:
    """pystray's ``Icon`` for the loaded backend, tolerant of a missing notification server.

    pystray's GTK ``_initialize`` creates its notification proxy before marking the icon ready; if
    that raises (a GLib error when D-Bus activation of the server fails), the setup callback would
    never run and pystray's (non-daemon) setup thread would wait forever, keeping the process alive.
    Its ``_finalize`` closes "its" notification, which raises when no server answers.
    ``after_initialize`` runs on the main thread once that step is done (pystray resets SIGINT to
    the default action there, which would kill the app without a shutdown).
    """
    base = pystray.Icon

    class Icon(base):
        def _initialize(self) -> None:
            try:
                super()._initialize()
            except Exception as exc:  # noqa: BLE001 - GLib.Error from pystray's notification proxy
                if self._running:  # the failure came after the icon was ready: not ours to hide
                    raise
                log.debug("pystray's notification proxy is unavailable: %s", exc)
                self._notifier = _NoNotifier()
                self._mark_ready()
            if after_initialize is not None:
                after_initialize()

        def _finalize(self) -> None:
            try:
                super()._finalize()
            except Exception as exc:  # noqa: BLE001 - closing pystray's (unused) notification failed
                log.debug("pystray could not close its notification: %s", exc)

    Icon.__name__ = Icon.__qualname__ = base.__name__
    Icon.__module__ = base.__module__  # the backend name is read from it (see tray_backend)
    return Icon


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
        self._setup_started = threading.Event()
        self._abandoned = False  # the loop ended before the setup callback ran: it must do nothing
        self._previous_handlers: dict[int, Any] = {}
        self._glib_signals = False  # SIGTERM/SIGINT are delivered by GLib inside its loop
        self.icon = _icon_class(pystray, self._install_late_handlers)(
            "postureguard", icon_for(self.state.icon), self.state.tooltip, menu=self._menu(pystray)
        )

    # -- menu -------------------------------------------------------------------------------------
    def _menu(self, pystray) -> Any:
        Item, Menu = pystray.MenuItem, pystray.Menu
        app = self.app

        def pause_item(label, seconds):
            return Item(_(label), lambda icon, item: app.pause(seconds))

        def snooze_item(label, minutes):
            return Item(_(label), lambda icon, item: app.snooze_for(minutes))

        def sensitivity_item(value, label):
            return Item(
                _(label),
                lambda icon, item: app.set_setting("sensitivity", value),
                checked=lambda item: self.state.sensitivity == value,
                radio=True,
            )

        def sitting_item(minutes, label):
            return Item(
                _(label),
                lambda icon, item: app.set_setting("sitting_limit_minutes", str(minutes)),
                checked=lambda item: self.state.sitting_limit_min == minutes,
                radio=True,
            )

        # Always ticked, and shown only while the current limit is none of the fixed ones.
        other = Item(
            lambda item: other_sitting_label(self.state.sitting_limit_min) or "",
            lambda icon, item: None,
            checked=lambda item: other_sitting_label(self.state.sitting_limit_min) is not None,
            radio=True,
            visible=lambda item: other_sitting_label(self.state.sitting_limit_min) is not None,
        )

        def alert_form_item(value, label):
            return Item(
                _(label),
                lambda icon, item: app.set_setting(
                    "alert_forms", toggled_forms(app.settings.alert_forms, value)
                ),
                checked=lambda item: app.settings.alerts_as(value),
                radio=value == "tray",
            )

        primary_cue = Item(
            _("Cue on the primary monitor only"),
            lambda icon, item: app.set_setting(
                "cue_screens", "all" if app.settings.cue_screens == "primary" else "primary"
            ),
            checked=lambda item: app.settings.cue_screens == "primary",
            enabled=lambda item: app.settings.alerts_as("cue"),
        )
        *forms, tray_only = (alert_form_item(v, label) for v, label in ALERT_FORM_LABELS)
        alerts = Menu(*forms, Menu.SEPARATOR, tray_only, Menu.SEPARATOR, primary_cue)

        def profile_item(name):
            return Item(
                name,
                lambda icon, item: app.use_profile(name),
                checked=lambda item: self.state.profile == name,
                radio=True,
            )

        def profile_items():
            # Built again each time the menu is drawn: profiles come and go while the app runs.
            for name in self.state.profiles or (self.state.profile,):
                yield profile_item(name)
            yield Menu.SEPARATOR
            yield Item(_("New profile (calibrate now)"), lambda icon, item: app.new_profile())

        def routine_item(routine_id, title):
            return Item(title, lambda icon, item: app.start_routine(routine_id, "tray"))

        suggested = Item(
            lambda item: (
                (
                    _("Start suggested exercise: {title}")
                    if self.state.suggestion_kind == "exercises"
                    else _("Start suggested routine: {title}")
                ).format(title=self.state.suggestion_title)
                if self.state.suggestion_title
                else _("Start suggested routine")
            ),
            lambda icon, item: app.start_routine(None, "tray"),
            default=True,
        )
        return Menu(
            suggested,
            Menu.SEPARATOR,
            Item(_("Pause"), Menu(*(pause_item(label, s) for label, s in PAUSES))),
            Item(_("Snooze alerts"), Menu(*(snooze_item(label, m) for label, m in SNOOZE_CHOICES))),
            Item(_("Resume"), lambda icon, item: app.resume(), enabled=lambda item: self.state.paused),
            Item(_("Sensitivity"), Menu(*(sensitivity_item(v, label) for v, label in SENSITIVITY_LABELS))),
            Item(
                _("Sitting reminder"), Menu(*(sitting_item(m, label) for m, label in SITTING_CHOICES), other)
            ),
            Item(_("Alerts"), alerts),
            Item(_("Calibrate now"), lambda icon, item: app.begin_calibration()),
            Item(_("Profile"), Menu(profile_items), visible=lambda item: bool(self.state.profiles)),
            Item(_("Routines"), Menu(*(routine_item(rid, title) for rid, title in self.routines))),
            Item(_("Today's summary"), lambda icon, item: app.show_summary()),
            Item(
                _("Daily summary at the end of work hours"),
                lambda icon, item: app.set_setting("daily_summary", str(not app.settings.daily_summary)),
                checked=lambda item: app.settings.daily_summary,
            ),
            Item(_("Report…"), lambda icon, item: app.open_report()),
            Item(_("Settings…"), lambda icon, item: open_settings_window()),
            Item(_("Setup…"), lambda icon, item: app.open_setup()),
            Item(_("Show log file"), lambda icon, item: app.open_log()),
            Menu.SEPARATOR,
            Item(_("Quit"), lambda icon, item: self.stop()),
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
        """Run the tray's main loop until Quit or SIGTERM/SIGINT.

        Raises :class:`~postureguard.platform.tray_backend.TrayUnavailable` (one line) when the loop
        cannot start. On return, SIGTERM and SIGINT are Python's to handle again (see
        :meth:`_install_signal_handlers`); the caller installs what it needs for shutdown.
        """
        from postureguard.platform.tray_backend import ANALYZE_HINT, TrayUnavailable

        self._install_signal_handlers()

        def setup(icon):
            self._setup_started.set()
            if self._abandoned:
                return
            icon.visible = True
            self.app.start(setup_first=self.setup_first)

        try:
            self.icon.run(setup=setup)
        except Exception as exc:
            log.debug("the tray's main loop failed", exc_info=True)
            raise TrayUnavailable(
                _("the tray cannot run ({error}); {hint}").format(
                    error=f"{type(exc).__name__}: {exc}", hint=_(ANALYZE_HINT)
                )
            ) from exc
        finally:
            self._release_setup_thread()
            self._restore_signal_handlers()

    def _release_setup_thread(self) -> None:
        """Let pystray's setup thread end when the loop stopped before it ran the callback.

        That thread is not a daemon and waits for the icon to be marked ready; left waiting, it
        would keep the process alive after everything else has stopped.
        """
        thread = getattr(self.icon, "_setup_thread", None)
        if thread is None or self._setup_started.is_set() or not thread.is_alive():
            return
        self._abandoned = True
        try:
            self.icon._mark_ready()  # noqa: SLF001 - pystray has no public way to release it
        except Exception:  # noqa: BLE001 - the loop is gone; only the release matters
            log.debug("releasing pystray's setup thread", exc_info=True)
        thread.join(timeout=2.0)

    def stop(self) -> None:
        log.info("quitting")
        self.icon.stop()

    def _install_signal_handlers(self) -> None:
        self._previous_handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        # A GTK main loop runs in C: Python signal handlers would wait for it to return. GLib can
        # deliver the signal inside the loop instead.
        if self.backend.name in ("gtk", "appindicator"):
            try:
                from gi.repository import GLib

                # SIGINT follows once pystray has reset it (see _install_late_handlers).
                GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self._on_signal)
                self._glib_signals = True
                return
            except (ImportError, AttributeError):  # pragma: no cover - old PyGObject
                pass
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def _install_late_handlers(self) -> None:
        if self._glib_signals:
            from gi.repository import GLib

            GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, self._on_signal)

    def _restore_signal_handlers(self) -> None:
        # GLib's handler stays installed after its loop ends and would swallow every later signal:
        # putting Python's back (at the C level too) lets the caller's shutdown handling work.
        for sig, previous in self._previous_handlers.items():
            signal.signal(sig, signal.SIG_DFL if previous is None else previous)

    def _on_signal(self, *_args) -> bool:
        self.stop()
        return False  # remove the GLib source: one signal is enough


def open_settings_window() -> None:
    """The settings window runs as its own process, so Tk and the tray never share a thread."""
    try:
        from postureguard.runtime.children import start_postureguard

        start_postureguard(["settings"])
    except OSError:
        log.exception("could not open the settings window")
