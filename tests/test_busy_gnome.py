"""GNOME's do-not-disturb (show-banners off) read through the real gsettings, with a real schema.

The schema is Debian's (gsettings-desktop-schemas), compiled into a private folder; the values live in
a private keyfile (GSETTINGS_BACKEND=keyfile under a private XDG_CONFIG_HOME), so the test neither
reads nor changes the machine's settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import test_tray_e2e
from postureguard.platform.busy import BusyProbe, gnome_banners_off, is_gnome_session

scene = test_tray_e2e.scene  # the fixture: the clip, its calibration and the app's environment

SCHEMA_XML = Path("/usr/share/glib-2.0/schemas/org.gnome.desktop.notifications.gschema.xml")


@pytest.fixture
def gsettings_env(tmp_path, monkeypatch):
    missing = [p for p in ("gsettings", "glib-compile-schemas") if shutil.which(p) is None]
    if missing or not SCHEMA_XML.exists():
        pytest.skip(f"needs libglib2.0-bin and gsettings-desktop-schemas (missing: {missing or SCHEMA_XML})")
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    shutil.copy(SCHEMA_XML, schemas)
    subprocess.run(["glib-compile-schemas", str(schemas)], check=True, timeout=30)
    (tmp_path / "no-data").mkdir()
    monkeypatch.setenv("GSETTINGS_SCHEMA_DIR", str(schemas))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-data"))  # only our compiled schema
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("GSETTINGS_BACKEND", "keyfile")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")  # no bus here
    monkeypatch.delenv("DISPLAY", raising=False)
    return tmp_path


def _set(value: str) -> None:
    subprocess.run(["gsettings", "set", "org.gnome.desktop.notifications", "show-banners", value],
                   check=True, timeout=30)  # fmt: skip


def test_show_banners_off_is_do_not_disturb(gsettings_env):
    assert gnome_banners_off() is False  # the schema's default: banners on
    _set("false")
    keyfile = gsettings_env / "config" / "glib-2.0" / "settings" / "keyfile"
    assert "show-banners=false" in keyfile.read_text()
    assert gnome_banners_off() is True
    probe = BusyProbe()
    try:
        busy = probe.poll()
        assert busy.do_not_disturb and busy.dnd_source == "gnome", busy
        _set("true")
        assert probe.poll().do_not_disturb is False  # read afresh each time
    finally:
        probe.close()


def test_only_in_a_gnome_session(gsettings_env, monkeypatch):
    _set("false")
    assert is_gnome_session({"XDG_CURRENT_DESKTOP": "GNOME"})
    assert not is_gnome_session({"XDG_CURRENT_DESKTOP": "KDE"})
    assert not is_gnome_session({})
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")  # a setting left over from GNOME holds nothing
    probe = BusyProbe()
    try:
        assert probe.poll().do_not_disturb is False
    finally:
        probe.close()


def test_no_schema_cannot_tell(gsettings_env, monkeypatch):
    monkeypatch.setenv("GSETTINGS_SCHEMA_DIR", str(gsettings_env / "no-data"))
    with pytest.raises(OSError, match="schema"):
        gnome_banners_off()
    probe = BusyProbe()
    try:
        assert probe.poll().do_not_disturb is False
        assert probe._gsettings is None  # noqa: SLF001 - it stopped asking for the rest of the run
    finally:
        probe.close()



@pytest.mark.e2e
def test_the_app_holds_alerts_under_gnome_do_not_disturb(desktop_session, scene, gsettings_env):
    """`postureguard run` in a "GNOME" session (XDG_CURRENT_DESKTOP, the real schema and gsettings):
    banners off holds the posture alert with "held: do not disturb" in the tooltip; banners on again
    lets it out once."""
    from desktop import REACT_S, START_S, wait_for
    from test_holdback_e2e import _sent, _stop
    from test_tray_e2e import _wait_log, our_icons, start_app

    session = desktop_session
    # Not XDG_DATA_DIRS: GTK (the tray) needs the system's data; the schema is found in either place.
    keep = ("GSETTINGS_SCHEMA_DIR", "XDG_CONFIG_HOME", "GSETTINGS_BACKEND")
    env = {**scene["env"], **{k: os.environ[k] for k in keep}, "XDG_CURRENT_DESKTOP": "GNOME"}
    _set("false")
    log_name = "app-held-gnome.log"
    base = _sent(session)
    proc = start_app(session, {**scene, "env": env}, log_name)
    try:
        _wait_log(session, log_name, "do-not-disturb: gnome", "the app to read GNOME's setting")
        _wait_log(session, log_name, "alert held (do not disturb)", "the posture alert to be held")
        assert _sent(session) == base, session.dunst_history()
        held = "held: do not disturb"
        try:
            wait_for(lambda: [c for c in our_icons(session, proc, log_name) if held in c.name],
                     REACT_S, "the tooltip to say why alerts are held")  # fmt: skip
        except TimeoutError as exc:
            clients = [c.name for c in session.tray_clients()]
            raise AssertionError(f"{exc}; tray: {clients}\n{session.read_log(log_name)}") from None
        session.screenshot("held-gnome-tray.png", crop=(1280 - 320, 0, 320, 48), zoom=3)
        _set("true")
        _wait_log(session, log_name, "delivering a held alert", "the held alert to be delivered")
        wait_for(session.notification_window, START_S, "the delivered notification")
        session.dunst_close_all()
        assert _sent(session) == base + 1, session.dunst_history()
        assert session.read_log(log_name).count("delivering a held alert") == 1
    finally:
        _stop(proc)
