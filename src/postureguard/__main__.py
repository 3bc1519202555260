"""`python -m postureguard` runs the command line (with the same privacy filter as the program)."""

from postureguard.cli import entry

raise SystemExit(entry())
