"""The knowledge base in German and Spanish: the catalog of ``data/acupoints.json`` complete, current and
faithful (numbers, point codes and the cautions' key words kept), the loader returning it in the chosen
language (the user's own routines as written), and the real commands and player window showing it.

Catalogs are read from the repository (``src/postureguard/locale/<lang>/LC_MESSAGES/knowledge.po``);
``scripts/extract_knowledge.py`` is run and imported as it is; the commands run as real processes with
their own POSTUREGUARD_HOME. Screenshots go to test-results/ for a person to look at.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from postureguard import i18n
from postureguard.knowledge.loader import MAX_INSTRUCTION_CHARS, MAX_TEXT_CHARS, load_knowledge

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "src" / "postureguard" / "locale"
EXTRACTOR = REPO / "scripts" / "extract_knowledge.py"
DATA = REPO / "data" / "acupoints.json"
LANGS = ("de", "es")


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_knowledge", EXTRACTOR)
    assert spec is not None and spec.loader is not None, f"{EXTRACTOR} is missing"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalog(lang: str):
    with (LOCALE / lang / "LC_MESSAGES" / "knowledge.po").open("rb") as handle:
        return read_po(handle, locale=lang, domain="knowledge")


def _translations(lang: str) -> dict[str, str]:
    return {str(m.id): str(m.string or "") for m in _catalog(lang) if m.id}


# ----- current and complete ------------------------------------------------------------------------


def test_the_catalogs_are_current_with_the_data_file():
    """What the extractor finds in acupoints.json is exactly what the template and catalogs hold."""
    result = subprocess.run(
        [sys.executable, str(EXTRACTOR), "--check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    texts = {text for _path, text in _extractor().collect(json.loads(DATA.read_text(encoding="utf-8")))}
    for lang in LANGS:
        assert set(_translations(lang)) == texts, lang


def test_the_extractor_sees_a_new_sentence_and_skips_data_fields():
    """A new step, caution or red flag becomes a message; ids, codes, pinyin, anchors and numbers never do."""
    extractor = _extractor()
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    before = {text for _path, text in extractor.collect(doc)}
    doc["routines"][0]["steps"][0]["instruction"] = "Press GB21 for 30 seconds, new wording."
    doc["red_flags"].append({"text": "A brand-new warning sign.", "emergency": False})
    after = dict((text, path) for path, text in extractor.collect(doc))
    assert set(after) - before == {"Press GB21 for 30 seconds, new wording.", "A brand-new warning sign."}
    assert after["A brand-new warning sign."] == f"red_flags[{len(doc['red_flags'])}].text"
    point = doc["points"][0]
    routine = doc["routines"][0]
    data = (point["code"], point["pinyin"], point["region"], point["anchor"]["from"], routine["id"],
            routine["triggers"][0], doc["anchor_spec"])  # fmt: skip
    for value in data:
        assert value not in after, value
    # The English source of every user-facing field is there (one of each kind, spot-checked).
    assert {point["english"], point["meridian"], point["location"], point["find"], point["cautions"],
            point["technique"]["motion"], doc["disclaimer"], doc["bleeding_caution"],
            doc["routines"][0]["title"], doc["routines"][0]["evidence"]["source"]} <= set(after)  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_every_knowledge_sentence_is_translated_and_none_is_fuzzy(lang):
    catalog = _catalog(lang)
    missing = [m.id for m in catalog if m.id and not str(m.string or "").strip()]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert len(catalog) > 150, f"only {len(catalog)} messages: the extraction lost fields"
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


# ----- faithful ------------------------------------------------------------------------------------

#: A point code (GB21, LI4, EX-HN3) or a vertebra (C7, T1, L2): kept letter for letter.
_CODE = re.compile(r"\b(?:[A-Z]{1,3}-)?[A-Z]{1,3}\d{1,3}\b")
#: A number as written: digits with an optional decimal part (1.5 in English is 1,5 in German), or
#: a vulgar fraction.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?|[½⅓⅔¼¾]")


def _codes_and_numbers(text: str) -> tuple[list[str], list[str]]:
    codes = sorted(_CODE.findall(text))
    numbers = sorted(n.replace(",", ".") for n in _NUMBER.findall(_CODE.sub(" ", text)))
    return codes, numbers


def _faithless(msgid: str, msgstr: str) -> list[str]:
    """What ``msgstr`` lost or changed of ``msgid``'s codes and numbers (every occurrence counts)."""
    (codes, numbers), (got_codes, got_numbers) = _codes_and_numbers(msgid), _codes_and_numbers(msgstr)
    out = []
    if codes != got_codes:
        out.append(f"codes {codes} -> {got_codes}")
    if numbers != got_numbers:
        out.append(f"numbers {numbers} -> {got_numbers}")
    return out


def test_the_number_check_catches_a_changed_number_or_code():
    assert _faithless("3 B-cun below ST35, 1.5 B-cun out", "3 B-cun unter ST35, 1,5 B-cun neben") == []
    assert _faithless("3 B-cun below ST35", "4 B-cun unter ST35")
    assert _faithless("3 B-cun below ST35", "3 B-cun unter ST36")
    assert _faithless("about 2½ finger widths", "etwa 2 Fingerbreiten")
    assert _faithless("20 feet (about 6 metres) for 20 seconds", "6 Meter für 20 Sekunden")


@pytest.mark.parametrize("lang", LANGS)
def test_every_translation_keeps_its_numbers_and_point_codes(lang):
    wrong = {
        msgid: problems
        for msgid, msgstr in _translations(lang).items()
        if msgstr and (problems := _faithless(msgid, msgstr))
    }
    assert not wrong, f"{lang}: {len(wrong)} entries changed numbers or codes: {list(wrong.items())[:3]}"


#: A caution's key words (English, as a regex) and what each translation must then say: a warning
#: must stay a warning (stop, never, a doctor, emergency services, pregnancy, light pressure only).
_CAUTION_WORDS: list[tuple[str, dict[str, str]]] = [
    (r"pregnan", {"de": r"schwanger", "es": r"embaraz"}),
    (r"emergency services", {"de": r"Notruf", "es": r"servicios de emergencia"}),
    (r"\burgent", {"de": r"dringend", "es": r"urgente"}),
    (r"\bdoctor|clinician", {"de": r"Arzt|Ärzt|ärzt", "es": r"médic|oftalm"}),
    (r"\btoday\b", {"de": r"heute", "es": r"\bhoy\b"}),
    (r"\bnever\b", {"de": r"\bnie\b|\bniemals\b", "es": r"\bnunca\b"}),
    (r"\bstop\b", {"de": r"aufhören|hören Sie auf|Hören Sie auf", "es": r"\bpare\b|\bPare\b"}),
    (r"\blight(ly)?\b(?!-headed)", {"de": r"leicht", "es": r"suave|ligera"}),
    (r"blood thinner", {"de": r"Blutverdünner", "es": r"anticoagula|diluye la sangre"}),
    (r"bleeding disorder", {"de": r"Blutgerinnungsstörung", "es": r"trastorno de la coagulación"}),
    (r"blood clot|\bclot\b", {"de": r"Blutgerinnsel", "es": r"coágulo"}),
    (r"varicose", {"de": r"Krampfader", "es": r"varices"}),
    (r"osteoporosis", {"de": r"Osteoporose", "es": r"osteoporosis"}),
    (r"dizz|light-headed", {"de": r"schwindl|Schwindel", "es": r"mare"}),
    (r"numbness", {"de": r"Taubheit", "es": r"entumecimiento"}),
    (r"stroke", {"de": r"Schlaganfall", "es": r"ictus"}),
    (r"heart attack", {"de": r"Herzinfarkt", "es": r"infarto"}),
    (r"\bcure\b", {"de": r"heil", "es": r"\bcur"}),
    (r"not medical advice", {"de": r"keine ärztliche Beratung", "es": r"no consejo médico"}),
]


@pytest.mark.parametrize("lang", LANGS)
def test_cautions_stay_cautions(lang):
    """Every sentence with a caution's key word says the same in translation (a cheap guard against a
    dropped "never", "stop" or "see a doctor"; the wording itself was translated and read by a person)."""
    lost = []
    for msgid, msgstr in _translations(lang).items():
        for english, wanted in _CAUTION_WORDS:
            said = re.search(wanted[lang], msgstr, re.IGNORECASE)
            if re.search(english, msgid, re.IGNORECASE) and not said:
                lost.append(f"{english!r} not rendered as {wanted[lang]!r} in {msgstr[:90]!r}")
    assert not lost, f"{lang}: {len(lost)} cautions lost a key word, e.g. {lost[:3]}"


# ----- loaded in the chosen language ---------------------------------------------------------------


@pytest.fixture
def language():
    """Set the lookup language for one test and restore English afterwards."""
    yield i18n.set_language
    i18n.set_language("en")


def _user_texts(kb) -> list[tuple[str, str]]:
    """Every (field, text) of the knowledge base that a user reads."""
    out: list[tuple[str, str]] = [("disclaimer", kb.disclaimer), ("bleeding_caution", kb.bleeding_caution)]
    for p in kb.points:
        out += [(f"{p.code}.{name}", getattr(p, name)) for name in ("english", "meridian", "location",
                                                                     "find", "cautions", "note")]  # fmt: skip
        out.append((f"{p.code}.motion", p.technique.motion))
    for r in kb.routines:
        out += [(f"{r.id}.title", r.title), (f"{r.id}.cautions", r.cautions)]
        out += [(f"{r.id}.evidence", r.evidence.source), (f"{r.id}.level", r.evidence.level_text)]
        out += [(f"{r.id}.step{i}", s.instruction) for i, s in enumerate(r.steps, 1)]
    out += [(f"red_flag{i}", f.text) for i, f in enumerate(kb.red_flags, 1)]
    return [(name, text) for name, text in out if text]


@pytest.mark.parametrize("lang", LANGS)
def test_the_loader_returns_every_user_facing_text_translated(language, lang):
    english = dict(_user_texts(load_knowledge(include_user=False)))
    language(lang)
    translated = dict(_user_texts(load_knowledge(include_user=False)))
    table = _translations(lang)
    assert translated.keys() == english.keys()
    wrong = [name for name, text in english.items() if translated[name] != table.get(text)]
    assert not wrong, f"{lang}: not translated by the loader: {wrong[:5]}"
    unchanged = [name for name, text in english.items() if translated[name] == text]
    assert not unchanged, f"{lang}: still English: {unchanged[:5]}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_fit_where_the_loader_puts_them(language, lang):
    """The player shows a step's instruction on one line and a title in the window's title bar: the
    translation keeps the limits the loader checks on the English text."""
    language(lang)
    kb = load_knowledge(include_user=False)
    for routine in kb.routines:
        assert len(routine.title) <= 80 and "\n" not in routine.title, routine.title
        for step in routine.steps:
            assert len(step.instruction) <= MAX_INSTRUCTION_CHARS, (len(step.instruction), step.instruction)
            assert "\n" not in step.instruction
    for _name, text in _user_texts(kb):
        assert len(text) <= MAX_TEXT_CHARS


def test_codes_ids_and_choices_stay_as_in_the_file(language):
    english = load_knowledge(include_user=False)
    language("de")
    german = load_knowledge(include_user=False)
    for a, b in zip(english.points, german.points, strict=True):
        assert (a.code, a.aliases, a.pinyin, a.region, a.anchor, a.technique.pressure) == (
            b.code, b.aliases, b.pinyin, b.region, b.anchor, b.technique.pressure)  # fmt: skip
    for a, b in zip(english.routines, german.routines, strict=True):
        assert (a.id, a.triggers, a.evidence.level, a.total_seconds) == (
            b.id, b.triggers, b.evidence.level, b.total_seconds)  # fmt: skip
        assert [(s.point, s.action, s.side, s.seconds, s.reps, s.figure) for s in a.steps] == [
            (s.point, s.action, s.side, s.seconds, s.reps, s.figure) for s in b.steps]  # fmt: skip
    assert german.point("Hegu").code == "LI4"  # pinyin still finds the point
    assert german.point("LI4").label == "LI4 Hegu (Vereinigtes Tal)"


def _user_routine(title: str, instruction: str) -> dict:
    return {
        "id": "my-neck",
        "title": title,
        "triggers": ["neck_strain"],
        "steps": [
            {"point": "GB21", "action": "press", "side": "both", "seconds": 60, "instruction": instruction}
        ],
        "evidence": {"level": "low", "source": "Neck release"},
        "cautions": "Neck release",
    }


def test_the_users_own_routines_are_never_translated(language, tmp_path):
    """A user writes routines.json in their own words; even a text that happens to be a bundled English
    sentence stays exactly as written, while the built-in routine of the same words is translated."""
    builtin = load_knowledge(include_user=False).routine("neck-release")
    user_file = tmp_path / "routines.json"
    routine = _user_routine("Neck release", builtin.steps[0].instruction)
    user_file.write_text(json.dumps({"version": 1, "routines": [routine]}), encoding="utf-8")
    language("de")
    kb = load_knowledge(user_file=user_file)
    mine = kb.routine("my-neck")
    assert mine.origin == "user"
    assert (mine.title, mine.steps[0].instruction, mine.cautions, mine.evidence.source) == (
        "Neck release", builtin.steps[0].instruction, "Neck release", "Neck release")  # fmt: skip
    assert kb.routine("neck-release").title == "Nacken lösen"
    # The bundled points that a user routine presses are shown translated.
    assert kb.point("GB21").english == "Schulterbrunnen"


def test_a_broken_data_file_is_still_reported_from_the_english_source(language, tmp_path):
    """Validation runs on the file's own (English) text before any lookup: a too-long instruction is
    reported with its own length, in the user's language."""
    from postureguard.errors import DataError

    doc = json.loads(DATA.read_text(encoding="utf-8"))
    doc["routines"][0]["steps"][0]["instruction"] = "x" * (MAX_INSTRUCTION_CHARS + 1)
    broken = tmp_path / "acupoints.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    language("de")
    with pytest.raises(DataError, match=rf"step 1: \w+ 'instruction': .*\b{MAX_INSTRUCTION_CHARS + 1}\b"):
        load_knowledge(broken, include_user=False)


# ----- the real commands ---------------------------------------------------------------------------


def _command(home: Path, env_language: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    chosen = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "POSTUREGUARD_LANGUAGE")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    env.update(POSTUREGUARD_HOME=str(home), COLUMNS="100", **env_language)
    return subprocess.run(
        [str(Path(sys.executable).parent / "postureguard"), *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("env", "lang"),
    [({"LANGUAGE": "de"}, "de"), ({"LANG": "es_ES.UTF-8"}, "es"), ({"LANG": "C.UTF-8"}, "en")],
)
def test_routine_show_speaks_the_desktop_language(isolated_home, env, lang):
    result = _command(isolated_home, env, "routine", "show", "neck-release")
    assert result.returncode == 0, result.stderr
    out = _flat(result.stdout)
    english = load_knowledge(include_user=False)
    routine, gb21 = english.routine("neck-release"), english.point("GB21")
    sentences = [routine.title, routine.steps[0].instruction, routine.cautions, gb21.location, gb21.find,
                 gb21.cautions, english.red_flags[0].text, english.disclaimer,
                 english.bleeding_caution]  # fmt: skip
    table = _translations(lang) if lang != "en" else {s: s for s in sentences}
    for sentence in sentences:
        assert table[sentence] in out, (lang, table[sentence][:60], result.stdout[:400])
        if lang != "en":
            assert sentence not in out, f"English left in the {lang} output: {sentence[:60]}"
    assert "GB21 Jianjing" in out and "TE3 Zhongzhu" in out  # codes and pinyin as they are


def test_points_and_routines_tables_in_spanish(isolated_home):
    result = _command(isolated_home, {"LANGUAGE": "es"}, "points", "LI4")
    assert result.returncode == 0, result.stderr
    out = _flat(result.stdout)
    li4 = load_knowledge(include_user=False).point("LI4")
    table = _translations("es")
    assert "LI4 Hegu (Valle de la unión)" in out
    for sentence in (li4.location, li4.find, li4.cautions, li4.note, li4.meridian):
        assert table[sentence] in out, sentence
    result = _command(isolated_home, {"LANGUAGE": "es"}, "routines")
    assert result.returncode == 0, result.stderr
    assert "Alivio del cuello" in result.stdout and "Dolor de cabeza tensional" in result.stdout


# ----- the player window ---------------------------------------------------------------------------


@pytest.mark.e2e
# WM_NAME carries the title in a legacy encoding that xdotool's regex does not match letter for letter
# beyond ASCII, so the German title is matched up to its "ö".
@pytest.mark.parametrize(("lang", "title"), [("de", "Nacken l"), ("es", "Alivio del cuello$")])
def test_the_player_shows_the_routine_in_the_desktop_language(desktop_session, isolated_home, lang, title):
    """The real player window with LANGUAGE set: its title bar names the translated routine (found by
    that title); screenshots of the first screen and a step for a person to read."""
    from desktop import START_S, wait_for
    from postureguard.ui import player as P

    P.save_prefs(isolated_home / "config" / P.STATE_FILE_NAME, P.PlayerPrefs(True, None))  # notice seen
    env = dict(desktop_session.env, POSTUREGUARD_HOME=str(isolated_home), LANGUAGE=lang)
    env.pop("LC_ALL", None)
    env[P.SCALE_ENV] = "1.25"
    argv = [sys.executable, "-m", "postureguard", "-vv", "routine", "play", "neck-release",
            "--step-seconds", "30"]  # fmt: skip
    log_name = f"player-{lang}.log"
    proc = desktop_session.popen(argv, log_name, env=env)
    try:
        def window() -> int | None:
            if proc.poll() is not None:
                raise AssertionError(desktop_session.read_log(log_name))
            found = desktop_session.search_windows(name=f"PostureGuard .+ {title}", visible=True)
            return found[0] if found else None

        win = wait_for(window, START_S, f"a window titled {title!r}")
        wait_for(lambda: "window ready for keys" in desktop_session.read_log(log_name), START_S, "the player")
        crop = desktop_session.window_geometry(win)
        first = desktop_session.settled_screenshot(f"player-{lang}-first-screen.png", crop=crop)
        assert first.exists()
        desktop_session.key(win, "Return")  # Start
        wait_for(lambda: "step 1/4" in desktop_session.read_log(log_name), START_S, "the first step")
        step = desktop_session.settled_screenshot(f"player-{lang}-step.png", crop=crop)
        assert step.exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=30)
