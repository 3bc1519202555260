"""``postureguard install-desktop`` and ``uninstall-desktop``: the applications-menu entry and icon.

``install-desktop`` is what ``scripts/setup.sh`` runs before starting the tray app, so a fresh user
finds PostureGuard in the menu; it only rewrites what changed. ``uninstall-desktop`` removes the entry,
the icon and the start-at-login entry, and saves ``start_at_login = false`` so the settings and the
desktop agree (``doctor`` would otherwise warn). Each file dealt with is one line on stdout.
"""

from __future__ import annotations

import contextlib
import sys

from postureguard.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "install-desktop",
        help=_("put PostureGuard and its icon in the applications menu (for this user)"),
        description=_("Write the applications-menu entry and the icon into your data folder "
                      "($XDG_DATA_HOME, normally ~/.local/share). Safe to run again: unchanged files are "
                      "left alone."),
    )
    p.set_defaults(func=run_install)
    p = sub.add_parser(
        "uninstall-desktop",
        help=_("remove the menu entry, the icon and start at login"),
        description=_("Remove the applications-menu entry, the icon and the start-at-login entry that "
                      "PostureGuard installed, and turn the start_at_login setting off. Your settings and "
                      "history stay."),
    )
    p.set_defaults(func=run_uninstall)


def run_install(args) -> int:
    from postureguard.platform import desktop_menu

    for item in desktop_menu.install():
        sys.stdout.write(item.line() + "\n")
    return 0


def _turn_off_start_at_login() -> str | None:
    """Save ``start_at_login = false`` when it is on; returns the settings file changed, or None."""
    from postureguard.files import paths
    from postureguard.settings.config import load_settings, save_settings, with_value

    target = paths.settings_file()
    if not target.exists():
        return None
    with contextlib.ExitStack() as stack:
        # Under the settings file's lock, like `config set`: a settings window saving at the same
        # time must not undo this change or lose its own.
        stack.enter_context(paths.output_lock(target, wait=True))
        result = load_settings()
        if not result.settings.start_at_login:
            return None
        save_settings(with_value(result.settings, "start_at_login", "false"), result.path)
    return str(result.path)


def run_uninstall(args) -> int:
    from postureguard.platform import autostart, desktop_menu

    for item in desktop_menu.uninstall():
        sys.stdout.write(item.line() + "\n")
    state = autostart.disable()
    sys.stdout.write(_("start at login: removed {path}").format(path=state.location) + "\n")
    changed = _turn_off_start_at_login()
    if changed:
        sys.stdout.write("start_at_login = false " + _("(saved to {path})").format(path=changed) + "\n")
    return 0
