"""GNOME's do-not-disturb (show-banners off) read through the real gsettings, with a real schema.

The schema is Debian's (gsettings-desktop-schemas), compiled into a private folder; the values live in
a private keyfile (GSETTINGS_BACKEND=keyfile under a private XDG_CONFIG_HOME), so the test neither
reads nor changes the machine's settings.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from postureguard.platform.busy import BusyProbe, gnome_banners_off, is_gnome_session

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
