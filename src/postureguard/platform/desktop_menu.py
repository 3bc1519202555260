"""The applications-menu entry and the icon, for XDG desktops (GNOME, KDE Plasma, Xfce, ...).

:func:`install` writes, for the current user only:

* ``$XDG_DATA_HOME/applications/postureguard.desktop`` (``~/.local/share`` when the variable is unset),
  a desktop entry that starts the installed ``postureguard`` program, with a "Settings" action;
* ``$XDG_DATA_HOME/icons/hicolor/scalable/apps/postureguard.svg``, the icon that entry, the start-at-login
  entry and the notifications name (``Icon=postureguard``).

Both are rewritten only when their content differs, so running it on every start (``scripts/setup.sh``
does) is free. :func:`uninstall` removes both; the command line also switches start-at-login off. Only
the desktop-entry text is built here (:func:`menu_entry`, pure); the files are plain writes. Windows and
macOS have other menus and are not handled.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from postureguard.errors import UserError
from postureguard.files.resources import app_icon_path
from postureguard.i18n import N_, _
from postureguard.platform.autostart import desktop_exec_line, launch_argv

log = logging.getLogger(__name__)

DESKTOP_FILE_NAME = "postureguard.desktop"
ICON_NAME = "postureguard"

#: Words the menus' search matches besides the name and comment (lower case, ``;``-separated).
KEYWORDS = ("posture", "neck", "break", "acupressure", "ergonomics", "webcam", "sitting")
#: The entry's texts; each is also written in every translated language (``GenericName[de]=...``), so
#: the menu shows and finds PostureGuard in the desktop's language.
GENERIC_NAME = N_("Posture reminder")
COMMENT = N_("Watches your posture through the webcam and suggests short acupressure breaks")
#: The search words in another language (``;``-separated, as the entry writes them), besides the English.
KEYWORDS_TEXT = N_("posture;neck;break;acupressure;ergonomics;webcam;sitting")
SETTINGS_NAME = N_("Settings")


def _localized(key: str, message: str, suffix: str = "") -> str:
    """``key[lang]=<message in lang>`` lines for each translated language (none where it is untranslated)."""
    import gettext

    from postureguard.i18n import LANGUAGES, locale_dir

    lines = []
    for lang in LANGUAGES[1:]:
        catalog = gettext.translation("postureguard", locale_dir(), languages=[lang], fallback=True)
        text = catalog.gettext(message)
        if text != message:
            lines.append(f"{key}[{lang}]={text}{suffix}\n")
    return "".join(lines)


class DesktopMenuError(UserError):
    """The menu entry or the icon cannot be written or removed (the message names the file)."""


@dataclass(frozen=True)
class Installed:
    """One file :func:`install` or :func:`uninstall` dealt with, and what happened to it."""

    path: Path
    #: "written", "unchanged", "removed" or "absent".
    action: str
    #: What the file is, for messages ("menu entry", "icon").
    what: str

    def line(self) -> str:
        return f"{self.what}: {self.action} {self.path}"


def xdg_data_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when it is unset or relative (the XDG rule)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME", "")
    home = Path(env.get("HOME") or Path.home())
    return Path(base) if base and Path(base).is_absolute() else home / ".local" / "share"


def menu_entry_path(env: Mapping[str, str] | None = None) -> Path:
    return xdg_data_home(env) / "applications" / DESKTOP_FILE_NAME


def icon_path(env: Mapping[str, str] | None = None) -> Path:
    return xdg_data_home(env) / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg"


def menu_entry(argv: Sequence[str]) -> str:
    """The text of the applications-menu entry that starts ``argv`` (Desktop Entry Specification 1.4).

    ``StartupNotify`` is false because the tray app maps no window of its own at start: a launch
    cursor would spin until the desktop gives up. A second start only says that PostureGuard is already
    running, so the menu should not offer "New window": that is ``X-GNOME-SingleWindow``, because the
    standard ``SingleMainWindow`` (specification 1.5) is refused by the desktop-file-validate that
    Debian 12 ships (desktop-file-utils 0.26), and menus ignore keys they do not know anyway. Menus
    notice the new file by watching the folder; no MIME types are declared, so there is no cache to
    refresh.
    """
    exec_line = desktop_exec_line(argv)
    settings_line = desktop_exec_line([*argv, "settings"])
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.4\n"
        "Name=PostureGuard\n"
        f"GenericName={GENERIC_NAME}\n"
        + _localized("GenericName", GENERIC_NAME)
        + f"Comment={COMMENT}\n"
        + _localized("Comment", COMMENT)
        + f"Keywords={';'.join(KEYWORDS)};\n"
        + _localized("Keywords", KEYWORDS_TEXT, ";")
        + f"Exec={exec_line}\n"
        f"Icon={ICON_NAME}\n"
        "Terminal=false\n"
        "Categories=Utility;\n"
        "StartupNotify=false\n"
        "X-GNOME-SingleWindow=true\n"
        "Actions=settings;\n"
        "\n"
        "[Desktop Action settings]\n"
        f"Name={SETTINGS_NAME}\n"
        + _localized("Name", SETTINGS_NAME)
        + f"Exec={settings_line}\n"
    )


#: The error texts by file ("icon", "menu entry") and action; whole sentences, for translation.
_CANNOT = {
    ("write", "icon"): N_("cannot write the icon {path}: {reason}"),
    ("write", "menu entry"): N_("cannot write the menu entry {path}: {reason}"),
    ("remove", "icon"): N_("cannot remove the icon {path}: {reason}"),
    ("remove", "menu entry"): N_("cannot remove the menu entry {path}: {reason}"),
}


def _cannot(action: str, what: str, path: Path, exc: OSError) -> DesktopMenuError:
    text = _(_CANNOT.get((action, what), "cannot " + action + " the " + what + " {path}: {reason}"))
    return DesktopMenuError(text.format(path=path, reason=exc.strerror or exc))


def _put(path: Path, data: bytes, what: str) -> Installed:
    """Write ``data`` to ``path`` (0644, atomically) unless it already holds exactly that."""
    from postureguard.files.paths import write_atomic

    try:
        if path.is_file() and path.read_bytes() == data:
            return Installed(path, "unchanged", what)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Menus and icon themes are read by the desktop's own processes: 0644 like every such file.
        write_atomic(path, data, mode=0o644)
    except OSError as exc:
        raise _cannot("write", what, path, exc) from None
    log.info("%s written: %s", what, path)
    return Installed(path, "written", what)


def _remove(path: Path, what: str) -> Installed:
    try:
        path.unlink()
    except FileNotFoundError:
        return Installed(path, "absent", what)
    except OSError as exc:
        raise _cannot("remove", what, path, exc) from None
    log.info("%s removed: %s", what, path)
    return Installed(path, "removed", what)


def install(env: Mapping[str, str] | None = None, argv: Sequence[str] | None = None) -> list[Installed]:
    """Put the menu entry and the icon in place for the current user (idempotent).

    ``argv`` is the command the entry runs (default :func:`~postureguard.platform.autostart.launch_argv`).
    Raises :class:`DesktopMenuError` naming the file that cannot be written.
    """
    argv = list(argv) if argv is not None else launch_argv()
    done = [
        _put(icon_path(env), app_icon_path().read_bytes(), "icon"),
        _put(menu_entry_path(env), menu_entry(argv).encode("utf-8"), "menu entry"),
    ]
    return done


def uninstall(env: Mapping[str, str] | None = None) -> list[Installed]:
    """Remove the menu entry and the icon (what is not there is fine)."""
    return [_remove(menu_entry_path(env), "menu entry"), _remove(icon_path(env), "icon")]


def is_installed(env: Mapping[str, str] | None = None) -> bool:
    """Whether the menu entry is in place (for ``doctor``)."""
    return menu_entry_path(env).is_file()
