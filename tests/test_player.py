"""The routine player: its pure core directly, and the real Tk window under Xvfb (``e2e``).

The end-to-end tests run ``python -m postureguard routine play`` as a real process in the private
desktop session of tests/desktop.py, drive it with xdotool key presses sent to its window, follow
what it does in its own log (``-vv``) and read the real SQLite history it writes under
POSTUREGUARD_HOME. Screenshots go to test-results/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop import COMMAND_S, EXIT_S, REACT_S, RESULTS_DIR, START_S, DesktopSession, wait_for
from postureguard.cli import main
from postureguard.history import open_store
from postureguard.knowledge.loader import load_knowledge
from postureguard.knowledge.recommender import SafetySettings
from postureguard.runtime.children import child_environment, launch_routine, player_command
from postureguard.ui import player as P

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


# ===== pure core ===================================================================================


def test_phases_split_both_sides_steps_into_left_then_right(kb):
    routine = kb.routine("neck-release")
    phases = P.plan_phases(kb, routine)
    assert [(p.step, p.side, p.seconds, p.part, p.parts) for p in phases] == [
        (0, "left", 90, 1, 2),
        (0, "right", 90, 2, 2),
        (1, "left", 180, 1, 1),
        (2, "right", 180, 1, 1),
        (3, "center", 60, 1, 1),
    ]
    assert sum(p.seconds for p in phases) == routine.total_seconds  # the advertised length holds
    short = P.plan_phases(kb, routine.with_variant("short"))
    assert sum(p.seconds for p in short) == routine.short_total_seconds
    assert {p.seconds for p in P.plan_phases(kb, routine, 2)} == {2}
    with pytest.raises(ValueError):
        P.plan_phases(kb, routine, 0)
    # a midline point is one phase, whatever its step says
    calm = P.plan_phases(kb, kb.routine("calm-stress"))
    assert calm[1].side == "center" and calm[1].parts == 1


def test_countdown_runs_phase_by_phase_and_marks_each_end(kb):
    phases = P.plan_phases(kb, kb.routine("neck-release"), 2)
    progress = P.start(phases)
    assert (progress.phase, progress.remaining) == (0, 2)
    progress, ended = P.advance(progress, phases, 0.5)
    assert not ended and progress.remaining == pytest.approx(1.5)
    progress, ended = P.advance(progress, phases, 1.6)
    assert ended and progress.phase == 1 and progress.remaining == 2
    for _ in range(3):
        progress, ended = P.advance(progress, phases, 2.0)
        assert ended
    assert progress.phase == 4
    progress, ended = P.advance(progress, phases, 2.0)
    assert ended and progress.finished
    assert P.steps_done(progress, phases) == 4
    assert P.outcome(4, 4) == "completed"
    assert P.advance(progress, phases, 5.0) == (progress, False)


def test_pause_next_and_back(kb):
    phases = P.plan_phases(kb, kb.routine("neck-release"), 10)
    progress = P.toggle_pause(P.start(phases))
    assert progress.paused
    assert P.advance(progress, phases, 100.0) == (progress, False)  # paused time does not count
    progress = P.toggle_pause(progress)
    progress, _ = P.advance(progress, phases, 6.0)  # 60 % of the left side
    progress = P.go_next(progress, phases)
    assert progress.phase == 1 and progress.remaining == 10 and not progress.paused
    progress = P.go_next(progress, phases)  # right side skipped at once
    assert progress.phase == 2
    assert P.steps_done(progress, phases) == 0  # step 1's right side was not practised
    progress = P.go_back(progress, phases)
    assert progress.phase == 1 and progress.remaining == 10
    progress, _ = P.advance(progress, phases, 5.0)  # half of the right side: enough
    progress = P.go_next(progress, phases)
    assert P.steps_done(progress, phases) == 1
    assert P.outcome(1, 4) == "partial" and P.outcome(0, 4) == "skipped"
    # back at the first phase restarts it; back from the end returns to the last phase
    first = P.go_back(P.start(phases), phases)
    assert first.phase == 0 and first.remaining == 10
    end = progress
    while not end.finished:
        end = P.go_next(end, phases)
    assert P.go_back(end, phases).phase == len(phases) - 1
    assert P.toggle_pause(end) == end


def test_choose_applies_the_safety_settings(kb):
    plain = P.choose(kb, "neck-release", SafetySettings())
    assert plain.playable is not None and plain.removed == () and plain.alternative is None
    # pregnancy: GB21 goes, the rest is still worth doing, and another routine is offered too
    pregnant = P.choose(kb, "neck-release", SafetySettings(pregnancy=True))
    assert pregnant.playable is not None
    assert "GB21" not in pregnant.playable.routine.point_codes
    assert [code for code, _ in pregnant.removed] == ["GB21"]
    assert "pregnancy" in pregnant.removed[0][1]
    assert pregnant.alternative is not None and pregnant.alternative.routine.id != "neck-release"
    # avoiding TE3 leaves too little: not playable, says why, offers a routine without TE3
    blocked = P.choose(kb, "neck-release", SafetySettings(avoid_points=frozenset({"SJ3"})))
    assert blocked.playable is None
    assert "TE3" in blocked.reason and "does not fit your safety settings" in blocked.reason
    assert blocked.alternative is not None
    assert "TE3" not in blocked.alternative.routine.point_codes
    assert "neck_strain" in blocked.alternative.routine.triggers
    # blood thinners or a bleeding disorder: nothing removed, every point lightly, said on the first screen
    plain_text = P.bleeding_text(kb, plain)
    assert plain_text == kb.bleeding_caution and "blood thinner" in plain_text
    thinners = P.choose(kb, "neck-release", SafetySettings(blood_thinners=True))
    assert thinners.playable is not None and thinners.removed == () and thinners.light_only
    assert "press every point in this routine lightly" in P.bleeding_text(kb, thinners)
    assert not P.choose(kb, "eye-strain", SafetySettings(blood_thinners=True)).light_only
    # --short gives the short timing, to the alternative as well
    short = P.choose(kb, "neck-release", SafetySettings(avoid_points=frozenset({"TE3"})), short=True)
    assert short.alternative.routine.variant == "short"


def test_words_on_the_screens(kb):
    assert P.format_clock(65.2) == "1:06" and P.format_clock(0) == "0:00" and P.format_clock(2.0) == "0:02"
    assert P.format_minutes(540) == "about 9 minutes" and P.format_minutes(40) == "40 seconds"
    for point in kb.points:
        lines = P.find_lines(point.find)
        assert 1 <= len(lines) <= 3, point.code
        assert " ".join(lines) == " ".join(point.find.split())  # nothing is lost
    te3 = kb.point("TE3")
    assert P.side_text(te3, P.Phase(1, "left", 3)) == "Left hand"
    gb21 = kb.point("GB21")
    assert P.side_text(gb21, P.Phase(0, "right", 3, 2, 2)).startswith("Right side (2 of 2")
    assert P.technique_text(kb.point("BL40")).startswith("Light pressure only")
    assert P.technique_text(kb.point("GB21")).startswith("Firm pressure")
    assert P.technique_text(kb.point("GB21"), light_only=True).startswith(
        "Light pressure only (blood thinners or a bleeding disorder)"
    )
    cautions = dict(P.routine_cautions(kb, kb.routine("neck-release")))
    assert set(cautions) == {"This routine", gb21.label, te3.label}
    assert "pregnan" in cautions[gb21.label]


def test_ui_scale_and_window_size():
    assert P.ui_scale("2", 1.333) == 2.0
    assert P.ui_scale("125%", 1.333) == 1.25
    assert P.ui_scale(None, 96 / 72) == pytest.approx(1.0)
    assert P.ui_scale(None, 2 * 96 / 72) == pytest.approx(2.0)
    assert P.ui_scale("", 0.5) == 1.0  # never below 100 % from a strange dpi
    for bad in ("big", "0.1", "nan"):
        with pytest.raises(P.DataError, match=P.SCALE_ENV):
            P.ui_scale(bad, 1.333)
    assert P.window_size(None, 1.0, (1920, 1080)) == P.DEFAULT_SIZE
    assert P.window_size((800, 560), 1.25, (1920, 1080)) == (1000, 700)
    width, height = P.window_size(None, 2.0, (1280, 800))  # never larger than the screen
    assert width <= 1280 and height <= 800


def test_prefs_file_round_trip_and_damage(tmp_path, caplog):
    path = tmp_path / "config" / "player.json"
    assert P.load_prefs(path) == P.PlayerPrefs()
    P.save_prefs(path, P.PlayerPrefs(True, (900, 640)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert P.load_prefs(path) == P.PlayerPrefs(True, (900, 640))
    assert not list(path.parent.glob(".*tmp"))  # the temporary file was renamed, not left behind
    path.write_text('{"notice_acknowledged": "yes", "window_size": [5, 5]}')
    assert P.load_prefs(path) == P.PlayerPrefs()
    assert "notice_acknowledged" in caplog.text and "window_size" in caplog.text
    path.write_text("{broken")
    assert P.load_prefs(path) == P.PlayerPrefs()
    assert str(path) in caplog.text


def test_history_log_writes_a_real_store(tmp_path, kb):
    db = tmp_path / "history.sqlite3"
    clock = iter([100.0, 160.0])
    log = P.HistoryLog(opener=lambda: open_store(db), clock=lambda: next(clock))
    log.finish("completed", 4)  # nothing started: nothing written
    log.started("neck-release", 4, "tray")
    log.finish("partial", 2)
    log.finish("completed", 4)  # a second finish is ignored
    log.close()
    store = open_store(db)
    try:
        (record,) = store.routines()
    finally:
        store.close()
    assert (record.routine_id, record.status, record.steps_done, record.steps_total, record.source) == (
        "neck-release", "partial", 2, 4, "tray",
    )  # fmt: skip
    assert (record.started_t, record.ended_t) == (100.0, 160.0)


def test_launcher_command_and_environment():
    argv = player_command("neck-release", "tray", short=True, step_seconds=2)
    assert argv == [sys.executable, "-m", "postureguard", "routine", "play", "neck-release",
                    "--source", "tray", "--short", "--step-seconds", "2"]  # fmt: skip
    with pytest.raises(ValueError):
        player_command("neck release; rm -rf /", "tray")
    with pytest.raises(ValueError):
        player_command("neck-release", "email")
    env = child_environment({"PYTHONPATH": "/elsewhere"})
    # The folder holding the PostureGuard under test (src/ in a checkout, site-packages when installed).
    import postureguard

    here = str(Path(postureguard.__file__).resolve().parent.parent)
    assert env["PYTHONPATH"].split(os.pathsep) == [here, "/elsewhere"]


def test_unknown_routine_is_one_line_before_any_window(capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    assert main(["routine", "play", "neck-relase"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "neck-release" in err  # names the close match


def test_no_display_is_one_line(isolated_home):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(SRC)
    result = subprocess.run(
        [sys.executable, "-m", "postureguard", "routine", "play", "neck-release"],
        env=env, capture_output=True, text=True, timeout=COMMAND_S,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "display" in result.stderr and "routine show neck-release" in result.stderr


# ===== the real window =============================================================================

TITLE = "PostureGuard .+ Neck release$"  # WM_NAME carries the em dash in Latin-1 bytes, so match loosely

#: Seconds per phase where a key must land inside one phase: longer than a key takes to arrive (focus
#: the window, run xdotool) when both cores are busy, so the phase cannot end under the key.
STEP_S = 8


class Player:
    """A player process in the desktop session, with helpers to drive and observe it."""

    def __init__(self, session: DesktopSession, home: Path, name: str, routine: str = "neck-release",
                 *args: str, scale: str = "1.25", wrapper: tuple[str, ...] = ()) -> None:  # fmt: skip
        """``wrapper``: a command the player runs under (``strace -f ... --``)."""
        self.session, self.home, self.log_name = session, home, f"{name}.log"
        env = dict(session.env, POSTUREGUARD_HOME=str(home), PYTHONPATH=str(SRC))
        env[P.SCALE_ENV] = scale
        argv = [*wrapper, sys.executable, "-m", "postureguard", "-vv", "routine", "play", routine, *args]
        self.proc = session.popen(argv, self.log_name, env=env)
        self.pos = 0
        self.window = 0

    def find_window(self, title: str = TITLE) -> int:
        def mine() -> int | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"the player exited: {self.log()}")
            # Tk sets no _NET_WM_PID; each test ends its players, so the title is enough.
            found = self.session.search_windows(name=title, visible=True)
            return found[0] if found else None

        self.window = wait_for(mine, START_S, f"a window titled {title!r}")
        return self.window

    def log(self) -> str:
        return self.session.read_log(self.log_name)

    def expect(self, pattern: str, timeout: float = REACT_S) -> re.Match:
        """Wait for ``pattern`` (regex) in the log after the previous match, and move past it."""

        def found():
            if self.proc.poll() is not None and not re.search(pattern, self.log()[self.pos :]):
                raise AssertionError(f"the player exited before {pattern!r}: {self.log()}")
            return re.compile(pattern).search(self.log(), self.pos)

        try:
            match = wait_for(found, timeout, f"{pattern!r} in the player's log")
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n--- log ---\n{self.log()}") from None
        self.pos = match.end()
        return match

    def key(self, name: str, window: int | None = None) -> None:
        """Press ``name`` in the player's window (or ``window``) once it has the focus; what the key
        did is observed in the player's log."""
        self.session.key(window or self.window, name)

    def screenshot(self, name: str, window: int | None = None) -> Path:
        """Capture the window once Tk has finished drawing it: text is visible and two shots agree."""
        from PIL import Image

        def has_text(path: Path) -> bool:
            with Image.open(path) as image:
                return sum(image.convert("L").histogram()[:80]) > 200  # near-black text on light ground

        crop = self.session.window_geometry(window or self.window)
        return self.session.settled_screenshot(name, crop=crop, drawn=has_text)

    def wait_exit(self, timeout: float = EXIT_S) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=EXIT_S)


def wait_for_exit(proc: subprocess.Popen, seconds: float) -> bool:
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _history(home: Path):
    store = open_store(home / "data" / "history.sqlite3")
    try:
        return store.routines()
    finally:
        store.close()


def _acknowledged(home: Path, size: tuple[int, int] | None = None) -> None:
    P.save_prefs(home / "config" / P.STATE_FILE_NAME, P.PlayerPrefs(True, size))


@pytest.fixture
def players(desktop_session):
    started: list[Player] = []

    def start(*args, **kwargs) -> Player:
        player = Player(desktop_session, *args, **kwargs)
        started.append(player)
        return player

    yield start
    for player in started:
        player.stop()


@pytest.mark.e2e
def test_player_walks_through_neck_release_and_records_completion(players, isolated_home):
    player = players(isolated_home, "player-full", "neck-release", "--step-seconds", str(STEP_S),
                     "--source", "notification")  # fmt: skip
    player.find_window()
    # First use: the "not medical advice" notice comes first and must be acknowledged.
    player.expect(r"screen notice")
    player.expect(r"window ready for keys")
    player.screenshot("player-notice.png")
    player.key("Return")
    player.expect(r"notice acknowledged")
    player.expect(r"screen intro")
    assert not (isolated_home / "data" / "history.sqlite3").exists()  # nothing recorded before Start
    player.screenshot("player-first-screen.png")

    # "When to see a doctor" is one key (or click) away, in a window of its own.
    player.key("F1")
    player.expect(r"red flags shown")
    flags = wait_for(
        lambda: player.session.search_windows(name="When to see a doctor", visible=True),
        REACT_S, "the red flags window",
    )[0]  # fmt: skip
    player.screenshot("player-red-flags.png", flags)
    player.key("Escape", flags)
    wait_for(lambda: not player.session.search_windows(name="When to see a doctor", visible=True), REACT_S,
             "the red flags window to close")  # fmt: skip

    player.key("Return")  # Start
    player.expect(r"history: routine neck-release started")
    (started,) = _history(isolated_home)
    assert (started.status, started.source, started.steps_total) == ("started", "notification", 4)
    player.expect(rf"step 1/4 phase 1/5 GB21 side=left seconds={STEP_S}\b")
    # The countdown counts down on its own and moves to the right side when it runs out.
    player.expect(r"countdown 0:01")
    player.expect(r"phase ended \(cue\)")
    player.expect(r"step 1/4 phase 2/5 GB21 side=right")
    player.key("space")
    player.expect(r"player: paused")
    shot = player.screenshot("player-step.png")
    assert shot.exists()
    # Not a wait for an event but the observation itself: for longer than a phase, nothing ends.
    time.sleep(STEP_S + 0.5)
    assert "phase ended" not in player.log()[player.pos :]
    player.key("space")
    player.expect(r"player: resumed")
    player.key("Right")
    player.expect(r"player: next")
    player.expect(r"step 2/4 phase 3/5 TE3 side=left")
    player.key("Left")
    player.expect(r"player: back")
    player.expect(r"step 1/4 phase 2/5 GB21 side=right")
    # From here it plays to the end by itself: TE3 left, TE3 right, the neck movement.
    player.expect(r"step 2/4 phase 3/5 TE3 side=left")
    player.expect(r"step 3/4 phase 4/5 TE3 side=right")
    player.expect(r"step 4/4 phase 5/5 move side=center")
    player.expect(r"finished, completed, 4 of 4 steps")
    (record,) = _history(isolated_home)
    assert (record.routine_id, record.status, record.steps_done, record.steps_total) == (
        "neck-release", "completed", 4, 4,
    )  # fmt: skip
    assert record.ended_t is not None and record.ended_t >= record.started_t

    player.key("Escape")
    assert player.wait_exit() == 0
    state = json.loads((isolated_home / "config" / P.STATE_FILE_NAME).read_text())
    assert state["notice_acknowledged"] is True
    assert len(state["window_size"]) == 2
    assert stat.S_IMODE((isolated_home / "config" / P.STATE_FILE_NAME).stat().st_mode) == 0o600
    (record,) = _history(isolated_home)  # closing did not change the finished record
    assert record.status == "completed"


@pytest.mark.e2e
def test_closing_midway_records_partial_and_the_window_keeps_its_size(players, isolated_home):
    _acknowledged(isolated_home, (800, 560))
    player = players(isolated_home, "player-partial", "neck-release", "--step-seconds", str(STEP_S))
    window = player.find_window()
    player.expect(r"screen intro")  # the notice was acknowledged before: not shown again
    player.expect(r"window ready for keys")
    assert "screen notice" not in player.log()
    # remembered logical size 800 x 560 at 125 %
    assert player.session.window_geometry(window)[2:] == (1000, 700)
    player.key("Return")
    player.expect(r"step 2/4 phase 3/5 TE3 side=left")  # both sides of GB21 done
    player.key("Escape")
    assert player.wait_exit() == 0
    (record,) = _history(isolated_home)
    assert (record.status, record.steps_done, record.steps_total, record.source) == ("partial", 1, 4, "cli")


@pytest.mark.e2e
def test_launcher_opens_the_player_without_waiting_and_closing_first_is_a_skip(
    desktop_session, isolated_home, tmp_path
):
    _acknowledged(isolated_home)
    env = dict(desktop_session.env, POSTUREGUARD_HOME=str(isolated_home))
    with open(tmp_path / "launched.log", "wb") as errors:
        proc = launch_routine("neck-release", "tray", env=env, stderr=errors)
    try:
        assert proc.poll() is None  # returned while the player is still open
        window = wait_for(
            lambda: desktop_session.search_windows(name=TITLE, visible=True), START_S, "the player's window"
        )[0]
        # Without -v there is no log line to say the player takes keys; the key goes in once the X
        # server says the window has the focus, so it cannot be lost.
        desktop_session.key(window, "Escape")
        assert wait_for_exit(proc, EXIT_S), "the player did not close on Escape"
        assert proc.returncode == 0, (tmp_path / "launched.log").read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    (record,) = _history(isolated_home)
    assert (record.routine_id, record.status, record.steps_done, record.source) == (
        "neck-release", "skipped", 0, "tray",
    )  # fmt: skip


@pytest.mark.e2e
def test_sigterm_during_a_step_closes_and_records_how_far_it_got(players, isolated_home):
    _acknowledged(isolated_home)
    player = players(isolated_home, "player-sigterm", "neck-release", "--step-seconds", "30")
    player.find_window()
    player.expect(r"screen intro")
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"step 1/4 phase 1/5 GB21")
    player.proc.send_signal(signal.SIGTERM)
    assert player.wait_exit() == 0
    player.expect(r"player: closed")
    (record,) = _history(isolated_home)
    assert (record.status, record.steps_done) == ("skipped", 0)
    assert record.ended_t is not None


@pytest.mark.e2e
def test_a_routine_the_safety_settings_exclude_shows_why_and_offers_the_alternative(players, isolated_home):
    _acknowledged(isolated_home)
    settings = isolated_home / "config" / "settings.toml"
    settings.write_text('[safety]\navoid_points = ["TE3"]\n')
    player = players(isolated_home, "player-safety", "neck-release", "--step-seconds", "2")
    player.find_window()
    player.expect(r"screen blocked")
    player.expect(r"neck-release is excluded by the safety settings: .*TE3")
    player.expect(r"window ready for keys")
    player.screenshot("player-safety.png")
    player.key("Return")  # take the alternative
    match = player.expect(r"switching to the safe alternative ([a-z-]+)")
    alternative = load_knowledge(include_user=False).routine(match.group(1))
    assert "TE3" not in alternative.point_codes
    player.find_window(f"PostureGuard .+ {re.escape(alternative.title)}$")
    player.expect(r"screen intro")
    player.key("Return")
    player.expect(rf"history: routine {alternative.id} started")
    player.key("Escape")
    assert player.wait_exit() == 0
    (record,) = _history(isolated_home)
    assert record.routine_id == alternative.id


@pytest.fixture(scope="module")
def hidpi_session():
    """A bare X session with a 2560 x 1600 screen, the size a 200 % desktop usually has."""
    import desktop

    with pytest.MonkeyPatch.context() as mp:
        # start_session has no size parameter; the module constant is read when Xvfb starts.
        mp.setattr(desktop, "SCREEN_GEOMETRY", "2560x1600x24")
        yield from _bare_session(desktop)


def _bare_session(desktop):
    try:
        with desktop.start_session(with_dunst=False, with_tray=False, results_dir=RESULTS_DIR) as session:
            yield session
    except desktop.SessionUnavailable as exc:
        pytest.skip(f"desktop session unavailable: {exc}")


@pytest.mark.e2e
def test_player_at_200_percent(hidpi_session, isolated_home):
    _acknowledged(isolated_home)
    player = Player(hidpi_session, isolated_home, "player-200", "neck-release", "--step-seconds", "20",
                    scale="2")  # fmt: skip
    try:
        window = player.find_window()
        player.expect(r"screen intro")
        player.expect(r"window ready for keys")
        x, y, width, height = hidpi_session.window_geometry(window)
        assert (width, height) == (P.DEFAULT_SIZE[0] * 2, P.DEFAULT_SIZE[1] * 2)
        assert x >= 0 and y >= 0 and x + width <= 2560 and y + height <= 1600
        player.screenshot("player-first-screen-200.png")
        player.key("Return")
        player.expect(r"step 1/4 phase 1/5 GB21")
        player.key("space")
        player.expect(r"player: paused")
        player.screenshot("player-step-200.png")
        player.key("Escape")
        assert player.wait_exit() == 0
    finally:
        player.stop()


@pytest.mark.e2e
def test_player_draws_the_neck_points_at_the_base_of_the_skull(players, isolated_home):
    """GB20 and BL10 on the figure seen from behind: screenshots for a person to check the markers sit
    where the skull meets the neck (tests/test_figures.py checks the positions against the outline)."""
    player = players(isolated_home, "player-neck-base", "neck-base-release", "--step-seconds", "60")
    player.find_window("PostureGuard .+ Base of the skull and stiff neck$")
    player.expect(r"screen notice")
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"screen intro")
    player.screenshot("player-neck-base-first-screen.png")
    player.key("Return")  # Start
    player.expect(r"step 1/5 phase 1/\d+ GB20 side=left")
    player.key("space")
    player.expect(r"player: paused")
    assert player.screenshot("player-step-gb20.png").exists()
    player.key("Right")
    player.expect(r"step 1/5 phase 2/\d+ GB20 side=right")
    player.key("Right")
    player.expect(r"step 2/5 phase 3/\d+ BL10 side=left")
    assert player.screenshot("player-step-bl10.png").exists()
    player.key("Escape")
    assert player.wait_exit() == 0


def test_exercise_steps_count_repetitions_holds_and_rests():
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.ui.player import exercise_progress

    kb = load_knowledge()
    step = next(s for s in kb.routine("chin-tucks").steps if s.action == "exercise")
    assert (step.reps, step.hold_seconds, step.rest_seconds) == (10, 5, 5)
    full = step.seconds
    assert exercise_progress(step, full, full) == "Rep 1 of 10: hold 5 s"
    assert exercise_progress(step, full, full - 4.5) == "Rep 1 of 10: hold 1 s"
    assert exercise_progress(step, full, full - 5) == "Rep 1 of 10: rest 5 s"
    assert exercise_progress(step, full, full - 23) == "Rep 3 of 10: hold 2 s"
    assert exercise_progress(step, full, 0.2) == "Rep 10 of 10: rest 1 s"
    assert exercise_progress(step, full, 0) == "Rep 10 of 10: rest 1 s"


def test_the_figure_marks_the_held_pose_while_holding_and_the_start_pose_at_rest():
    kb = load_knowledge(include_user=False)
    step = next(s for s in kb.routine("chin-tucks").steps if s.action == "exercise")  # 10 x (5 s + 5 s)
    full = step.seconds
    holding = [P.exercise_holding(step, full, full - t) for t in (0, 4.9, 5.0, 9.9, 10.0, 99.9, 100)]
    assert holding == [True, True, False, False, True, False, False]
    no_rest = next(s for s in kb.routine("stand-and-walk").steps if s.action == "exercise")
    assert P.exercise_holding(no_rest, no_rest.seconds, no_rest.seconds)
    rest = next(s for s in kb.routine("chin-tucks").steps if s.action == "rest")
    assert not P.exercise_holding(rest, rest.seconds, 1.0)


def test_routine_show_counts_an_exercise_and_skips_the_pressing_caution(isolated_home):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "postureguard", "routine", "show", "chin-tucks"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "Exercise, 10 repetitions: hold 5 s, rest 5 s" in res.stdout
    assert "blood thinner" not in res.stdout  # nothing is pressed in an exercise


@pytest.mark.e2e
def test_player_counts_an_exercise_rep_by_rep(players, isolated_home):
    """Chin tucks in the real player: the line beside the clock counts repetitions, holds and rests."""
    player = players(isolated_home, "player-exercise", "chin-tucks")
    player.find_window("PostureGuard .+ Chin tucks")
    player.expect(r"screen notice")
    player.expect(r"window ready for keys")
    player.key("Return")
    player.expect(r"screen intro")
    player.screenshot("player-exercise-first-screen.png")
    player.key("Return")  # Start
    player.expect(r"player: exercise Rep 1 of 10: hold 5 s")
    player.expect(r"step 1/\d+ phase 1/\d+ exercise side=center")
    player.expect(r"player: exercise Rep 1 of 10: hold [1-4] s")
    # The figure marks the start pose for the rest and the held pose again for the next hold.
    player.expect(r"player: figure chin-tuck drawn, 2 poses, \d+x\d+ px, pose 1 marked", timeout=REACT_S + 10)
    player.expect(r"player: exercise Rep 1 of 10: rest \d s")
    player.expect(r"player: figure chin-tuck drawn, 2 poses, \d+x\d+ px, pose 2 marked", timeout=REACT_S + 10)
    player.expect(r"player: exercise Rep 2 of 10: hold 5 s")
    assert player.screenshot("player-exercise-step.png").exists()


def _colour_count(path: Path, rgb: tuple[int, int, int], box: tuple[float, float, float, float]) -> int:
    """Pixels within 12 levels of ``rgb`` in the part ``box`` (fractions x0, y0, x1, y1) of a screenshot."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        shot = np.asarray(image.convert("RGB"), dtype=np.int16)
    h, w = shot.shape[:2]
    part = shot[int(box[1] * h):int(box[3] * h), int(box[0] * w):int(box[2] * w)]
    return int(np.all(np.abs(part - np.array(rgb, dtype=np.int16)) <= 12, axis=2).sum())


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@pytest.mark.e2e
@pytest.mark.parametrize(("routine", "figure"), [
    ("chin-tucks", "chin-tuck"), ("shoulder-blade-squeeze", "scapular-retraction"),
    ("doorway-chest-stretch", "doorway-stretch"), ("chair-back-extension", "thoracic-extension"),
    ("stand-and-walk", "stand-walk"),
])  # fmt: skip
def test_player_shows_the_figure_of_each_exercise(players, isolated_home, routine, figure):
    """Each exercise's first step draws its figure (start and held pose, arrows) beside the instruction:
    the body and the arrows are on the right-hand side of the window, not on the text side."""
    _acknowledged(isolated_home)
    player = players(isolated_home, f"player-figure-{figure}", routine)
    player.find_window(r"PostureGuard .+ \(2")  # every exercise title says how long it takes
    player.expect(r"screen intro")
    player.expect(r"window ready for keys")
    player.key("Return")  # Start
    player.expect(r"step 1/\d+ phase 1/\d+ exercise side=center")
    match = player.expect(rf"player: figure {figure} drawn, 2 poses, (\d+)x(\d+) px")
    assert int(match[1]) > 300 and int(match[2]) > 300  # a real share of the window, not a thumbnail
    player.key("space")  # paused, so the picture is still while it is taken
    player.expect(r"player: paused")
    shot = player.screenshot(f"player-exercise-{figure}.png")
    diagram, text_side = (0.56, 0.08, 0.99, 0.82), (0.02, 0.2, 0.5, 0.8)
    skin, arrow = _hex_rgb(P.COLOURS["skin"]), _hex_rgb(P.COLOURS["point"])
    assert _colour_count(shot, skin, diagram) > 4000  # two bodies
    assert _colour_count(shot, arrow, diagram) > 80  # and the arrows of the movement
    assert _colour_count(shot, skin, text_side) == 0
    player.key("Escape")
    assert player.wait_exit() == 0


def test_every_points_routine_opens_with_the_blood_thinner_caution_and_no_exercise_does(isolated_home):
    """The first screen's "Before you start" line, as ``routine show`` prints it (the player's intro shows
    the same caution for every routine that presses points; an exercise presses nothing)."""
    kb = load_knowledge(include_user=False)
    env = dict(os.environ, POSTUREGUARD_HOME=str(isolated_home))
    for routine in kb.routines:
        res = subprocess.run([sys.executable, "-m", "postureguard", "routine", "show", routine.id],
                             capture_output=True, text=True, timeout=COMMAND_S, env=env)  # fmt: skip
        assert res.returncode == 0, res.stderr
        before = res.stdout.split("Steps:")[0]
        if routine.kind == "points":
            assert "Before you start: Taking a blood thinner" in before, routine.id
            assert "anticoagulant or antiplatelet" in before and "haemophilia" in before, routine.id
        else:
            assert "blood thinner" not in res.stdout, routine.id
