"""`.venv/bin/python -m tools.fuzz`: see tools/fuzz/cli.py and docs/fuzz.md."""

from tools.fuzz.cli import main

raise SystemExit(main())
