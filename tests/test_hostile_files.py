"""Bad input never costs the user data: every file PostureGuard writes, probed the hostile way.

Each test runs the real installed ``postureguard`` command (``sys.executable -m postureguard``) in its own
POSTUREGUARD_HOME, on real photos and real SQLite files; the kill tests SIGKILL a real process mid-write.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import pytest

from photos import photo
from postureguard.files import paths
from postureguard.history import AlertRecord, MinuteRecord, open_store


def pg(*args, home: Path, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["POSTUREGUARD_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "postureguard", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)


def start(*args, home: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["POSTUREGUARD_HOME"] = str(home)
    return subprocess.Popen([sys.executable, "-m", "postureguard", *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def our_lines(stderr: str) -> list[str]:
    """stderr without MediaPipe's native chatter (INFO:/W0000 lines come from C++, not from us)."""
    return [line for line in stderr.splitlines() if line.startswith("postureguard:")]


def assert_one_line(res: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert res.returncode == code, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    lines = our_lines(res.stderr)
    assert len(lines) == 1, res.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def wait_for(predicate, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended first ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    person = folder / "person.jpg"
    cv2.imwrite(str(person), photo("astronaut"))
    nobody = folder / "nobody.jpg"
    cv2.imwrite(str(nobody), photo("coffee"))
    many = folder / "many"
    many.mkdir()
    small = cv2.resize(photo("astronaut"), (192, 192))
    for i in range(400):  # several seconds of analysis: time to kill it, or to race it
        cv2.imwrite(str(many / f"f{i:03d}.jpg"), small)
    return {"person": person, "nobody": nobody, "many": many}


@pytest.fixture
def history(isolated_home) -> Path:
    """A real history database with a few records, in this test's POSTUREGUARD_HOME."""
    store = open_store()
    try:
        for i in range(3):
            store.add_minute(MinuteRecord(1_717_500_000 + 60 * i, 30, 1.0, 12.0, 0.5))
        store.add_alert(AlertRecord(1_717_500_030.0, "posture", "neck_strain", 21.0, 60.0, None, None))
    finally:
        store.close()
    return paths.history_file()


def minutes_in(db: Path) -> int:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM minutes").fetchone()[0]


# ---------------------------------------------------------------------------------------------------
# analyze --out


def test_analyze_out_naming_its_own_input_photo_is_refused_and_the_photo_kept(pictures, tmp_path):
    shot = tmp_path / "photo.jpg"
    shot.write_bytes(pictures["person"].read_bytes())
    before = digest(shot)
    res = pg("analyze", shot, "--out", shot, home=tmp_path / "home")
    assert_one_line(res, 2, "one of the inputs")
    assert digest(shot) == before


def test_analyze_out_naming_a_photo_inside_an_input_folder_is_refused(pictures, tmp_path):
    folder = tmp_path / "frames" / "sub"
    folder.mkdir(parents=True)
    inside = folder / "a.jpg"
    inside.write_bytes(pictures["person"].read_bytes())
    before = digest(inside)
    # Through a symbolic link too: the file it names is what would be written.
    link = tmp_path / "link.jpg"
    link.symlink_to(inside)
    for out in (inside, link):
        res = pg("analyze", tmp_path / "frames", "--out", out, home=tmp_path / "home")
        assert_one_line(res, 2, "one of the inputs")
        assert digest(inside) == before


def test_analyze_out_naming_postureguard_files_is_refused(pictures, tmp_path, history, isolated_home):
    before = digest(history)
    res = pg("analyze", pictures["person"], "--out", history, home=isolated_home)
    assert_one_line(res, 2, "history database")
    assert digest(history) == before and minutes_in(history) == 3


def test_a_failed_analysis_leaves_the_existing_out_file_as_it_was(pictures, tmp_path):
    out = tmp_path / "result.jsonl"
    out.write_text("yesterday's precious results\n")
    res = pg("analyze", pictures["nobody"], "--calibrate-frames", "3", "--out", out, home=tmp_path / "home")
    # The one calibration refusal (exit 5, a calibration cannot be made), as `calibrate` gives it.
    assert_one_line(res, 5, "at least 3 frames that show a person", "found 0 of 1 looked at")
    assert out.read_text() == "yesterday's precious results\n"
    assert temps(tmp_path) == []


def test_analyze_out_is_private_new_or_replaced_and_a_link_is_written_through(pictures, tmp_path):
    out = tmp_path / "new.jsonl"
    res = pg("analyze", pictures["person"], "--out", out, home=tmp_path / "home")
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text().count("\n") == 1

    shared = tmp_path / "shared.jsonl"
    shared.write_text("old\n")
    shared.chmod(0o644)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(shared)
    res = pg("analyze", pictures["person"], "--out", link, home=tmp_path / "home")
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and '"person": true' in shared.read_text()
    # Replacing keeps nothing of the old mode: a result about the user's body is private by default.
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600


def test_analyze_out_that_is_a_folder_or_read_only_is_refused_in_one_line(pictures, tmp_path):
    res = pg("analyze", pictures["person"], "--out", tmp_path, home=tmp_path / "home")
    assert_one_line(res, 2, "folder")
    locked = tmp_path / "locked.jsonl"
    locked.write_text("keep me\n")
    locked.chmod(0o400)
    res = pg("analyze", pictures["person"], "--out", locked, home=tmp_path / "home")
    assert_one_line(res, 2, "read-only")
    assert locked.read_text() == "keep me\n"


def test_kill_9_during_analyze_leaves_the_old_out_whole_and_no_temporary_file_behind(pictures, tmp_path):
    out = tmp_path / "result.jsonl"
    out.write_text("the previous run\n")
    proc = start("analyze", pictures["many"], "--out", out, home=tmp_path / "home")
    try:
        wait_for(lambda: temps(tmp_path), proc=proc)
        time.sleep(0.5)  # well into the run: records are being written
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_text() == "the previous run\n"
    assert temps(tmp_path), "the probe must have killed the run while it was writing"
    # The next write into that folder clears what the killed one left, and succeeds.
    res = pg("analyze", pictures["person"], "--out", out, home=tmp_path / "home")
    assert res.returncode == 0, res.stderr
    assert temps(tmp_path) == [] and '"person": true' in out.read_text()


def test_two_analyses_writing_the_same_out_never_lose_a_result_silently(pictures, tmp_path):
    out = tmp_path / "result.jsonl"
    first = start("analyze", pictures["many"], "--out", out, home=tmp_path / "home")
    try:
        wait_for(lambda: (tmp_path / ".result.jsonl.lock").exists(), proc=first)
        second = pg("analyze", pictures["person"], "--out", out, home=tmp_path / "home")
        assert_one_line(second, 2, "being written by another PostureGuard command", f"process {first.pid}")
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    assert out.read_text().count("\n") == 400  # the first run's whole result
    assert not (tmp_path / ".result.jsonl.lock").exists() and temps(tmp_path) == []


def test_analyze_out_dev_stdout_writes_to_the_pipe_and_appends_to_a_redirected_file(pictures, tmp_path):
    res = pg("analyze", pictures["person"], "--out", "/dev/stdout", home=tmp_path / "home")
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("\n") == 1 and '"person": true' in res.stdout
    log = tmp_path / "log.jsonl"
    log.write_text("an earlier line\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["POSTUREGUARD_HOME"] = str(tmp_path / "home")
    command = f"{sys.executable} -m postureguard analyze {pictures['person']} --out /dev/stdout >> {log}"
    assert subprocess.run(["sh", "-c", command], env=env, capture_output=True, timeout=300).returncode == 0
    lines = log.read_text().splitlines()
    assert lines[0] == "an earlier line" and len(lines) == 2 and '"person": true' in lines[1]


# ---------------------------------------------------------------------------------------------------
# export, report


def test_export_out_naming_the_history_database_is_refused_and_the_database_kept(history, isolated_home):
    before = digest(history)
    for target in (history, history.with_name(history.name + "-wal")):
        res = pg("export", "--out", target, home=isolated_home)
        assert_one_line(res, 2, "history database")
    assert digest(history) == before and minutes_in(history) == 3
    res = pg("export", "--out", paths.settings_file(), home=isolated_home)
    assert_one_line(res, 2, "settings file")


def killed_export(out: Path, home: Path) -> None:
    """A real writer, as export writes (tracked), SIGKILLed while its temporary file holds history
    (export itself is too quick to catch in the act)."""
    script = textwrap.dedent(f"""
        import time
        from postureguard.files.paths import atomic_output
        with atomic_output({str(out)!r}, track=True) as fh:
            fh.write("type,time\\nminute,2024-06-04\\n")
            fh.flush()
            print("writing", flush=True)
            time.sleep(600)
    """)
    env = {**os.environ, "POSTUREGUARD_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_export_killed_mid_write_leaves_no_copy_of_the_history_once_written_again(history, isolated_home,
                                                                                   tmp_path):
    out = tmp_path / "export.csv"
    out.write_text("an older export\n")
    killed_export(out, isolated_home)
    assert len(temps(tmp_path)) == 1 and out.read_text() == "an older export\n"
    res = pg("export", "--out", out, home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert temps(tmp_path) == [] and out.read_text().startswith("type,")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_forget_all_deletes_the_copy_a_killed_export_left_anywhere(history, isolated_home, tmp_path):
    elsewhere = tmp_path / "exports"
    elsewhere.mkdir()
    killed_export(elsewhere / "mine.csv", isolated_home)
    assert len(temps(elsewhere)) == 1
    res = pg("forget", "--all", "--yes", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert temps(elsewhere) == [] and not (isolated_home / "data" / ".pending-writes").exists()


def test_report_out_naming_postureguard_files_is_refused(history, isolated_home):
    before = digest(history)
    # A link with a report's name still leads to the database: what would be replaced is what counts.
    link = isolated_home / "day.png"
    link.symlink_to(history)
    res = pg("report", "--day", "2024-06-04", "--out", link, home=isolated_home)
    assert_one_line(res, 2, "history database")
    assert digest(history) == before and link.is_symlink()
    res = pg("report", "--day", "2024-06-04", "--out", isolated_home / "day2.png", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE((isolated_home / "day2.png").stat().st_mode) == 0o600


# ---------------------------------------------------------------------------------------------------
# calibrate --out


def test_calibrate_out_problems_are_one_line_and_change_nothing(pictures, tmp_path, history, isolated_home):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(5):
        (frames / f"f{i}.jpg").write_bytes(pictures["person"].read_bytes())
    src = ("calibrate", "--source", frames, "--frames", "5", "--out")
    assert_one_line(pg(*src, tmp_path, home=isolated_home), 2, "folder")
    not_a_folder = tmp_path / "plain.txt"
    not_a_folder.write_text("x")
    assert_one_line(pg(*src, not_a_folder / "cal.json", home=isolated_home), 2, "cannot write")
    before = digest(frames / "f3.jpg")
    assert_one_line(pg(*src, frames / "f3.jpg", home=isolated_home), 2, "one of the inputs")
    assert digest(frames / "f3.jpg") == before
    before = digest(history)
    assert_one_line(pg(*src, history, home=isolated_home), 2, "history database")
    assert digest(history) == before
    good = pg(*src, tmp_path / "new" / "cal.json", home=isolated_home)
    assert good.returncode == 0, good.stderr
    assert stat.S_IMODE((tmp_path / "new" / "cal.json").stat().st_mode) == 0o600


# ---------------------------------------------------------------------------------------------------
# forget


def test_forget_all_deletes_history_moved_aside_as_damaged_and_says_so(history, isolated_home):
    data = history.parent
    # A damaged database: the next command that opens the history moves it aside (a real one).
    history.write_bytes(b"this is not a database" * 100)
    assert pg("export", home=isolated_home).returncode == 0
    aside = [p for p in data.iterdir() if ".corrupt-" in p.name]
    assert aside, list(data.iterdir())
    res = pg("forget", "--before", "2024-06-05", "--yes", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert "kept 1 history file(s) set aside earlier" in res.stderr and all(p.exists() for p in aside)
    res = pg("forget", "--all", "--yes", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert "1 set-aside history file(s)" in res.stdout
    assert not [p for p in data.iterdir() if ".corrupt-" in p.name or p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------------
# settings


def _settings(home: Path) -> Path:
    return home / "config" / "settings.toml"


def test_config_set_waits_for_another_writer_of_the_settings_and_keeps_its_change(isolated_home):
    assert pg("config", "set", "sustain_seconds", "61", home=isolated_home).returncode == 0
    from postureguard.settings.config import load_settings, save_settings, with_value

    with paths.output_lock(_settings(isolated_home)):
        proc = start("config", "set", "cooldown_minutes", "17", home=isolated_home)
        time.sleep(3)
        assert proc.poll() is None, "config set must wait while another writer holds the settings"
        current = load_settings().settings
        save_settings(with_value(current, "break_minutes", "7"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    final = load_settings().settings
    assert (final.sustain_seconds, final.cooldown_minutes, final.break_minutes) == (61, 17, 7)


def test_two_config_set_loops_lose_no_update(isolated_home):
    loop = "for v in 61 62 63 64 65; do {pg} config set {key} $v || exit 1; done"
    command = f"{sys.executable} -m postureguard"
    env = {**os.environ, "POSTUREGUARD_HOME": str(isolated_home)}
    a = subprocess.Popen(["sh", "-c", loop.format(pg=command, key="sustain_seconds")], env=env,
                         stdout=subprocess.DEVNULL)
    b = subprocess.Popen(["sh", "-c", loop.format(pg=command, key="recovery_seconds")], env=env,
                         stdout=subprocess.DEVNULL)
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0
    from postureguard.settings.config import load_settings

    final = load_settings().settings
    assert (final.sustain_seconds, final.recovery_seconds) == (65, 65)


def test_config_set_writes_through_a_symlinked_settings_file(isolated_home, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "postureguard.toml"
    real.write_text("[posture]\nsustain_seconds = 30\n")
    _settings(isolated_home).parent.mkdir(parents=True)
    _settings(isolated_home).symlink_to(real)
    res = pg("config", "set", "cooldown_minutes", "20", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert _settings(isolated_home).is_symlink()
    text = real.read_text()
    assert "cooldown_minutes = 20" in text and "sustain_seconds = 30" in text


def test_config_set_refuses_a_read_only_settings_file(isolated_home):
    settings = _settings(isolated_home)
    settings.parent.mkdir(parents=True)
    settings.write_text("[posture]\nsustain_seconds = 30\n")
    settings.chmod(0o400)
    res = pg("config", "set", "sustain_seconds", "90", home=isolated_home)
    assert_one_line(res, 6, "read-only", str(settings))
    assert settings.read_text() == "[posture]\nsustain_seconds = 30\n"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o400


def test_config_set_keeps_the_permissions_of_an_existing_config_folder(isolated_home):
    folder = _settings(isolated_home).parent
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        res = pg("config", "set", "sustain_seconds", "90", home=isolated_home)
        if res.returncode:  # an ordinary user cannot write there; root can: either way no traceback
            assert_one_line(res, 6, "cannot save settings")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o500
    finally:
        folder.chmod(0o700)
    # A folder PostureGuard makes itself is private.
    fresh = isolated_home.parent / "fresh-home"
    assert pg("config", "set", "sustain_seconds", "90", home=fresh).returncode == 0
    assert stat.S_IMODE((fresh / "config").stat().st_mode) == 0o700
    assert stat.S_IMODE(_settings(fresh).stat().st_mode) == 0o600


# ---------------------------------------------------------------------------------------------------
# doctor, notification icon


def test_doctor_reports_a_damaged_history_database_without_touching_any_file(isolated_home):
    data = isolated_home / "data"
    data.mkdir(parents=True)
    paths.history_file().write_bytes(b"this is not a database" * 100)
    before = {p.name: digest(p) for p in data.iterdir()}
    res = pg("doctor", "--no-camera", home=isolated_home)
    line = [x for x in res.stdout.splitlines() if "history:" in x]
    assert line and "cannot be used" in line[0] and "nothing was changed" in line[0], res.stdout
    assert {p.name: digest(p) for p in data.iterdir()} == before


def test_doctor_on_a_healthy_history_creates_no_journal_files(history, isolated_home):
    before = sorted(p.name for p in history.parent.iterdir())
    res = pg("doctor", "--no-camera", home=isolated_home)
    assert [x for x in res.stdout.splitlines() if "history:" in x and "readable" in x], res.stdout
    assert sorted(p.name for p in history.parent.iterdir()) == before


def test_the_notification_icon_is_private(isolated_home):
    from postureguard.commands.run import notification_icon

    icon = notification_icon()
    assert icon.read_bytes().startswith(b"\x89PNG") and stat.S_IMODE(icon.stat().st_mode) == 0o600


def test_doctor_with_a_broken_settings_file_reports_it_and_writes_no_backup(isolated_home):
    config = isolated_home / "config"
    config.mkdir(parents=True)
    (config / "settings.toml").write_text('[posture]\nsustain_seconds = "soon"\nsensitivity = "high"\n')
    before = {p: digest(p) for p in isolated_home.rglob("*") if p.is_file()}
    res = pg("doctor", "--no-camera", home=isolated_home)
    assert res.returncode in (0, 1), res.stderr
    line = next(x for x in res.stdout.splitlines() if "settings:" in x)
    assert line.startswith("WARN") and "sustain_seconds" in line and "nothing was changed" in line, line
    after = {p: digest(p) for p in isolated_home.rglob("*") if p.is_file()}
    assert after == before
