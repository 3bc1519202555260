"""The camera guide's bundled models (hand and face landmarkers): present, intact, refused when altered."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from postureguard.errors import ModelError
from postureguard.files import resources


@pytest.mark.parametrize("kind", ["hand", "face"])
def test_bundled_guide_model_matches_its_documented_hash(kind):
    path = resources.verified_guide_model_path(kind)
    name, expected = resources.GUIDE_MODELS[kind]
    assert path.name == name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == expected
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert expected in readme and name in readme


@pytest.mark.parametrize("kind", ["hand", "face"])
def test_altered_guide_model_is_refused_in_one_line(kind, tmp_path, monkeypatch):
    bad = tmp_path / resources.GUIDE_MODELS[kind][0]
    shutil.copy(resources.bundled_guide_model_path(kind), bad)
    with open(bad, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\0\1\2\3")
    monkeypatch.setattr(resources, "bundled_guide_model_path", lambda _kind: bad)
    with pytest.raises(ModelError, match=f"the {kind} model .* has been altered") as err:
        resources.verified_guide_model_path(kind)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kind", ["hand", "face"])
def test_missing_guide_model_is_named(kind, tmp_path, monkeypatch):
    gone = tmp_path / "absent.task"
    monkeypatch.setattr(resources, "bundled_guide_model_path", lambda _kind: gone)
    with pytest.raises(ModelError, match=f"the {kind} model is missing: .*absent.task"):
        resources.verified_guide_model_path(kind)


def test_wheel_ships_the_guide_models(tmp_path):
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(root)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("postureguard-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        for kind, (name, expected) in resources.GUIDE_MODELS.items():
            data = zf.read(f"postureguard/models/{name}")
            assert hashlib.sha256(data).hexdigest() == expected, kind
