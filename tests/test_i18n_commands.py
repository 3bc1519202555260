"""The command line in German and Spanish: the real installed ``postureguard`` in a subprocess, its own
home, the language from ``LANGUAGE`` as a desktop sets it; reports with the locale's dates and numbers.

The report tests draw a real history (a SQLite file written by the store) and save the German and
Spanish pictures under ``test-results/`` to be looked at. Expected texts are written out here, not read
from the catalogs, so a missing or wrong translation fails.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from postureguard import i18n
from postureguard.files import paths
from postureguard.history.base import AlertRecord, MinuteRecord
from postureguard.history.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "test-results"
DAY = date(2024, 6, 4)  # a Tuesday
NBSP = "\u00a0"  # CLDR puts a no-break space between a number and its percent sign in de and es


def pg(home: Path, language: str | None, *args: str) -> subprocess.CompletedProcess:
    """The installed command with only ``LANGUAGE`` (or nothing: the C locale) choosing the language."""
    chosen = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "POSTUREGUARD_LANGUAGE", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    env.update(POSTUREGUARD_HOME=str(home), LANG="C.UTF-8")
    if language:
        env["LANGUAGE"] = language
    return subprocess.run([sys.executable, "-m", "postureguard", *args], env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("postureguard: ")]
    assert len(lines) == 1 and result.stderr.count("\n") == 1, result.stderr
    return lines[0]


def at(hh: int, mm: int) -> float:
    return (datetime(DAY.year, DAY.month, DAY.day) + timedelta(hours=hh, minutes=mm)).timestamp()


@pytest.fixture
def history(isolated_home):
    """08:00-12:00 at the desk on 2024-06-04, slouching 09:10-09:40, the camera off 10:00-10:45; two alerts
    and a completed routine; sensitivity high (a threshold of 3.5°, to show the decimal mark)."""
    store = SQLiteStore(paths.history_file())
    for m in range(8 * 60, 12 * 60):
        if 10 * 60 <= m < 10 * 60 + 45:
            continue
        slouch = 9 * 60 + 10 <= m < 9 * 60 + 40
        store.add_minute(MinuteRecord(int(at(0, m)), 60, 1.0, 9.0 if slouch else 1.5, 0.9 if slouch else 0.0))
    store.add_gap(at(10, 0), at(10, 45), "camera_off")
    store.add_alert(AlertRecord(at(9, 11), "posture", "neck_strain", angle_deg=10.0, duration_s=60.0))
    store.add_alert(AlertRecord(at(8, 50), "sitting", "prolonged_sitting", minutes=50.0))
    rid = store.start_routine("neck-release", at(9, 12), 4, "notification")
    store.finish_routine(rid, "completed", 4, at(9, 15))
    store.close()
    assert pg(isolated_home, None, "config", "set", "sensitivity", "high").returncode == 0
    return isolated_home


def cells(page: str) -> tuple[list[str], list[list[str]]]:
    """The headings and body rows of the page's table."""
    head = re.findall(r"<th>(.*?)</th>", page)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [[html_lib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]
    return [html_lib.unescape(h) for h in head], rows


def save(path: Path, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_bytes(path.read_bytes())


# ----- one-line errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "postureguard: --out muss eine .png- oder .html-Datei nennen, nicht 'day.txt'"),
        ("es", "postureguard: --out debe indicar un archivo .png o .html, no 'day.txt'"),
        (None, "postureguard: --out must name a .png or .html file, not 'day.txt'"),
    ],
)
def test_a_wrong_option_is_one_line_in_the_language(isolated_home, language, expected):
    result = pg(isolated_home, language, "report", "--out", "day.txt")
    assert result.returncode == 2 and one_line(result) == expected


@pytest.mark.parametrize(("language", "english"), [("de", "no such file"), ("es", "no such file")])
def test_a_missing_file_is_one_translated_line(isolated_home, tmp_path, language, english):
    missing = tmp_path / "missing.jpg"
    result = pg(isolated_home, language, "analyze", str(missing))
    line = one_line(result)
    assert result.returncode != 0 and str(missing) in line
    assert english not in line.lower(), line  # the desktop catalog's words for the file error


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "postureguard: --to (2024-06-01) liegt vor --from (2024-06-09)"),
        ("es", "postureguard: --to (2024-06-01) es anterior a --from (2024-06-09)"),
    ],
)
def test_export_dates_in_the_wrong_order(isolated_home, language, expected):
    result = pg(isolated_home, language, "export", "--from", "2024-06-09", "--to", "2024-06-01")
    assert result.returncode == 2 and one_line(result) == expected


def test_argparse_usage_errors_point_to_the_help_in_the_language(isolated_home):
    result = pg(isolated_home, "de", "report", "--day")
    line = one_line(result)
    assert result.returncode == 2 and line.endswith("(siehe 'postureguard report --help')"), line
    assert "den Verlauf eines Tages" in pg(isolated_home, "de", "--help").stdout
    assert "el historial de un día" in pg(isolated_home, "es", "--help").stdout


@pytest.mark.parametrize("language", ["de", "es", None])
def test_the_network_filter_turned_off_is_no_warning_in_any_language(isolated_home, language):
    """The command line tells "turned off by the user" from a failure by a flag, not by English words."""
    chosen = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "PYTHONPATH", "POSTUREGUARD_LANGUAGE")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    env.update(POSTUREGUARD_HOME=str(isolated_home), LANG="C.UTF-8", POSTUREGUARD_NETWORK_FILTER="off")
    if language:
        env["LANGUAGE"] = language
    result = subprocess.run([sys.executable, "-m", "postureguard", "config", "path"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr


# ----- doctor, config, today, forget ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "names", "closing"),
    [
        ("de", "PostureGuard-Diagnose",
         ("Posenmodell", "Wissensbasis", "Tray", "Verlauf", "Kalibrierung"),
         ("Problem(e) verhindern", "PostureGuard kann laufen", "Alles, was PostureGuard braucht")),
        ("es", "Diagnóstico de PostureGuard",
         ("modelo de pose", "base de conocimientos", "bandeja", "historial", "calibración"),
         ("problema(s) impiden", "PostureGuard puede funcionar", "Todo lo que PostureGuard necesita")),
        (None, "PostureGuard doctor", ("pose model", "knowledge base", "tray", "history", "calibration"),
         ("problem(s) stop", "PostureGuard can run", "Everything PostureGuard needs")),
    ],
)
def test_doctor_speaks_the_language(isolated_home, language, title, names, closing):
    result = pg(isolated_home, language, "doctor", "--no-camera")
    lines = result.stdout.splitlines()
    assert lines[0] == title, result.stdout
    named = {line[6:].split(":", 1)[0] for line in lines[1:-1]}
    assert set(names) <= named, named
    assert any(words in lines[-1] for words in closing), lines[-1]
    # The marks stay as they are in every language (scripts and support requests look for them).
    assert all(line[:4] in ("ok  ", "WARN", "FAIL") for line in lines[1:-1])


def test_config_show_headers_and_changes(isolated_home):
    result = pg(isolated_home, "de", "config", "show")
    assert result.returncode == 0
    first, hint = result.stdout.splitlines()[:2]
    assert first.endswith(" (noch nicht angelegt: alles Standardwerte)"), first
    assert hint == "# 'postureguard config show --explain' erklärt, was jeder Schlüssel bedeutet und erlaubt"
    saved = pg(isolated_home, "es", "config", "set", "sensitivity", "high")
    assert saved.stdout.startswith("sensitivity = high (guardado en "), saved.stdout
    shown = pg(isolated_home, "es", "config", "show").stdout
    assert "sensitivity = high    * cambiado (por defecto: medium)" in shown
    # Setting names and values are what the file holds: never translated.
    assert "[posture]" in shown and "sustain_seconds = 60" in shown


def test_today_and_forget_in_german(history):
    today = pg(history, "de", "today", "--date", "2024-06-04").stdout.splitlines()
    # The day in the German form, the share with the German percent sign, the counts in German words.
    assert today[0] == f"04.06.2024: 3 h 15 min überwacht, gute Haltung 86{NBSP}% der Zeit", today
    assert today[1] == "Hinweise: 2 (1 Haltung, 1 Sitzen); Pausen: 0; Routinen erledigt: 1 von 1 begonnenen"
    es = pg(history, "es", "today", "--date", "2024-06-04").stdout.splitlines()
    assert es[0] == f"4 jun 2024: 3 h 15 min vigilado, buena postura el 86{NBSP}% del tiempo", es
    result = pg(history, "de", "forget", "--before", "2024-06-01", "--yes")
    assert result.stdout == "Nichts zu löschen: kein Verlauf vor dem 01.06.2024.\n", result.stdout


def test_forget_asks_and_takes_a_german_yes(history):
    import pty

    def answer(text: str) -> tuple[int, str]:
        main, secondary = pty.openpty()
        chosen = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "PYTHONPATH", "POSTUREGUARD_LANGUAGE")
        env = {k: v for k, v in os.environ.items() if k not in chosen}
        env.update(POSTUREGUARD_HOME=str(history), LANG="C.UTF-8", LANGUAGE="de")
        try:
            proc = subprocess.Popen([sys.executable, "-m", "postureguard", "forget", "--all"],
                                    stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=env)
            os.write(main, text.encode())
            out, _err = proc.communicate(timeout=120)
        finally:
            os.close(main)
            os.close(secondary)
        return proc.returncode, out

    code, out = answer("n\n")
    assert code == 1, out
    assert out.startswith("Wirklich den ganzen Verlauf löschen (") and "[j/N]" in out, out
    assert out.endswith("Nichts gelöscht.\n")
    code, out = answer("ja\n")
    assert code == 0 and re.search(r"\[j/N\] \d+ Einträge gelöscht\.$", out.rstrip("\n")), out
    store = SQLiteStore(paths.history_file())
    assert store.minutes() == []
    store.close()


def test_machine_readable_output_stays_as_it_is(history):
    rows = pg(history, "de", "export", "--format", "jsonl", "--from", "2024-06-04", "--to", "2024-06-04")
    first = rows.stdout.splitlines()[0]
    assert first.startswith('{"type": "minute", "time": "2024-06-04T08:00:00'), first
    assert pg(history, "de", "config", "get", "sensitivity").stdout == "high\n"


def test_routines_in_the_language(isolated_home):
    table = pg(isolated_home, "es", "routines").stdout.splitlines()
    assert table[0].split() == ["ID", "TÍTULO", "MOTIVOS", "MIN", "CORTA", "EVIDENCIA"]
    row = next(line for line in table if line.startswith("neck-release "))
    assert re.search(r" 10,0 +2,5 +baja$", row), row  # minutes with the Spanish decimal comma
    assert "MIN es la rutina completa (unos 3 minutos por punto); CORTA, la versión rápida." in table
    shown = pg(isolated_home, "de", "routine", "show", "neck-release").stdout
    for words in ("Für: Nackenverspannung, Schulterverspannung", "Dauer: 10 min (Kurzfassung: 2 min 30 s)",
                  "Schritte:", "beide Seiten zugleich, 3 min (kurz: 40 s)", "Evidenz: niedrig.",
                  "Hören Sie auf und gehen Sie stattdessen zum Arzt, wenn:"):
        assert words in shown, words
    # Point codes stay as they are in every language.
    assert " 1. GB21 " in shown


# ----- reports ---------------------------------------------------------------------------------------


REPORT_TEXT = {
    "de": {
        "title": "PostureGuard — Dienstag, 4. Juni 2024",
        "headings": ["Überwacht", "Gute Haltung", "Längste Sitzphase", "Pausen", "Hinweise",
                     "Routinen erledigt"],
        "alerts": "2 (1 Haltung, 1 Sitzen)", "done": "1 von 1",
        "threshold": "Schwelle: 3,5° weiter vorn als Ihre aufrechte Haltung (Empfindlichkeit hoch)",
        "gap": "10:00–10:45 (Kamera aus)",
        "week": "PostureGuard — Woche 29. Mai – 4. Juni 2024",
    },
    "es": {
        "title": "PostureGuard — martes, 4 de junio de 2024",
        "headings": ["Vigilado", "Buena postura", "Periodo más largo", "Pausas", "Avisos", "Rutinas hechas"],
        "alerts": "2 (1 de postura, 1 de estar sentado)", "done": "1 de 1",
        "threshold": "Umbral: 3,5° más adelante que su postura erguida (sensibilidad alta)",
        "gap": "10:00–10:45 (cámara apagada)",
        "week": "PostureGuard — semana 29 may – 4 jun 2024",
    },
}


@pytest.mark.parametrize("language", ["de", "es"])
def test_report_in_the_language_with_its_dates_and_numbers(history, tmp_path, language):
    text = REPORT_TEXT[language]
    out = tmp_path / f"day-{language}.html"
    result = pg(history, language, "report", "--day", "2024-06-04", "--out", str(out))
    assert result.returncode == 0 and result.stdout.strip() == str(out), result.stderr
    page = out.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page
    assert f"<h1>{html_lib.escape(text['title'])}</h1>" in page
    headings, rows = cells(page)
    assert headings[:6] == text["headings"], headings
    assert rows[0][0] == "3 h 15 min" and rows[0][4:6] == [text["alerts"], text["done"]]
    assert re.fullmatch(rf"\d+{NBSP}%", rows[0][1]), rows[0][1]  # "87 %": the locale's percent form
    notes = html_lib.unescape(page)
    assert text["threshold"] in notes and text["gap"] in notes
    save(out, f"report-day-{language}.html")

    png = tmp_path / f"day-{language}.png"
    assert pg(history, language, "report", "--day", "2024-06-04", "--out", str(png)).returncode == 0
    save(png, f"report-day-{language}.png")

    week = tmp_path / f"week-{language}.html"
    assert pg(history, language, "report", "--week", "2024-06-04", "--out", str(week)).returncode == 0
    assert f"<h1>{html_lib.escape(text['week'])}</h1>" in week.read_text(encoding="utf-8")
    week_png = tmp_path / f"week-{language}.png"
    assert pg(history, language, "report", "--week", "2024-06-04", "--out", str(week_png)).returncode == 0
    save(week_png, f"report-week-{language}.png")


def test_chart_labels_follow_the_language(history):
    """The drawn text itself (axis labels, ticks, legends), read back from the figure matplotlib renders."""
    from matplotlib.text import Text

    from postureguard.history import report as R
    from postureguard.history.report_files import day_report, week_report
    def texts(figure) -> set[str]:
        figure.canvas.draw()
        found = {t.get_text() for t in figure.findobj(Text)}
        for axes in figure.axes:  # the numbers table's cells
            for table in axes.tables:
                found |= {cell.get_text().get_text() for cell in table.get_celld().values()}
        return found

    store = SQLiteStore(paths.history_file())
    settings = R.ReportSettings("high", 3.5, 50, 2)
    try:
        i18n.set_language("de")
        drawn = {s.strip() for s in texts(R.day_figure(day_report(store, DAY, settings)))}
        assert {"Uhrzeit", "Minuten", "Sitzphasen zwischen Pausen", "Kopfvorneigungswinkel",
                "schlechte Haltung", "Schwelle 3,5°", "Überwacht", f"86{NBSP}%", "1 von 1"} <= drawn, drawn
        assert "nicht überwacht\n(Kamera aus)" in drawn
        drawn = texts(R.week_figure(week_report(store, DAY, settings)))
        assert {"Di., 4. Juni", "Mi., 29. Mai", "Woche", "Hinweise pro Tag", f"86{NBSP}%"} <= drawn, drawn
        i18n.set_language("es")
        drawn = texts(R.week_figure(week_report(store, DAY, settings)))
        assert {"mar 4 jun", "Semana", "Avisos por día", f"86{NBSP}%"} <= drawn, drawn
    finally:
        i18n.set_language("en")
        store.close()


# ----- the engine's alert texts ----------------------------------------------------------------------


def test_alert_texts_keep_their_numbers_in_every_language():
    from postureguard.engine.events import PostureAlert, SittingAlert
    from postureguard.engine.policy import alert_text, alert_title

    posture = PostureAlert(t=100.0, angle_deg=12.4, duration_s=125.0, trigger="neck_strain")
    sitting = SittingAlert(t=100.0, minutes=50.0)
    try:
        i18n.set_language("de")
        assert alert_title(posture) == "Zeit, sich aufzurichten"
        assert alert_text(posture) == ("Ihr Kopf ist seit 2 Minuten etwa 12° weiter vorn als in Ihrer "
                                       "aufrechten Haltung.")
        assert alert_text(sitting) == "Sie sitzen seit 50 Minuten ohne Pause."
        i18n.set_language("es")
        assert alert_title(sitting) == "Hora de hacer una pausa"
        assert alert_text(posture) == ("Su cabeza lleva 2 minutos unos 12° más adelantada que en su postura "
                                       "erguida.")
        i18n.set_language("en")
        assert alert_text(posture) == ("Your head has been about 12° more forward than your upright for 2 "
                                       "minutes.")
    finally:
        i18n.set_language("en")
