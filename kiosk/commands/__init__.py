"""The sub-commands of `kiosk`, one module per concern."""
