"""Desktop notifications with buttons, through desktop-notifier, behind a small interface.

desktop-notifier is asynchronous, and on Linux its click and button callbacks only arrive while an
asyncio loop runs. The tray's main loop (GTK, Cocoa, Win32) owns the main thread, so
:class:`DesktopNotifications` runs its own asyncio loop on a thread of its own; its public methods
are ordinary blocking calls that are safe from any thread. Callbacks run on that notification
thread: keep them short and hand real work to the rest of the app (e.g. through a queue).

Servers differ: some show no buttons at all (the freedesktop "actions" capability). Then the
notification is sent without them and the body ends with a fallback sentence that tells the user
where else to act (see :func:`compose_body`).

Text is never sent as markup by accident: the summary is plain text (the specification says so),
and the body, which servers advertising ``body-markup`` parse as a small XML subset, is escaped for
them (see :func:`body_for_server`). A routine title from a user's ``routines.json`` therefore shows
as the characters it contains, never as formatting or a link.

With no notification server at all, :meth:`DesktopNotifications.send` hands nothing over (it says so
once in the log) and asks again at most every :data:`RETRY_S` seconds, so a server that starts
after PostureGuard (a slow login) is used from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

from postureguard.errors import require
from postureguard.i18n import N_, _

log = logging.getLogger(__name__)

Callback = Callable[[], Any]

#: Capability names reported by :meth:`Notifier.capabilities`.
ACTIONS = "actions"  # buttons on the notification
CLICK = "click"  # a callback when the body is clicked
DISMISS = "dismiss"  # a callback when the user closes it
BODY = "body"  # a body text below the title
ICON = "icon"
TIMEOUT = "timeout"
URGENCY = "urgency"
MARKUP = "markup"  # the server parses the body as markup (freedesktop "body-markup")

#: Appended to the body when buttons were asked for but the server cannot show them.
DEFAULT_FALLBACK = N_("Buttons are not available here: use the PostureGuard icon in the tray instead.")

#: Seconds to wait for the notification server to answer a call.
CALL_TIMEOUT_S = 10.0

#: Seconds between two attempts to find a notification server after none answered.
RETRY_S = 60.0

#: Seconds :meth:`DesktopNotifications.close` waits for its thread (a daemon thread: never blocks exit).
CLOSE_TIMEOUT_S = 2.0

#: Entities beyond & < > that keep quotes literal in body markup (the spec's XML subset knows all five).
_QUOTE_ENTITIES = {'"': "&quot;", "'": "&apos;"}


class Notifier(Protocol):
    """What the app needs from a notification service."""

    def send(
        self,
        title: str,
        body: str,
        buttons: Sequence[tuple[str, Callback]] = (),
        on_clicked: Callback | None = None,
        on_dismissed: Callback | None = None,
        fallback: str | None = None,
    ) -> str:
        """Show a notification and return its identifier; callbacks run on a notifier thread."""
        ...

    def capabilities(self) -> frozenset[str]:
        """What the server supports (:data:`ACTIONS`, :data:`CLICK`, ...); empty when none answers."""
        ...

    def close(self) -> None:
        """Release the connection and the thread; further sends are errors."""
        ...


def compose_body(body: str, wants_buttons: bool, capabilities: frozenset[str], fallback: str | None) -> str:
    """The body to send: ``body`` plus the fallback sentence when buttons cannot be shown.

    Pure. ``fallback`` None means :data:`DEFAULT_FALLBACK`; an empty string means no sentence.
    """
    if not wants_buttons or ACTIONS in capabilities:
        return body
    sentence = _(DEFAULT_FALLBACK) if fallback is None else fallback
    if not sentence:
        return body
    return f"{body}\n{sentence}" if body else sentence


def body_for_server(body: str, capabilities: frozenset[str]) -> str:
    """The body as the server must receive it to show exactly ``body``.

    Pure. A server with :data:`MARKUP` parses the body as the specification's XML subset, so
    ``& < > " '`` are sent as entities; any other server takes it as plain text, unchanged.
    """
    return escape(body, _QUOTE_ENTITIES) if MARKUP in capabilities else body


@dataclass(frozen=True)
class SentNotification:
    """A record of one notification (for logs and tests).

    ``body`` is the text as handed to the server (escaped when it takes markup); ``delivered`` is
    False when no server answered and nothing was handed over.
    """

    identifier: str
    title: str
    body: str
    buttons: tuple[str, ...]
    delivered: bool = True


def _safe(callback: Callback | None, what: str) -> Callback | None:
    """Wrap a user callback so an exception in it is logged instead of killing the event loop."""
    if callback is None:
        return None

    def run() -> None:
        try:
            callback()
        except Exception:
            log.exception("notification %s callback failed", what)

    return run


_CAPABILITY_NAMES = {
    "BUTTONS": ACTIONS,
    "ON_CLICKED": CLICK,
    "ON_DISMISSED": DISMISS,
    "MESSAGE": BODY,
    "ICON": ICON,
    "TIMEOUT": TIMEOUT,
    "URGENCY": URGENCY,
}


class DesktopNotifications:
    """A :class:`Notifier` on desktop-notifier (D-Bus on Linux, native centres on Windows/macOS).

    ``app_name`` is shown by the server as the sender; ``app_icon`` is a PNG shown beside the text
    (None uses the server's default). The asyncio loop thread starts here and stops in :meth:`close`.
    """

    def __init__(self, app_name: str = "PostureGuard", app_icon: Path | None = None) -> None:
        dn = require("desktop_notifier", _("Desktop notifications"), "desktop-notifier")
        self._dn = dn
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="notifications", daemon=True)
        self._thread.start()
        self._capabilities: frozenset[str] | None = None
        self._next_attempt = 0.0  # time.monotonic() before which "no server" is not asked again
        self._said_missing = False  # "no notification server" is logged once per run
        #: The most recent notifications handed to the server, newest last (bounded for long runs).
        self.sent: deque[SentNotification] = deque(maxlen=20)
        icon = dn.Icon(path=Path(app_icon)) if app_icon is not None else None

        async def create() -> Any:
            return dn.DesktopNotifier(app_name=app_name, app_icon=icon)

        # Created on the loop's thread so everything it binds to belongs to that loop.
        self._notifier = self._call(create())

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _call(self, coro: Any, timeout: float = CALL_TIMEOUT_S) -> Any:
        if self._closed:
            coro.close()
            raise RuntimeError("the notifier is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def capabilities(self) -> frozenset[str]:
        """Capability names (see module constants); an empty set when no server answers.

        After a failure the server is asked again only once :data:`RETRY_S` seconds have passed,
        so callers may ask before every notification without waiting on a missing server each time.
        """
        if self._capabilities is None:
            if time.monotonic() < self._next_attempt:
                return frozenset()
            try:
                raw, server = self._call(self._query_capabilities())
            except Exception as exc:  # noqa: BLE001 - no server, no bus, a timeout: all mean "none"
                self._next_attempt = time.monotonic() + RETRY_S
                self._drop_half_open_connection()
                if not self._said_missing:
                    self._said_missing = True
                    log.warning(
                        "no desktop notification server answered (%s); alerts show only on the tray "
                        "icon until one does",
                        str(exc) or type(exc).__name__,
                    )
                else:
                    log.debug("still no desktop notification server: %s", exc)
                return frozenset()
            if self._said_missing:
                log.info("a desktop notification server answers now")
            caps = {_CAPABILITY_NAMES[cap.name] for cap in raw if cap.name in _CAPABILITY_NAMES}
            if "body-markup" in server:
                caps.add(MARKUP)
            self._capabilities = frozenset(caps)
        return self._capabilities

    async def _query_capabilities(self) -> tuple[Any, frozenset[str]]:
        """desktop-notifier's capabilities and, on D-Bus, the server's own capability strings.

        desktop-notifier does not report ``body-markup``, so the D-Bus server is asked directly
        through the interface desktop-notifier has just connected (other platforms: none).
        """
        raw = await self._notifier.get_capabilities()
        interface = getattr(getattr(self._notifier, "_backend", None), "interface", None)
        ask = getattr(interface, "call_get_capabilities", None)
        server = frozenset(await ask()) if ask is not None else frozenset()
        return raw, server

    def send(
        self,
        title: str,
        body: str,
        buttons: Sequence[tuple[str, Callback]] = (),
        on_clicked: Callback | None = None,
        on_dismissed: Callback | None = None,
        fallback: str | None = None,
    ) -> str:
        """Show a notification; return its identifier (a string chosen by desktop-notifier).

        ``buttons`` are ``(label, callback)`` pairs, in display order. When the server cannot show
        buttons they are left out and ``fallback`` (see :func:`compose_body`) is added to the body.
        Callbacks run on the notification thread. Failures to deliver are logged, not raised: a
        missing notification must never stop monitoring. ``title`` and ``body`` are plain text:
        the body is escaped for servers that read markup (see :func:`body_for_server`).
        """
        dn = self._dn
        caps = self.capabilities()
        text = body_for_server(compose_body(body, bool(buttons), caps, fallback), caps)
        if not caps:
            # No server answered: handing the notification over would only log a traceback.
            log.debug("notification not shown (no server): %s", title)
            identifier = str(uuid.uuid4())
            self.sent.append(SentNotification(identifier, title, text, (), delivered=False))
            return identifier
        dn_buttons = (
            [
                dn.Button(title=label, on_pressed=_safe(callback, f"button {label!r}"))
                for label, callback in buttons
            ]
            if ACTIONS in caps
            else []
        )
        notification = dn.Notification(
            title=title,
            message=text,
            buttons=tuple(dn_buttons),
            on_clicked=_safe(on_clicked, "click"),
            on_dismissed=_safe(on_dismissed, "dismiss"),
        )
        identifier = self._call(self._notifier.send_notification(notification))
        self.sent.append(SentNotification(identifier, title, text, tuple(b.title for b in dn_buttons)))
        return identifier

    def _drop_half_open_connection(self) -> None:
        """Disconnect a bus connection desktop-notifier opened before failing to find a server.

        It keeps the connection in ``_backend.bus`` and opens a new one on the next attempt, so
        without this every retry would leak a socket.
        """
        backend = getattr(self._notifier, "_backend", None)
        bus = getattr(backend, "bus", None)
        if bus is not None and getattr(backend, "interface", None) is None:
            self._loop.call_soon_threadsafe(bus.disconnect)
            backend.bus = None

    def close(self) -> None:
        """Disconnect from the bus and stop the loop thread (idempotent)."""
        if self._closed:
            return
        backend = getattr(self._notifier, "_backend", None)
        bus = getattr(backend, "bus", None)  # the D-Bus backend's connection, made on first use
        if bus is not None:
            with contextlib.suppress(Exception):
                self._loop.call_soon_threadsafe(bus.disconnect)
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=CLOSE_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> DesktopNotifications:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
