"""`fuzz`: hostile scans through the scanners' decoders and the door, and hostile requests at every
route of a live `kiosk-server serve`, each checked against the invariants a school relies on.

    .venv/bin/python -m tools.fuzz                  # the full run (docs/fuzz.md)
    .venv/bin/python -m tools.fuzz --short          # what CI runs (tests/fuzz)
"""
