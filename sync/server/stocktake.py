"""Stocktakes (清点): the librarian counts the shelves against the catalogue.

One stocktake is open at a time, over the whole library or a range of 中图法 class letters. Every
code scanned for it (at the stocktake page, the command line, later a kiosk) is kept once,
whoever sends it; a code the catalogue does not know is kept as unknown and changes nothing
else. The report says of each copy what the count found (:class:`Finding`); closing the stocktake
writes the report down, so it reads the same later whatever happens to the copies.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.core.isbn import isbn13
from sync.server.tables import copies, loans, stocktake_findings, stocktake_scans, stocktakes

MAX_CODE = 80
OTHER_CLASS = "?"  # a copy whose category starts with no class letter
_CLASS_LETTERS = re.compile(r"[A-Z]")


class Finding(enum.StrEnum):
    SEEN = "seen"  # expected on the shelf and seen
    MISSING = "missing"  # expected on the shelf, not seen: a candidate for the lost register
    ON_LOAN_BUT_SEEN = "on_loan_but_seen"  # a return that was never scanned
    WITHDRAWN = "withdrawn"  # seen, though withdrawn or lost
    UNKNOWN = "unknown"  # a code the catalogue does not know


class RefusedError(Exception):
    """Why nothing was done; ``reason`` names it for the words of the page or command line."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Scanned(enum.StrEnum):
    COUNTED = "counted"  # a copy counted for the first time
    AGAIN = "again"  # already counted (from here or elsewhere): nothing changes
    UNKNOWN = "unknown"  # not in the catalogue: kept as unknown


@dataclass(frozen=True)
class Stocktake:
    id: int
    classes: str | None  # the class letters, e.g. "IJK"; None for the whole library
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Line:
    barcode: str
    finding: Finding
    title: str
    category: str
    state: str  # on_shelf, on_loan, lost, in_repair, withdrawn, inactive or unknown

    def as_json(self) -> dict[str, str]:
        return {"barcode": self.barcode, "finding": self.finding.value, "title": self.title,
                "category": self.category, "class": class_letter(self.category),
                "state": self.state}  # fmt: skip


@dataclass
class Progress:
    expected: int = 0
    seen: int = 0


@dataclass(frozen=True)
class Report:
    stocktake: Stocktake
    lines: list[Line]
    scans: int
    by_class: dict[str, Progress] = field(default_factory=dict)

    def count(self, finding: Finding) -> int:
        return sum(1 for line in self.lines if line.finding is finding)


def class_letter(category: str) -> str:
    first = category.strip()[:1].upper()
    return first if _CLASS_LETTERS.fullmatch(first) else OTHER_CLASS


def parse_classes(text: str) -> str | None:
    """``"I-K, Z"`` -> ``"IJKZ"``; empty -> None (the whole library); else bad_classes."""
    text = text.strip().upper()
    if not text:
        return None
    letters: set[str] = set()
    for part in re.split(r"[,，\s]+", text):
        if not part:
            continue
        m = re.fullmatch(r"([A-Z])(?:[-–~～]([A-Z]))?", part)
        if m is None or (m.group(2) and m.group(2) < m.group(1)):
            raise RefusedError("bad_classes", text[:40])
        last = m.group(2) or m.group(1)
        letters.update(chr(c) for c in range(ord(m.group(1)), ord(last) + 1))
    if not letters:
        raise RefusedError("bad_classes", text[:40])
    return "".join(sorted(letters))


def _row(r: Any) -> Stocktake:
    return Stocktake(r.id, r.classes, r.started_at, r.started_by, r.closed_at, r.closed_by)


def current(conn: Connection) -> Stocktake | None:
    """The open stocktake, if any."""
    r = conn.execute(select(stocktakes).where(stocktakes.c.open_slot == 1)).first()
    return None if r is None else _row(r)


def latest(conn: Connection) -> Stocktake | None:
    """The open stocktake, else the last one closed."""
    r = conn.execute(select(stocktakes).order_by(stocktakes.c.id.desc()).limit(1)).first()
    return None if r is None else _row(r)


def get(conn: Connection, number: int) -> Stocktake | None:
    r = conn.execute(select(stocktakes).where(stocktakes.c.id == number)).first()
    return None if r is None else _row(r)


def start(conn: Connection, classes: str | None, by: str, now: datetime) -> Stocktake:
    """Open a stocktake; RefusedError("already_open") while another is open."""
    already = current(conn)
    if already is not None:
        raise RefusedError("already_open", str(already.id))
    try:
        with conn.begin_nested():
            number = conn.execute(
                insert(stocktakes)
                .values(classes=classes, open_slot=1, started_at=now, started_by=by)
                .returning(stocktakes.c.id)
            ).scalar_one()
    except IntegrityError:  # another one opened meanwhile
        raise RefusedError("already_open") from None
    found = get(conn, number)
    assert found is not None
    return found


def clean_code(text: str) -> str:
    """The code as scanned; bad_code for nothing, too long, or control characters."""
    code = text.strip()
    if not code or len(code) > MAX_CODE or any(ord(c) < 0x20 or ord(c) == 0x7F for c in code):
        raise RefusedError("bad_code", code[:MAX_CODE].encode("utf-8", "replace").decode())
    try:
        code.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database stores it
        raise RefusedError("bad_code", code.encode("utf-8", "replace").decode()) from None
    return code


def scan(conn: Connection, text: str, by: str, now: datetime) -> tuple[Scanned, str]:
    """Count one scanned code for the open stocktake: what it was, and the barcode it counted
    (the code itself when unknown). RefusedError("none_open") when no stocktake is open."""
    code = clean_code(text)
    taking = current(conn)
    if taking is None:
        raise RefusedError("none_open")
    known = conn.execute(
        select(copies.c.barcode).where(copies.c.barcode == code, copies.c.deleted.is_(False))
    ).scalar()
    if known is None:
        isbn = isbn13(code)
        if isbn is not None:  # an ISBN-only copy: the next of that ISBN not counted yet
            same = conn.execute(
                select(copies.c.barcode)
                .where(copies.c.isbn == isbn, copies.c.isbn_only.is_(True),
                       copies.c.deleted.is_(False))
                .order_by(copies.c.barcode)
            ).scalars().all()  # fmt: skip
            if same:
                counted = set(
                    conn.execute(
                        select(stocktake_scans.c.code).where(
                            stocktake_scans.c.stocktake == taking.id,
                            stocktake_scans.c.code.in_(same),
                        )
                    ).scalars()
                )
                known = next((b for b in same if b not in counted), same[0])
    barcode = known or code
    try:
        with conn.begin_nested():
            conn.execute(
                insert(stocktake_scans).values(
                    stocktake=taking.id, code=barcode, known=known is not None, at=now, by=by
                )
            )
    except IntegrityError:  # counted already, here or at another door
        return Scanned.AGAIN, barcode
    return (Scanned.COUNTED if known else Scanned.UNKNOWN), barcode


def scan_count(conn: Connection, number: int) -> int:
    counted = select(func.count()).where(stocktake_scans.c.stocktake == number)
    return int(conn.execute(counted).scalar_one())


def close(conn: Connection, by: str, now: datetime) -> Stocktake:
    """Close the open stocktake and keep its report; RefusedError("none_open") when none is."""
    taking = current(conn)
    if taking is None:
        raise RefusedError("none_open")
    lines = _findings(conn, taking)
    if lines:
        conn.execute(
            insert(stocktake_findings),
            [{"stocktake": taking.id, "barcode": x.barcode, "finding": x.finding.value,
              "title": x.title, "category": x.category, "state": x.state} for x in lines],
        )  # fmt: skip
    conn.execute(
        update(stocktakes)
        .where(stocktakes.c.id == taking.id)
        .values(open_slot=None, closed_at=now, closed_by=by)
    )
    closed = get(conn, taking.id)
    assert closed is not None
    return closed


def report(conn: Connection, taking: Stocktake) -> Report:
    """What the count found: live while open, as it was kept once closed."""
    if taking.open:
        lines = _findings(conn, taking)
    else:
        rows = conn.execute(
            select(stocktake_findings)
            .where(stocktake_findings.c.stocktake == taking.id)
            .order_by(stocktake_findings.c.category, stocktake_findings.c.barcode)
        )
        lines = [Line(r.barcode, Finding(r.finding), r.title, r.category, r.state) for r in rows]
    return Report(taking, lines, scan_count(conn, taking.id), _progress(taking, lines))


def _in_scope(taking: Stocktake, category: str) -> bool:
    return taking.classes is None or class_letter(category) in taking.classes


def _findings(conn: Connection, taking: Stocktake) -> list[Line]:
    # Here, not at the top: the pages' package imports this module (its stocktake page).
    from sync.server.web.registers import Shelf, states

    scanned = select(stocktake_scans.c.code, stocktake_scans.c.known).where(
        stocktake_scans.c.stocktake == taking.id
    )
    seen: dict[str, bool] = dict(conn.execute(scanned).all())
    on_loan = set(conn.execute(select(loans.c.barcode).where(loans.c.on_loan.is_(True))).scalars())
    shelves = {b: s.shelf.value for b, s in states(conn).items() if s.shelf is not Shelf.ON_SHELF}
    catalogue = conn.execute(
        select(copies.c.category, copies.c.barcode, copies.c.title, copies.c.active)
        .where(copies.c.deleted.is_(False))
        .order_by(copies.c.category, copies.c.barcode)  # by class, as on the shelves
    )
    gone = (Shelf.LOST.value, Shelf.WITHDRAWN.value, "inactive")
    lines: list[Line] = []
    for category, barcode, title, active in catalogue:
        state = shelves.get(barcode) or ("on_shelf" if active else "inactive")
        if barcode in on_loan:
            state = "on_loan"
        if barcode in seen:
            if state in gone:
                finding = Finding.WITHDRAWN
            elif state == "on_loan":
                finding = Finding.ON_LOAN_BUT_SEEN
            else:
                finding = Finding.SEEN
        elif state == "on_shelf" and _in_scope(taking, category):
            finding = Finding.MISSING  # (one in repair is at the repair desk, not on the shelf)
        else:
            continue  # not expected on the shelf and not seen
        lines.append(Line(barcode, finding, title, category, state))
    for code in sorted(code for code, known in seen.items() if not known):
        lines.append(Line(code, Finding.UNKNOWN, "", "", "unknown"))
    return lines


def _progress(taking: Stocktake, lines: Iterable[Line]) -> dict[str, Progress]:
    """Per class letter counted: copies expected on the shelf (seen or missing), those seen."""
    expected: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for line in lines:
        if line.finding is Finding.UNKNOWN or not _in_scope(taking, line.category):
            continue
        if line.finding in (Finding.SEEN, Finding.MISSING):
            expected[class_letter(line.category)] += 1
        if line.finding is Finding.SEEN:
            seen[class_letter(line.category)] += 1
    return {k: Progress(expected[k], seen[k]) for k in sorted(expected)}


def mark_lost(conn: Connection, taking: Stocktake, barcode: str, by: str, now: datetime) -> None:
    """Put a copy the stocktake did not see in the lost register (丢失), with one click of its
    report; RefusedError("not_missing") unless the report says it is missing and on the shelf."""
    from sync.server.web.registers import Mark, MarkRefusedError, mark

    if taking.open:
        line = next((x for x in _findings(conn, taking) if x.barcode == barcode), None)
        missing = line is not None and line.finding is Finding.MISSING
    else:
        kept = conn.execute(
            select(stocktake_findings.c.finding, stocktake_findings.c.state).where(
                stocktake_findings.c.stocktake == taking.id,
                stocktake_findings.c.barcode == barcode,
            )
        ).first()
        missing = kept is not None and kept.finding == Finding.MISSING and kept.state == "on_shelf"
    if not missing:
        raise RefusedError("not_missing", barcode)
    try:
        mark(
            conn,
            barcode,
            Mark.LOST,
            by,
            now,
            note=f"清点{taking.id}未见 / not seen in stocktake {taking.id}",
        )
    except (MarkRefusedError, LookupError):
        raise RefusedError("not_missing", barcode) from None
    conn.execute(
        update(stocktake_findings)
        .where(stocktake_findings.c.stocktake == taking.id, stocktake_findings.c.barcode == barcode)
        .values(state="lost")
    )


def send_to_review(conn: Connection, taking: Stocktake, barcode: str, now: datetime) -> None:
    """Put a copy the stocktake saw while on loan in the review inbox, where the librarian puts
    the loan right; RefusedError("not_on_loan_seen") unless the report says so."""
    from sync.server import review

    if taking.open:
        line = next((x for x in _findings(conn, taking) if x.barcode == barcode), None)
        found = line is not None and line.finding is Finding.ON_LOAN_BUT_SEEN
        title = line.title if line else ""
    else:
        kept = conn.execute(
            select(stocktake_findings.c.finding, stocktake_findings.c.title).where(
                stocktake_findings.c.stocktake == taking.id,
                stocktake_findings.c.barcode == barcode,
            )
        ).first()
        found = kept is not None and kept.finding == Finding.ON_LOAN_BUT_SEEN
        title = kept.title if kept else ""
    if not found:
        raise RefusedError("not_on_loan_seen", barcode)
    card = conn.execute(
        select(loans.c.card).where(loans.c.barcode == barcode, loans.c.on_loan.is_(True))
    ).scalar()
    item = review.Item(
        review.Kind.STOCKTAKE_SEEN_ON_LOAN,
        f"{taking.id}:{barcode}",
        barcode=barcode,
        card=card,
        detail={"stocktake": taking.id, "title": title},
    )
    review.report(conn, [item], now)
