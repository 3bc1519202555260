"""Shared fixtures: an isolated home for every test, the optional shared data sets, and figures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSTUREGUARD_SHARED", REPO.parent / "shared")).resolve()
POSTURE_DATA = SHARED / "data" / "posture"

# Figures that tests measure (accuracy, AUC, ...), printed at the end of the run.
_FIGURES: list[str] = []


@pytest.fixture
def report_figure():
    """Call with a line of text; it is printed in the test session's summary."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own POSTUREGUARD_HOME, so nothing touches the real user's files."""
    home = tmp_path / "pg-home"
    monkeypatch.setenv("POSTUREGUARD_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def posture_data() -> Path:
    """../shared/data/posture, or a skip that says why (a user's fresh clone has none)."""
    if not POSTURE_DATA.is_dir():
        pytest.skip(f"shared posture data not found at {POSTURE_DATA} (only present beside the repo in CI)")
    return POSTURE_DATA


# ----- a real desktop session (Xvfb, D-Bus, dunst, trayer); see tests/desktop.py -------------------


def _desktop_unavailable(message: str):
    """CI must be able to run the desktop tests (it installs the packages), so there it is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"desktop session unavailable on CI: {message}", pytrace=False)
    pytest.skip(f"desktop session unavailable: {message}")


def _desktop(**options):
    import contextlib

    import desktop

    with contextlib.ExitStack() as stack:
        try:
            session = stack.enter_context(desktop.start_session(**options))
        except desktop.SessionUnavailable as exc:
            _desktop_unavailable(str(exc))
        yield session


@pytest.fixture(scope="session")
def desktop_session():
    """A full private desktop (Xvfb, session bus, dunst, trayer) shared by the whole test run."""
    yield from _desktop(with_dunst=True, with_tray=True)


@pytest.fixture(scope="session")
def sni_desktop_session():
    """An X server, a session bus and a StatusNotifierItem host and watcher (no XEmbed tray, no dunst)."""
    yield from _desktop(with_dunst=False, with_tray=False, with_sni=True)


@pytest.fixture(scope="session")
def bare_desktop_session():
    """An X server and a session bus with no tray host and no notification server."""
    yield from _desktop(with_dunst=False, with_tray=False)
