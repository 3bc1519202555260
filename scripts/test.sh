#!/usr/bin/env bash
# The README's test command, for a fresh Debian/Ubuntu machine:
#   scripts/test.sh [pytest arguments...]
# Installs the system packages the app and its desktop tests need (with sudo when not root), builds
# .venv from the package itself (a normal, non-editable install, so packaging is tested too), runs
# the linter, then pytest. Safe to run again: every step is idempotent.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
PYTHON="${PYTHON:-/usr/bin/python3}"

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
    # validates the start-at-login entry in tests/test_autostart.py
    desktop-file-utils
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "test.sh: need root or sudo to install Debian packages" >&2; exit 1; }
    sudo_cmd=(sudo)
fi

echo "--- apt packages"
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"

echo "--- virtual environment (.venv)"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --upgrade pip
.venv/bin/python -m pip install ".[test,linux-tray]"
# pip may keep an installed copy with the same version number; the code under test must be this one.
.venv/bin/python -m pip install --force-reinstall --no-deps .
.venv/bin/python -c "import tkinter, gi; gi.require_version('Gtk', '3.0')"

echo "--- ruff"
.venv/bin/ruff check .

echo "--- tests"
.venv/bin/python -m pytest -q "$@"
