"""The tray through StatusNotifierItem: `postureguard run` in a session with a real SNI host and watcher.

The session (tests/desktop.py, ``with_sni=True``) runs gtk-sni-tray-standalone, a StatusNotifierItem
host that is also the org.kde.StatusNotifierWatcher, and no XEmbed tray: this is how KDE Plasma, Xfce,
GNOME with the AppIndicator extension and Wayland panels show tray icons. Everything is observed from
outside, as such a panel sees it: the item registered with the watcher, its properties (the icon file
the panel draws, the title that is the tooltip), its dbusmenu (com.canonical.dbusmenu), clicks sent
through that menu's ``Event`` method exactly as a panel sends them, the bar on screen, and the menu
the host draws when the icon is right-clicked, whose first entry is then chosen with the keyboard.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clips import calibrated_clip
from desktop import COMMAND_S, EXIT_S, REACT_S, START_S, DesktopSession, wait_for

pytestmark = pytest.mark.e2e

ITEM = "org.kde.StatusNotifierItem"
DBUSMENU = "com.canonical.dbusmenu"


@pytest.fixture
def app_env(tmp_path, sni_desktop_session: DesktopSession):
    """A clip (8 s upright, then a sustained lowered head), its calibration and the app's environment."""
    env = {**sni_desktop_session.env, "POSTUREGUARD_HOME": str(tmp_path / "pg")}
    clip, cal = calibrated_clip(tmp_path, env, 32, 400, timeout=COMMAND_S)
    return {"clip": clip, "cal": cal, "env": env, "home": tmp_path / "pg"}


def _our_item(session: DesktopSession, proc, log_name: str) -> tuple[str, str] | None:
    """``(bus name, object path)`` of the item the app registered with the watcher, once it has."""
    if proc.poll() is not None:
        raise AssertionError(f"the app exited early ({proc.returncode}):\n{session.read_log(log_name)}")
    for entry in session.sni_items():
        name = entry.partition("/")[0]
        if session.bus_name_owner_pid(name) == proc.pid:
            return session.sni_item_path(entry)
    return None


def _props(session: DesktopSession, item: tuple[str, str]) -> dict:
    return session.dbus_call(item[0], item[1], "org.freedesktop.DBus.Properties", "GetAll", "s", [ITEM])[0]


def _icon_file(props: dict) -> Path:
    """The file the panel draws: IconName is a path, or a name inside IconThemePath."""
    name = Path(props["IconName"])
    if name.is_absolute():
        return name
    return Path(props["IconThemePath"]) / f"{name}.png"


def _menu(session: DesktopSession, item: tuple[str, str], menu_path: str) -> dict[str, tuple[int, dict]]:
    """The dbusmenu's items by label, each ``(id, properties)``, submenus included (as panels read it)."""
    _revision, layout = session.dbus_call(item[0], menu_path, DBUSMENU, "GetLayout", "iias", [0, -1, []])
    found: dict[str, tuple[int, dict]] = {}

    def walk(node) -> None:
        node_id, props, children = node
        if "label" in props:
            found[props["label"].replace("_", "")] = (node_id, props)
        for child in children:
            walk(child)

    walk(layout)
    return found


def _click(session: DesktopSession, item: tuple[str, str], menu_path: str, label: str | None = None) -> None:
    """What a panel sends when the user picks the item ``label`` (None: the first item).

    The app rebuilds its menu on every state change (new item ids), and a panel re-reads the layout
    when told so; between our read and our click the menu may have been rebuilt, so a stale id is
    read afresh and sent again (with a deadline), as a panel would after LayoutUpdated.
    """
    from dbus_fast import Variant

    def sent() -> bool:
        menu = _menu(session, item, menu_path)
        item_id = menu[label][0] if label is not None else next(iter(menu.values()))[0]
        try:
            session.dbus_call(item[0], menu_path, DBUSMENU, "Event", "isvu",
                              [item_id, "clicked", Variant("i", 0), 0])  # fmt: skip
        except RuntimeError as exc:
            if "does not refer to a menu item" in str(exc):
                return False  # rebuilt meanwhile: read the layout again
            raise
        return True

    wait_for(sent, REACT_S, f"the menu item {label or '(first)'!r} to take the click")


def _icon_centre(session: DesktopSession) -> tuple[int, int]:
    """Screen position of our icon: the middle of what the host drew over its #333333 bar (top right)."""
    left, height = 1280 - 160, 32
    shot = session.screenshot("sni-bar.png", crop=(left, 0, 160, height))
    with Image.open(shot) as img:
        rgb = np.asarray(img.convert("RGB")).astype(int)
    drawn = np.abs(rgb - 0x33).sum(axis=2) > 90
    ys, xs = np.nonzero(drawn)
    assert xs.size, "no icon drawn in the bar"
    return left + int(np.median(xs)), int(np.median(ys))


def _share(path: Path, predicate) -> float:
    with Image.open(path) as img:
        pixels = np.asarray(img.convert("RGBA")).reshape(-1, 4).tolist()
    opaque = [p for p in pixels if p[3] > 128]
    return sum(predicate(*p[:3]) for p in opaque) / max(1, len(opaque))


def _orange(r, g, b) -> bool:
    return r > 180 and 60 < g < 140 and b < 60


def _green(r, g, b) -> bool:
    return g > 130 and r < 90 and b < 100


def _blue(r, g, b) -> bool:
    return b > 160 and r < 80


def test_tray_through_a_status_notifier_host(sni_desktop_session: DesktopSession, app_env):
    session = sni_desktop_session
    log_name = "app-sni.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(app_env["clip"]),
            "--calibration", str(app_env["cal"]), "--sustain", "5", "--sample-interval", "0.25"]  # fmt: skip
    proc = session.popen(argv, log_name, env=app_env["env"])
    try:
        # 1. The app chose the SNI path and registered an item with the watcher.
        item = wait_for(lambda: _our_item(session, proc, log_name), START_S, "the app's item at the watcher")
        assert "tray backend: appindicator (a StatusNotifierWatcher is on the session bus)" in \
            session.read_log(log_name)  # fmt: skip
        props = _props(session, item)
        assert props["Id"] == "postureguard" and props["Status"] == "Active", props
        assert props["Category"] == "ApplicationStatus", props
        # The title (what SNI hosts show as the name and, with AppIndicator items, the tooltip).
        assert props["Title"].startswith("PostureGuard"), props
        menu_path = props["Menu"]

        # 2. On screen: the host draws our icon (green, upright so far) in its bar at the top right.
        def icon_on_screen() -> Path | None:
            shot = session.screenshot("sni-tray.png", crop=(1280 - 160, 0, 160, 32), zoom=3)
            return shot if _share(shot, _green) > 0.02 else None

        wait_for(icon_on_screen, REACT_S, "the green icon in the SNI host's bar")

        # 3. The sustained lowered head turns the icon orange, with the tooltip's angle.
        def poor() -> dict | None:
            now = _props(session, item)
            return now if _share(_icon_file(now), _orange) > 0.3 else None

        now = wait_for(poor, START_S, "the poor-posture icon")
        assert "more forward than your upright" in now["Title"], now
        session.screenshot("sni-tray-poor.png", crop=(1280 - 160, 0, 160, 32), zoom=3)

        # 4. The menu, as the panel reads it: the suggested routine first, then the rest, Quit last.
        menu = _menu(session, item, menu_path)
        labels = list(menu)
        assert labels[0].startswith("Start suggested routine"), labels
        for wanted in ("Pause", "15 minutes", "Resume", "Sensitivity", "Calibrate now", "Settings…", "Quit"):
            assert wanted in menu, (wanted, labels)
        assert menu["Resume"][1].get("enabled", True) is False, menu["Resume"]

        # 5. Clicks through the menu act: Pause 15 min turns the icon blue and says so in the title.
        _click(session, item, menu_path, "15 minutes")

        def paused() -> dict | None:
            now = _props(session, item)
            return now if "paused" in now["Title"] and _share(_icon_file(now), _blue) > 0.3 else None

        wait_for(paused, REACT_S, "the paused icon and title")
        # The menu is rebuilt on every change (new item ids), so each click reads it afresh.
        resume = _menu(session, item, menu_path)["Resume"]
        assert resume[1].get("enabled", True) is True, resume
        session.screenshot("sni-tray-paused.png", crop=(1280 - 160, 0, 160, 32), zoom=3)
        _click(session, item, menu_path, "Resume")
        wait_for(lambda: "paused" not in _props(session, item)["Title"], REACT_S, "monitoring to resume")

        # On screen, as a person does it: a right-click on the icon in the bar opens the menu the host draws
        # from our dbusmenu; Down and Return pick its first item, which starts the suggested routine.
        x, y = _icon_centre(session)
        host = session.bus_name_owner_pid("org.kde.StatusNotifierWatcher")
        assert host, "the SNI host owns the watcher"
        before = set(session.search_windows(pid=host, visible=True))
        session.run("xdotool", "mousemove", str(x), str(y), "click", "3")  # this host: menu on button 3

        def menu_window() -> list[int]:
            new = set(session.search_windows(pid=host, visible=True)) - before
            return [w for w in new if session.window_geometry(w)[3] > 100]

        shown = wait_for(menu_window, REACT_S, "the host's menu on screen")
        mx, my, mw, mh = session.window_geometry(shown[0])
        # A row per top-level entry (more than a dozen): a whole menu, not a tooltip or a stub.
        assert mh > 12 * 20, (mw, mh)
        shot = session.settled_screenshot("sni-menu-on-screen.png", crop=(mx, my, mw, mh))
        assert _share(shot, lambda r, g, b: r > 200 and g > 200 and b > 200) > 0.3, "a drawn, light menu"
        session.key_to_grab("Down", "Return")
        player = wait_for(lambda: session.search_windows(name="^PostureGuard ", visible=True), START_S,
                          "the routine player window")  # fmt: skip
        assert player
        session.settled_screenshot("sni-player.png")
        _end_players(app_env["home"])

        # 6. Quit from the menu ends the app and its item leaves the watcher.
        _click(session, item, menu_path, "Quit")
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
        wait_for(lambda: item[0] not in (e.partition("/")[0] for e in session.sni_items()), REACT_S,
                 "the item to leave the watcher")  # fmt: skip
        log = session.read_log(log_name)
        assert "monitor stopped; source released: True" in log and "Traceback" not in log, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=EXIT_S)
        _end_players(app_env["home"])


def _end_players(home: Path) -> None:
    """End routine players started with this test's ``POSTUREGUARD_HOME`` (no one else's)."""
    import os

    wanted = f"POSTUREGUARD_HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"postureguard" in cmd and b"routine" in cmd and wanted in environ:
            os.kill(int(entry.name), signal.SIGTERM)
