"""The icon every notification carries: PostureGuard's own application icon, never a tray state.

A "Time to sit up" alert with the tray's green "good posture" tick beside it says the opposite of its
text, so notifications show the application icon (data/postureguard.svg, the one the applications
menu shows). Checked against the SVG as a real renderer draws it, and through the real notification
server of the private desktop session (dunst).
"""

from __future__ import annotations

import stat
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from desktop import REACT_S, DesktopSession, wait_for
from postureguard.files.resources import app_icon_path
from postureguard.ui.icons import STATES, app_icon, icon_for


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two RGBA images, 0-255 per channel, over all four channels."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGBA"), b.convert("RGBA"))).mean) / 4


def _svg_rendered(size: int) -> Image.Image:
    """data/postureguard.svg rasterised by librsvg through GdkPixbuf (what GTK desktops use)."""
    gi = pytest.importorskip("gi")
    gi.require_version("GdkPixbuf", "2.0")
    from gi.repository import GdkPixbuf

    if "svg" not in {f.get_name() for f in GdkPixbuf.Pixbuf.get_formats()}:
        pytest.skip("GdkPixbuf has no SVG loader (librsvg2-common) here")
    pixbuf = GdkPixbuf.Pixbuf.new_from_file_at_size(str(app_icon_path()), size, size)
    mode = "RGBA" if pixbuf.get_has_alpha() else "RGB"
    return Image.frombytes(mode, (pixbuf.get_width(), pixbuf.get_height()), pixbuf.get_pixels(), "raw", mode,
                           pixbuf.get_rowstride())  # fmt: skip


def test_the_notification_icon_is_the_application_icon_not_the_good_posture_tick(isolated_home):
    from postureguard.commands.run import notification_icon

    path = notification_icon()
    assert path.parent == isolated_home / "data" and stat.S_IMODE(path.stat().st_mode) == 0o600
    with Image.open(path) as image:
        written = image.convert("RGBA")
    assert written.size == (128, 128)
    svg = _svg_rendered(128)
    # The SVG as librsvg draws it and our drawing agree to the edge pixels; every tray state is far off.
    assert _difference(written, svg) < 4
    assert _difference(written, app_icon(128)) == 0
    for state in STATES:
        assert _difference(written, icon_for(state, 128)) > 25, state
    # The shapes of the SVG: transparent corners (rounded square), white head and shoulders on green.
    assert written.getpixel((1, 1))[3] == 0
    assert written.getpixel((64, 38))[:3] == (255, 255, 255)  # head (32, 19 on the 64 grid)
    assert written.getpixel((64, 100))[:3] == (255, 255, 255)  # shoulders
    r, g, b, a = written.getpixel((14, 64))
    assert g > 140 and r < 80 and b < 100 and a == 255  # the green ground beside them
    with pytest.raises(ValueError):
        app_icon(8)


@pytest.mark.e2e
def test_a_sit_up_notification_reaches_the_server_with_the_application_icon(
    desktop_session: DesktopSession, isolated_home
):
    """The real notifier hands the icon to dunst with a sitting alert; dunst shows it (screenshot)."""
    session = desktop_session
    session.dunst_close_all()
    script = textwrap.dedent("""
        from postureguard.commands.run import notification_icon
        from postureguard.platform.notifications import DesktopNotifications

        notifier = DesktopNotifications(app_icon=notification_icon())
        notifier.capabilities()
        notifier.send("Time to sit up", "Your head has been about 8° more forward than your upright.")
        print("sent", flush=True)
        import time
        time.sleep(30)
    """)  # fmt: skip
    env = dict(session.env, POSTUREGUARD_HOME=str(isolated_home))
    proc = session.popen([sys.executable, "-c", script], "notification-icon.log", env=env)
    try:
        popup = wait_for(session.notification_window, REACT_S, "the sit-up notification")
        x, y, w, h = session.window_geometry(popup)
        shot = session.screenshot("notification-sit-up-icon.png", crop=(x, y, w, h))
        with Image.open(shot) as image:
            pixels = image.convert("RGB")
        # The icon's green square is in the popup (the "good" tray icon's green disc would be there
        # too, so the white head-and-shoulders shape is what tells them apart: checked above).
        data = pixels.tobytes()
        rgb = zip(data[0::3], data[1::3], data[2::3], strict=True)
        greens = sum(1 for r, g, b in rgb if g > 130 and r < 90 and b < 100)
        assert greens > 400, greens
        session.dunst_close_all()
        entry = wait_for(lambda: [e for e in session.dunst_history() if e["summary"] == "Time to sit up"],
                         REACT_S, "the notification in dunst's history")[0]  # fmt: skip
        icon = Path(str(entry["icon_path"]).removeprefix("file://"))
        assert icon == isolated_home / "data" / "notification-icon.png", entry
        with Image.open(icon) as image:
            assert _difference(image, app_icon(128)) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
