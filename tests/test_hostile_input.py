"""Bad input never costs the user data: absurd numbers, impossible days and hostile user files.

Every probe runs the installed ``postureguard`` command in a real process with its own
POSTUREGUARD_HOME and checks what the user sees: one ``postureguard: ...`` line on stderr naming what is
wrong (and the allowed range), an exit code from errors.py, no traceback, and the user's files exactly
as they were. The property tests at the end throw generated numbers and files at the same entry points.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photos import photo
from postureguard import errors

#: Exit codes the command line documents: success, and each UserError subclass's code.
USER_ERROR_CODES = {*errors.EXIT_CODES.values(), 8}
DOCUMENTED_CODES = {0} | USER_ERROR_CODES
CALIBRATION_FIELDS = ("head_height", "pitch", "shoulder_width_frac", "shoulder_tilt_deg")


def pg(*args, home: Path, env_extra=None, timeout=300, unprivileged=False) -> subprocess.CompletedProcess:
    """Run the installed command (no PYTHONPATH: the package as the user has it) in ``home``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"POSTUREGUARD_HOME": str(home), **(env_extra or {})})
    argv = [sys.executable, "-m", "postureguard", *map(str, args)]
    if unprivileged and os.geteuid() == 0:
        # Root reads every file whatever its mode; "permission denied" needs an ordinary user.
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def native_noise(line: str) -> bool:
    """Lines MediaPipe's C++ logging writes at exit (not ours, and not about the input)."""
    return line.startswith(("INFO: [", "W0000", "I0000", "WARNING: All log messages"))


def error_lines(res) -> list[str]:
    return [line for line in res.stderr.splitlines() if not native_noise(line)]


def assert_one_line(res, code: int, *fragments: str) -> str:
    """Exit ``code``, exactly one line on stderr starting ``postureguard:`` with every fragment in it."""
    lines = error_lines(res)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == code, (res.returncode, res.stderr)
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("postureguard: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its exact bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def config_dir(home: Path) -> Path:
    return home / "config"


@pytest.fixture(scope="module")
def one_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photo") / "one.png"
    cv2.imwrite(str(path), photo("astronaut"))
    return path


@pytest.fixture(scope="module")
def real_calibration(one_png, tmp_path_factory) -> dict:
    """A calibration file the real ``calibrate`` made from a real photo, as a parsed document."""
    folder = tmp_path_factory.mktemp("cal")
    out = folder / "cal.json"
    res = pg("calibrate", "--source", one_png, one_png, one_png, "--frames", "3", "--out", out,
             home=folder / "h")
    assert res.returncode == 0, res.stderr
    return json.loads(out.read_text())


# --------------------------------------------------------------------------------------------------
# 4 and 5: numbers and days on the command line


NUMBER_PROBES = [
    (["analyze", "{png}", "--sustain", "0"], "--sustain", "from 1 to 3600"),
    (["analyze", "{png}", "--sustain", "nan"], "--sustain", "from 1 to 3600"),
    (["analyze", "{png}", "--cooldown", "-5"], "--cooldown", "from 0 to 86400"),
    (["analyze", "{png}", "--sitting-limit", "-3"], "--sitting-limit", "from 0 to 600"),
    (["analyze", "{png}", "--interval", "inf"], "--interval", "more than 0 and at most 3600"),
    (["analyze", "{png}", "--fps", "nan"], "--fps", "more than 0 and at most 240"),
    (["analyze", "{png}", "--calibrate-frames", "0"], "--calibrate-frames", "from 1 to 10000"),
    (["run", "--sustain", "0"], "--sustain", "from 1 to 3600"),
    (["run", "--sustain", "nan"], "--sustain", "from 1 to 3600"),
    (["run", "--cooldown", "-5"], "--cooldown", "from 0 to 86400"),
    (["run", "--sitting-limit", "-3"], "--sitting-limit", "from 0 to 600"),
    (["run", "--sample-interval", "inf"], "--sample-interval", "more than 0"),
    (["calibrate", "--source", "{png}", "--frames", "2"], "--frames", "from 3 to 10000"),
    (["bench", "{png}", "--baseline-fps", "-inf"], "--baseline-fps", "more than 0"),
]


def _probe_id(value):
    return " ".join(value) if isinstance(value, list) else None


@pytest.mark.parametrize(("argv", "option", "allowed"), NUMBER_PROBES, ids=_probe_id)
def test_absurd_numbers_are_refused_in_one_line_naming_the_range(argv, option, allowed, one_png,
                                                                   isolated_home):
    # "--opt=-inf" keeps argparse from reading a leading minus as another option.
    args = [a.replace("{png}", str(one_png)) for a in argv]
    args[-2:] = [f"{args[-2]}={args[-1]}"]
    res = pg(*args, home=isolated_home)
    assert_one_line(res, 2, option, allowed, argv[-1])
    assert res.stdout == ""
    assert snapshot(isolated_home) == {}  # nothing was created


DAY_PROBES = [
    ["today", "--date", "9999-12-31"],
    ["report", "--day", "0001-01-01"],
    ["export", "--from", "0001-01-01"],
    ["forget", "--before", "0001-01-01", "--yes"],
    ["report", "--week", "9999-12-31"],
    ["export", "--to", "31-12-2024"],
]


@pytest.fixture
def history(isolated_home):
    """A real history database with one recorded minute, and the bytes of everything in the home."""
    from postureguard.files import paths
    from postureguard.history import open_store

    store = open_store(paths.history_file())
    try:
        now = time.time()
        store.add_gap(now - 7200, now - 3600, "paused")
    finally:
        store.close()
    return snapshot(isolated_home)


@pytest.mark.parametrize("argv", DAY_PROBES, ids=" ".join)
def test_impossible_days_are_refused_and_history_is_untouched(argv, isolated_home, history):
    res = pg(*argv, home=isolated_home)
    option = next(a for a in argv if a.startswith("--") and a != "--yes")
    assert_one_line(res, 2, option, "2000-01-01 to 2999-12-31")
    assert res.stdout == ""
    assert snapshot(isolated_home) == history


def test_the_ends_of_the_day_range_work(isolated_home, history):
    res = pg("today", "--date", "2999-12-31", home=isolated_home)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    res = pg("export", "--from", "2000-01-01", "--to", "2999-12-31", "--format", "jsonl", home=isolated_home)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert snapshot(isolated_home) == history


def _strict_json(line: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_analyze_writes_strict_json_with_a_real_calibration(one_png, real_calibration, tmp_path,
                                                             isolated_home):
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(real_calibration))
    res = pg("analyze", one_png, one_png, "--calibration", cal, "--interval", "3600", home=isolated_home)
    assert res.returncode == 0, res.stderr
    records = [_strict_json(line) for line in res.stdout.splitlines()]
    assert [r["t"] for r in records if "event" not in r] == [0.0, 3600.0]
    assert all(r["posture"] == "good" for r in records if "event" not in r)


# --------------------------------------------------------------------------------------------------
# 5: calibration files outside the physically plausible range


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("head_height", math.inf, "from 0.05 to 3"),
        ("head_height", 1e308, "from 0.05 to 3"),
        ("head_height", 1e-308, "from 0.05 to 3"),
        ("head_height", math.nan, "from 0.05 to 3"),
        ("shoulder_width_frac", 0.0, "from 0.04 to 1.5"),
        ("shoulder_tilt_deg", 90.0, "from -45 to 45"),
        ("pitch", -1e9, "from -1 to 1"),
        ("samples", 0, "from 1 to"),
    ],
)
def test_implausible_calibration_is_refused_naming_field_and_range(
    field, value, allowed, real_calibration, one_png, tmp_path, isolated_home
):
    doc = json.loads(json.dumps(real_calibration))
    doc["reference"][field] = value
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(doc))  # json writes Infinity/NaN as a hand edit would
    before = cal.read_bytes()
    res = pg("analyze", one_png, "--calibration", cal, home=isolated_home)
    assert_one_line(res, errors.exit_code(errors.CalibrationError), field, allowed, "calibrate again")
    assert res.stdout == ""
    assert cal.read_bytes() == before


# --------------------------------------------------------------------------------------------------
# 4: files nested 100,000 levels deep


DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_calibration_file_is_refused(one_png, tmp_path, isolated_home):
    for depth, fragment in ((100_000, "too large"), (30_000, "more than 64 levels deep"), (65, "64 levels")):
        cal = tmp_path / f"deep-{depth}.json"
        cal.write_text("[" * depth + "]" * depth)
        res = pg("analyze", one_png, "--calibration", cal, home=isolated_home)
        assert_one_line(res, errors.exit_code(errors.CalibrationError), str(cal), fragment)


def test_deep_routines_json_is_named_by_routines_and_doctor(isolated_home):
    folder = config_dir(isolated_home)
    folder.mkdir(parents=True)
    (folder / "routines.json").write_text(DEEP)
    before = snapshot(isolated_home)
    res = pg("routines", home=isolated_home)
    assert_one_line(res, errors.exit_code(errors.DataError), "routines.json", "more than 64 levels deep")
    res = pg("doctor", home=isolated_home)
    assert "Traceback" not in res.stderr, res.stderr
    knowledge = [line for line in res.stdout.splitlines() if line.startswith("FAIL  knowledge base:")]
    assert len(knowledge) == 1 and "more than 64 levels deep" in knowledge[0], res.stdout
    assert snapshot(isolated_home) == before


def test_deep_calibration_in_the_config_folder_does_not_stop_doctor(isolated_home):
    folder = config_dir(isolated_home)
    folder.mkdir(parents=True)
    from postureguard.files import paths

    paths.calibration_file().write_text("[" * 30_000 + "]" * 30_000)
    before = snapshot(isolated_home)
    res = pg("doctor", home=isolated_home)
    assert "Traceback" not in res.stderr, res.stderr
    line = next(line for line in res.stdout.splitlines() if line.startswith("WARN  calibration:"))
    assert "64 levels" in line, res.stdout
    assert snapshot(isolated_home) == before


@pytest.mark.e2e
def test_deep_routines_json_stops_run_before_anything_starts(desktop_session, isolated_home):
    folder = config_dir(isolated_home)
    folder.mkdir(parents=True)
    (folder / "routines.json").write_text(DEEP)
    before = snapshot(isolated_home)
    res = pg("run", home=isolated_home, env_extra=desktop_session.env, timeout=120)
    assert_one_line(res, errors.exit_code(errors.DataError), "routines.json", "more than 64 levels deep")
    after = snapshot(isolated_home)
    # The tray app's log file (state folder) records why it stopped; nothing else is created or changed.
    log = after.pop("state/postureguard.log", b"").decode()
    after.pop("state/instance.lock", None)  # the one-instance lock (empty once the app has stopped)
    assert "more than 64 levels deep" in log, log
    assert after == before


# --------------------------------------------------------------------------------------------------
# 7: points to avoid, and huge settings files


def test_config_set_refuses_an_unknown_point_and_keeps_the_file(isolated_home):
    res = pg("config", "set", "avoid_points", "LI4", home=isolated_home)
    assert res.returncode == 0, res.stderr
    before = snapshot(isolated_home)
    res = pg("config", "set", "avoid_points", "LI4,ZZ9", home=isolated_home)
    assert_one_line(res, errors.exit_code(errors.DataError), "avoid_points", "unknown point 'ZZ9'")
    assert snapshot(isolated_home) == before
    # Aliases and pinyin are points too.
    res = pg("config", "set", "avoid_points", "SJ3, hegu", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert pg("config", "get", "avoid_points", home=isolated_home).stdout.strip() == "SJ3,hegu"


def test_unknown_point_in_settings_file_is_named_and_dropped(isolated_home):
    from postureguard.files import paths
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.knowledge.recommender import Recommender, SafetySettings, resolve_avoid_points
    from postureguard.settings.config import load_settings

    path = paths.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text('[safety]\navoid_points = ["ZZ9", "SJ3"]\n')
    res = pg("config", "show", home=isolated_home)
    assert res.returncode == 0, res.stderr
    warning = assert_one_line(res, 0, "ZZ9", "left out")
    assert "SJ3" not in warning
    assert "avoid_points = SJ3" in res.stdout
    assert path.read_text() == '[safety]\navoid_points = ["ZZ9", "SJ3"]\n'
    # What the app then builds its recommender from starts (the routine player's check).
    kb = load_knowledge()
    avoid = resolve_avoid_points(kb, load_settings().settings.avoid_points)
    assert avoid == frozenset({"TE3"})
    Recommender(kb, SafetySettings(avoid_points=avoid))


def test_a_35_mb_settings_file_gives_one_short_warning_and_stays(isolated_home):
    from postureguard.files import paths

    path = paths.settings_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"[posture\n" + b"sensitivity = = 'x' \x1b[31m\n" * 1_300_000)
    before = snapshot(isolated_home)
    started = time.monotonic()
    res = pg("config", "show", home=isolated_home)
    assert time.monotonic() - started < 30
    warning = assert_one_line(res, 0, "too large", "using the defaults")
    assert len(warning) < 500
    assert snapshot(isolated_home) == before


def test_a_garbage_settings_file_warning_is_bounded(isolated_home):
    from postureguard.files import paths

    path = paths.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text("[posture]\n" + "".join(f"junk line {i} == {'x' * 500}\n" for i in range(1500)))
    res = pg("config", "show", home=isolated_home)
    warning = assert_one_line(res, 0, "1501 problems", "not valid TOML", "line 2:", "more (the original")
    assert len(warning) < 5000


# --------------------------------------------------------------------------------------------------
# 8: unreadable folders and files, control characters and huge texts in routines.json


@pytest.fixture
def shared_tmp():
    """A folder an unprivileged user may enter (pytest's tmp folder is the test user's only)."""
    folder = Path(tempfile.mkdtemp(prefix="pg-hostile-"))
    folder.chmod(0o755)
    yield folder
    for p in folder.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(folder)


def _unprivileged_home(folder: Path) -> Path:
    home = folder / "home"
    home.mkdir()
    home.chmod(0o777)
    return home


def test_an_unreadable_sub_folder_is_reported_not_skipped(one_png, shared_tmp):
    frames = shared_tmp / "frames"
    (frames / "a").mkdir(parents=True)
    (frames / "b").mkdir()
    shutil.copy(one_png, frames / "a" / "1.png")
    shutil.copy(one_png, frames / "b" / "2.png")
    for p in (frames, frames / "a", frames / "b"):
        p.chmod(0o755)
    (frames / "a" / "1.png").chmod(0o644)
    (frames / "b").chmod(0o000)
    res = pg("analyze", frames, home=_unprivileged_home(shared_tmp), unprivileged=True)
    assert_one_line(res, errors.exit_code(errors.SourceError), f"cannot read folder {frames / 'b'}",
                    "permission denied")
    assert res.stdout == ""


def test_an_unreadable_image_says_permission_denied(one_png, shared_tmp):
    image = shared_tmp / "locked.png"
    shutil.copy(one_png, image)
    image.chmod(0o000)
    res = pg("analyze", image, home=_unprivileged_home(shared_tmp), unprivileged=True)
    assert_one_line(res, errors.exit_code(errors.SourceError), f"cannot read image {image}",
                    "permission denied")


def _routine(**changes) -> dict:
    routine = {
        "id": "my-neck",
        "title": "My neck",
        "triggers": ["stress"],
        "steps": [
            {"point": "HT7", "action": "press", "side": "left", "seconds": 60, "instruction": "Press."}
        ],
        "evidence": {"level": "none", "source": "mine"},
        "cautions": "Gently.",
    }
    routine.update(changes)
    return routine


def _write_routines(home: Path, *routines: dict) -> Path:
    path = config_dir(home) / "routines.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "routines": list(routines)}))
    return path


def test_control_characters_in_routines_never_reach_the_terminal(isolated_home):
    hostile = _routine(
        title="\x1b[31mRed\x1b[0m title\x07",
        cautions="Gently.\x1b]0;owned\x07 \x1b[2J\x1b[HStop if it hurts.\u202e\x00",
        evidence={"level": "none", "source": "mine\x9b31m"},
    )
    path = _write_routines(isolated_home, hostile)
    before = path.read_bytes()
    for argv in (["routines"], ["routine", "show", "my-neck"]):
        res = pg(*argv, home=isolated_home)
        assert res.returncode == 0, res.stderr
        for char in ("\x1b", "\x07", "\x00", "\x9b", "\u202e"):
            assert char not in res.stdout, (argv, char)
        assert "Red title" in res.stdout
    shown = pg("routine", "show", "my-neck", home=isolated_home).stdout
    assert "Gently. Stop if it hurts." in " ".join(shown.split())
    assert path.read_bytes() == before


def test_huge_routine_texts_are_refused_fast(isolated_home):
    for size, fragment in ((5_000_000, "too large"), (500_000, "at most 4000 fit")):
        path = _write_routines(isolated_home, _routine(cautions="x" * size))
        before = path.read_bytes()
        started = time.monotonic()
        res = pg("routine", "show", "my-neck", home=isolated_home)
        assert time.monotonic() - started < 20
        assert_one_line(res, errors.exit_code(errors.DataError), "routines.json", fragment)
        assert path.read_bytes() == before


# --------------------------------------------------------------------------------------------------
# Property tests: generated input at the real entry points

FEW = settings(max_examples=30, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: option -> (low, high, low open, whole numbers): the ranges the command line promises.
RANGES = {
    "--sustain": (1, 3600, False, False),
    "--cooldown": (0, 86400, False, False),
    "--sitting-limit": (0, 600, False, False),
    "--interval": (0, 3600, True, False),
    "--fps": (0, 240, True, False),
    "--calibrate-frames": (1, 10000, False, True),
}


def _accepted(option: str, text: str) -> bool:
    lo, hi, lo_open, whole = RANGES[option]
    try:
        value = int(text.strip(), 10) if whole else float(text.strip())
    except ValueError:
        return False
    return math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi


number_texts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.floats(-1e5, 1e5).map(lambda f: f"{f:.3g}"),
    st.text(st.sampled_from("0123456789.-+eEinfa _x"), max_size=8),
)


@FEW
@given(option=st.sampled_from(sorted(RANGES)), text=number_texts)
def test_property_command_line_numbers(tmp_path_factory, option, text):
    home = tmp_path_factory.mktemp("h")
    res = pg("analyze", home / "missing.png", f"{option}={text}", home=home)
    lines = error_lines(res)
    assert "Traceback" not in res.stderr and len(lines) == 1, res.stderr
    if _accepted(option, text):
        assert res.returncode == errors.exit_code(errors.SourceError), (option, text, res.stderr)
        assert "no such file" in lines[0]
    else:
        assert res.returncode == 2, (option, text, res.stderr)
        assert option in lines[0] and "must be" in lines[0]
    assert snapshot(home) == {}


toml_scalars = st.one_of(
    st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=20), st.sampled_from(["LI4", "ZZ9", "hegu", "\x1b[31m", "22:00-07:00"]),
)
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


@st.composite
def settings_texts(draw):
    from postureguard.settings.config import SPECS

    if draw(st.booleans()):
        return draw(st.text(max_size=200))
    lines = []
    for spec in draw(st.lists(st.sampled_from(SPECS), max_size=6, unique=True)):
        value = draw(toml_values)
        if isinstance(value, float) and not math.isfinite(value):
            text = {True: "inf", False: "-inf"}[value > 0] if not math.isnan(value) else "nan"
        else:
            text = json.dumps(value)
        lines.append(f"[{spec.section}]\n{spec.name} = {text}")
    if draw(st.booleans()):
        lines.append("a = " + "[" * draw(st.integers(1, 3000)))
    return "\n".join(lines)


@FEW
@given(text=settings_texts())
def test_property_settings_files(tmp_path_factory, text):
    home = tmp_path_factory.mktemp("h")
    path = config_dir(home) / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    before = path.read_bytes()
    res = pg("config", "show", home=home)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 0, res.stderr
    assert len(error_lines(res)) <= 1, res.stderr
    assert "\x1b" not in res.stderr
    assert path.read_bytes() == before


reference_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.floats(-2, 4), st.integers(-5, 10**7 + 5),
    st.text(max_size=3), st.none(), st.booleans(),
)


def _plausible(ref: dict) -> bool:
    from postureguard.engine.calibration import MAX_CALIBRATION_SAMPLES, REFERENCE_RANGES

    for name, (lo, hi, _unit) in REFERENCE_RANGES.items():
        v = ref[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            return False
    s = ref["samples"]
    if isinstance(s, float) and s.is_integer():
        s = int(s)
    return not isinstance(s, bool) and isinstance(s, int) and 1 <= s <= MAX_CALIBRATION_SAMPLES


@FEW
@given(data=st.data())
def test_property_calibration_files(tmp_path_factory, real_calibration, data):
    home = tmp_path_factory.mktemp("h")
    doc = json.loads(json.dumps(real_calibration))
    for name in data.draw(st.lists(st.sampled_from([*CALIBRATION_FIELDS, "samples"]), max_size=3)):
        doc["reference"][name] = data.draw(reference_numbers)
    cal = home / "cal.json"
    cal.write_text(json.dumps(doc))
    before = cal.read_bytes()
    res = pg("analyze", home / "missing.png", "--calibration", cal, home=home / "pg")
    lines = error_lines(res)
    assert "Traceback" not in res.stderr and len(lines) == 1, res.stderr
    if _plausible(doc["reference"]):
        assert res.returncode == errors.exit_code(errors.SourceError), res.stderr
    else:
        assert res.returncode == errors.exit_code(errors.CalibrationError), res.stderr
        assert "calibrat" in lines[0]
    assert cal.read_bytes() == before


hostile_text = st.lists(
    st.one_of(st.characters(), st.sampled_from(["\x1b[31m", "\x1b]0;x\x07", "\x9b", "\u202e"])), max_size=20
).map("".join)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-1000, 10**6), st.floats(allow_nan=False), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


@FEW
@given(data=st.data())
def test_property_routines_files(tmp_path_factory, data):
    home = tmp_path_factory.mktemp("h")
    routine = _routine()
    keys = ["title", "cautions", "id", "triggers", "steps", "evidence"]
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=3)):
        routine[key] = data.draw(st.one_of(hostile_text, json_values))
    if data.draw(st.booleans()):
        routine["steps"] = [{**_routine()["steps"][0], "instruction": data.draw(hostile_text) or "x",
                             "seconds": data.draw(st.one_of(st.floats(allow_nan=False), st.integers()))}]
    path = _write_routines(home, routine)
    before = path.read_bytes()
    res = pg("routines", home=home)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode in DOCUMENTED_CODES, res.stderr
    assert res.returncode in (0, errors.exit_code(errors.DataError)), res.stderr
    assert len(error_lines(res)) <= 1, res.stderr
    for char in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert char not in res.stdout
    if res.returncode == 0:
        assert "my-neck" in res.stdout or "yours" in res.stdout
    assert path.read_bytes() == before


def test_forget_before_ignores_a_report_named_after_an_impossible_day(isolated_home):
    from postureguard.commands.report import reports_dir

    folder = reports_dir()
    folder.mkdir(parents=True)
    odd = folder / "day-2024-13-45.png"
    odd.write_bytes(b"not ours")
    old = folder / "day-2024-01-02.png"
    old.write_bytes(b"old report")
    res = pg("forget", "--before", "2025-01-01", "--yes", home=isolated_home)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert odd.read_bytes() == b"not ours" and not old.exists()
