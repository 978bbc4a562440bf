"""The review inbox: what happened at the doors that the server would not guess about.

Each open item is resolved with one click (the button is the reason), optionally with a note;
who and when are logged on the item. A damage report resolved as "sent for repair" goes into
the repair register in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool

from sync.server import review
from sync.server.db import reading
from sync.server.tables import copies, events, readers, review_items
from sync.server.web import registers
from sync.server.web.eventlog import shown_time
from sync.server.web.site import PageNotFoundError, Pages, WebRoute, see_other

HISTORY_ROWS = 100
OPEN_ROWS = 100  # open items a page (a kiosk gone wrong can report many: see review.py)
CHOICES = {
    review.Kind.DAMAGE_REPORTED: (review.Resolution.SENT_FOR_REPAIR, review.Resolution.ACCEPTED),
}
DEFAULT_CHOICES = (review.Resolution.FIXED, review.Resolution.ACCEPTED)


def choices(kind: str) -> tuple[review.Resolution, ...]:
    try:
        return CHOICES.get(review.Kind(kind), DEFAULT_CHOICES)
    except ValueError:
        return DEFAULT_CHOICES


def _decorate(conn: Connection, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item with its detail read, the copy's title and the reader's given name."""
    barcodes = {i["barcode"] for i in items if i["barcode"]}
    cards = {i["card"] for i in items if i["card"]}
    titles = {
        r.barcode: r.title
        for r in conn.execute(
            select(copies.c.barcode, copies.c.title).where(copies.c.barcode.in_(barcodes))
        )
    }
    names = {
        r.card: r.given_name
        for r in conn.execute(
            select(readers.c.card, readers.c.given_name).where(readers.c.card.in_(cards))
        )
    }
    ids = [i["event_id"] for i in items if i["event_id"]]
    # A time stored before pushes were bounded (year 9999) is shown at the window's edge.
    when = {
        r.id: shown_time(r.effective_time)[0]
        for r in conn.execute(
            select(events.c.id, events.c.effective_time).where(events.c.id.in_(ids))
        )
    }
    shown = []
    for i in items:
        try:
            detail = json.loads(i["detail"]) if i["detail"] else {}
        except ValueError:
            detail = {}
        shown.append(
            {
                **i,
                "detail": detail if isinstance(detail, dict) else {},
                "title": titles.get(i["barcode"]),
                "given_name": names.get(i["card"]),
                "happened_at": when.get(i["event_id"]),
                "choices": choices(i["kind"]),
            }
        )
    return shown


@dataclass(frozen=True)
class Shown:
    """Which open items a page shows, for its "earlier / later" links."""

    first: int
    last: int
    total: int
    page: int
    size: int

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page * self.size < self.total else None


def _page_number(text: str | None) -> int:
    """``?page=N``: anything else (or a page past any inbox) is the first page."""
    if text is None or not text.isdigit() or len(text) > 6:
        return 1
    return max(1, int(text))


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    @r.get("/review")
    def inbox(request: Request) -> Response:
        visit = pages.visit(request)
        history = request.query_params.get("show") == "resolved"
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            if history:
                rows = conn.execute(
                    select(review_items)
                    .where(review_items.c.resolved_at.is_not(None))
                    .order_by(review_items.c.resolved_at.desc(), review_items.c.id.desc())
                    .limit(HISTORY_ROWS)
                )
                items = _decorate(conn, [dict(row._mapping) for row in rows])
                shown = None
            else:
                page = _page_number(request.query_params.get("page"))
                total = review.count_open(conn)
                first = (page - 1) * OPEN_ROWS
                items = _decorate(conn, review.open_items(conn, limit=OPEN_ROWS, offset=first))
                shown = Shown(first + 1, first + len(items), total, page, OPEN_ROWS)
        return pages.page(
            visit,
            "review.html",
            library,
            items=items,
            history=history,
            pages_of=shown if shown is not None and shown.total > OPEN_ROWS else None,
            open_count=shown.total if shown is not None else None,
        )

    @r.post("/review/{item_id}")
    async def resolve(item_id: str, request: Request) -> Response:
        if not item_id.isdigit() or len(item_id) > 18:
            raise PageNotFoundError
        posted = await pages.posted(request)
        form, visit = posted.form, posted.visit
        who = visit.staff
        assert who is not None
        try:
            resolution = review.Resolution(form.get("resolution"))
        except ValueError:
            return see_other("/review", "bad_choice")
        note = form.get("note").strip()[:500] or None

        def work() -> str:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                item = conn.execute(
                    select(review_items).where(review_items.c.id == int(item_id))
                ).first()
                if item is None or item.resolved_at is not None:
                    return "already_done"
                if resolution not in choices(item.kind) or resolution is review.Resolution.CLEARED:
                    return "bad_choice"
                if resolution is review.Resolution.SENT_FOR_REPAIR:
                    if not item.barcode:
                        return "no_copy"
                    try:
                        registers.mark(
                            conn,
                            item.barcode,
                            registers.Mark.DAMAGED,
                            who.name,
                            visit.now,
                            note=note or "",
                            review_item=item.id,
                        )
                    except (LookupError, registers.MarkRefusedError):
                        raise UndoneError("not_on_shelf") from None
                review.resolve(conn, item.id, resolution, who.name, visit.now, note)
                return "resolved"

        try:
            notice = await run_in_threadpool(work)
        except UndoneError as undone:
            notice = undone.notice
        return see_other("/review", notice)

    return r


class UndoneError(Exception):
    """Raised inside a transaction to roll all of it back; ``notice`` says why."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice
