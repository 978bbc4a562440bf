"""Facts about the machine for the admin screen: is the network up."""

from __future__ import annotations

from pathlib import Path

ROUTES = Path("/proc/net/route")


def network_up(routes: Path = ROUTES) -> bool:
    """A default route exists on an interface that is up (what "connected" means to a Pi)."""
    try:
        lines = routes.read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        # Destination 00000000 is the default route; flag 0x1 (RTF_UP) says it is usable.
        if len(fields) > 3 and fields[1] == "00000000" and int(fields[3], 16) & 1:
            return True
    return False


def machine_facts() -> bool:
    """Whether the network is up (how sync went, the sync worker keeps in the database)."""
    return network_up()
