"""``python -m hardware`` runs the scanner probe, as ``kiosk scanners`` does."""

import sys

from hardware.probe import main

raise SystemExit(main(sys.argv[1:]))
