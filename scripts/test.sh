#!/usr/bin/env bash
# The README's test command, for a fresh Debian/Ubuntu machine:
#   scripts/test.sh [pytest arguments...]
#   scripts/test.sh --latest [pytest arguments...]
# Installs the system packages the app and its desktop tests need (with sudo when not root), builds
# .venv with exactly the versions in requirements.lock (hash-checked), installs the package itself
# into it (a normal, non-editable install, so packaging is tested too), runs the linter and the type
# checker, then pytest. Safe to run again: every step is idempotent.
#
# --latest builds .venv-latest from the newest releases that pyproject.toml allows instead of the
# lock, so drift in a dependency shows up here before users meet it (not run by CI).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
PYTHON="${PYTHON:-/usr/bin/python3}"
VENV=.venv
LATEST=0
if [ "${1:-}" = "--latest" ]; then
    LATEST=1
    VENV=.venv-latest
    shift
fi

APT_PACKAGES=(
    # Python and what building PyGObject/pycairo from source needs (they publish no Linux wheels)
    python3 python3-venv python3-dev python3-tk build-essential pkg-config
    libgirepository1.0-dev libcairo2-dev
    # typelibs pystray's gtk and appindicator backends load at run time
    gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1
    # shared libraries OpenCV and MediaPipe wheels load
    libgl1 libglib2.0-0
    # the private desktop session of the e2e tests (tests/desktop.py)
    xvfb xauth dbus dbus-bin dbus-x11 dunst trayer xdotool x11-utils imagemagick fonts-dejavu-core
    # ... and its StatusNotifierItem host and watcher (tests/test_tray_sni.py)
    haskell-gtk-sni-tray-utils
    # validates the start-at-login and menu entries (tests/test_autostart.py, test_desktop_menu.py);
    # the hicolor theme and the SVG loader GTK needs to find and draw the installed icon
    desktop-file-utils hicolor-icon-theme librsvg2-common librsvg2-bin
    # the alert sound (canberra-gtk-play, the freedesktop sound theme) and the sound server with a
    # null sink it plays into (tests/test_alert_forms_e2e.py)
    gnome-session-canberra libcanberra-pulse sound-theme-freedesktop pulseaudio pulseaudio-utils
    # a compositing manager, for the translucent, fading on-screen cue (tests/test_alert_forms_e2e.py)
    xcompmgr
    # the kernel filter that refuses internet sockets (pyseccomp loads it), and the tests that
    # check privacy at the system-call level and run the desktop tests on a busy machine
    libseccomp2 strace stress-ng
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "test.sh: need root or sudo to install Debian packages" >&2; exit 1; }
    sudo_cmd=(sudo)
fi

echo "--- apt packages"
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"

echo "--- virtual environment ($VENV)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
if [ "$LATEST" = 1 ]; then
    "$VENV/bin/python" -m pip install --upgrade --upgrade-strategy eager ".[test,linux-tray]"
else
    # Exactly what was tested, hash-checked; then the package alone (its dependencies are all in the lock).
    "$VENV/bin/python" -m pip install --require-hashes -r requirements.lock
fi
# pip may keep an installed copy with the same version number; the code under test must be this one.
"$VENV/bin/python" -m pip install --force-reinstall --no-deps .
"$VENV/bin/python" -m pip check
"$VENV/bin/python" -m pip list --format=freeze | grep -iE '^(mediapipe|numpy|opencv-contrib-python|matplotlib)=' | tr '\n' ' '
echo
"$VENV/bin/python" -c "import tkinter, gi; gi.require_version('Gtk', '3.0')"

echo "--- ruff"
"$VENV/bin/ruff" check .

echo "--- mypy"
"$VENV/bin/mypy"

echo "--- import contracts (stages are layers; the engine is pure)"
"$VENV/bin/lint-imports" --no-cache

echo "--- tests"
export POSTUREGUARD_TEST_VENV="$VENV"
set +e
"$VENV/bin/python" -m pytest -q "$@"
code=$?
set -e
# pytest exits 5 when nothing was collected (e.g. a -k that matches nothing): that is a failure here.
exit "$code"
