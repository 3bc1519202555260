"""The engine is a functional core: no camera, model, GUI, database or clock inside it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "src" / "postureguard" / "engine"
FORBIDDEN_MODULES = {
    "cv2",
    "mediapipe",
    "sqlite3",
    "tkinter",
    "pystray",
    "gi",
    "PIL",
    "desktop_notifier",
    "time",
    "datetime",
    "os",
    "pathlib",
    "threading",
    "asyncio",
    "socket",
    "numpy",
}


# Modules the import test really blocks (the standard library's own helpers must stay importable).
BLOCKED = sorted(FORBIDDEN_MODULES - {"time", "os", "datetime", "pathlib"})


def test_engine_imports_without_cv2_mediapipe_or_gui():
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {BLOCKED!r}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "for m in ('cv2', 'mediapipe', 'sqlite3', 'tkinter', 'numpy'): sys.modules.pop(m, None)\n"
        "from postureguard.engine.core import PostureEngine\n"
        "from postureguard.engine.settings import EngineSettings\n"
        "e = PostureEngine(EngineSettings())\n"
        "print(e.update(None, 0.0).sample.state)\n"
    )
    src = str(ENGINE.parents[1])
    out = subprocess.run(
        [sys.executable, "-c", blocker],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "uncalibrated"


def test_engine_source_names_no_io_or_clock():
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id != "open", f"{path.name} opens a file"
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"
