"""`postureguard routines`, `routine show ID` and `points [CODE]`, in-process and as a real process."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from postureguard.cli import main
from postureguard.commands import routines as routines_cmd
from postureguard.errors import DataError, exit_code
from postureguard.files import paths
from postureguard.knowledge.loader import load_knowledge

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(include_user=False)


def test_routines_lists_every_routine(capsys, kb):
    assert main(["routines"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "TRIGGERS", "MIN", "SHORT", "EVIDENCE"]
    for routine in kb.routines:
        row = next(line for line in lines if line.startswith(routine.id + " "))
        assert routine.title in row
        assert ", ".join(routine.triggers) in row
        assert f"{routine.minutes:.1f}" in row
        assert row.rstrip().endswith(routine.evidence.level)


def test_routine_show_gives_steps_locations_cautions_red_flags_evidence(capsys, kb):
    assert main(["routine", "show", "neck-release"]) == 0
    out, _ = capsys.readouterr()
    gb21 = kb.point("GB21")
    assert out.startswith("Neck release  [neck-release]")
    assert " 1. GB21 Jianjing (Shoulder Well), both sides at once, 3 min (short: 40 s)" in out
    assert " 2. TE3 Zhongzhu (Central Islet), left side" in out
    assert "Where: see step 2." in out  # the right-hand TE3 refers back instead of repeating
    assert " 4. Move, 1 min (short: 30 s)" in out
    flat = " ".join(out.split())
    assert gb21.location in flat and gb21.find in flat and gb21.cautions in flat
    assert "Stop and see a doctor instead if:" in out
    assert "URGENT, get care now: A sudden, severe headache." in flat
    assert "Matsubara 2011" in flat
    assert kb.disclaimer in flat


def test_routine_show_marks_light_pressure_and_pregnancy(capsys):
    assert main(["routine", "show", "seated-legs-low-back"]) == 0
    out, _ = capsys.readouterr()
    assert "Pressure: LIGHT pressure only, steady." in out  # BL40
    assert "pregnant" in out  # BL23's caution
    assert " 1. Move, 2 min" in out


def test_unknown_routine_is_one_line_with_close_matches(capsys):
    code = main(["routine", "show", "nek-release"])
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("postureguard: no routine 'nek-release'; did you mean neck-release")


def test_routine_without_action_is_a_clear_error(capsys):
    code = main(["routine"])
    _, err = capsys.readouterr()
    assert code != 0 and "routine show" in err and err.count("\n") == 1


def test_points_lists_all_and_shows_one_by_alias(capsys, kb):
    assert main(["points"]) == 0
    out, _ = capsys.readouterr()
    codes = [line.split()[0] for line in out.splitlines()[1:] if line and not line.startswith("Details")]
    assert codes == [p.code for p in kb.points]
    li4_row = next(line for line in out.splitlines() if line.startswith("LI4 "))
    assert "not in pregnancy" in li4_row

    assert main(["points", "SJ3"]) == 0
    out, _ = capsys.readouterr()
    te3 = kb.point("TE3")
    assert out.startswith("TE3 Zhongzhu (Central Islet)")
    assert "Also written: SJ3, TB3, TW3, TH3" in out
    flat = " ".join(out.split())
    assert te3.location in flat and te3.find in flat and te3.note in flat
    assert "Used in: neck-release" in out


def test_unknown_point_exits_non_zero(capsys):
    code = main(["points", "XX99"])
    out, err = capsys.readouterr()
    assert code != 0 and out == "" and err.startswith("postureguard: no point 'XX99'")


def test_user_routines_appear_and_broken_user_file_fails_cleanly(capsys):
    path = paths.user_routines_file()
    path.parent.mkdir(parents=True)
    routine = {
        "id": "my-wrists",
        "title": "My wrists",
        "triggers": ["stress"],
        "steps": [
            {"point": "HT7", "action": "press", "side": "left", "seconds": 60, "instruction": "Press."}
        ],
        "evidence": {"level": "none", "source": "mine"},
        "cautions": "Gently.",
    }
    path.write_text(json.dumps({"version": 1, "routines": [routine]}), encoding="utf-8")
    assert main(["routines"]) == 0
    out, _ = capsys.readouterr()
    assert "my-wrists" in out and "My wrists (yours)" in out

    routine["steps"][0]["seconds"] = -1
    path.write_text(json.dumps({"version": 1, "routines": [routine]}), encoding="utf-8")
    code = main(["routines"])
    out, err = capsys.readouterr()
    assert code == exit_code(DataError)
    assert out == ""
    assert err.count("\n") == 1
    assert "routines.json: routine 'my-wrists' step 1: field 'seconds'" in err
    assert path.read_text(encoding="utf-8").count("my-wrists") == 1  # the user's file is left as it was


def test_routine_group_accepts_actions_from_other_modules():
    parser = argparse.ArgumentParser(prog="postureguard")
    sub = parser.add_subparsers(dest="command")
    routines_cmd.register(sub)
    play = routines_cmd.routine_actions(sub).add_parser("play")
    play.add_argument("id")
    args = parser.parse_args(["routine", "play", "eye-strain"])
    assert (args.command, args.routine_action, args.id) == ("routine", "play", "eye-strain")
    assert parser.parse_args(["routine", "show", "x"]).func is routines_cmd.cmd_routine_show


def test_format_duration():
    assert routines_cmd.format_duration(180) == "3 min"
    assert routines_cmd.format_duration(90) == "1 min 30 s"
    assert routines_cmd.format_duration(40) == "40 s"


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "POSTUREGUARD_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "postureguard", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_real_process(isolated_home):
    listing = _run("routines", home=isolated_home)
    assert listing.returncode == 0, listing.stderr
    assert "neck-release" in listing.stdout and "traditional use" in listing.stdout

    unknown = _run("routine", "show", "eye-strian", home=isolated_home)
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr
    assert unknown.stderr.strip() == "postureguard: no routine 'eye-strian'; did you mean eye-strain?"
    assert not isolated_home.exists()  # reading the knowledge base creates nothing in the user's home
