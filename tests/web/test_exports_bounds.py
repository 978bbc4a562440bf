"""The log of events and its exports over rows no push can store any more, but an older server
did: a loan dated year 9999, a return dated year 1, a card with a tab, a barcode with a line
break. The pages open, the CSV and KOC files come out whole, the KOC file has one line per loan
and no forged one, and every export gives its database connection back however it ends. On
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import openpyxl
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.pool import QueuePool

from kiosk.core.decisions import Event, EventType
from kiosk.core.journal import RecordedEvent, Stamp
from kiosk.koc import koc_lines
from sync.server.review import Item, Kind, report
from sync.server.tables import events, readers
from tests.web.conftest import Site

YEAR_9999 = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
YEAR_1 = datetime(1, 1, 1, tzinfo=UTC)
FORGED_CARD = "S\tforged\n2026-11-23 12:00:00 000\tissue\t202430101\t0001001"
FORGED_BARCODE = "0001001\r\n2026-11-23 12:00:00 000\treturn\t0001002"
# A line of a KOC file: a time, then issue with a card and a barcode, or return with a barcode.
KOC_LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d{3}\t(issue\t[^\t]+\t[^\t]+|return\t[^\t]+)"
)


def _held(engine: Engine) -> int:
    """Connections taken from the pool and not given back."""
    assert isinstance(engine.pool, QueuePool)
    return engine.pool.checkedout()


def _add_events(engine: Engine, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as an older server stored them: a real checkout of door-1, copied and changed."""
    with engine.begin() as conn:
        model = conn.execute(
            select(events).where(events.c.type == "checkout").order_by(events.c.number).limit(1)
        ).one()
        seq = conn.execute(select(func.max(events.c.seq))).scalar_one()
        rows = []
        for change in changes:
            seq += 1
            row = {**model._asdict(), "id": str(uuid.uuid4()), "seq": seq, **change}
            del row["number"]
            rows.append(row)
        conn.execute(events.insert(), rows)
    return rows


def _dated(moment: datetime, **more: Any) -> dict[str, Any]:
    text = moment.isoformat()
    return {"effective_time": moment, "wall_time": text, "clock_time": text, **more}


def test_pages_and_exports_survive_times_no_clock_reads(site: Site) -> None:
    forged = _add_events(
        site.engine,
        [
            _dated(YEAR_9999, due="9999-12-31"),
            _dated(YEAR_1, type="return", reason="ok", due=None),
        ],
    )
    with site.engine.begin() as conn:
        ids = forged[0]["id"], "door-1", forged[0]["seq"], forged[0]["id"]
        report(conn, [Item(Kind.DAMAGE_REPORTED, *ids)], site.clock())
        total = conn.execute(select(func.count()).select_from(events)).scalar_one()
    s = site.sign_in()
    for page in ("/events", f"/events?before={10**9}", "/review"):
        answer = site.get(s, page)
        assert answer.status_code == 200, (page, answer.text[-2000:])
    assert f"#{forged[0]['seq']}" in site.get(s, "/events").text

    exported = site.get(s, "/export/events.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(rows) == total  # to the last row: the file did not stop at year 9999
    times = {int(r["seq"]): r["time"] for r in rows if r["kiosk"] == "door-1"}
    assert times[forged[0]["seq"]] == "9999-12-31T23:59:59+00:00"
    assert times[forged[1]["seq"]] == "0001-01-01T00:00:00+00:00"
    assert _held(site.engine) == 0

    koc = site.get(s, "/export/koc")
    assert koc.status_code == 200
    lines = koc.text.splitlines()
    with site.engine.connect() as conn:
        circulation = conn.execute(
            select(func.count()).where(
                events.c.type.in_(("checkout", "return")), events.c.barcode.is_not(None)
            )
        ).scalar_one()
    assert len(lines) - 1 == circulation - 2  # every loan and return but the two no clock read
    assert all(KOC_LINE.fullmatch(line) for line in lines[1:])
    assert not any(line.startswith(("9999", "0001", "1-")) for line in lines)
    assert _held(site.engine) == 0


def test_a_card_or_barcode_with_a_tab_or_line_break_forges_no_koc_line(site: Site) -> None:
    _add_events(
        site.engine,
        [
            {"card": FORGED_CARD},
            {"barcode": FORGED_BARCODE},
            {"type": "return", "reason": "ok", "due": None, "barcode": "0001002\u2028x"},
        ],
    )
    s = site.sign_in()
    with site.engine.connect() as conn:
        circulation = conn.execute(
            select(func.count()).where(
                events.c.type.in_(("checkout", "return")), events.c.barcode.is_not(None)
            )
        ).scalar_one()
    lines = site.get(s, "/export/koc").text.split("\n")
    assert lines[-1] == ""  # the file ends with a newline, and holds no other line break
    assert not any("\r" in line or "\u2028" in line or "\x85" in line for line in lines)
    lines = lines[1:-1]
    assert len(lines) == circulation - 3  # one line per loan and return; the forged ones out
    assert all(KOC_LINE.fullmatch(line) for line in lines)
    assert not any("forged" in line for line in lines)
    assert _held(site.engine) == 0


def test_an_export_cut_off_half_way_gives_its_connection_back(site: Site) -> None:
    # Enough rows that the file is far larger than what the sockets hold, so the download is
    # cut off while the export is still reading rows.
    _add_events(site.engine, [{} for _ in range(40_000)])
    s = site.sign_in()
    returned = threading.Event()

    def checked_in(*_: object) -> None:
        returned.set()

    answer = s.get(site.url + "/export/events.csv", stream=True, timeout=60)
    try:
        assert answer.status_code == 200
        first = next(answer.iter_content(chunk_size=4096))
        assert first.startswith("\ufeffnumber,".encode())
        assert _held(site.engine) == 1  # the export's own, reading
        event.listen(site.engine, "checkin", checked_in)
    finally:
        answer.close()  # the browser goes away
    try:
        assert returned.wait(timeout=60), "the export kept its connection"
        assert _held(site.engine) == 0
        again = site.get(s, "/export/events.csv?kiosk=door-1&type=refusal")
        assert again.status_code == 200
    finally:
        event.remove(site.engine, "checkin", checked_in)


def test_the_koc_writer_writes_one_line_per_loan_and_nothing_else() -> None:
    """kiosk.koc, which `kiosk export koc` and the server's export share, on events built here."""
    at = datetime(2026, 11, 23, 4, 15, tzinfo=UTC)

    def recorded(seq: int, kind: EventType, card: str | None, barcode: str) -> RecordedEvent:
        event = Event(kind, card=card, barcode=barcode)
        return RecordedEvent(seq, "", "door-1", event, Stamp(at, at, 1.0, "b", True), "", "")

    good = [recorded(1, EventType.CHECKOUT, "S31", "B1"), recorded(2, EventType.RETURN, None, "B1")]
    forged = [
        recorded(3, EventType.CHECKOUT, FORGED_CARD, "B2"),
        recorded(4, EventType.RETURN, None, FORGED_BARCODE),
        recorded(5, EventType.CHECKOUT, "S31", "B3\x85x"),
        recorded(6, EventType.CHECKOUT, None, "B4"),
    ]
    lines = list(koc_lines([*good, *forged], "Asia/Shanghai", lambda barcode: barcode))
    assert lines[1:] == [
        "2026-11-23 12:15:00 000\tissue\tS31\tB1",
        "2026-11-23 12:15:00 000\treturn\tB1",
    ]
    # A label that is not a barcode (an ISBN from a damaged catalogue row) is refused as well.
    assert list(koc_lines(good[:1], "Asia/Shanghai", lambda barcode: "978\t1"))[1:] == []


def test_the_weekly_workbook_survives_a_control_character_in_a_name(site: Site) -> None:
    with site.engine.begin() as conn:  # as an importer of an older version let it in
        conn.execute(
            update(readers).where(readers.c.card == "202430101").values(given_name="小\x01明")
        )
    s = site.sign_in()
    answer = site.get(s, "/weekly.xlsx")
    assert answer.status_code == 200, answer.text[-500:]
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    names = {row[2] for row in book.worksheets[1].iter_rows(values_only=True)}
    assert "小\ufffd明" in names
