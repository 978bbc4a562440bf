"""The self-service library kiosk: rules, journal, screens and the `kiosk` command."""

__version__ = "0.1.0"
