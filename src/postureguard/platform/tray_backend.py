"""Which pystray backend to use, and whether a tray can be shown at all.

pystray picks its backend once, when it is first imported, from the ``PYSTRAY_BACKEND`` environment
variable. On Linux its own fallback order (appindicator, gtk, xorg) takes whatever imports, even
when the desktop has no host for it; so this module looks at the desktop first and sets the variable
before pystray is imported:

* ``appindicator`` when a StatusNotifierWatcher is on the session bus (KDE, GNOME with the
  AppIndicator extension, most Wayland panels) and the AppIndicator typelib is installed;
* ``gtk`` (XEmbed, e.g. trayer, stalonetray, xfce4-panel) when an X11 tray owns
  ``_NET_SYSTEM_TRAY_S<screen>``;
* ``xorg`` (XEmbed without PyGObject) as a last resort; it has no menus.

With no display or no tray host at all :func:`select_backend` raises :class:`TrayUnavailable`, whose
one-line message the command line prints instead of a traceback. Windows and macOS are left to
pystray's defaults.

:func:`choose_backend` is the pure decision; :func:`probe_desktop` gathers the facts it needs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from postureguard.errors import TrayUnavailable
from postureguard.i18n import N_, _

log = logging.getLogger(__name__)

#: D-Bus names under which a StatusNotifierItem host registers (KDE's name is the one in use).
SNI_WATCHER_NAMES = ("org.kde.StatusNotifierWatcher", "org.freedesktop.StatusNotifierWatcher")

#: pystray backends this module may choose on Linux, best first.
LINUX_BACKENDS = ("appindicator", "gtk", "xorg")

#: What to tell a Linux user who lacks the pieces for a tray with menus.
MENU_HINT = N_(
    "install PyGObject (pip install 'postureguard[linux-tray]', which needs the Debian packages "
    "libgirepository1.0-dev libcairo2-dev pkg-config gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1)"
)

ANALYZE_HINT = N_("to check posture without a tray, use 'postureguard analyze'")

#: What to install when the desktop shows no tray at all, by desktop (GNOME hides tray icons unless
#: the AppIndicator extension is on; KDE Plasma and Xfce have a tray in their default panels).
NO_TRAY_HINT = N_(
    "on GNOME install and turn on the AppIndicator extension (Debian/Ubuntu: gnome-shell-extension-"
    "appindicator, then log in again); on other desktops add a system tray or status notifier to the "
    "panel (KDE Plasma: System Tray; Xfce: Status Tray Plugin)"
)

#: The two ways an icon reaches a Linux tray, by the pystray backend that takes them.
TRAY_PATHS = {
    "appindicator": N_("StatusNotifierItem over D-Bus"),
    "gtk": N_("XEmbed system tray (X11)"),
    "xorg": N_("XEmbed system tray (X11)"),
}


def tray_path(backend: str | None) -> str:
    """Which way the icon reaches the tray for a pystray backend name (plain words, for ``doctor``)."""
    if backend in TRAY_PATHS:
        return _(TRAY_PATHS[backend])
    return _("pystray's '{backend}' backend").format(backend=backend or "default")




@dataclass(frozen=True)
class DesktopProbe:
    """Facts about the desktop that decide the tray backend (gathered by :func:`probe_desktop`)."""

    platform: str
    #: X11 display name (``DISPLAY``), or None when unset.
    x11_display: str | None
    #: Whether a connection to ``x11_display`` could be opened.
    x11_reachable: bool
    #: Wayland socket name (``WAYLAND_DISPLAY``), or None.
    wayland_display: str | None
    #: Whether some window owns ``_NET_SYSTEM_TRAY_S<screen>`` (an XEmbed tray host).
    xembed_tray: bool
    #: Whether a StatusNotifierWatcher owns its name on the session bus.
    sni_watcher: bool
    #: Whether PyGObject and the Gtk 3 typelib are importable (gtk backend, menus).
    gtk_available: bool
    #: Whether the (Ayatana) AppIndicator 3 typelib is importable too (appindicator backend).
    appindicator_available: bool
    #: A backend the user forced through ``PYSTRAY_BACKEND``, or None.
    forced_backend: str | None = None


@dataclass(frozen=True)
class BackendChoice:
    """The decision: which pystray backend to load, or why no tray can be shown."""

    #: pystray backend name to put in ``PYSTRAY_BACKEND``; None means pystray's platform default.
    backend: str | None
    #: Whether that backend offers menus (pystray's ``Icon.HAS_MENU``), as far as known in advance.
    has_menu: bool
    #: One line explaining the choice (for ``--verbose`` logs and support requests).
    reason: str
    #: One-line user-facing message when no tray is possible; None when ``backend`` can be used.
    problem: str | None = None
    #: Advice when the tray works but lacks something (e.g. no menus without PyGObject); else None.
    hint: str | None = None


@dataclass(frozen=True)
class TrayBackend:
    """The pystray backend actually loaded, as reported by pystray itself."""

    name: str
    has_menu: bool
    has_default_action: bool
    has_menu_radio: bool
    pystray: ModuleType
    choice: BackendChoice


def choose_backend(probe: DesktopProbe) -> BackendChoice:
    """Pick the pystray backend for ``probe`` (pure: no I/O, same input gives the same answer)."""
    if not probe.platform.startswith("linux") and "bsd" not in probe.platform:
        return BackendChoice(None, True, f"pystray's default backend for {probe.platform}")

    if probe.x11_display is None and probe.wayland_display is None:
        return BackendChoice(
            None, False, "neither DISPLAY nor WAYLAND_DISPLAY is set",
            problem=_("no display: the tray needs a graphical session (DISPLAY is not set); {hint}").format(
                hint=_(ANALYZE_HINT)
            ),
        )  # fmt: skip
    if probe.wayland_display is None and not probe.x11_reachable:
        return BackendChoice(
            None, False, f"cannot connect to X display {probe.x11_display}",
            problem=_("no display: cannot connect to the X display {display}; {hint}").format(
                display=repr(probe.x11_display), hint=_(ANALYZE_HINT)
            ),
        )  # fmt: skip

    if probe.forced_backend:
        return BackendChoice(
            probe.forced_backend, probe.forced_backend != "xorg", "PYSTRAY_BACKEND is set by the user"
        )

    if probe.sni_watcher and probe.appindicator_available:
        return BackendChoice("appindicator", True, "a StatusNotifierWatcher is on the session bus")
    xembed = probe.xembed_tray and probe.x11_reachable
    if xembed and probe.gtk_available:
        return BackendChoice("gtk", True, "an XEmbed system tray owns _NET_SYSTEM_TRAY on the X display")
    if xembed:
        return BackendChoice(
            "xorg", False, "an XEmbed system tray is present but PyGObject (Gtk 3) is not",
            hint=_("the tray icon has no menu; for menus {hint}").format(hint=_(MENU_HINT)),
        )  # fmt: skip
    if probe.sni_watcher:
        return BackendChoice(
            None, False, "only a StatusNotifierWatcher is present and the AppIndicator typelib is missing",
            problem=_("the desktop's tray only accepts AppIndicator icons; {hint}").format(hint=_(MENU_HINT)),
        )  # fmt: skip
    return BackendChoice(
        None,
        False,
        "no _NET_SYSTEM_TRAY selection owner and no StatusNotifierWatcher",
        problem=_(
            "no tray host: the desktop shows no system tray (no XEmbed tray on the display and no "
            "StatusNotifierWatcher on the session bus); {install}; or {hint}"
        ).format(install=_(NO_TRAY_HINT), hint=_(ANALYZE_HINT)),
    )


# ----- probing (I/O) -------------------------------------------------------------------------------


def probe_desktop(env: Mapping[str, str] | None = None, timeout: float = 2.0) -> DesktopProbe:
    """Look at the current desktop: display, tray hosts on X11 and D-Bus, installed typelibs.

    ``env`` defaults to ``os.environ``; ``timeout`` bounds each D-Bus exchange, in seconds.
    """
    env = os.environ if env is None else env
    x11_display = env.get("DISPLAY") or None
    wayland_display = env.get("WAYLAND_DISPLAY") or None
    linux = sys.platform.startswith("linux") or "bsd" in sys.platform
    x11_reachable = xembed = sni = gtk = appindicator = False
    if linux:
        if x11_display:
            x11_reachable, xembed = _probe_x11(x11_display)
        if x11_display or wayland_display:
            sni = _probe_sni_watcher(_session_bus_address(env), timeout)
        gtk, appindicator = _probe_typelibs()
    return DesktopProbe(
        platform=sys.platform,
        x11_display=x11_display,
        x11_reachable=x11_reachable,
        wayland_display=wayland_display,
        xembed_tray=xembed,
        sni_watcher=sni,
        gtk_available=gtk,
        appindicator_available=appindicator,
        forced_backend=env.get("PYSTRAY_BACKEND") or None,
    )


def _probe_x11(display_name: str) -> tuple[bool, bool]:
    """``(reachable, has_xembed_tray)`` for an X display, via python-xlib (a pystray dependency)."""
    try:
        from Xlib import X
        from Xlib.display import Display
        from Xlib.error import DisplayError
    except ImportError:  # pragma: no cover - python-xlib comes with pystray on Linux
        log.warning("python-xlib is missing; cannot look for an X11 system tray")
        return True, False
    try:
        display = Display(display_name)
    except (DisplayError, OSError) as exc:  # Xlib raises either, depending on how it failed
        log.debug("cannot open X display %s: %s", display_name, exc)
        return False, False
    try:
        screen = display.get_default_screen()
        owner = display.get_selection_owner(display.intern_atom(f"_NET_SYSTEM_TRAY_S{screen}"))
        return True, owner not in (X.NONE, 0)
    finally:
        display.close()


def _session_bus_address(env: Mapping[str, str]) -> str | None:
    """The session bus address, as libdbus and GDBus would find it (variable, then the runtime dir)."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={Path(runtime, 'bus')}"
    return None


def _probe_sni_watcher(address: str | None, timeout: float) -> bool:
    """Whether a StatusNotifierWatcher is on the bus at ``address`` (False when there is no bus)."""
    if address is None:
        return False
    try:
        from dbus_fast import Message, MessageType
        from dbus_fast.aio import MessageBus
    except ImportError:  # pragma: no cover - dbus-fast comes with desktop-notifier on Linux
        log.warning("dbus-fast is missing; cannot look for a StatusNotifierWatcher")
        return False

    async def ask() -> bool:
        bus = await asyncio.wait_for(MessageBus(bus_address=address).connect(), timeout)
        try:
            for name in SNI_WATCHER_NAMES:
                reply = await asyncio.wait_for(
                    bus.call(
                        Message(
                            destination="org.freedesktop.DBus",
                            path="/org/freedesktop/DBus",
                            interface="org.freedesktop.DBus",
                            member="NameHasOwner",
                            signature="s",
                            body=[name],
                        )
                    ),
                    timeout,
                )
                if reply is not None and reply.message_type == MessageType.METHOD_RETURN and reply.body[0]:
                    return True
            return False
        finally:
            bus.disconnect()

    # A thread of its own, so this works whether or not the caller already runs an asyncio loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(asyncio.run, ask()).result(timeout=3 * timeout)
        except Exception as exc:  # noqa: BLE001 - any failure to talk to the bus means "no watcher"
            log.debug("cannot ask the session bus %s for a StatusNotifierWatcher: %s", address, exc)
            return False


def _probe_typelibs() -> tuple[bool, bool]:
    """``(gtk3, appindicator3)`` availability, checked without importing Gtk (which opens displays)."""
    try:
        import gi
    except ImportError:
        return False, False
    try:
        gi.require_version("Gtk", "3.0")
    except ValueError:
        return False, False
    # Same order as pystray's _appindicator module, which tries the Canonical library first.
    for namespace in ("AppIndicator3", "AyatanaAppIndicator3"):
        try:
            gi.require_version(namespace, "0.1")
        except ValueError:
            continue
        return True, True
    return True, False


# ----- loading pystray -----------------------------------------------------------------------------


def select_backend(env: Mapping[str, str] | None = None) -> BackendChoice:
    """Probe the desktop, choose a backend and export it in ``PYSTRAY_BACKEND`` for pystray.

    Raises :class:`TrayUnavailable` with a one-line message when no tray can be shown. Call it
    before anything imports pystray.
    """
    probe = probe_desktop(env)
    choice = choose_backend(probe)
    log.info("tray backend: %s (%s)", choice.backend or "pystray default", choice.reason)
    if choice.problem:
        raise TrayUnavailable(choice.problem)
    if choice.hint:
        log.warning("%s", choice.hint)
    if choice.backend:
        os.environ["PYSTRAY_BACKEND"] = choice.backend
    return choice


def load_pystray(env: Mapping[str, str] | None = None) -> TrayBackend:
    """Select the backend (see :func:`select_backend`), import pystray and report what it loaded.

    Raises :class:`TrayUnavailable` when no tray is possible or pystray cannot load the backend.
    """
    choice = select_backend(env)
    if "pystray" in sys.modules:
        log.warning("pystray was imported before the tray backend was chosen; its own choice stands")
    # GDK probes OpenGL when it opens the display (to pick visuals); without a GPU driver that maps
    # Mesa's software renderer and libLLVM, about 56 MB resident, into a tray that never draws with
    # GL (icons, menus and windows draw with cairo). Inherited by the windows the tray starts.
    os.environ.setdefault("GDK_GL", "disable")
    try:
        pystray = importlib.import_module("pystray")
    except ImportError as exc:
        raise TrayUnavailable(
            _("the tray backend '{backend}' cannot be loaded ({error}); {hint}").format(
                backend=choice.backend or "default", error=exc, hint=_(MENU_HINT)
            )
        ) from exc
    except Exception as exc:  # noqa: BLE001 - GI raises assorted errors when a display vanishes
        raise TrayUnavailable(
            _("the tray cannot start ({error}); {hint}").format(
                error=f"{type(exc).__name__}: {exc}", hint=_(ANALYZE_HINT)
            )
        ) from exc
    icon_class = pystray.Icon
    return TrayBackend(
        name=icon_class.__module__.rsplit("._", 1)[-1],
        has_menu=bool(icon_class.HAS_MENU),
        has_default_action=bool(icon_class.HAS_DEFAULT_ACTION),
        has_menu_radio=bool(icon_class.HAS_MENU_RADIO),
        pystray=pystray,
        choice=choice,
    )
