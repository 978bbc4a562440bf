"""Who holds a book past its due date, class by class: the notice for each class teacher.

Due dates are local dates (as the kiosk computed them), so "overdue" is simply due before
today at the library.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Select, select

from sync.server.tables import copies, loans, readers


@dataclass(frozen=True)
class Overdue:
    class_name: str | None  # None: a teacher, or a card no longer on the roster
    card: str
    given_name: str
    barcode: str
    title: str
    due: date | None  # None only for a loan a kiosk sent without one (held, never overdue)
    days: int  # days past due


def _query(
    today: date, class_name: str | None, late_only: bool = True
) -> Select[tuple[object, ...]]:
    query = (
        select(
            readers.c.class_name,
            loans.c.card,
            readers.c.given_name,
            loans.c.barcode,
            copies.c.title,
            loans.c.due,
        )
        .select_from(loans)
        .outerjoin(readers, readers.c.card == loans.c.card)
        .outerjoin(copies, copies.c.barcode == loans.c.barcode)
        .where(loans.c.on_loan.is_(True))
        .order_by(readers.c.class_name, readers.c.given_name, loans.c.card, loans.c.due)
    )
    if late_only:
        query = query.where(loans.c.due < today.isoformat())
    if class_name is not None:
        query = query.where(readers.c.class_name == class_name)
    return query


def overdue(conn: Connection, today: date, class_name: str | None = None) -> list[Overdue]:
    return list(_rows(conn, today, class_name))


def held(conn: Connection, today: date, class_name: str | None = None) -> list[Overdue]:
    """Every book on loan, late or not (the term-end notices); ``days`` is 0 for one not yet due."""
    return list(_rows(conn, today, class_name, late_only=False))


def _rows(
    conn: Connection, today: date, class_name: str | None, late_only: bool = True
) -> Iterator[Overdue]:
    for r in conn.execute(_query(today, class_name, late_only)):
        due = date.fromisoformat(str(r.due)) if r.due is not None else None
        yield Overdue(
            r.class_name,
            str(r.card),
            r.given_name or "",
            str(r.barcode),
            r.title or "",
            due,
            max(0, (today - due).days) if due else 0,
        )


def by_class(rows: list[Overdue]) -> list[tuple[str | None, list[Overdue]]]:
    """The rows grouped by class, classes in order, teachers and unknown cards last."""
    groups: dict[str | None, list[Overdue]] = {}
    for row in rows:
        groups.setdefault(row.class_name, []).append(row)
    return sorted(groups.items(), key=lambda g: (g[0] is None, _class_key(g[0])))


def _class_key(class_name: str | None) -> tuple[int, int]:
    if not class_name:
        return (99, 99)
    grade, _, number = class_name.partition("-")
    return (int(grade), int(number)) if grade.isdigit() and number.isdigit() else (98, 0)


def class_key(class_name: str | None) -> tuple[int, int]:
    return _class_key(class_name)
