"""The kiosk-side sync worker: pushes the journal, pulls what the server says, backs off."""
