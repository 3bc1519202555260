"""Is the user busy? The desktop's do-not-disturb and a full-screen window, one adapter each.

* :func:`dunst_paused`: dunst's pause (``dunstctl set-paused true``), the D-Bus property ``paused`` of
  ``org.dunstproject.cmd0`` on the notification server's object;
* :func:`notifications_inhibited`: the freedesktop notification inhibition, the ``Inhibited``
  property of ``org.freedesktop.Notifications``, where the server exposes it (KDE, some others);
* :func:`fullscreen_active`: the EWMH ``_NET_WM_STATE_FULLSCREEN`` state of ``_NET_ACTIVE_WINDOW`` (X11).
  The active window is on the monitor the user works on, so a video on another monitor does not count.

Each answers ``False`` when it cannot tell (no server, no such property, no X display): a desktop that
does not say it is busy is not held back. :class:`BusyProbe` keeps one session-bus connection and one X
connection and asks all three; it is blocking and meant for one watcher thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVER = "org.freedesktop.Notifications"
SERVER_PATH = "/org/freedesktop/Notifications"
DUNST_INTERFACE = "org.dunstproject.cmd0"
#: Seconds one D-Bus question may take (a hung server must not stall the watcher for long).
CALL_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Busy:
    """What the desktop says now."""

    do_not_disturb: bool = False
    full_screen: bool = False


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

    def _once(self, what: str, exc: BaseException) -> None:
        if what not in self._said:
            self._said.add(what)
            log.info("cannot tell %s (%s); not holding alerts for it", what, str(exc) or type(exc).__name__)

    async def _dnd(self) -> bool:
        from dbus_fast.aio import MessageBus

        if self._bus is None:
            self._bus = await asyncio.wait_for(MessageBus().connect(), CALL_TIMEOUT_S)
        paused = await dunst_paused(self._bus)
        return paused or await notifications_inhibited(self._bus)

    def _do_not_disturb(self) -> bool:
        try:
            return self._loop.run_until_complete(self._dnd())
        except Exception as exc:  # noqa: BLE001 - no bus, no server, a timeout: all mean "cannot tell"
            self._once("do-not-disturb", exc)
            if self._bus is not None:
                self._bus.disconnect()
                self._bus = None
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
        return Busy(do_not_disturb=self._do_not_disturb(), full_screen=self._full_screen())

    def close(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
        self._close_display()
        self._loop.close()
