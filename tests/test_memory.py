"""Dropping the resident pages of MediaPipe's start-up code (postureguard.platform.memory) on the real
model: what was dropped is mapped back when it runs, and the landmarks stay the same."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from photos import photo
from postureguard.platform.memory import _code_mappings, drop_resident_code
from postureguard.vision.pose import MEDIAPIPE_LIBRARY, MediaPipePose

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/smaps is Linux's")


def test_dropped_code_runs_again_with_the_same_landmarks():
    with MediaPipePose(mode="image") as m:
        image = photo("astronaut")
        before = m.detect(image, 0.0)
        # The frame ran MediaPipe's code again after the build dropped it: there is some to drop.
        assert drop_resident_code(MEDIAPIPE_LIBRARY) > 0.0
        after = m.detect(image, 0.0)
    assert before is not None and after is not None
    assert after.image == before.image and after.world == before.world


def test_only_unchanged_code_of_the_named_library_is_touched():
    with MediaPipePose(mode="image"):
        mappings = _code_mappings(MEDIAPIPE_LIBRARY)
        assert mappings  # the library's code (r-xp) is found ...
        maps = Path("/proc/self/maps").read_text().splitlines()
        for start, end, _rss in mappings:
            line = next(x for x in maps if x.startswith(f"{start:x}-{end:x} "))
            assert line.split()[1] == "r-xp" and line.endswith(MEDIAPIPE_LIBRARY)
        # ... and its relocated, writable or read-only data is not.
        data = [x for x in maps if x.endswith(MEDIAPIPE_LIBRARY) and x.split()[1] != "r-xp"]
        assert data and not any(x.startswith(f"{s:x}-") for x in data for s, _e, _r in mappings)
    assert drop_resident_code("no-such-library.so") == 0.0
