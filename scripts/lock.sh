#!/usr/bin/env bash
# Write requirements.lock anew from pyproject.toml: every dependency (with the test and linux-tray
# extras) pinned to one version per Python, with the hashes pip checks on install.
#   scripts/lock.sh
# Run it after changing a dependency in pyproject.toml, then run scripts/test.sh and commit both.
# MediaPipe is held at 0.10.33, the newest release without the built-in usage logger (README, Privacy).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
python3 -m venv "$tool/venv"
"$tool/venv/bin/python" -m pip install --quiet uv
printf 'mediapipe==0.10.33\n' > "$tool/constraints.txt"
"$tool/venv/bin/uv" pip compile pyproject.toml --extra test --extra linux-tray \
    -c "$tool/constraints.txt" --universal --python-version 3.10 --generate-hashes --no-header \
    -o requirements.lock
echo "wrote requirements.lock"
