#!/usr/bin/env bash
# Install what PostureGuard needs and start it:
#   scripts/setup.sh [postureguard arguments...]
# On Debian/Ubuntu it installs the system packages (with sudo when not root), creates .venv in the
# repository, installs PostureGuard into it with the Linux tray extra, then runs it. Run it again
# at any time: packages and the environment already in place are kept, and the package is only
# reinstalled when the sources changed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
APT_PACKAGES=(
    python3 python3-venv python3-dev python3-tk build-essential pkg-config
    libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1
    libgl1 libglib2.0-0 libseccomp2
    gnome-session-canberra sound-theme-freedesktop
)

say() { printf 'setup: %s\n' "$*" >&2; }

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing system packages: ${missing[*]}"
        sudo_cmd=()
        if [ "$(id -u)" -ne 0 ]; then
            command -v sudo >/dev/null 2>&1 || { say "need root or sudo to install: ${missing[*]}"; exit 1; }
            sudo_cmd=(sudo)
        fi
        "${sudo_cmd[@]}" apt-get update
        "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "${missing[@]}"
    fi
else
    say "not a Debian-like system: install the equivalents of ${APT_PACKAGES[*]} yourself"
fi

if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.postureguard-installed
if [ ! -e "$stamp" ] || [ -n "$(find pyproject.toml requirements.lock src data models -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    say "installing PostureGuard into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    # Exactly the versions that were tested (hash-checked), then PostureGuard itself.
    .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
    # Same version number as an earlier install: make sure the code in .venv is this checkout's.
    .venv/bin/python -m pip install --quiet --force-reinstall --no-deps .
    touch "$stamp"
fi

# The applications-menu entry and icon, so PostureGuard can be found like any other app (idempotent;
# 'postureguard uninstall-desktop' removes them). A failure is reported but does not stop the start.
.venv/bin/postureguard install-desktop >/dev/null || say "could not add PostureGuard to the applications menu"

exec .venv/bin/postureguard "$@"
