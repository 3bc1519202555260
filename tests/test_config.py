"""Settings: defaults, validation, the forgiving loader, atomic saving and ``postureguard config``."""

from __future__ import annotations

import json
import re
import stat
import tempfile
from pathlib import Path

import pytest
import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postureguard.cli import main
from postureguard.engine.settings import EngineSettings
from postureguard.errors import DataError, exit_code
from postureguard.settings import config as cfg
from postureguard.settings.config import (
    DEFAULTS,
    SPECS,
    Settings,
    format_value,
    is_quiet_time,
    load_settings,
    parse_quiet_hours,
    save_settings,
    with_value,
)

SPEC = {s.name: s for s in SPECS}


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bak-*"))


# -- defaults and conversions --------------------------------------------------------------------


def test_defaults_are_data_and_match_the_settings_class():
    assert Settings().as_dict() == DEFAULTS
    assert DEFAULTS["sensitivity"] == "medium" and DEFAULTS["sustain_seconds"] == 60
    assert DEFAULTS["sitting_limit_minutes"] == 50 and DEFAULTS["max_notifications_per_hour"] == 4
    assert DEFAULTS["pause_during_calls"] is True and DEFAULTS["avoid_points"] == ()
    assert Settings().changed() == {}


def test_missing_file_gives_defaults_without_warnings(tmp_path):
    result = load_settings(tmp_path / "nope.toml")
    assert result.settings == Settings() and result.warnings == [] and result.backup is None
    assert not (tmp_path / "nope.toml").exists()


def test_default_path_is_in_the_config_folder(isolated_home):
    save_settings(Settings(sensitivity="low"))
    assert (isolated_home / "config" / "settings.toml").is_file()
    assert load_settings().settings.sensitivity == "low"


def test_to_engine_maps_minutes_to_seconds():
    s = Settings(sensitivity="high", sustain_seconds=30, recovery_seconds=10, cooldown_minutes=20,
                 sitting_limit_minutes=45, break_minutes=3)
    e = s.to_engine()
    assert isinstance(e, EngineSettings)
    assert (e.sensitivity, e.sustain_s, e.recovery_s, e.cooldown_s, e.sitting_limit_s, e.break_s) == (
        "high", 30.0, 10.0, 1200.0, 2700.0, 180.0)
    assert Settings(sitting_limit_minutes=0).to_engine().sitting_limit_s is None
    assert s.to_engine(sustain_s=5.0).sustain_s == 5.0


def test_to_safety():
    s = Settings(
        pregnancy_mode=True, blood_thinners=True, avoid_points=("LI4", "GB21"), max_routine_minutes=5,
        routine_kind="exercises",
    )
    assert s.to_safety() == {
        "pregnancy": True, "blood_thinners": True, "avoid_points": ("LI4", "GB21"), "max_minutes": 5,
        "routine_kind": "exercises",
    }
    assert Settings().to_safety() == {
        "pregnancy": False, "blood_thinners": False, "avoid_points": (), "max_minutes": None,
        "routine_kind": "points",
    }


def test_settings_validate_on_construction():
    with pytest.raises(DataError, match="sustain_seconds"):
        Settings(sustain_seconds=0)
    with pytest.raises(DataError, match="notify_on_break"):
        Settings(notify_on_break=1)
    assert Settings(sensitivity="HIGH", avoid_points=["LI4", "LI4"]).avoid_points == ("LI4",)


def test_quiet_hours():
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("22:00-07:30") == (1320, 450)
    window = parse_quiet_hours("22:00-07:00")
    assert [is_quiet_time(window, m) for m in (21 * 60 + 59, 22 * 60, 0, 6 * 60 + 59, 7 * 60)] == [
        False, True, True, True, False]
    day = parse_quiet_hours("12:00-13:00")
    assert [is_quiet_time(day, m) for m in (719, 720, 779, 780)] == [False, True, True, False]
    assert not is_quiet_time(None, 0)
    for bad in ("24:00-01:00", "10:60-11:00", "10:00-10:00", "ten-eleven"):
        with pytest.raises(ValueError):
            parse_quiet_hours(bad)
    assert Settings(quiet_hours="7:05 - 8:00").quiet_hours == "07:05-08:00"


# -- saving --------------------------------------------------------------------------------------

CUSTOM = Settings(sensitivity="low", sustain_seconds=90, sitting_limit_minutes=0, quiet_hours="22:00-07:00",
                  notify_on_break=True, camera=2, avoid_points=("LI4", "GB-21"), max_routine_minutes=6,
                  pause_during_calls=False)


def test_round_trip_and_private_modes(tmp_path):
    path = tmp_path / "cfg" / "settings.toml"
    assert save_settings(CUSTOM, path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    result = load_settings(path)
    assert result.settings == CUSTOM and result.warnings == []
    # Grouped in sections, as documented.
    doc = tomllib.loads(path.read_text())
    assert doc["posture"]["sensitivity"] == "low" and doc["safety"]["avoid_points"] == ["LI4", "GB-21"]
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp file left behind


def test_fallback_writer_matches_tomli_w():
    doc = {s: {} for s in cfg.SECTIONS}
    for spec in SPECS:
        value = getattr(CUSTOM, spec.name)
        doc[spec.section][spec.name] = list(value) if isinstance(value, tuple) else value
    doc["notifications"]["quiet_hours"] = 'odd "quoted" \\ text\twith\u00e9 and \x01'
    assert tomllib.loads(cfg._dump_toml(doc)) == tomllib.loads(cfg.settings_to_toml(CUSTOM)) | {
        "notifications": doc["notifications"]}


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    save_settings(CUSTOM, path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    import postureguard.files.paths

    monkeypatch.setattr(postureguard.files.paths.os, "replace", broken_replace)
    with pytest.raises(DataError, match="cannot save settings to .*settings.toml: No space left"):
        save_settings(Settings(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_unwritable_location_is_one_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DataError, match="cannot save settings"):
        save_settings(Settings(), blocker / "settings.toml")


def test_saving_over_a_broken_file_backs_it_up_first(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[posture]\nsensitivity = 'loud'\n# my notes\n")
    original = path.read_bytes()
    save_settings(Settings(), path)
    backups = _backups(path)
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert load_settings(path).warnings == []


# -- malformed files ----------------------------------------------------------------------------

GOOD_LINES = """\
[posture]
sensitivity = "high"
sustain_seconds = 45
[sitting]
sitting_limit_minutes = 90
[safety]
avoid_points = ["LI4", "GB21"]
"""
GOOD = {"sensitivity": "high", "sustain_seconds": 45, "sitting_limit_minutes": 90,
        "avoid_points": ("LI4", "GB21")}


@pytest.mark.parametrize(
    ("name", "text", "bad_names"),
    [
        ("broken TOML", GOOD_LINES + "camera = = 3\n[notifications\nsnooze_minutes = 5\n",
         ["line 8", "line 9", "line 10"]),
        ("truncated", GOOD_LINES + '[app]\nstart_at_login = true\n[notifications]\nquiet_hours = "22:0',
         ["not valid TOML", "line 11"]),
        ("unknown key", GOOD_LINES + "[app]\ncolour = 'red'\n", ["[app] colour"]),
        ("wrong type", GOOD_LINES + "[notifications]\nnotify_on_break = 'yes'\nsnooze_minutes = '10'\n",
         ["notify_on_break", "snooze_minutes"]),
        ("out of range", GOOD_LINES + "[camera]\ncamera_width = 99999\ncamera = -1\n",
         ["camera_width", "[camera] camera"]),
        ("wrong section", GOOD_LINES + "[camera]\nbreak_minutes = 5\n", ["[camera] break_minutes"]),
        ("unknown section", GOOD_LINES + "[extras]\nfoo = 1\n", ["extras"]),
    ],
)
def test_malformed_file_keeps_valid_keys_names_bad_ones_and_backs_up(tmp_path, name, text, bad_names):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    original = path.read_bytes()
    result = load_settings(path)
    for key, value in GOOD.items():
        assert getattr(result.settings, key) == value, (name, key)
    assert len(result.warnings) == 1, name
    warning = result.warnings[0]
    assert str(path) in warning
    for bad in bad_names:
        assert bad in warning, (name, bad)
    assert result.backup is not None and result.backup.read_bytes() == original
    assert result.backup.name in warning
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    assert path.read_bytes() == original  # loading never rewrites the user's file
    # Bad entries fell back to their defaults.
    for key in ("notify_on_break", "snooze_minutes", "camera_width", "camera", "break_minutes"):
        assert getattr(result.settings, key) == DEFAULTS[key]


def test_truncated_file_keeps_its_last_complete_lines(tmp_path):
    path = tmp_path / "settings.toml"
    save_settings(CUSTOM, path)
    text = path.read_text()
    cut = text.index("pause_during_calls") + len("pause_during_c")
    path.write_text(text[:cut])
    result = load_settings(path)
    expected = CUSTOM.as_dict() | {"pause_during_calls": DEFAULTS["pause_during_calls"]}
    assert result.settings.as_dict() == expected
    assert result.warnings and "not valid TOML" in result.warnings[0]


def test_not_utf8_and_crlf_files_keep_what_they_can(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b'[posture]\r\nsensitivity = "low"\r\n\xff\xfe junk\r\nsustain_seconds = 30\r\n')
    result = load_settings(path)
    assert (result.settings.sensitivity, result.settings.sustain_seconds) == ("low", 30)
    assert "not UTF-8" in result.warnings[0]


def test_repeated_loads_of_the_same_broken_file_make_one_backup(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("sensitivity = 3\n")
    for _ in range(3):
        load_settings(path)
    assert len(_backups(path)) == 1
    path.write_text("sensitivity = 4\n")
    load_settings(path)
    assert len(_backups(path)) == 2


def test_unreadable_file_gives_defaults_and_a_warning(tmp_path):
    path = tmp_path / "settings.toml"
    path.mkdir()
    result = load_settings(path)
    assert result.settings == Settings()
    assert result.warnings and "cannot read settings file" in result.warnings[0]


def test_flat_file_without_sections_is_accepted(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('sensitivity = "low"\ncamera = 1\n')
    result = load_settings(path)
    assert (result.settings.sensitivity, result.settings.camera, result.warnings) == ("low", 1, [])


# -- values from text (CLI, tray) ---------------------------------------------------------------


def test_with_value_parses_each_kind():
    s = Settings()
    assert with_value(s, "sensitivity", " High ").sensitivity == "high"
    assert with_value(s, "posture.sustain_seconds", "30").sustain_seconds == 30
    assert with_value(s, "sitting_limit_minutes", "off").sitting_limit_minutes == 0
    assert with_value(s, "notify_on_break", "yes").notify_on_break is True
    assert with_value(s, "pause_during_calls", "off").pause_during_calls is False
    assert with_value(s, "avoid_points", "LI4, GB21 LI4").avoid_points == ("LI4", "GB21")
    assert with_value(s, "avoid_points", "").avoid_points == ()
    assert with_value(s, "quiet_hours", "none").quiet_hours == ""
    assert with_value(s, "quiet_hours", "23:00-6:00").quiet_hours == "23:00-06:00"


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("sensitivity", "extreme", "setting sensitivity: 'extreme' is not one of low, medium, high"),
        ("sustain_seconds", "0", "sustain_seconds: 0 is out of range: use a whole number from 1 to 3600"),
        ("sustain_seconds", "1.5", "sustain_seconds: '1.5' is not a whole number from 1 to 3600"),
        ("notify_on_break", "maybe", "notify_on_break: 'maybe' is not true or false"),
        ("quiet_hours", "25:00-01:00", "quiet_hours: hours must be 0-23"),
        ("avoid_points", "LI4, 4$", "avoid_points: '4$' is not an acupoint code"),
        ("sensitivty", "high", "unknown setting 'sensitivty'; did you mean sensitivity?"),
        ("camera.sensitivity", "high", "unknown setting 'camera.sensitivity'"),
        ("colour", "red", "unknown setting 'colour' (see 'postureguard config show' for all keys)"),
    ],
)
def test_with_value_errors_name_the_key_and_what_is_allowed(key, text, message):
    with pytest.raises(DataError) as info:
        with_value(Settings(), key, text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_format_value_reads_back(data):
    spec = data.draw(st.sampled_from(SPECS))
    value = data.draw(valid_value(spec))
    normal = cfg._check(spec, value)
    settings_ = Settings(**{spec.name: normal})
    assert with_value(Settings(), spec.name, format_value(normal)) == settings_


# -- the command line ---------------------------------------------------------------------------


def test_cli_config_set_get_show_path(isolated_home, capsys):
    path = isolated_home / "config" / "settings.toml"
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    assert main(["config", "set", "sensitivity", "high"]) == 0
    assert "sensitivity = high" in capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert main(["config", "get", "posture.sensitivity"]) == 0
    assert capsys.readouterr().out == "high\n"
    assert main(["config", "show"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert "sensitivity = high    * changed (default: medium)" in shown
    assert "sustain_seconds = 60" in shown  # unchanged keys are listed without the mark
    assert len([line for line in shown if " = " in line]) == len(SPECS)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["config", "set", "sensitivty", "high"], "did you mean sensitivity?"),
        (["config", "set", "sitting_limit_minutes", "1000"], "sitting_limit_minutes: 1000 is out of range"),
        (["config", "get", "nothing"], "unknown setting 'nothing'"),
    ],
)
def test_cli_config_errors_are_one_line_and_change_nothing(isolated_home, capsys, argv, error):
    path = isolated_home / "config" / "settings.toml"
    save_settings(CUSTOM, path)
    before = path.read_bytes()
    assert main(argv) == exit_code(DataError)
    err = capsys.readouterr().err
    assert err.startswith("postureguard: ") and error in err and err.count("\n") == 1
    assert path.read_bytes() == before


def test_cli_set_on_a_broken_file_warns_keeps_backup_and_valid_keys(isolated_home, capsys):
    path = isolated_home / "config" / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[posture]\nsensitivity = "low"\nsustain_seconds = "soon"\n')
    original = path.read_bytes()
    assert main(["config", "set", "camera", "1"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "sustain_seconds" in err
    saved = load_settings(path)
    assert saved.warnings == []
    s = saved.settings
    assert (s.sensitivity, s.camera, s.sustain_seconds) == ("low", 1, 60)
    assert [b.read_bytes() for b in _backups(path)] == [original]


# -- property tests: at least 1,000 generated files ----------------------------------------------


def valid_value(spec):
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "choices":
        return st.lists(st.sampled_from(spec.choices), max_size=4)
    if spec.kind == "int":
        return st.integers(spec.lo, spec.hi)
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "quiet":
        times = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 59))
        spans = times.filter(lambda t: t[:2] != t[2:]).map(
            lambda t: f"{t[0]:02d}:{t[1]:02d}-{t[2]:02d}:{t[3]:02d}")
        return st.one_of(st.just(""), spans)
    if spec.kind == "name":  # a profile's name: letters or digits, then also spaces, hyphens, dots
        return st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 _-]{0,20}[A-Za-z0-9]\Z")
    # Points to avoid must be points of the knowledge base (codes or aliases); unknown ones are dropped.
    from postureguard.knowledge.loader import load_knowledge

    names = sorted({n for p in load_knowledge(include_user=False).points for n in (p.code, *p.aliases)})
    return st.lists(st.sampled_from(names), max_size=4)


def invalid_value(spec):
    junk = st.one_of(st.dictionaries(st.sampled_from("ab"), st.integers(), min_size=1, max_size=1),
                     st.lists(st.integers(), min_size=1, max_size=2))
    if spec.kind == "choice":
        return st.one_of(st.text(max_size=8).filter(lambda t: t.strip().lower() not in spec.choices),
                         st.integers(), junk)
    if spec.kind == "int":
        return st.one_of(st.integers(max_value=spec.lo - 1), st.integers(min_value=spec.hi + 1),
                         st.booleans(), st.text(max_size=5), st.floats().filter(lambda f: not f.is_integer()),
                         junk)
    if spec.kind == "bool":
        return st.one_of(st.integers(), st.text(max_size=5), junk)
    if spec.kind == "quiet":
        return st.one_of(st.text(min_size=1, max_size=12).filter(_bad_quiet), st.integers(), junk)
    if spec.kind == "name":
        bad = st.sampled_from(["", " ", "../x", "a/b", ".hidden", "x" * 41, "end."])
        return st.one_of(bad, st.integers(), st.booleans(), junk)
    if spec.kind == "choices":
        def unknown_word(text):
            return any(w and w not in spec.choices for w in re.split(r"[,\s+]+", text.strip().lower()))

        words = st.text(min_size=1, max_size=8).filter(unknown_word)
        return st.one_of(words, st.integers(), st.booleans(), st.lists(words, min_size=1, max_size=2), junk)
    return st.one_of(st.text(max_size=5), st.integers(), st.lists(st.sampled_from(["", "1A", "a b", "x$"]),
                                                                  min_size=1, max_size=3))


def _bad_quiet(text: str) -> bool:
    try:
        parse_quiet_hours(text)
    except ValueError:
        return True
    return False


def _expected(spec, value):
    if spec.kind == "choices":  # kept in the order of the choices; "tray" only alone, and for none
        chosen = set(value) - {"tray"} if len(set(value)) > 1 else set(value)
        return tuple(c for c in spec.choices if c in chosen) or ("tray",)
    return tuple(dict.fromkeys(value)) if spec.kind == "points" else value


@st.composite
def documents(draw):
    """A TOML document: each key absent, valid or invalid; some unknown keys and sections too."""
    doc: dict = {}
    expect: dict = {}
    bad: list[str] = []
    for spec in SPECS:
        choice = draw(st.sampled_from(["absent", "valid", "invalid"]))
        if choice == "absent":
            continue
        value = draw(valid_value(spec) if choice == "valid" else invalid_value(spec))
        doc.setdefault(spec.section, {})[spec.name] = value
        if choice == "valid":
            expect[spec.name] = _expected(spec, value)
        else:
            bad.append(spec.name)
    unknown = draw(st.lists(st.from_regex(r"zz_[a-z]{1,6}", fullmatch=True), max_size=2, unique=True))
    for name in unknown:
        doc.setdefault(draw(st.sampled_from(cfg.SECTIONS)), {})[name] = 1
    return doc, expect, bad, unknown


#: Three property tests at this budget throw 1,200 generated files at the loader.
ENOUGH = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


def _load_text(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.toml"
        path.write_bytes(data)
        result = load_settings(path)
        assert isinstance(result.settings, Settings)
        assert all(isinstance(w, str) and "\n" not in w for w in result.warnings)
        if result.warnings:
            # Whatever the file held, its exact bytes are kept before anything could rewrite it.
            assert result.backup is not None and result.backup.read_bytes() == data
        assert path.read_bytes() == data
        return result


@ENOUGH
@given(documents())
def test_property_valid_documents_with_mixed_values(case):
    import tomli_w

    doc, expect, bad, unknown = case
    result = _load_text(tomli_w.dumps(doc).encode())
    for name, value in expect.items():
        assert getattr(result.settings, name) == value, name
    for name in bad:
        assert getattr(result.settings, name) == DEFAULTS[name]
        assert name in result.warnings[0]
    for name in unknown:
        assert name in result.warnings[0]
    assert bool(result.warnings) == bool(bad or unknown)


def _toml_line(name: str, value) -> str:
    """One ``key = value`` line, written here independently of the code under test."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, list):
        text = "[" + ", ".join(json.dumps(v) for v in value) + "]"
    else:
        text = json.dumps(value)
    return f"{name} = {text}"


garbage_lines = st.text(st.characters(exclude_characters="\n"), max_size=30).filter(
    lambda line: "=" not in line and not line.strip().startswith("["))


@ENOUGH
@given(st.data())
def test_property_toml_ish_text_never_loses_a_valid_key(data):
    lines: list[str] = []
    expect: dict = {}
    for section in cfg.SECTIONS:
        lines.append(f"[{section}]")
        for spec in (s for s in SPECS if s.section == section):
            lines.extend(data.draw(st.lists(garbage_lines, max_size=2)))
            if data.draw(st.booleans()):
                value = data.draw(valid_value(spec))
                lines.append(_toml_line(spec.name, value))
                expect[spec.name] = _expected(spec, value)
    text = "\n".join(lines)
    if data.draw(st.booleans()):  # cut short, as a crash in the middle of a hand edit might
        text = text[: data.draw(st.integers(0, len(text)))]
        keep = text.split("\n")[:-1]  # the last line may be cut: only complete lines are promised
        expect = {k: v for k, v in expect.items() if any(line.startswith(k + " =") for line in keep)}
    result = _load_text(text.encode("utf-8", errors="surrogatepass"))
    for name, value in expect.items():
        assert getattr(result.settings, name) == value, (name, text)


@ENOUGH
@given(st.one_of(st.binary(max_size=300),
                 st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_property_arbitrary_bytes_never_crash(data):
    _load_text(data)



def test_blood_thinners_is_a_safety_setting_set_by_the_real_command(isolated_home):
    import os
    import subprocess
    import sys

    env = {**os.environ, "POSTUREGUARD_HOME": str(isolated_home)}
    run = subprocess.run(
        [sys.executable, "-m", "postureguard", "config", "set", "blood_thinners", "yes"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    text = (isolated_home / "config" / "settings.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["safety"]["blood_thinners"] is True
    assert load_settings(isolated_home / "config" / "settings.toml").settings.to_safety()["blood_thinners"]
    bad = subprocess.run(
        [sys.executable, "-m", "postureguard", "config", "set", "blood_thinners", "maybe"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "blood_thinners" in bad.stderr
    assert (isolated_home / "config" / "settings.toml").read_text(encoding="utf-8") == text


def test_stand_up_nudge_setting_reaches_the_engine_and_config_command(isolated_home):
    import subprocess
    import sys

    from postureguard.engine.events import StandUpNudge
    from postureguard.engine.policy import alert_text, alert_title

    assert DEFAULTS["stand_up_nudge_minutes"] == 30 and Settings().to_engine().stand_up_nudge_s == 1800.0
    assert Settings(stand_up_nudge_minutes=0).to_engine().stand_up_nudge_s is None
    with pytest.raises(DataError, match="stand_up_nudge_minutes"):
        Settings(stand_up_nudge_minutes=-5)
    path = isolated_home / "config" / "settings.toml"

    def pg(*argv):
        return subprocess.run([sys.executable, "-m", "postureguard", "config", *argv],
                              capture_output=True, text=True, timeout=60)

    done = pg("set", "stand_up_nudge_minutes", "off")
    assert done.returncode == 0, done.stderr
    assert load_settings(path).settings.to_engine().stand_up_nudge_s is None
    bad = pg("set", "stand_up_nudge_minutes", "9999")
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1
    assert "stand_up_nudge_minutes: 9999 is out of range" in bad.stderr and "Traceback" not in bad.stderr
    assert load_settings(path).settings.stand_up_nudge_minutes == 0  # nothing changed
    nudge = StandUpNudge(t=0.0, minutes=30.0)
    assert alert_title(nudge) == "Stand up for a few minutes"
    text = alert_text(nudge)
    assert text.startswith("You have been sitting for 30 minutes.") and "2-5 minutes" in text
