"""A short alert sound: the freedesktop sound theme's ``message-new-instant`` event, at the system volume.

The sound is played by libcanberra's ``canberra-gtk-play`` (Debian: gnome-session-canberra, with the
theme in sound-theme-freedesktop), which looks the event up in the desktop's sound theme and plays it
through the sound server (PulseAudio or PipeWire) as an event sound, so the desktop's own volume and
mute for event sounds apply. Without it, ``paplay`` (pulseaudio-utils) plays the theme's file
directly. Without either, nothing plays and one log line says what to install.

:meth:`AlertSound.play` never blocks its caller (the sink): the player runs as a child process and a
daemon thread waits for it and logs its exit status.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from postureguard.i18n import N_, _

log = logging.getLogger(__name__)

#: The sound theme event played (freedesktop sound naming specification).
EVENT_ID = "message-new-instant"
#: Where Debian's sound-theme-freedesktop puts that event's file (for ``paplay``).
THEME_FILES = (
    Path("/usr/share/sounds/freedesktop/stereo/message-new-instant.oga"),
    Path("/usr/share/sounds/freedesktop/stereo/message.oga"),
)
#: Seconds a player may take before it is stopped (the event is well under a second long).
PLAY_TIMEOUT_S = 10.0
#: What to install when no player is found (Debian package names).
INSTALL_HINT = N_("install gnome-session-canberra and sound-theme-freedesktop (canberra-gtk-play)")


@dataclass(frozen=True)
class Player:
    """A way to play the alert sound: the program's name and the full argument list."""

    name: str
    argv: tuple[str, ...]


def find_player(which=shutil.which, theme_files: tuple[Path, ...] = THEME_FILES) -> Player | None:
    """The first available player: ``canberra-gtk-play`` (the theme event), else ``paplay`` with the
    theme's file; None when neither is there."""
    canberra = which("canberra-gtk-play")
    if canberra:
        return Player("canberra-gtk-play", (canberra, "--id", EVENT_ID, "--description", "PostureGuard"))
    paplay = which("paplay")
    sound = next((f for f in theme_files if f.is_file()), None)
    if paplay and sound is not None:
        return Player("paplay", (paplay, str(sound)))
    return None


def status_line() -> str:
    """One line for ``doctor``: which player plays the alert sound, or what to install."""
    player = find_player()
    if player is None:
        return _("no sound player: {hint}").format(hint=_(INSTALL_HINT))
    return _("{name} plays the sound theme event {event}").format(name=player.name, event=EVENT_ID)


class AlertSound:
    """Plays the alert sound in the background; says once when it cannot."""

    def __init__(self, player: Player | None | bool = True) -> None:
        """``player``: True finds one on the first play; None means none (tests of the hint)."""
        self._player = player
        self._warned = False
        self.last: subprocess.Popen | None = None

    def _resolve(self) -> Player | None:
        if self._player is True:
            self._player = find_player()
        return self._player if isinstance(self._player, Player) else None

    def play(self) -> bool:
        """Start the sound; False (and one log line per run) when no player exists or it cannot start."""
        player = self._resolve()
        if player is None:
            if not self._warned:
                self._warned = True
                log.warning("alert sound: no sound player; %s", INSTALL_HINT)
            return False
        try:
            proc = subprocess.Popen(
                player.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True, close_fds=True,
            )  # fmt: skip
        except OSError as exc:
            log.warning("alert sound: cannot start %s: %s", player.name, exc)
            return False
        self.last = proc
        log.info("alert sound requested: %s %s", player.name, EVENT_ID)
        threading.Thread(target=self._wait, args=(player, proc), name="alert-sound", daemon=True).start()
        return True

    @staticmethod
    def _wait(player: Player, proc: subprocess.Popen) -> None:
        try:
            _out, err = proc.communicate(timeout=PLAY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            log.warning("alert sound: %s did not finish in %.0f s", player.name, PLAY_TIMEOUT_S)
            return
        if proc.returncode == 0:
            log.info("alert sound played by %s", player.name)
        else:
            # Typically no sound server or no audio device: the request was made, nothing could play it.
            detail = (err or "").strip().splitlines()
            log.warning("alert sound: %s failed (exit %d)%s", player.name, proc.returncode,
                        f": {detail[-1]}" if detail else "")  # fmt: skip
