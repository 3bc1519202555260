"""`python -m postureguard` runs the command line."""

from postureguard.cli import main

raise SystemExit(main())
