"""Translations: every catalog complete, faithful to its placeholders, compiled and current with the
source; and the language chosen by the environment or the ``language`` setting, for the real command.

The catalogs are read from the repository (``src/postureguard/locale``), the program's source is
extracted afresh with Babel exactly as ``scripts/i18n.sh`` does (its folder lists are read from the
script, so the two cannot drift apart), and the knowledge base through ``scripts/extract_knowledge.py``.
"""

from __future__ import annotations

import io
import os
import re
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from postureguard import i18n

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "src" / "postureguard" / "locale"
SCRIPT = REPO / "scripts" / "i18n.sh"
KNOWLEDGE_EXTRACTOR = REPO / "scripts" / "extract_knowledge.py"
TRANSLATED = tuple(lang for lang in i18n.LANGUAGES if lang != "en")
CATALOGS = [(domain, lang) for domain in i18n.DOMAINS for lang in TRANSLATED]
PROGRAM_DOMAINS = ("postureguard", "postureguard-commands")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _po_path(domain: str, lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


def _read(domain: str, lang: str):
    path = _po_path(domain, lang)
    assert path.is_file(), f"{path.relative_to(REPO)} is missing: run scripts/i18n.sh"
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=domain)


def _entries(catalog):
    """The real entries (not the header) as (msgid, msgid_plural or None, [msgstr forms], flags)."""
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            yield message.id[0], message.id[1], list(strings), message.flags
        else:
            yield message.id, None, [message.string], message.flags


# ----- complete ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "lang"), CATALOGS)
def test_every_entry_is_translated_and_none_is_fuzzy(domain, lang):
    catalog = _read(domain, lang)
    untranslated, fuzzy = [], []
    for msgid, _plural, forms, flags in _entries(catalog):
        if "fuzzy" in flags:
            fuzzy.append(msgid)
        wanted = catalog.num_plurals if _plural is not None else 1
        if len(forms) != wanted or any(not form or not form.strip() for form in forms):
            untranslated.append(msgid)
    assert not fuzzy, f"{domain} [{lang}]: {len(fuzzy)} fuzzy entries, e.g. {fuzzy[:3]}"
    assert not untranslated, f"{domain} [{lang}]: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"


# ----- faithful ------------------------------------------------------------------------------------

_PERCENT = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
# An acupoint code: a channel's letters then its number (GB21, LI4, PC6, GV14, EX-HN3).
_POINT_CODE = re.compile(r"\b(?:[A-Z]{1,3}-)?[A-Z]{1,3}\d{1,2}\b")
_NUMBER = re.compile(r"\d+")


def _brace_fields(text: str) -> Counter:
    """Named and positional ``str.format`` fields; raises ValueError for unbalanced braces."""
    fields: Counter = Counter()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields[(name, spec or "", conversion or "")] += 1
    return fields


def _placeholders(text: str, *, brace: bool) -> dict[str, object]:
    """What a translation must keep of ``text``: its format fields (named ones as a set, ``%s``-style
    positional ones in order), its acupoint codes and its numbers (as sets: a translation may order
    them differently, and may write 1.5 as 1,5)."""
    percent = [p for p in _PERCENT.findall(text) if p != "%%"]
    return {
        "brace fields": set(_brace_fields(text)) if brace else set(),
        "named %-fields": sorted(p for p in percent if p.startswith("%(")),
        "positional %-fields": [p for p in percent if not p.startswith("%(")],
        "point codes": set(_POINT_CODE.findall(text)),
        "numbers": set(_NUMBER.findall(_POINT_CODE.sub(" ", text))),
    }


@pytest.mark.parametrize(("domain", "lang"), CATALOGS)
def test_every_translation_keeps_the_placeholders_codes_and_numbers(domain, lang):
    catalog = _read(domain, lang)
    wrong = []
    for msgid, plural, forms, flags in _entries(catalog):
        # Program text is all str.format text; the knowledge base's is plain text (braces are literal).
        brace = domain in PROGRAM_DOMAINS and "python-format" not in flags
        for index, form in enumerate(forms):
            if not form:
                continue  # reported by the completeness test
            source = msgid if plural is None or index == 0 else plural
            try:
                want, got = _placeholders(source, brace=brace), _placeholders(form, brace=brace)
            except ValueError as exc:
                wrong.append(f"{msgid!r}: {exc}")
                continue
            for kind in want:
                if want[kind] != got[kind]:
                    wrong.append(f"{msgid!r} -> {form!r}: {kind} {want[kind]} != {got[kind]}")
    assert not wrong, f"{domain} [{lang}]: {len(wrong)} translations change placeholders:\n" + "\n".join(
        wrong[:20]
    )


def test_the_placeholder_check_catches_a_changed_translation():
    """The rule above on made-up pairs: what it must accept and what it must refuse."""
    same = [
        ("Sit up ({angle}° for {duration})", "Aufrecht sitzen ({duration}, {angle}°)"),
        ("Press GB21 for 30 seconds, 3 times", "GB21 3-mal je 30 Sekunden drücken"),
        ("about 1.5 cun", "etwa 1,5 Cun"),
        ("%(count)d of %d", "%d von %(count)d"),
    ]
    changed = [
        ("Sit up ({angle}°)", "Aufrecht sitzen ({winkel}°)"),
        ("Press GB21", "Presione VB21"),
        ("for 30 seconds", "durante 20 segundos"),
        ("{n} minutes", "{n minutos"),
    ]
    for source, translation in same:
        assert _placeholders(source, brace=True) == _placeholders(translation, brace=True), source
    for source, translation in changed:
        try:
            differs = _placeholders(source, brace=True) != _placeholders(translation, brace=True)
        except ValueError:
            differs = True
        assert differs, source


# ----- compiled ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "lang"), CATALOGS)
def test_the_committed_mo_is_a_fresh_compile_of_the_po(domain, lang):
    catalog = _read(domain, lang)
    fresh = io.BytesIO()
    write_mo(fresh, catalog)
    mo = _po_path(domain, lang).with_suffix(".mo")
    assert mo.is_file(), f"{mo.relative_to(REPO)} is missing: run scripts/i18n.sh"
    assert mo.read_bytes() == fresh.getvalue(), f"{mo.relative_to(REPO)} is stale: run scripts/i18n.sh"


@pytest.mark.parametrize(("domain", "lang"), CATALOGS)
def test_the_installed_package_carries_the_same_catalogs(domain, lang):
    """The wheel ships the .mo files (hatch takes everything under src/postureguard)."""
    installed = i18n.locale_dir() / lang / "LC_MESSAGES" / f"{domain}.mo"
    assert installed.is_file(), f"{installed} not installed"
    assert installed.read_bytes() == _po_path(domain, lang).with_suffix(".mo").read_bytes(), (
        f"{installed} differs from the repository's: reinstall the package"
    )


# ----- current with the source ---------------------------------------------------------------------


def _program_folders() -> dict[str, list[Path]]:
    """domain -> the source folders scripts/i18n.sh extracts it from (its `extract DOMAIN PATHS` lines)."""
    folders: dict[str, list[Path]] = {}
    for line in SCRIPT.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^extract (\S+) (.+)$", line.strip())
        if match:
            paths = match.group(2).replace("$pkg", "src/postureguard").split()
            folders[match.group(1)] = [REPO / p for p in paths]
    return folders


def _fresh_msgids(domain: str, tmp_path: Path) -> set[str]:
    if domain == "knowledge":
        assert KNOWLEDGE_EXTRACTOR.is_file(), "scripts/extract_knowledge.py is missing"
        pot = tmp_path / "knowledge.pot"
        subprocess.run([sys.executable, str(KNOWLEDGE_EXTRACTOR), str(pot)], check=True, cwd=REPO)
        with pot.open("rb") as handle:
            template = read_po(handle)
        return {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    found: set[str] = set()
    for path in _program_folders()[domain]:
        if path.is_file():
            sources = [(path.parent, path.name)]
        else:
            sources = [(path, None)]
        for folder, only in sources:
            for filename, _line, message, _comments, _context in extract_from_dir(
                folder, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
            ):
                if only is not None and filename != only:
                    continue
                found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_script_names_the_folders_of_both_program_domains():
    folders = _program_folders()
    assert set(folders) == set(PROGRAM_DOMAINS)
    for paths in folders.values():
        assert paths and all(p.exists() for p in paths), paths
    # Every package folder with code belongs to one domain (i18n.py itself has no user-facing text).
    named = {p.name for paths in folders.values() for p in paths}
    package = REPO / "src" / "postureguard"
    modules = {p.name for p in package.iterdir() if (p.is_dir() and (p / "__init__.py").exists())}
    modules |= {p.name for p in package.glob("*.py")} - {"__init__.py", "__main__.py", "i18n.py"}
    assert modules <= named, f"not extracted by scripts/i18n.sh: {sorted(modules - named)}"


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_no_string_of_the_source_is_missing_from_the_catalogs(domain, tmp_path):
    """A fresh extraction finds no msgid that a catalog lacks: every marked text is translated."""
    fresh = _fresh_msgids(domain, tmp_path)
    assert fresh, f"nothing extracted for {domain}"
    for lang in TRANSLATED:
        known = {msgid for msgid, _plural, _forms, _flags in _entries(_read(domain, lang))}
        missing = sorted(fresh - known)
        assert not missing, (
            f"{domain} [{lang}]: {len(missing)} new strings not in the catalog (run scripts/i18n.sh and "
            f"translate them), e.g. {missing[:5]}"
        )


# ----- the language in use -------------------------------------------------------------------------


@pytest.fixture
def language():
    """set_language for one test; English again afterwards (the module is process-wide)."""
    yield i18n.set_language
    i18n.set_language("en")


def _translated_sample(domain: str, lang: str) -> tuple[str, str]:
    """A (msgid, msgstr) pair of ``domain`` whose translation differs from the English."""
    for msgid, plural, forms, _flags in _entries(_read(domain, lang)):
        if plural is None and forms[0] and forms[0] != msgid and len(msgid) > 12:
            return msgid, forms[0]
    raise AssertionError(f"{domain} [{lang}] has no translated entry")


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_lookups_return_the_chosen_language(language, domain, lang):
    msgid, msgstr = _translated_sample(domain, lang)
    lookup = i18n.knowledge_text if domain == "knowledge" else i18n._
    assert language(lang) == lang
    assert lookup(msgid) == msgstr
    assert language("en") == "en"
    assert lookup(msgid) == msgid


def test_plural_forms_follow_the_count(language):
    language("de")
    catalog = _read("postureguard", "de")
    plurals = [(msgid, plural, forms) for msgid, plural, forms, _f in _entries(catalog) if plural]
    if not plurals:
        pytest.skip("no plural entries in the desktop catalog")
    msgid, plural, forms = plurals[0]
    assert i18n.ngettext(msgid, plural, 1) == forms[0]
    assert i18n.ngettext(msgid, plural, 5) == forms[1]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANGUAGE": "de"}, "de"),
        ({"LANGUAGE": "fr:es", "LANG": "de_DE.UTF-8"}, "es"),
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LC_ALL": "de_AT.UTF-8", "LANG": "es_ES.UTF-8"}, "de"),
        ({"LC_MESSAGES": "C", "LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_auto_follows_the_environment_like_gettext(environ, expected):
    assert i18n.resolve_language("auto", environ) == expected


def test_a_chosen_language_beats_the_environment():
    assert i18n.resolve_language("es", {"LANGUAGE": "de"}) == "es"
    assert i18n.resolve_language("en", {"LANG": "de_DE.UTF-8"}) == "en"
    assert i18n.resolve_language("xx", {"LANG": "de_DE.UTF-8"}) == "en"


# ----- the real command ----------------------------------------------------------------------------


def _command(isolated_home, extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    chosen = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "POSTUREGUARD_LANGUAGE")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    env.update(POSTUREGUARD_HOME=str(isolated_home), **extra_env)
    program = str(Path(sys.executable).parent / "postureguard")  # the installed console script
    return subprocess.run([program, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def _help_line(lang: str) -> str:
    """The command line's description in ``lang`` (from the catalog; English for en)."""
    msgid = ("PostureGuard: notices when your head drifts forward or you sit too long, and suggests a "
             "short self-acupressure routine.")
    if lang == "en":
        return msgid
    for entry_id, _plural, forms, _flags in _entries(_read("postureguard-commands", lang)):
        if entry_id == msgid:
            assert forms[0] and forms[0] != msgid, f"the description is not translated into {lang}"
            return forms[0]
    raise AssertionError(f"the description is not in the {lang} catalog")


def _first_words(text: str) -> str:
    return " ".join(text.split()[:4])  # argparse re-wraps the description


@pytest.mark.parametrize(
    ("env", "lang"),
    [({"LANGUAGE": "de"}, "de"), ({"LANG": "es_ES.UTF-8"}, "es"), ({"LANG": "C.UTF-8"}, "en")],
)
def test_the_command_speaks_the_desktop_language(isolated_home, env, lang):
    result = _command(isolated_home, env, "--help")
    assert result.returncode == 0, result.stderr
    assert _first_words(_help_line(lang)) in " ".join(result.stdout.split())


def test_the_language_setting_beats_the_desktop_and_a_broken_file_falls_back(isolated_home):
    result = _command(isolated_home, {}, "config", "set", "language", "es")
    assert result.returncode == 0, result.stderr
    result = _command(isolated_home, {"LANGUAGE": "de"}, "--help")
    assert _first_words(_help_line("es")) in " ".join(result.stdout.split()), result.stdout
    # An invalid value: the desktop's language, and the command still runs.
    settings = isolated_home / "config" / "settings.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace('language = "es"', 'language = "klingon"'), encoding="utf-8")
    result = _command(isolated_home, {"LANGUAGE": "de"}, "--help")
    assert result.returncode == 0, result.stderr
    assert _first_words(_help_line("de")) in " ".join(result.stdout.split()), result.stdout
    # A file that is not TOML at all: the same.
    settings.write_bytes(b"\xff\xfe[[[ not toml")
    result = _command(isolated_home, {"LANGUAGE": "de"}, "--help")
    assert result.returncode == 0, result.stderr
    assert _first_words(_help_line("de")) in " ".join(result.stdout.split()), result.stdout


def test_children_inherit_the_language(isolated_home):
    """A child started through runtime.children speaks its parent's language, whatever its env says."""
    from postureguard.runtime import children

    i18n.set_language("es")
    try:
        env = children.child_environment({"LANGUAGE": "de", "PATH": os.environ.get("PATH", "")})
    finally:
        i18n.set_language("en")
    env["POSTUREGUARD_HOME"] = str(isolated_home)
    result = subprocess.run(
        [sys.executable, "-m", "postureguard", "--help"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _first_words(_help_line("es")) in " ".join(result.stdout.split()), result.stdout


# ----- the real windows in German and Spanish (screenshots under test-results/) --------------------

#: The settings window's title in each language, as the catalog has it (the window is found by it).
_SETTINGS_TITLE = "PostureGuard settings"


def _translated(msgid: str, lang: str) -> str:
    for entry_id, _plural, forms, _flags in _entries(_read("postureguard", lang)):
        if entry_id == msgid:
            assert forms[0] and forms[0] != msgid, f"{msgid!r} is not translated into {lang}"
            return forms[0]
    raise AssertionError(f"{msgid!r} is not in the {lang} catalog")


def _desktop_env(session, home: Path, lang: str, scale: str) -> dict[str, str]:
    env = {k: v for k, v in session.env.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(
        PYTHONPATH=str(REPO / "src"), POSTUREGUARD_HOME=str(home), POSTUREGUARD_UI_SCALE=scale, LANGUAGE=lang,
    )  # fmt: skip
    env.pop("POSTUREGUARD_LANGUAGE", None)
    return env


def _titled(session, proc, title: str, log_name: str):
    """A callable for wait_for: the visible window of ``proc`` whose title (the UTF-8 _NET_WM_NAME: Tk
    writes non-ASCII titles garbled into the legacy WM_NAME) is ``title``, else None."""

    def find() -> int | None:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}: {session.read_log(log_name)}")
        for window in session.search_windows(name="PostureGuard", visible=True):
            prop = session.run("xprop", "-id", str(window), "_NET_WM_NAME", check=False).stdout
            if "= " in prop and prop.split("= ", 1)[1].strip().strip('"') == title:
                return window
        return None

    return find


def _fits_the_screen(session, window: int, name: str) -> tuple[int, int, int, int]:
    x, y, w, h = session.window_geometry(window)
    assert x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 800, f"{name}: {w}x{h}+{x}+{y} leaves the screen"
    return x, y, w, h


@pytest.mark.e2e
@pytest.mark.parametrize("scale", ["1.25", "2"])
@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_settings_window_in_german_and_spanish(desktop_session, isolated_home, lang, scale):
    """``LANGUAGE=de``/``es``: the window is titled and labelled in the language; screenshots of its top,
    middle and lower part at 125 % and 200 %, where the longer German and Spanish labels must still fit
    the screen (the form scrolls; nothing may be cut at the right)."""
    from desktop import EXIT_S, REACT_S, START_S, wait_for

    session = desktop_session
    log_name = f"i18n-settings-{lang}-{scale}.log"
    title = _translated(_SETTINGS_TITLE, lang)
    proc = session.popen(
        [sys.executable, "-m", "postureguard", "-v", "settings"], log_name,
        env=_desktop_env(session, isolated_home, lang, scale),
    )  # fmt: skip
    try:
        win = wait_for(_titled(session, proc, title, log_name), START_S, f"the window titled {title!r}")
        wait_for(lambda: "cameras:" in session.read_log(log_name), REACT_S, "the camera probe's answer")
        x, y, w, h = _fits_the_screen(session, win, lang)
        shot = f"i18n-settings-{lang}" + ("" if scale == "1.25" else "-200")
        session.settled_screenshot(f"{shot}.png", crop=(x, y, w, h))
        session.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2))
        session.run("xdotool", "click", "--repeat", "2", "--delay", "30", "5")
        session.settled_screenshot(f"{shot}-middle.png", crop=(x, y, w, h))
        session.run("xdotool", "click", "--repeat", "3", "--delay", "30", "5")
        session.settled_screenshot(f"{shot}-middle-2.png", crop=(x, y, w, h))
        session.run("xdotool", "click", "--repeat", "15", "--delay", "30", "5")
        session.settled_screenshot(f"{shot}-lower.png", crop=(x, y, w, h))
        session.key(win, "Escape")
        assert proc.wait(timeout=EXIT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.e2e
@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_tray_menu_in_german_and_spanish(desktop_session, tmp_path, lang):
    """The tray app with ``LANGUAGE=de``/``es``: its icon's tooltip and its menu in the language (the
    menu opened with a real right-click in trayer, screenshot), and Quit (the menu's last item) ends it."""
    from clips import calibrated_clip
    from desktop import COMMAND_S, EXIT_S, REACT_S, START_S, wait_for

    session = desktop_session
    home = tmp_path / "pg-home"
    env = _desktop_env(session, home, lang, "1")
    clip, cal = calibrated_clip(tmp_path, env, 240, 0, timeout=COMMAND_S)
    log_name = f"i18n-tray-{lang}.log"
    proc = session.popen(
        [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(clip), "--calibration", str(cal)],
        log_name, env=env,
    )  # fmt: skip
    try:
        def ours():
            if proc.poll() is not None:
                raise AssertionError(f"the app exited ({proc.returncode}):\n{session.read_log(log_name)}")
            return [c for c in session.tray_clients() if session.window_pid(c.window_id) == proc.pid]

        icon = wait_for(ours, START_S, "the app's icon in the tray")[0]
        # The tooltip is the icon window's name: PostureGuard · <state in the language> · ...
        words = {_translated(m, lang) for m in ("nobody in view", "starting", "calibrating: sit upright")}
        words.add(_translated("head about {angle}° more forward than your upright", lang).split("{")[0])

        def tooltip() -> str | None:
            names = [client.name for client in ours()]
            return next((name for name in names if any(word in name for word in words)), None)

        wait_for(tooltip, START_S, f"a {lang} tooltip on the tray icon")
        before = set(session.search_windows(pid=proc.pid, visible=True))
        centre = (str(icon.x + icon.width // 2), str(icon.y + icon.height // 2))
        session.run("xdotool", "mousemove", *centre, "click", "3")

        def menu() -> list[int]:
            new = set(session.search_windows(pid=proc.pid, visible=True)) - before
            return [w for w in new if session.window_geometry(w)[3] > 40]

        shown = wait_for(menu, REACT_S, "the tray menu to open")[0]
        mx, my, mw, mh = _fits_the_screen(session, shown, f"{lang} menu")
        left = max(0, mx - 10)
        crop = (left, 0, min(mw + 20, 1280 - left), my + mh + 10)
        session.settled_screenshot(f"i18n-tray-menu-{lang}.png", crop=crop)
        session.key_to_grab("Up", "Return")  # the last item: Quit (Beenden / Salir)
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.e2e
@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_first_run_in_german_and_spanish_fits_at_200_percent(desktop_session, tmp_path, lang):
    """The four setup steps with ``LANGUAGE=de``/``es`` at 200 %: each fits the 1280 x 800 screen with
    the longer labels (screenshots), and the walk-through finishes with the answers saved."""
    from clips import posture_frames, write_clip
    from desktop import EXIT_S, START_S, wait_for

    session = desktop_session
    home = tmp_path / "pg-home"
    clip = write_clip(tmp_path / "upright.avi", posture_frames(30, 0), 10.0)
    log_name = f"i18n-first-run-{lang}.log"
    title = _translated("PostureGuard setup", lang)
    argv = [sys.executable, "-m", "postureguard", "-v", "setup", "--source", str(clip), "--countdown", "0",
            "--frames", "3"]  # fmt: skip
    proc = session.popen(argv, log_name, env=_desktop_env(session, home, lang, "2"))

    def logged(text: str, timeout: float = START_S) -> None:
        wait_for(lambda: text in session.read_log(log_name), timeout, f"{text!r} in {log_name}")

    def shot(step: str) -> None:
        name = f"i18n-first-run-{lang}-{step}.png"  # the whole screen: what overflows shows
        # Steps 2 and 3 show the live preview, which never settles.
        session.screenshot(name) if step in ("2", "3") else session.settled_screenshot(name)
        _fits_the_screen(session, win, f"{lang} setup {step}")

    try:
        win = wait_for(_titled(session, proc, title, log_name), START_S, f"the window titled {title!r}")
        logged("setup step 1")
        session.key(win, "space", "Tab", "Tab", "space", "Tab", "Tab", "space")  # understood; No; No
        logged("setup answers: pregnancy_mode=no, blood_thinners=no")
        shot("1")
        session.key(win, "Return")
        logged("setup step 2")
        logged("setup preview: first frame shown")
        shot("2")
        session.key(win, "Return")
        logged("setup step 3")
        session.key(win, "Return")  # start calibrating
        logged("setup calibration saved")
        shot("3")
        session.key(win, "Return")
        logged("setup step 4")
        shot("4")
        session.key(win, "Return")  # finish
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_menu_entry_is_found_in_german_and_spanish(tmp_path):
    """``install-desktop`` writes GenericName, Comment, Keywords and the Settings action in each language
    (from the catalog), the entry stays valid, and GLib's menu search finds it by a German keyword and
    shows the German name when the desktop speaks German."""
    import shutil

    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "POSTUREGUARD_HOME"}
    env.pop("POSTUREGUARD_LANGUAGE", None)
    data = tmp_path / "home" / ".local" / "share"
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(data), POSTUREGUARD_HOME=str(tmp_path / "pg"))
    program = str(Path(sys.executable).parent / "postureguard")
    res = subprocess.run([program, "install-desktop"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    entry = data / "applications" / "postureguard.desktop"
    lines = entry.read_text(encoding="utf-8").splitlines()
    for lang in TRANSLATED:
        assert f"GenericName[{lang}]={_translated('Posture reminder', lang)}" in lines
        assert f"Name[{lang}]={_translated('Settings', lang)}" in lines
        keywords = _translated("posture;neck;break;acupressure;ergonomics;webcam;sitting", lang)
        assert f"Keywords[{lang}]={keywords};" in lines
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    code = (
        "import gi; gi.require_version('Gio', '2.0'); from gi.repository import Gio\n"
        "hits = [i for group in Gio.DesktopAppInfo.search('Haltung') for i in group]\n"
        "app = Gio.DesktopAppInfo.new('postureguard.desktop')\n"
        "print(hits, app.get_generic_name())\n"
    )
    env_de = {**env, "LANGUAGE": "de", "LANG": "de_DE.UTF-8", "XDG_DATA_DIRS": "/nonexistent"}
    found = subprocess.run(
        [sys.executable, "-c", code], env=env_de, capture_output=True, text=True, timeout=120
    )
    assert found.returncode == 0, found.stderr
    assert "postureguard.desktop" in found.stdout, found.stdout
    assert found.stdout.strip().endswith(_translated("Posture reminder", "de")), found.stdout


@pytest.mark.e2e
@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_posture_alert_in_german_and_spanish(desktop_session, tmp_path, lang):
    """The tray app with ``LANGUAGE=de``/``es`` watching a real slouch: dunst shows the alert with its
    buttons in the language (offered through dunst's action menu, none in English; screenshot)."""
    from clips import calibrated_clip
    from desktop import COMMAND_S, EXIT_S, START_S, wait_for

    session = desktop_session
    session.dunst_close_all()
    env = _desktop_env(session, tmp_path / "pg-home", lang, "1")
    clip, cal = calibrated_clip(tmp_path, env, 32, 160, timeout=COMMAND_S)
    log_name = f"i18n-alert-{lang}.log"
    argv = [sys.executable, "-m", "postureguard", "-v", "run", "--source", str(clip),
            "--calibration", str(cal), "--sustain", "5", "--sample-interval", "0.25"]  # fmt: skip
    proc = session.popen(argv, log_name, env=env)
    try:
        popup = wait_for(session.notification_window, START_S, "the posture notification")
        x, y, w, h = session.window_geometry(popup)
        left = max(0, x - 10)
        session.screenshot(f"i18n-alert-{lang}.png", crop=(left, 0, min(1280 - left, w + 20), y + h + 10))
        offered = session.dunst_invoke_action(_translated("Snooze {minutes} min", lang).format(minutes=30))
        for label in (_translated("Start routine", lang), _translated("I'm sitting fine", lang)):
            assert any(label in line for line in offered), (label, offered)
        for english in ("Start routine", "Snooze 30 min", "I'm sitting fine"):
            assert not any(english in line for line in offered), (english, offered)
        session.dunst_close_all()
        session.run("kill", "-TERM", str(proc.pid))
        assert proc.wait(timeout=EXIT_S) == 0, session.read_log(log_name)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_language_setting_is_read_fast_and_forgivingly(tmp_path):
    """``language_setting``: the parent's POSTUREGUARD_LANGUAGE first, then ``[app] language`` (a flat
    file too), and ``auto`` for anything it cannot use; ``config`` validates the key like any other."""
    from postureguard.errors import DataError
    from postureguard.settings.config import LANGUAGE_ENV, Settings, language_setting, with_value

    path = tmp_path / "settings.toml"
    assert language_setting(path, {}) == "auto"  # no file
    path.write_text('[app]\nlanguage = "de"\n', encoding="utf-8")
    assert language_setting(path, {}) == "de"
    assert language_setting(path, {LANGUAGE_ENV: "es"}) == "es"
    assert language_setting(path, {LANGUAGE_ENV: "klingon"}) == "de"  # a bad inherited value is ignored
    path.write_text('language = "ES"\n', encoding="utf-8")
    assert language_setting(path, {}) == "es"
    for broken in ('[app]\nlanguage = "fr"\n', '[app]\nlanguage = 3\n', "[app\nlanguage = de", ""):
        path.write_text(broken, encoding="utf-8")
        assert language_setting(path, {}) == "auto", broken
    path.write_bytes(b"\xff\xfe not text")
    assert language_setting(path, {}) == "auto"
    assert with_value(Settings(), "language", "es").language == "es"
    with pytest.raises(DataError, match="one of auto, en, de, es"):
        with_value(Settings(), "language", "fr")
