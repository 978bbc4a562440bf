"""The appliance checks of ``kiosk doctor --config``: is this Pi a working kiosk, and what to do.

Every check is a pure function over a ``Machine`` (files under a root, commands, the clock, and
probes for scanners and the server), so each can be made to fail in a test without a real Pi.
"""

from kiosk.health.machine import Machine
from kiosk.health.results import Result, Status

__all__ = ["Machine", "Result", "Status"]
