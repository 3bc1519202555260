"""The package as a user installs it: the wheel carries the knowledge base and the model."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import postureguard
from postureguard.files import resources

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stderr
    (path,) = out.glob("postureguard-*.whl")
    return path


def test_wheel_contains_data_model_and_entry_point(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("postureguard/data/acupoints.json", "postureguard/models/pose_landmarker_lite.task",
                   "postureguard/models/README.md", "postureguard/engine/core.py",
                   "postureguard/data/postureguard.svg"):  # fmt: skip
        assert needed in names, needed
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "postureguard = postureguard.cli:entry" in zipfile.ZipFile(wheel).read(entry).decode()
    model = zipfile.ZipFile(wheel).read("postureguard/models/pose_landmarker_lite.task")
    import hashlib

    assert hashlib.sha256(model).hexdigest() == resources.POSE_MODEL_SHA256


SOURCE_CHECKOUT = "site-packages" not in postureguard.__file__


@pytest.mark.skipif(SOURCE_CHECKOUT, reason="running from a source checkout; CI tests the installed package")
def test_installed_package_finds_its_files_from_any_directory(tmp_path):
    package = Path(postureguard.__file__).resolve().parent
    assert resources.acupoints_path().is_relative_to(package)
    assert resources.verified_model_path().is_relative_to(package)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([sys.executable, "-m", "postureguard", "routines"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0 and "neck-release" in res.stdout, res.stderr
