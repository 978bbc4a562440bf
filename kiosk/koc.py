"""Koha offline circulation files (KOC 1.0), so a school on Koha can upload what the kiosk did.

Koha's "Upload offline circulation file" reads a header line and then one tab-separated line per
action: ``<local time with milliseconds> issue <card> <barcode>`` or ``... return <barcode>``.
A renewal is an ``issue`` of the copy to the card that holds it: Koha renews an issue of a copy
already on loan to the same patron (its own offline circulation does the same).
Koha trusts every line, so a line is written only when each of its fields is what it says: a
card or barcode with a tab or a line break in it would make two actions of one (a forged loan
or return), and a time no clock reads is no time to import. Such an event is left out, with a
warning naming it by kiosk and number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

from kiosk import __version__
from kiosk.core import bounds
from kiosk.core.decisions import EventType
from kiosk.core.journal import RecordedEvent

GENERATOR = "school-library-kiosk"
KOC_TYPES = (EventType.CHECKOUT, EventType.RENEWAL, EventType.RETURN)
ISSUES = (EventType.CHECKOUT, EventType.RENEWAL)
log = logging.getLogger(__name__)


def koc_lines(
    events: Iterable[RecordedEvent], timezone: str, label: Callable[[str], str]
) -> Iterator[str]:
    """The file's lines (no newlines). ``label`` gives the barcode Koha knows a copy by."""
    zone = ZoneInfo(timezone)
    yield f"Version=1.0\tGenerator={GENERATOR}\tGeneratorVersion={__version__}"
    for recorded in events:
        event = recorded.event
        if event.barcode is None or event.type not in KOC_TYPES:
            continue
        line, problem = koc_line(recorded, zone, label(event.barcode))
        if line is None:
            log.warning(
                "KOC file: event %s of kiosk %s left out: %s",
                recorded.seq,
                recorded.kiosk_id,
                problem,
            )
            continue
        yield line


def koc_line(
    recorded: RecordedEvent, zone: ZoneInfo, barcode: str
) -> tuple[str, None] | tuple[None, str]:
    """The line of a checkout, renewal or return (``barcode`` as Koha knows the copy), or why
    it has none."""
    event = recorded.event
    wall = recorded.stamp.wall
    if bounds.time_problem(wall) is not None:
        return None, f"its time {wall.isoformat()} is no clock's reading"
    fields: tuple[str, ...]
    if event.type in ISSUES:
        if event.card is None:
            return None, f"a {event.type} without a card"
        fields = ("issue", event.card, barcode)
    else:
        fields = ("return", barcode)
    if any(not field or bounds.breaks_lines(field) for field in fields):
        return None, "its card or barcode is empty or holds a control character or line break"
    local = wall.astimezone(zone)
    when = f"{local:%Y-%m-%d %H:%M:%S} {local.microsecond // 1000:03d}"
    return "\t".join((when, *fields)), None
