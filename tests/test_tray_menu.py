"""The tray menu as pystray builds it: the sitting reminder always shows the current value ticked.

pystray picks its backend when first imported, so the menu is built in a child process with the
``dummy`` backend (menus and their callables are pystray's own; nothing is drawn).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from postureguard.ui.tray import SITTING_CHOICES, other_sitting_label

_CHILD = r"""
import json, sys, types
import pystray
from postureguard.runtime.messages import TrayIcon, TrayState
from postureguard.ui.tray import Tray

limit = int(sys.argv[1])
state = TrayState(icon=TrayIcon.GOOD, tooltip="PostureGuard", paused=False, sensitivity="medium",
                  sitting_limit_min=limit, suggestion_title=None, status_line="")
holder = types.SimpleNamespace(state=state, app=None, routines=[("neck-release", "Neck release")])
menu = Tray._menu(holder, pystray)
sitting = next(item for item in menu.items if item.text == "Sitting reminder")
shown = [(item.text, item.checked) for item in sitting.submenu.items if item.visible]
print(json.dumps(shown))
"""


def _sitting_menu(limit: int) -> list[tuple[str, bool]]:
    env = {**os.environ, "PYSTRAY_BACKEND": "dummy"}
    run = subprocess.run([sys.executable, "-c", _CHILD, str(limit)], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [tuple(entry) for entry in json.loads(run.stdout)]


@pytest.mark.parametrize("limit", [50, 30, 0, 40])
def test_exactly_the_current_sitting_limit_is_ticked(limit):
    shown = _sitting_menu(limit)
    ticked = [text for text, checked in shown if checked]
    assert len(ticked) == 1, shown
    if limit == 40:  # set in the settings file: it gets its own item
        assert ticked == ["40 min (your setting)"] and len(shown) == len(SITTING_CHOICES) + 1
    else:
        assert ticked == [dict(SITTING_CHOICES)[limit]] and len(shown) == len(SITTING_CHOICES)


def test_the_default_is_offered_and_thirty_minutes_is_the_stand_up_nudge():
    labels = dict(SITTING_CHOICES)
    assert "default" in labels[50] and "break" in labels[60]
    assert "stand-up nudge" in labels[30] and "walk 2–5 min" in labels[30]
    assert other_sitting_label(50) is None and other_sitting_label(25) == "25 min (your setting)"
