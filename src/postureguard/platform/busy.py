"""Is the user busy? The desktop's do-not-disturb and a full-screen window, one adapter each.

* :func:`dunst_paused`: dunst's pause (``dunstctl set-paused true``), the D-Bus property ``paused`` of
  ``org.dunstproject.cmd0`` on the notification server's object;
* :func:`notifications_inhibited`: the freedesktop notification inhibition, the ``Inhibited``
  property of ``org.freedesktop.Notifications``, where the server exposes it. KDE Plasma's server
  (plasmashell) does, and its do-not-disturb (the applet's switch, "until" times, and since Plasma 6.4
  a focused full-screen window) sets it: it is what KDE's own integrations read as "do not disturb".
  Plasma has no other do-not-disturb interface on the bus (``org.kde.osdService`` only draws OSDs);
* :func:`gnome_banners_off`: GNOME's do-not-disturb, the setting ``show-banners`` of
  ``org.gnome.desktop.notifications`` turned off (GNOME Shell has no ``Inhibited`` property), read
  with ``gsettings`` (a fresh read each time, whatever the GSettings backend) and only in a GNOME
  session (``XDG_CURRENT_DESKTOP``), so a setting left over from GNOME holds nothing on another desktop;
* :func:`fullscreen_active`: the EWMH ``_NET_WM_STATE_FULLSCREEN`` state of ``_NET_ACTIVE_WINDOW`` (X11).
  The active window is on the monitor the user works on, so a video on another monitor does not count.

Each answers ``False`` when it cannot tell (no server, no such property, no schema, no X display): a
desktop that does not say it is busy is not held back. :class:`BusyProbe` keeps one session-bus
connection and one X connection and asks them all; it is blocking and meant for one watcher thread.
All three do-not-disturb answers are one reason for the tooltip, "held: do not disturb".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVER = "org.freedesktop.Notifications"
SERVER_PATH = "/org/freedesktop/Notifications"
DUNST_INTERFACE = "org.dunstproject.cmd0"
#: Seconds one D-Bus question may take (a hung server must not stall the watcher for long).
CALL_TIMEOUT_S = 2.0
GNOME_SCHEMA = "org.gnome.desktop.notifications"
GNOME_KEY = "show-banners"


@dataclass(frozen=True)
class Busy:
    """What the desktop says now."""

    do_not_disturb: bool = False
    full_screen: bool = False
    #: Who says "do not disturb" (``dunst``, ``inhibited``, ``gnome``; empty: nobody), for the log.
    dnd_source: str = ""


async def _property(bus: Any, interface: str, name: str) -> Any:
    """A property of the notification server's object, or None when it has none (or no server answers)."""
    from dbus_fast import Message, MessageType

    reply = await asyncio.wait_for(
        bus.call(
            Message(
                destination=SERVER,
                path=SERVER_PATH,
                interface="org.freedesktop.DBus.Properties",
                member="Get",
                signature="ss",
                body=[interface, name],
            )
        ),
        CALL_TIMEOUT_S,
    )
    if reply.message_type != MessageType.METHOD_RETURN:
        return None
    return reply.body[0].value


async def dunst_paused(bus: Any) -> bool:
    """Whether dunst is paused (its do-not-disturb); False for other servers."""
    return bool(await _property(bus, DUNST_INTERFACE, "paused"))


async def notifications_inhibited(bus: Any) -> bool:
    """Whether the server inhibits notifications (freedesktop ``Inhibited``); False if not exposed."""
    return bool(await _property(bus, SERVER, "Inhibited"))


def is_gnome_session(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """Whether the desktop is GNOME (``XDG_CURRENT_DESKTOP`` names it, e.g. ``ubuntu:GNOME``)."""
    desktops = (os.environ if environ is None else environ).get("XDG_CURRENT_DESKTOP", "")
    return "gnome" in (d.strip().lower() for d in desktops.split(":"))


def gnome_banners_off(gsettings: str = "gsettings") -> bool:
    """Whether GNOME's notification banners are off (its do-not-disturb).

    Raises :class:`OSError` when it cannot tell: no ``gsettings`` program, no such schema (GNOME's
    settings are not installed); :class:`TimeoutError` (an OSError) when it does not answer in time.
    """
    try:
        res = subprocess.run(  # noqa: S603 - a fixed program and arguments
            [gsettings, "get", GNOME_SCHEMA, GNOME_KEY],
            capture_output=True, text=True, timeout=CALL_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"gsettings did not answer within {CALL_TIMEOUT_S:.0f} s") from None
    value = res.stdout.strip()
    if res.returncode != 0 or value not in ("true", "false"):
        raise OSError(res.stderr.strip() or f"gsettings said {value!r}")
    return value == "false"


def fullscreen_active(display: Any) -> bool:
    """Whether the active window (EWMH ``_NET_ACTIVE_WINDOW``) is full screen; ``display`` is Xlib's."""
    root = display.screen().root
    active = root.get_full_property(display.intern_atom("_NET_ACTIVE_WINDOW"), 0)
    if active is None or not active.value or not active.value[0]:
        return False
    window = display.create_resource_object("window", int(active.value[0]))
    state = window.get_full_property(display.intern_atom("_NET_WM_STATE"), 0)
    return state is not None and display.intern_atom("_NET_WM_STATE_FULLSCREEN") in list(state.value)


class BusyProbe:
    """Asks the desktop (see the module docstring); :meth:`poll` blocks for at most a few seconds."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._bus: Any = None
        self._display: Any = None
        self._said: set[str] = set()  # each "cannot tell" is logged once per run
        self._gsettings = shutil.which("gsettings")  # None: GNOME's setting cannot be read
        self._last_source = ""

    def _once(self, what: str, exc: BaseException) -> None:
        if what not in self._said:
            self._said.add(what)
            log.info("cannot tell %s (%s); not holding alerts for it", what, str(exc) or type(exc).__name__)

    async def _dnd(self) -> str:
        from dbus_fast.aio import MessageBus

        if self._bus is None:
            self._bus = await asyncio.wait_for(MessageBus().connect(), CALL_TIMEOUT_S)
        if await dunst_paused(self._bus):
            return "dunst"
        return "inhibited" if await notifications_inhibited(self._bus) else ""

    def _do_not_disturb(self) -> str:
        """Who says "do not disturb" now (see :attr:`Busy.dnd_source`; empty: nobody, or cannot tell)."""
        try:
            source = self._loop.run_until_complete(self._dnd())
        except Exception as exc:  # noqa: BLE001 - no bus, no server, a timeout: all mean "cannot tell"
            self._once("do-not-disturb", exc)
            if self._bus is not None:
                self._bus.disconnect()
                self._bus = None
            source = ""
        return source or ("gnome" if self._gnome_dnd() else "")

    def _gnome_dnd(self) -> bool:
        if self._gsettings is None or not is_gnome_session():
            return False
        try:
            return gnome_banners_off(self._gsettings)
        except TimeoutError as exc:  # a loaded machine: ask again next time
            self._once("GNOME's do-not-disturb in time", exc)
            return False
        except OSError as exc:
            # No schema now means none for this run: stop asking (a process every poll for nothing).
            self._once("GNOME's do-not-disturb", exc)
            self._gsettings = None
            return False

    def _full_screen(self) -> bool:
        if not os.environ.get("DISPLAY"):
            return False
        try:
            if self._display is None:
                from Xlib import display as xdisplay

                self._display = xdisplay.Display()
            return fullscreen_active(self._display)
        except Exception as exc:  # noqa: BLE001 - no X server, a window gone meanwhile: "cannot tell"
            self._once("full-screen windows", exc)
            self._close_display()
            return False

    def _close_display(self) -> None:
        if self._display is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._display.close()
            self._display = None

    def poll(self) -> Busy:
        source = self._do_not_disturb()
        if source != self._last_source:
            self._last_source = source
            log.info("do-not-disturb: %s", source or "off")
        return Busy(do_not_disturb=bool(source), full_screen=self._full_screen(), dnd_source=source)

    def close(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
        self._close_display()
        self._loop.close()
