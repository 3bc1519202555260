#!/usr/bin/env bash
# Extract, update and compile the translations (gettext catalogs, built with Babel).
#   scripts/i18n.sh
# For each program domain: `pybabel extract` over its source folders (keywords _ ngettext N_) into a
# template, `pybabel update` (or `init` the first time) of every language's
# src/postureguard/locale/<lang>/LC_MESSAGES/<domain>.po, then `pybabel compile` to the .mo beside it.
# The knowledge domain is extracted by scripts/extract_knowledge.py (when it exists), called as
#   python scripts/extract_knowledge.py <template.pot>
# and then updated and compiled the same way.
# Run it after adding or changing a user-facing string, translate the new (empty) entries in the .po
# files, run it again to compile, and commit the .po and .mo files (tests/test_i18n.py checks that
# they are complete and current). Templates are not kept: the .po files hold every msgid, sorted, and
# new strings are never guessed from similar ones (no fuzzy matching), so diffs stay small and exact.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.venv/bin
[ -x "$bin/pybabel" ] || bin=$(dirname "$(command -v pybabel)")
pybabel="$bin/pybabel"
python="$bin/python"
pkg=src/postureguard
locale=$pkg/locale
languages=(de es)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

extract() { # domain, folders...
    local domain=$1
    shift
    "$pybabel" -q extract -F babel.cfg -k _ -k ngettext:1,2 -k N_ --no-default-keywords \
        --sort-output --project PostureGuard --copyright-holder "PostureGuard contributors" \
        -o "$tmp/$domain.pot" "$@"
}

update_and_compile() { # domain
    local domain=$1 lang po
    for lang in "${languages[@]}"; do
        po=$locale/$lang/LC_MESSAGES/$domain.po
        if [ -f "$po" ]; then
            "$pybabel" -q update -N --ignore-obsolete --ignore-pot-creation-date \
                -D "$domain" -l "$lang" -i "$tmp/$domain.pot" -o "$po"
        else
            mkdir -p "$(dirname "$po")"
            "$pybabel" -q init -D "$domain" -l "$lang" -i "$tmp/$domain.pot" -o "$po"
        fi
        # Sorted like the template, so an update never reorders what translators wrote.
        "$python" - "$po" <<'PY'
import sys
from babel.messages.pofile import read_po, write_po
path = sys.argv[1]
with open(path, "rb") as handle:
    catalog = read_po(handle)
with open(path, "wb") as handle:
    write_po(handle, catalog, sort_output=True, ignore_obsolete=True)
PY
        "$pybabel" -q compile -D "$domain" -l "$lang" -i "$po" -o "${po%.po}.mo"
    done
}

# The desktop program: tray, player, windows, notifications, platform and settings messages.
extract postureguard $pkg/ui $pkg/runtime $pkg/platform $pkg/vision $pkg/settings $pkg/files $pkg/knowledge
update_and_compile postureguard
# The command line: commands, reports, errors and the engine's alert texts.
extract postureguard-commands $pkg/commands $pkg/cli.py $pkg/history $pkg/errors.py $pkg/engine
update_and_compile postureguard-commands
# The knowledge base's user-facing text (point names, how to find them, cautions, routines).
if [ -f scripts/extract_knowledge.py ]; then
    "$python" scripts/extract_knowledge.py "$tmp/knowledge.pot"
    update_and_compile knowledge
fi
echo "catalogs updated and compiled under $locale"
