"""Translated user-facing text (gettext) and dates and numbers in the user's locale (Babel).

Catalogs live in the package, ``postureguard/locale/<language>/LC_MESSAGES/<domain>.po`` with the
compiled ``.mo`` beside it (``scripts/i18n.sh`` extracts, updates and compiles them). Three domains:

* ``postureguard``: the desktop program's text (ui, runtime, platform, vision, settings, files and
  knowledge code), marked in the source with :func:`_`, :func:`ngettext` and :func:`N_` and extracted
  by ``pybabel extract``;
* ``postureguard-commands``: the text of the command line, reports, errors and the engine (commands,
  cli, history, errors, engine), marked and extracted the same way. :func:`_` looks in both program
  domains, so a module never names its domain; they are two files only so that each stays small;
* ``knowledge``: the user-facing text of ``data/acupoints.json`` (point names, how to find each point,
  cautions, red flags, routines), looked up with :func:`knowledge_text`; the English sentence is the key.

The language is chosen once at start-up with :func:`set_language`: ``"auto"`` follows the desktop's
locale the way gettext itself reads it (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), and an
explicit code (``"en"``, ``"de"``, ``"es"``) overrides it. English is the source language, so it needs
no catalog; a language without one falls back to English, never to an error.

This module is the lowest layer of the package and imports only the standard library at import time
(Babel is imported inside the formatting functions), so every stage, the engine included, may use it.
"""

from __future__ import annotations

import datetime as _dt
import gettext as _gettext
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DOMAINS", "LANGUAGES", "N_", "_", "current_language", "format_date", "format_datetime",
    "format_decimal", "format_percent", "format_time", "knowledge_text", "locale_dir", "ngettext",
    "resolve_language", "set_language",
]  # fmt: skip

#: Languages with a complete translation; the first is the source language.
LANGUAGES: tuple[str, ...] = ("en", "de", "es")
#: The gettext domains (see the module docstring).
DOMAINS: tuple[str, ...] = ("postureguard", "postureguard-commands", "knowledge")

_LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_language = "en"
_catalogs: dict[str, _gettext.NullTranslations] = {}


def locale_dir() -> Path:
    """Folder holding ``<language>/LC_MESSAGES/<domain>.mo``."""
    return _LOCALE_DIR


def resolve_language(choice: str | None = "auto", environ: Mapping[str, str] | None = None) -> str:
    """The language to show: one of :data:`LANGUAGES`.

    ``choice`` is a setting's value: ``"auto"``/``None``/empty follows the environment in gettext's
    order (``LANGUAGE`` is a colon-separated list of preferences; ``C`` and ``POSIX`` mean English);
    a code such as ``"de"`` or ``"de_AT.UTF-8"`` is reduced to its language. Anything unknown gives
    ``"en"``.
    """
    env = os.environ if environ is None else environ
    candidates: list[str] = []
    if choice and choice != "auto":
        candidates.append(choice)
    else:
        for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
            value = env.get(var, "")
            if value:
                candidates.extend(value.split(":") if var == "LANGUAGE" else [value])
                if var != "LANGUAGE":
                    break  # gettext stops at the first of LC_ALL / LC_MESSAGES / LANG that is set
    for candidate in candidates:
        code = candidate.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
        if code in ("c", "posix"):
            return "en"
        if code in LANGUAGES:
            return code
    return "en"


def set_language(choice: str | None = "auto", environ: Mapping[str, str] | None = None) -> str:
    """Make ``choice`` (see :func:`resolve_language`) the language of all later lookups; returns it."""
    global _language
    _language = resolve_language(choice, environ)
    _catalogs.clear()
    return _language


def current_language() -> str:
    """The language code in use (one of :data:`LANGUAGES`)."""
    return _language


def _catalog(domain: str) -> _gettext.NullTranslations:
    catalog = _catalogs.get(domain)
    if catalog is None:
        if _language == "en":
            catalog = _gettext.NullTranslations()
        else:
            catalog = _gettext.translation(domain, _LOCALE_DIR, languages=[_language], fallback=True)
            if domain == "postureguard":
                commands = _gettext.translation(
                    "postureguard-commands", _LOCALE_DIR, languages=[_language], fallback=True
                )
                catalog.add_fallback(commands)
        _catalogs[domain] = catalog
    return catalog


def _(message: str) -> str:
    """``message`` (English source text) in the current language."""
    return _catalog("postureguard").gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for the count ``n``, in the current language's plural rule."""
    return _catalog("postureguard").ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (for constants; translate at use)."""
    return message


def knowledge_text(message: str) -> str:
    """A sentence of the knowledge base (English, as written in acupoints.json) in the current language."""
    if not message:
        return message
    return _catalog("knowledge").gettext(message)


def _babel_locale() -> str:
    return {"en": "en_GB", "de": "de_DE", "es": "es_ES"}.get(_language, "en_GB")


def format_date(value: _dt.date, format: str = "medium") -> str:
    """A date in the current language (``short``, ``medium``, ``long``, ``full`` or a Babel pattern)."""
    from babel import dates

    return dates.format_date(value, format=format, locale=_babel_locale())


def format_time(value: _dt.time | _dt.datetime, format: str = "short") -> str:
    """A time of day in the current language's form (``short`` gives hours and minutes)."""
    from babel import dates

    return dates.format_time(value, format=format, locale=_babel_locale())


def format_datetime(value: _dt.datetime, format: str = "medium") -> str:
    """A date and time in the current language's form."""
    from babel import dates

    return dates.format_datetime(value, format=format, locale=_babel_locale())


def format_decimal(value: float, format: str | None = None) -> str:
    """A number with the current language's decimal and grouping marks (``format``: a Babel pattern)."""
    from babel import numbers

    return numbers.format_decimal(value, format=format, locale=_babel_locale())


def format_percent(share: float, format: str | None = None) -> str:
    """A share in [0, 1] as a percentage in the current language's form (``0.82`` -> ``82 %`` in German)."""
    from babel import numbers

    return numbers.format_percent(share, format=format, locale=_babel_locale())
