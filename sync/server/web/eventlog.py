"""The log of every event from every kiosk: filters checked before any query runs, pages by
keyset (``before``/``after`` an event number, so page 2,000 costs what page 1 does), and the
streamed exports (CSV, and KOC 1.0 for Koha through the kiosk's own writer, kiosk.koc).

Every filter value is a bound parameter; a value that is not what its field takes is an error
shown beside the field, and then nothing is searched. A row stored before pushes were bounded
(a time in year 1 or 9999) is shown and exported all the same, never a failed page or a file
that stops half-way: see :func:`shown_time`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Select, select

from kiosk.core import bounds
from kiosk.core.classes import ClassNameError, parse_class_name
from kiosk.core.decisions import EventType, Reason
from kiosk.core.journal import RecordedEvent, Stamp, event_from_columns
from kiosk.koc import KOC_TYPES, koc_lines
from sync.server.accounts import NAME as KIOSK_NAME
from sync.server.db import reading
from sync.server.tables import copies, events, readers
from sync.server.web.i18n import N_
from sync.server.web.today import day_bounds

log = logging.getLogger("kiosk_server.web")
PAGE_ROWS = 50
MAX_CODE = 80
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*")
FIELDS = ("from", "to", "class", "reader", "copy", "kiosk", "type", "reason")


@dataclass(frozen=True)
class Filters:
    first_day: date | None = None
    last_day: date | None = None
    class_name: str | None = None
    card: str | None = None
    barcode: str | None = None
    kiosk: str | None = None
    type: EventType | None = None
    reason: Reason | None = None
    values: Mapping[str, str] = field(default_factory=dict)  # as typed, to fill the form again

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.values.items() if v})


def parse_filters(params: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """The filters in a query string, and an error (to translate) per field that is wrong."""
    errors: dict[str, str] = {}
    values = {k: params.get(k, "").strip()[:200] for k in FIELDS}

    def day(key: str) -> date | None:
        if not values[key]:
            return None
        try:
            found = date.fromisoformat(values[key])
        except ValueError:
            errors[key] = N_("Write a date as YYYY-MM-DD, e.g. 2026-11-23.")
            return None
        # The days an event can be on (what a push may carry): year 1's local midnight is not
        # a time the database can hold, year 9999's next day not one Python can.
        if not bounds.EARLIEST_DAY < found < bounds.LATEST_DAY:
            errors[key] = N_("Give a date from 1970 to 2199.")
            return None
        return found

    def code(key: str) -> str | None:
        text = values[key]
        if not text:
            return None
        if len(text) > MAX_CODE or not _PRINTABLE.fullmatch(text):
            errors[key] = N_("A card or barcode has at most 80 characters.")
            return None
        return text

    first, last = day("from"), day("to")
    if first and last and first > last:
        errors["to"] = N_("The last day is before the first.")
    class_name = None
    if values["class"]:
        try:
            class_name = str(parse_class_name(values["class"]))
        except ClassNameError:
            errors["class"] = N_("Write a class as 3-2 or 三年级(2)班.")
    kiosk = values["kiosk"] or None
    if kiosk and not KIOSK_NAME.fullmatch(kiosk):
        errors["kiosk"] = N_("No kiosk has a name like this.")
        kiosk = None
    kind = None
    if values["type"]:
        try:
            kind = EventType(values["type"])
        except ValueError:
            errors["type"] = N_("Choose an event type from the list.")
    reason = None
    if values["reason"]:
        try:
            reason = Reason(values["reason"])
        except ValueError:
            errors["reason"] = N_("Choose a reason from the list.")
    filters = Filters(
        first, last, class_name, code("reader"), code("copy"), kiosk, kind, reason, values
    )
    return filters, errors


def _select(filters: Filters, zone: ZoneInfo) -> Select[Any]:
    """The events and what the pages show beside them (class, given name, title)."""
    c = events.c
    query = select(
        c.number, c.kiosk, c.seq, c.type, c.reason, c.card, c.barcode, c.code, c.due, c.flags,
        c.effective_time, c.timing, c.wall_time, c.session_id, readers.c.class_name,
        readers.c.given_name, copies.c.title, copies.c.isbn, copies.c.isbn_only,
    )  # fmt: skip
    return _filtered(query, filters, zone)


def _filtered(query: Select[Any], filters: Filters, zone: ZoneInfo) -> Select[Any]:
    c = events.c
    query = (
        query.select_from(events)
        .outerjoin(readers, readers.c.card == c.card)
        .outerjoin(copies, copies.c.barcode == c.barcode)
    )
    if filters.first_day:
        query = query.where(c.effective_time >= day_bounds(filters.first_day, zone)[0])
    if filters.last_day:
        query = query.where(c.effective_time < day_bounds(filters.last_day, zone)[1])
    if filters.class_name:
        query = query.where(readers.c.class_name == filters.class_name)
    if filters.card:
        query = query.where(c.card == filters.card)
    if filters.barcode:
        query = query.where(c.barcode == filters.barcode)
    if filters.kiosk:
        query = query.where(c.kiosk == filters.kiosk)
    if filters.type:
        query = query.where(c.type == filters.type.value)
    if filters.reason:
        query = query.where(c.reason == filters.reason.value)
    return query


def shown_time(moment: datetime) -> tuple[datetime, bool]:
    """A stored time as the pages show it, and whether it is one a clock can read.

    Pushes are bounded (kiosk.core.bounds), but a row stored before they were may say year 1 or
    9999, whose local time can lie past the last date Python holds. Such a time is shown at the
    edge of the window it fell out of, marked as a time the kiosk's clock was not sure of.
    """
    if bounds.time_problem(moment) is None:
        return moment, True
    early = moment.astimezone(UTC) < bounds.EARLIEST_TIME
    return (bounds.EARLIEST_TIME if early else bounds.LATEST_TIME - timedelta(seconds=1)), False


def _shown_row(row: Any) -> Any:
    at, true = shown_time(row.effective_time)
    if true:
        return row
    return SimpleNamespace(**{**row._asdict(), "effective_time": at, "timing": "held"})


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    older: int | None  # ?before= for the next page back
    newer: int | None  # ?after= for the page before this one


def page(
    engine: Engine,
    filters: Filters,
    zone: ZoneInfo,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_ROWS,
) -> Page:
    query = _select(filters, zone)
    n = events.c.number
    if after is not None:
        query = query.where(n > after).order_by(n.asc())
    else:
        if before is not None:
            query = query.where(n < before)
        query = query.order_by(n.desc())
    with reading(engine) as conn:
        rows = [_shown_row(row) for row in conn.execute(query.limit(size + 1))]
    more = len(rows) > size
    rows = rows[:size]
    if after is not None:
        rows.reverse()
        older = rows[-1].number if rows else None
        newer = rows[0].number if more and rows else None
    else:
        older = rows[-1].number if more and rows else None
        newer = rows[0].number if before is not None and rows else None
    return Page(rows, older, newer)


CSV_COLUMNS = (
    "number",
    "time",
    "kiosk",
    "seq",
    "type",
    "reason",
    "card",
    "class",
    "barcode",
    "title",
    "due",
    "flags",
    "code",
    "timing",
)


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a scanned code is untrusted)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_RISKY = frozenset("=+-@\t\r")


def _csv_time(at: datetime, zone: ZoneInfo) -> str:
    """The time column: local time, or for a time no clock reads the UTC time as stored."""
    if bounds.time_problem(at) is None:
        return at.astimezone(zone).isoformat(timespec="seconds")
    return at.astimezone(UTC).isoformat(timespec="seconds")


def csv_chunks(engine: Engine, filters: Filters, zone: ZoneInfo) -> Generator[str, None, None]:
    """The CSV export, 2,000 rows per chunk. UTF-8 with a byte-order mark, so that Excel (what
    schools open CSV with) reads the Chinese titles. Rows are read in batches from a query of
    just these columns: the loop below is what a million events cost.

    The connection is this generator's own: however the export ends (done, failed, closed when
    the browser went away), leaving the ``with`` gives it back and ends its snapshot."""
    c = events.c
    query = _filtered(
        select(
            c.number, c.effective_time, c.kiosk, c.seq, c.type, c.reason, c.card,
            readers.c.class_name, c.barcode, copies.c.title, c.due, c.flags, c.code, c.timing,
        ),
        filters,
        zone,
    ).order_by(c.number)  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    rows: list[tuple[Any, ...]] = []
    # The result closed first: on PostgreSQL it is a server-side cursor of the connection.
    with reading(engine) as conn, conn.execution_options(yield_per=2000).execute(query) as result:
        for (
            number,
            at,
            kiosk,
            seq,
            kind,
            reason,
            card,
            cls,
            barcode,
            title,
            due,
            flags,
            code,
            timing,
        ) in result:
            cells: tuple[str, ...] = (card or "", barcode or "", title or "", code or "")
            if any(cell[:1] in _RISKY for cell in cells if cell):
                cells = tuple(spreadsheet_safe(cell) for cell in cells)
            rows.append(
                (number, _csv_time(at, zone), kiosk, seq, kind, reason, cells[0], cls or "",
                 cells[1], cells[2], due or "", flags, cells[3], timing)
            )  # fmt: skip
            if len(rows) == 2000:
                writer.writerows(rows)
                rows.clear()
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    writer.writerows(rows)
    yield buffer.getvalue()


def koc_chunks(engine: Engine, filters: Filters, zone: ZoneInfo) -> Generator[str, None, None]:
    """Checkouts, renewals and returns as a Koha offline circulation file, at the times the server
    believes they happened, each copy under the barcode Koha knows (its ISBN if unlabelled).

    The connection is this generator's own, as for :func:`csv_chunks`: the rows are read
    inside its ``with``, not in a generator of their own that an error would leave open."""
    c = events.c
    query = (
        _select(filters, zone)
        .where(c.type.in_([t.value for t in KOC_TYPES]))
        .where(c.barcode.is_not(None))
        .order_by(c.number)
    )
    labels: dict[str, str] = {}
    batch: list[str] = []
    with reading(engine) as conn, conn.execution_options(yield_per=2000).execute(query) as rows:
        circulation = _circulation(rows, labels)
        for line in koc_lines(circulation, zone.key, lambda b: labels.get(b, b)):
            batch.append(line)
            if len(batch) >= 500:
                yield "\n".join(batch) + "\n"
                batch = []
    if batch:
        yield "\n".join(batch) + "\n"


def _circulation(rows: Iterable[Any], labels: dict[str, str]) -> Iterator[RecordedEvent]:
    """The rows as the journal events kiosk.koc writes, noting each copy's label in ``labels``."""
    for r in rows:
        labels[r.barcode] = r.isbn if r.isbn_only and r.isbn else r.barcode
        try:
            event = event_from_columns(
                type=r.type,
                reason=r.reason,
                session_id=r.session_id,
                card=r.card,
                barcode=r.barcode,
                code=r.code,
                due=r.due,
                flags=r.flags,
            )
        except ValueError:  # a reason or flag this version does not know: not for Koha
            log.warning(
                "KOC file: event %s of kiosk %s left out: a reason, flag or due date this "
                "version cannot read",
                r.seq,
                r.kiosk,
            )
            continue
        when: datetime = r.effective_time
        stamp = Stamp(when, when, 0.0, "", True)
        yield RecordedEvent(r.seq, "", r.kiosk, event, stamp, "", "")
