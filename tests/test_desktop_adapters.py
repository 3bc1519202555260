"""The desktop-facing adapters (tray backend choice, tray icons, notifications), tested for real.

The ``e2e`` tests run in a private desktop session (Xvfb, a session bus, dunst, trayer; see
tests/desktop.py) shared by the whole run, and observe the results the way a person would see
them: windows embedded in the tray, the notification server's history, screenshots in
test-results/. The pure decision and drawing code is tested directly alongside.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops

from desktop import EXIT_S, REACT_S, RESULTS_DIR, START_S, DesktopSession, wait_for
from postureguard.platform import notifications as notif
from postureguard.platform.notifications import DesktopNotifications, compose_body
from postureguard.platform.tray_backend import (
    DesktopProbe,
    TrayUnavailable,
    choose_backend,
    probe_desktop,
    select_backend,
)
from postureguard.ui.icons import STATES, STYLES, icon_for

# ----- tray backend choice (pure) ------------------------------------------------------------------


def _probe(**changes) -> DesktopProbe:
    base = dict(
        platform="linux",
        x11_display=":0",
        x11_reachable=True,
        wayland_display=None,
        xembed_tray=False,
        sni_watcher=False,
        gtk_available=True,
        appindicator_available=True,
        forced_backend=None,
    )
    base.update(changes)
    return DesktopProbe(**base)


@pytest.mark.parametrize(
    ("changes", "backend", "has_menu", "problem"),
    [
        ({"sni_watcher": True, "xembed_tray": True}, "appindicator", True, None),
        ({"xembed_tray": True}, "gtk", True, None),
        # a StatusNotifier host but no AppIndicator typelib: XEmbed through GTK still has menus
        ({"sni_watcher": True, "xembed_tray": True, "appindicator_available": False}, "gtk", True, None),
        ({"xembed_tray": True, "gtk_available": False, "appindicator_available": False}, "xorg", False, None),
        ({}, None, False, "no tray host"),
        ({"x11_display": None}, None, False, "no display"),
        ({"x11_reachable": False, "xembed_tray": True}, None, False, "no display"),
        ({"sni_watcher": True, "appindicator_available": False}, None, False, "only accepts AppIndicator"),
        # Wayland without XWayland: only a StatusNotifier host can show the icon
        ({"x11_display": None, "x11_reachable": False, "wayland_display": "wayland-0", "sni_watcher": True},
         "appindicator", True, None),
        ({"forced_backend": "xorg", "xembed_tray": True}, "xorg", False, None),
        ({"platform": "win32", "x11_display": None}, None, True, None),
        ({"platform": "darwin", "x11_display": None}, None, True, None),
    ],
)  # fmt: skip
def test_choose_backend(changes, backend, has_menu, problem):
    choice = choose_backend(_probe(**changes))
    assert (choice.backend, choice.has_menu) == (backend, has_menu)
    if problem is None:
        assert choice.problem is None
    else:
        assert problem in choice.problem
        assert "\n" not in choice.problem, "the message must fit on one line"
        assert "postureguard analyze" in choice.problem or "AppIndicator" in choice.problem


def test_xorg_choice_explains_how_to_get_menus():
    choice = choose_backend(_probe(xembed_tray=True, gtk_available=False, appindicator_available=False))
    assert choice.hint and "PyGObject" in choice.hint and "linux-tray" in choice.hint


# ----- icons (pure drawing) ------------------------------------------------------------------------


def _symbol_mask(image: Image.Image) -> Image.Image:
    """The white symbol inside the disc, as a 1-bit mask: what remains without any colour vision."""
    r, g, b, a = image.split()
    white = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v > 215 else 0),
                                                    g.point(lambda v: 255 if v > 215 else 0)),
                                b.point(lambda v: 255 if v > 215 else 0))  # fmt: skip
    return ImageChops.multiply(white, a.point(lambda v: 255 if v > 200 else 0)).convert("1")


def _overlap(a: Image.Image, b: Image.Image) -> float:
    """Intersection over union of two 1-bit masks (1.0 = identical shapes)."""
    inter = ImageChops.logical_and(a, b).histogram()[-1]
    union = ImageChops.logical_or(a, b).histogram()[-1]
    return inter / union if union else 1.0


def test_every_state_has_an_icon_of_the_requested_size():
    for state in STATES:
        for size in (16, 22, 32, 64, 128):
            image = icon_for(state, size)
            assert image.mode == "RGBA" and image.size == (size, size)
            # transparent corners, opaque centre: a disc, not a square
            assert image.getpixel((0, size - 1))[3] == 0
            assert image.getpixel((size // 2, size // 2))[3] == 255


def test_states_differ_by_symbol_not_only_by_colour():
    masks = {state: _symbol_mask(icon_for(state, 64)) for state in STATES}
    for state, mask in masks.items():
        assert mask.histogram()[-1] > 60, f"{state} has no visible symbol"
    for i, a in enumerate(STATES):
        for b in STATES[i + 1 :]:
            assert _overlap(masks[a], masks[b]) < 0.6, f"{a} and {b} have nearly the same symbol"


def test_states_differ_in_lightness_too():
    """Disc colours must not collapse to the same grey (e.g. for red-green colour blindness)."""
    greys = {state: Image.new("RGB", (1, 1), STYLES[state].fill[:3]).convert("L").getpixel((0, 0))
             for state in STATES}  # fmt: skip
    for i, a in enumerate(STATES):
        for b in STATES[i + 1 :]:
            same_grey = abs(greys[a] - greys[b]) < 6
            assert not same_grey or _overlap(_symbol_mask(icon_for(a)), _symbol_mask(icon_for(b))) < 0.3


def test_badge_marks_only_the_top_right_corner():
    plain, badged = icon_for("good"), icon_for("good", badge=True)
    diff = ImageChops.difference(plain, badged).getbbox()
    assert diff is not None, "the badge must change the icon"
    left, top, right, bottom = diff
    assert left >= 36 and bottom <= 28, f"badge drawn outside the top-right corner: {diff}"
    red = badged.getpixel((52, 12))
    assert red[0] > 200 and red[1] < 80 and red[3] == 255


def test_icon_is_a_fresh_copy_and_bad_arguments_are_named():
    first = icon_for("poor")
    first.putpixel((32, 32), (0, 0, 0, 0))
    assert icon_for("poor").getpixel((32, 32)) != (0, 0, 0, 0)
    with pytest.raises(ValueError, match="sleepy"):
        icon_for("sleepy")
    with pytest.raises(ValueError, match="8"):
        icon_for("good", 8)


def test_contact_sheet_for_people_to_look_at():
    """Writes test-results/tray-icons.png: every state, with badge, and at a panel's 22 px."""
    cell = 76
    sheet = Image.new("RGBA", (len(STATES) * cell + 8, 3 * cell + 8), (236, 236, 236, 255))
    for column, state in enumerate(STATES):
        x = 8 + column * cell
        sheet.alpha_composite(icon_for(state), (x, 8))
        sheet.alpha_composite(icon_for(state, badge=True), (x, 8 + cell))
        small = icon_for(state, 22).resize((66, 66), Image.Resampling.NEAREST)
        sheet.alpha_composite(small, (x, 8 + 2 * cell))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "tray-icons.png"
    sheet.save(path)
    assert Image.open(path).size == sheet.size


# ----- notification text (pure) --------------------------------------------------------------------


def test_fallback_text_only_when_buttons_cannot_be_shown():
    with_actions = frozenset({notif.ACTIONS, notif.BODY})
    without = frozenset({notif.BODY})
    assert compose_body("Sit up", True, with_actions, None) == "Sit up"
    assert compose_body("Sit up", False, without, None) == "Sit up"
    assert compose_body("Sit up", True, without, None) == f"Sit up\n{notif.DEFAULT_FALLBACK}"
    assert compose_body("Sit up", True, without, "Click the tray icon.") == "Sit up\nClick the tray icon."
    assert compose_body("Sit up", True, without, "") == "Sit up"


# ----- in a real desktop session -------------------------------------------------------------------

_TRAY_CHILD = '''\
"""A pystray icon with a menu, set up exactly as the tray app does it (backend from postureguard)."""
import json
import sys
from pathlib import Path

from postureguard.platform.tray_backend import load_pystray
from postureguard.ui.icons import icon_for

marks = Path(sys.argv[1])


def mark(text):
    with marks.open("a") as stream:
        stream.write(text + "\\n")


backend = load_pystray()
pystray = backend.pystray


def quit_(icon, item):
    mark("quit")
    icon.stop()


menu = pystray.Menu(
    pystray.MenuItem("Start suggested routine", lambda icon, item: mark("default"), default=True),
    pystray.MenuItem("Write marker", lambda icon, item: mark("marker")),
    pystray.MenuItem("Quit", quit_),
)
icon = pystray.Icon("postureguard-e2e", icon_for("good"), "PostureGuard e2e", menu=menu)


def setup(icon):
    icon.visible = True
    mark("ready " + json.dumps({"backend": backend.name, "has_menu": backend.has_menu,
                                "has_default_action": backend.has_default_action}))


icon.run(setup=setup)
mark("exited")
'''


def _marks(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _green_share(image: Image.Image) -> float:
    """Share of pixels close to the "good" disc colour (how much of the crop is our icon)."""
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    distance = np.abs(pixels - np.array(STYLES["good"].fill[:3])).sum(axis=2)
    return float((distance < 60).mean())


@pytest.mark.e2e
def test_tray_icon_embeds_in_trayer_with_a_working_menu(desktop_session: DesktopSession, tmp_path):
    session = desktop_session
    script = tmp_path / "postureguard_tray_probe.py"
    script.write_text(_TRAY_CHILD)
    marks = tmp_path / "marks.txt"
    child = session.popen([sys.executable, str(script), str(marks)], "tray-child.log")
    try:
        # 1. The icon really is embedded: a window of our process inside trayer's panel.
        def our_icon():
            if child.poll() is not None:
                raise AssertionError(f"tray child exited: {session.read_log('tray-child.log')}")
            return [c for c in session.tray_clients() if session.window_pid(c.window_id) == child.pid]

        icons = wait_for(our_icon, START_S, "the tray icon to embed in trayer")
        icon = icons[0]
        ready = [m for m in _marks(marks) if m.startswith("ready ")]
        assert ready, _marks(marks)
        assert '"backend": "gtk"' in ready[0] and '"has_menu": true' in ready[0], ready[0]
        panel_x, panel_y, panel_w, panel_h = session.window_geometry(session.trayer_window())
        assert panel_x <= icon.x < panel_x + panel_w and panel_y <= icon.y < panel_y + panel_h
        assert icon.width >= 16 and icon.height >= 16

        # 2. What is on screen there is our icon: mostly the "good" green in the icon's rectangle.
        crop = (icon.x, icon.y, icon.width, icon.height)
        shot = session.screenshot("tray-icon-crop.png", crop=crop, zoom=1)
        assert _green_share(Image.open(shot)) > 0.4, "the embedded window does not show the green icon"
        session.screenshot("tray-area.png", crop=(1280 - 320, 0, 320, 48), zoom=3)

        # 3. Left click runs the default action.
        centre = (str(icon.x + icon.width // 2), str(icon.y + icon.height // 2))
        session.run("xdotool", "mousemove", *centre, "click", "1")
        wait_for(lambda: "default" in _marks(marks), REACT_S, "the default action to run")

        # 4. Right click opens the menu; it is a new visible window of the child, below the panel.
        before = set(session.search_windows(name=re.escape(script.name), visible=True))
        session.run("xdotool", "mousemove", *centre, "click", "3")

        def menu_window():
            now = set(session.search_windows(name=re.escape(script.name), visible=True)) - before
            return [w for w in now if session.window_geometry(w)[3] > 40]

        menu = wait_for(menu_window, REACT_S, "the tray menu to open")[0]
        mx, my, mw, mh = session.window_geometry(menu)
        session.screenshot("tray-menu.png", crop=(max(0, mx - 40), 0, min(1280 - max(0, mx - 40), mw + 80),
                                                  my + mh + 20), zoom=2)  # fmt: skip
        # 5. Choosing "Quit" with the keyboard (Down selects the first item) ends the icon cleanly.
        session.key_to_grab("Down", "Down", "Down", "Return")  # the open menu holds the keyboard grab
        wait_for(lambda: "exited" in _marks(marks), REACT_S, "Quit from the menu to end the tray loop")
        assert "quit" in _marks(marks)
        assert child.wait(timeout=EXIT_S) == 0
        wait_for(lambda: not _icon_embedded(session, child.pid), REACT_S, "the icon to leave the tray")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=EXIT_S)


def _icon_embedded(session: DesktopSession, pid: int) -> bool:
    """True while a window of ``pid`` is still embedded in the tray."""
    return any(session.window_pid(c.window_id) == pid for c in session.tray_clients())


@pytest.mark.e2e
def test_probe_sees_the_xembed_tray_and_picks_gtk(desktop_session: DesktopSession):
    probe = probe_desktop(desktop_session.env)
    assert probe.x11_reachable and probe.xembed_tray and not probe.sni_watcher
    assert probe.gtk_available and probe.appindicator_available
    choice = choose_backend(probe)
    assert (choice.backend, choice.has_menu, choice.problem) == ("gtk", True, None)


@pytest.mark.e2e
def test_no_tray_host_without_trayer(bare_desktop_session: DesktopSession, monkeypatch):
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    probe = probe_desktop(bare_desktop_session.env)
    assert probe.x11_reachable and not probe.xembed_tray and not probe.sni_watcher
    with pytest.raises(TrayUnavailable, match=r"^no tray host: .*postureguard analyze") as raised:
        select_backend(bare_desktop_session.env)
    assert "\n" not in str(raised.value)
    assert "PYSTRAY_BACKEND" not in os.environ, "a failed choice must not leave a backend behind"


@pytest.mark.e2e
def test_status_notifier_watcher_on_the_bus_selects_appindicator(bare_desktop_session: DesktopSession):
    """A process that owns org.kde.StatusNotifierWatcher on the bus is what the probe must find."""
    session = bare_desktop_session
    owner = session.popen(
        [sys.executable, "-c", textwrap.dedent("""
            import asyncio
            from dbus_fast.aio import MessageBus

            async def main():
                bus = await MessageBus().connect()
                await bus.request_name("org.kde.StatusNotifierWatcher")
                print("owned", flush=True)
                await asyncio.Event().wait()

            asyncio.run(main())
        """)],
        "sni-owner.log",
    )  # fmt: skip
    try:
        wait_for(lambda: session.bus_name_owner_pid("org.kde.StatusNotifierWatcher") == owner.pid,
                 START_S, "the stand-in watcher to own its name")  # fmt: skip
        probe = probe_desktop(session.env)
        assert probe.sni_watcher and not probe.xembed_tray
        assert choose_backend(probe).backend == "appindicator"
    finally:
        owner.terminate()
        owner.wait(timeout=EXIT_S)
    wait_for(lambda: not probe_desktop(session.env).sni_watcher, REACT_S, "the watcher name to be released")


@pytest.mark.e2e
def test_no_display(bare_desktop_session: DesktopSession):
    env = {k: v for k, v in bare_desktop_session.env.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    with pytest.raises(TrayUnavailable, match=r"^no display: .*postureguard analyze"):
        select_backend(env)
    # A DISPLAY that names no running server is no display either.
    unused = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    probe = probe_desktop({**env, "DISPLAY": f":{unused}"})
    assert not probe.x11_reachable
    assert choose_backend(probe).problem.startswith("no display: cannot connect")


@pytest.fixture
def notifier(desktop_session: DesktopSession, monkeypatch):
    """A DesktopNotifications on the test session's bus (desktop-notifier reads the environment)."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop_session.env["DBUS_SESSION_BUS_ADDRESS"])
    desktop_session.dunst_close_all()
    with DesktopNotifications(app_name="PostureGuard") as service:
        yield service
    desktop_session.dunst_close_all()


class Events:
    """Callback records, set from the notification thread and awaited from the test thread."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def callback(self, name: str):
        def record() -> None:
            with self._lock:
                self.names.append(name)
                self.threads.add(threading.current_thread().name)

        return record


@pytest.mark.e2e
def test_notification_buttons_reach_dunst_and_fire_callbacks(desktop_session: DesktopSession, notifier):
    session = desktop_session
    caps = notifier.capabilities()
    assert {notif.ACTIONS, notif.CLICK, notif.BODY} <= caps

    events = Events()
    title = "Time to sit up"
    body = "Your head has been about 20° forward for 2 minutes. Suggested: Neck release (3 min)."
    identifier = notifier.send(
        title,
        body,
        buttons=[("Start routine", events.callback("start")), ("Snooze 30 min", events.callback("snooze"))],
        on_clicked=events.callback("clicked"),
        on_dismissed=events.callback("dismissed"),
    )
    assert identifier
    assert notifier.sent[-1].body == body, "dunst offers actions, so no fallback text is added"

    popup = wait_for(session.notification_window, REACT_S, "dunst to show the notification")
    x, y, w, h = session.window_geometry(popup)
    session.screenshot("notification-screen.png")
    session.screenshot("notification.png", crop=(max(0, x - 10), 0, min(1280 - max(0, x - 10), w + 20),
                                                 y + h + 10))  # fmt: skip

    offered = session.dunst_invoke_action("Snooze 30 min")
    labels = " | ".join(offered)
    assert "Start routine" in labels and "Snooze 30 min" in labels, offered
    assert all(title in line for line in offered), offered
    wait_for(lambda: "snooze" in events.names, REACT_S, "the Snooze button's callback")
    assert events.names == ["snooze"]
    assert events.threads == {"notifications"}, "callbacks run on the notifier's own thread"

    # dunst keeps the notification in its history once it is closed: title and body as sent.
    session.dunst_close_all()
    history = wait_for(lambda: [e for e in session.dunst_history() if e["summary"] == title], REACT_S,
                       "the notification in dunst's history")  # fmt: skip
    assert history[0]["body"] == body
    assert history[0]["appname"] == "PostureGuard"


@pytest.mark.e2e
def test_clicking_the_notification_body_fires_on_clicked(desktop_session: DesktopSession, notifier):
    session = desktop_session
    events = Events()
    notifier.send(
        "Sitting reminder",
        "You have been sitting for 45 minutes.",
        buttons=[("Start routine", events.callback("start"))],
        on_clicked=events.callback("clicked"),
    )
    popup = wait_for(session.notification_window, REACT_S, "dunst to show the notification")
    x, y, w, h = session.window_geometry(popup)
    # A real pointer click on the popup: dunst runs the "default" action, which desktop-notifier
    # registers for on_clicked.
    session.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1")
    wait_for(lambda: events.names, REACT_S, "a callback after clicking the notification")
    assert events.names == ["clicked"]


@pytest.mark.e2e
def test_closing_the_notification_fires_on_dismissed(desktop_session: DesktopSession, notifier):
    session = desktop_session
    events = Events()
    notifier.send("Break taken", "Nice stretch.", on_dismissed=events.callback("dismissed"))
    popup = wait_for(session.notification_window, REACT_S, "dunst to show the notification")
    x, y, w, h = session.window_geometry(popup)
    # Middle click is "close_current" in the session's dunstrc: a user dismissing it.
    session.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "2")
    wait_for(lambda: events.names, REACT_S, "on_dismissed after closing the notification")
    assert events.names == ["dismissed"]


@pytest.mark.e2e
def test_without_a_notification_server_nothing_breaks(bare_desktop_session: DesktopSession, monkeypatch):
    """No server owns org.freedesktop.Notifications on the bare bus (and nothing can be activated)."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_desktop_session.env["DBUS_SESSION_BUS_ADDRESS"])
    with DesktopNotifications() as service:
        assert service.capabilities() == frozenset()
        identifier = service.send("Sit up", "Body", buttons=[("Start routine", lambda: None)])
        assert identifier
        assert service.sent[-1].buttons == ()
        assert service.sent[-1].body.endswith(notif.DEFAULT_FALLBACK)
    assert bare_desktop_session.bus_name_owner_pid("org.freedesktop.Notifications") is None


_MINIMAL_SERVER = '''\
"""A notification server that shows text only (no "actions" capability), like some minimal daemons."""
import asyncio
import json
import sys

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal

received = sys.argv[1]


class Notifications(ServiceInterface):
    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.last_id = 0

    @method()
    def GetCapabilities(self) -> "as":
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["text-only-test-server", "postureguard-tests", "1.0", "1.2"]

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s", body: "s",
               actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":
        self.last_id += 1
        with open(received, "a") as stream:
            stream.write(json.dumps({"app_name": app_name, "summary": summary, "body": body,
                                     "actions": actions}) + "\\n")
        return self.last_id

    @method()
    def CloseNotification(self, notification_id: "u"):
        self.NotificationClosed(notification_id, 3)

    @signal()
    def NotificationClosed(self, notification_id, reason) -> "uu":
        return [notification_id, reason]


async def main():
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Notifications())
    await bus.request_name("org.freedesktop.Notifications")
    await asyncio.Event().wait()


asyncio.run(main())
'''


@pytest.mark.e2e
def test_server_without_actions_gets_the_fallback_text(
    bare_desktop_session: DesktopSession, monkeypatch, tmp_path
):
    """Buttons are left out and the body says where to act instead, as the server receives it."""
    import json

    session = bare_desktop_session
    script = tmp_path / "text_only_server.py"
    script.write_text(_MINIMAL_SERVER)
    received = tmp_path / "received.jsonl"
    server = session.popen([sys.executable, str(script), str(received)], "text-only-server.log")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        wait_for(lambda: session.bus_name_owner_pid("org.freedesktop.Notifications") == server.pid, START_S,
                 "the text-only server to own org.freedesktop.Notifications")  # fmt: skip
        with DesktopNotifications(app_name="PostureGuard") as service:
            caps = service.capabilities()
            assert notif.BODY in caps and notif.ACTIONS not in caps
            hint = "Click the PostureGuard icon in the tray to start the routine."
            service.send(
                "Time to sit up",
                "Your head has been about 20° forward for 2 minutes.",
                buttons=[("Start routine", lambda: None), ("Snooze 30 min", lambda: None)],
                fallback=hint,
            )
            got = wait_for(lambda: [json.loads(line) for line in _marks(received)], REACT_S,
                           "the server to receive the notification")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=EXIT_S)
    assert got[0]["summary"] == "Time to sit up"
    assert got[0]["body"] == f"Your head has been about 20° forward for 2 minutes.\n{hint}"
    assert "Start routine" not in got[0]["actions"] and "Snooze 30 min" not in got[0]["actions"]
    wait_for(lambda: session.bus_name_owner_pid("org.freedesktop.Notifications") is None, REACT_S,
             "the server's name to be released")  # fmt: skip


@pytest.mark.e2e
def test_session_teardown_ends_every_process_even_after_an_error():
    import desktop

    class Boom(Exception):
        pass

    pids: dict[str, int] = {}
    workdir = None
    try:
        with desktop.start_session() as session:
            pids = session.pids()
            workdir = session.workdir
            session.popen([sys.executable, "-c", "import time; time.sleep(600)"], "sleeper.log")
            pids["sleeper"] = session.pids()["sleeper"]
            raise Boom
    except desktop.SessionUnavailable as exc:
        pytest.skip(str(exc))
    except Boom:
        pass
    assert {"xvfb", "dbus-daemon", "dunst", "trayer", "sleeper"} <= set(pids), pids
    for name, pid in pids.items():
        wait_for(lambda pid=pid: not desktop.pid_alive(pid), EXIT_S, f"{name} (pid {pid}) to end")
    assert workdir is not None and not workdir.exists()
