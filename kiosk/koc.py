"""Koha offline circulation files (KOC 1.0), so a school on Koha can upload what the kiosk did.

Koha's "Upload offline circulation file" reads a header line and then one tab-separated line per
action: ``<local time with milliseconds> issue <card> <barcode>`` or ``... return <barcode>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

from kiosk import __version__
from kiosk.core.decisions import EventType
from kiosk.core.journal import RecordedEvent

GENERATOR = "school-library-kiosk"


def koc_lines(
    events: Iterable[RecordedEvent], timezone: str, label: Callable[[str], str]
) -> Iterator[str]:
    """The file's lines (no newlines). ``label`` gives the barcode Koha knows a copy by."""
    zone = ZoneInfo(timezone)
    yield f"Version=1.0\tGenerator={GENERATOR}\tGeneratorVersion={__version__}"
    for recorded in events:
        event = recorded.event
        if event.barcode is None or event.type not in (EventType.CHECKOUT, EventType.RETURN):
            continue
        local = recorded.stamp.wall.astimezone(zone)
        when = f"{local:%Y-%m-%d %H:%M:%S} {local.microsecond // 1000:03d}"
        barcode = label(event.barcode)
        if event.type is EventType.CHECKOUT:
            yield f"{when}\tissue\t{event.card}\t{barcode}"
        else:
            yield f"{when}\treturn\t{barcode}"
