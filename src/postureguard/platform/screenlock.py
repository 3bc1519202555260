"""Screen lock and unlock, from the desktop session's D-Bus signals, so the camera is off while locked.

Linux only, through dbus-fast (a dependency of desktop-notifier). Sources watched, when present:

* session bus: ``ActiveChanged(b)`` of ``org.freedesktop.ScreenSaver`` (KDE, GNOME, Xfce, LXQt, most
  others), ``org.gnome.ScreenSaver``, ``org.mate.ScreenSaver`` and ``org.cinnamon.ScreenSaver``;
* system bus: logind's ``Lock`` / ``Unlock`` signals on this process's own session object (sent when
  ``loginctl lock-session`` runs or the desktop asks logind to lock).

Several of these often speak at once (GNOME sends three), so the callbacks fire on changes only:
``on_lock`` when the screen goes from unlocked to locked, ``on_unlock`` the other way. When a
screen saver reports itself active at start, ``on_lock`` fires once at start as well.

Like :mod:`postureguard.platform.notifications`, the watcher runs its own asyncio loop on a thread
of its own; callbacks run on that thread and must be short and thread-safe: they post a
command (the app's ``on_lock`` / ``on_unlock`` post ``ScreenLocked`` / ``ScreenUnlocked`` to the
monitor's inbox, see postureguard.runtime.messages) and return at once. A missing bus, or no screen saver
on it, is not an error: the watcher logs what it could not reach and watches what is left, possibly
nothing.

Windows and macOS: not implemented yet; :meth:`ScreenLockWatcher.start` logs that and returns False
(the app then simply keeps the camera open while the screen is locked, as it did before).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from postureguard.errors import require
from postureguard.i18n import _

log = logging.getLogger(__name__)

#: Seconds allowed for connecting and subscribing (each bus), and for stopping.
CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ScreenSaverService:
    """A screen saver D-Bus service: bus name, object path and interface of ``ActiveChanged``."""

    name: str
    path: str
    interface: str


SCREENSAVERS = (
    ScreenSaverService(
        "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"
    ),
    ScreenSaverService("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
    ScreenSaverService("org.mate.ScreenSaver", "/org/mate/ScreenSaver", "org.mate.ScreenSaver"),
    ScreenSaverService("org.cinnamon.ScreenSaver", "/org/cinnamon/ScreenSaver", "org.cinnamon.ScreenSaver"),
)

LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
LOGIND_SESSION = "org.freedesktop.login1.Session"
DBUS = "org.freedesktop.DBus"


class LockTracker:
    """Turns reports from several sources into lock/unlock transitions (pure, no I/O).

    :meth:`report` takes one source's word (``locked`` True/False) and returns ``"lock"``,
    ``"unlock"`` or ``None`` (nothing changed). The newest report wins: a screen saver that says
    "inactive" after logind said "locked" means the user has unlocked.
    """

    def __init__(self) -> None:
        self.locked: bool | None = None  # None: nobody has said anything yet

    def report(self, locked: bool) -> str | None:
        before = bool(self.locked)
        self.locked = locked
        if locked and not before:
            return "lock"
        if before and not locked:
            return "unlock"
        return None


class ScreenLockWatcher:
    """Calls ``on_lock()`` / ``on_unlock()`` when the session's screen is locked / unlocked.

    ``session_bus_address`` / ``system_bus_address``: D-Bus addresses to use instead of the
    environment's (tests); ``use_system_bus`` False skips logind. After :meth:`start`,
    :attr:`watching` names the sources subscribed to.
    """

    def __init__(
        self,
        on_lock: Callable[[], Any],
        on_unlock: Callable[[], Any],
        *,
        session_bus_address: str | None = None,
        system_bus_address: str | None = None,
        use_system_bus: bool = True,
    ) -> None:
        self._on_lock = on_lock
        self._on_unlock = on_unlock
        self._session_address = session_bus_address
        self._system_address = system_bus_address
        self._use_system = use_system_bus
        self._tracker = LockTracker()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._buses: list[Any] = []
        self.watching: tuple[str, ...] = ()

    @property
    def locked(self) -> bool | None:
        """The last state reported by any source (None: unknown)."""
        return self._tracker.locked

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> bool:
        """Connect and subscribe; True when at least one bus is watched. Never raises."""
        if not sys.platform.startswith("linux"):
            log.info(
                "screen-lock detection is not implemented on %s; the camera stays on when locked",
                sys.platform,
            )
            return False
        if self._thread is not None:
            return bool(self.watching)
        try:
            require("dbus_fast", _("Screen-lock detection"), "dbus-fast")
        except Exception as exc:  # noqa: BLE001 - MissingDependency: say so, keep running without it
            log.warning("%s", exc)
            return False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="screen-lock", daemon=True)
        self._thread.start()
        try:
            future = asyncio.run_coroutine_threadsafe(self._connect_all(), self._loop)
            self.watching = tuple(future.result(2 * CONNECT_TIMEOUT_S + 1))
        except Exception as exc:  # noqa: BLE001 - a screen-lock watcher must never stop the app
            log.warning("screen-lock detection unavailable: %s", exc)
            self.watching = ()
        if not self.watching:
            self.stop()
            return False
        log.info("watching screen lock through %s", ", ".join(self.watching))
        return True

    def stop(self) -> None:
        """Disconnect and end the thread (idempotent). No callback fires afterwards."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._on_lock = self._on_unlock = _nothing

        def shutdown() -> None:
            for bus in self._buses:
                with contextlib.suppress(Exception):
                    bus.disconnect()
            self._buses.clear()
            loop.stop()

        with contextlib.suppress(RuntimeError):  # the loop already stopped
            loop.call_soon_threadsafe(shutdown)
        thread.join(timeout=CONNECT_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> ScreenLockWatcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- on the loop thread -----------------------------------------------------------------------
    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _report(self, locked: bool, source: str) -> None:
        change = self._tracker.report(locked)
        log.debug("%s says locked=%s -> %s", source, locked, change)
        callback = self._on_lock if change == "lock" else self._on_unlock if change == "unlock" else None
        if callback is None:
            return
        log.info("screen %s (%s)", "locked" if change == "lock" else "unlocked", source)
        try:
            callback()
        except Exception:
            log.exception("screen-lock callback failed")

    async def _connect_all(self) -> list[str]:
        watching: list[str] = []
        try:
            watching += await asyncio.wait_for(self._watch_session(), CONNECT_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - no session bus: nothing to watch there
            log.info("session bus not reachable for screen-lock signals: %s", exc)
        if self._use_system:
            try:
                watching += await asyncio.wait_for(self._watch_logind(), CONNECT_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 - no system bus or no logind (containers, BSDs)
                log.info("logind not reachable for screen-lock signals: %s", exc)
        return watching

    async def _connect(self, address: str | None, system: bool) -> Any:
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus

        bus_type = BusType.SYSTEM if system else BusType.SESSION
        bus = MessageBus(bus_address=address, bus_type=bus_type)
        try:
            await bus.connect()
        except BaseException:  # refused, timed out or cancelled: leave no half-open socket behind
            with contextlib.suppress(Exception):
                bus.disconnect()
            raise
        self._buses.append(bus)
        return bus

    async def _call(
        self,
        bus: Any,
        dest: str,
        path: str,
        iface: str,
        member: str,
        signature: str = "",
        body: list | None = None,
    ) -> Any:
        """A method call; the reply's body, or an exception for an error reply."""
        from dbus_fast import Message, MessageType

        reply = await bus.call(
            Message(
                destination=dest,
                path=path,
                interface=iface,
                member=member,
                signature=signature,
                body=body or [],
            )
        )
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{dest}.{member}: {reply.error_name}: {reply.body}")
        return reply.body

    async def _add_match(self, bus: Any, rule: str) -> None:
        await self._call(bus, DBUS, "/org/freedesktop/DBus", DBUS, "AddMatch", "s", [rule])

    async def _watch_session(self) -> list[str]:
        from dbus_fast import MessageType

        bus = await self._connect(self._session_address, system=False)
        by_interface = {s.interface: s for s in SCREENSAVERS}

        def handler(msg: Any) -> None:
            if msg.message_type != MessageType.SIGNAL or msg.member != "ActiveChanged":
                return
            service = by_interface.get(msg.interface)
            if service is not None and msg.body and isinstance(msg.body[0], bool):
                self._report(msg.body[0], service.name)

        bus.add_message_handler(handler)
        for s in SCREENSAVERS:
            # Matching on the well-known name: the daemon follows whoever owns it, now or later,
            # so a screen saver started after PostureGuard is heard too.
            await self._add_match(
                bus, f"type='signal',sender='{s.name}',interface='{s.interface}',member='ActiveChanged'"
            )
        # The state right now, from the first screen saver that answers (it may be locked already).
        for s in SCREENSAVERS:
            try:
                body = await asyncio.wait_for(self._call(bus, s.name, s.path, s.interface, "GetActive"), 1.0)
            except Exception:  # noqa: BLE001, S112 - not running, or no GetActive: try the next one
                continue
            if body and isinstance(body[0], bool):
                self._report(body[0], s.name)
                break
        return ["session bus screen savers"]

    async def _watch_logind(self) -> list[str]:
        from dbus_fast import MessageType

        bus = await self._connect(self._system_address, system=True)
        session_id = os.environ.get("XDG_SESSION_ID")
        if session_id:
            body = await self._call(bus, LOGIND, LOGIND_PATH, LOGIND_MANAGER, "GetSession", "s", [session_id])
        else:
            body = await self._call(
                bus, LOGIND, LOGIND_PATH, LOGIND_MANAGER, "GetSessionByPID", "u", [os.getpid()]
            )
        session_path = body[0]

        def handler(msg: Any) -> None:
            if (
                msg.message_type == MessageType.SIGNAL
                and msg.interface == LOGIND_SESSION
                and msg.path == session_path
                and msg.member in ("Lock", "Unlock")
            ):
                self._report(msg.member == "Lock", "logind")

        bus.add_message_handler(handler)
        await self._add_match(
            bus, f"type='signal',sender='{LOGIND}',interface='{LOGIND_SESSION}',path='{session_path}'"
        )
        with contextlib.suppress(Exception):  # older logind has no LockedHint: the state stays unknown
            hint = await self._call(
                bus,
                LOGIND,
                session_path,
                "org.freedesktop.DBus.Properties",
                "Get",
                "ss",
                [LOGIND_SESSION, "LockedHint"],
            )
            if hint and getattr(hint[0], "value", None) is True:
                self._report(True, "logind")
        return [f"logind session {session_path}"]


def _nothing() -> None:
    pass
