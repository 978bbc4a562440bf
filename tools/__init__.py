"""Maintainers' tools, run from the checkout: `.venv/bin/python -m tools.NAME`."""
