"""The reservations page (预约): list and filter by reader and state, place one for a reader on a
title or a copy, cancel one; and the term's reservations register (预约登记), printable. A class
teacher whose account names her card (`add-teacher --card`) sees, places and cancels her own.

The work is sync.server.reservations', as for `kiosk-server reserve`: a refusal is the same
reason, said on the page in the visitor's language, and nothing is written.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kiosk.core.isbn import isbn13
from sync.server import reservations as rs
from sync.server.db import reading
from sync.server.web.site import NotAllowedError, PageNotFoundError, Pages, WebRoute, see_other
from sync.server.web.staff import Staff


def _own_card(who: Staff | None) -> str | None:
    """None for a librarian (any reader's); a teacher's own card; 403 for a teacher without."""
    assert who is not None
    if who.librarian:
        return None
    if who.card is None:
        raise NotAllowedError
    return who.card


def _back(card: str, state: str) -> str:
    query = urlencode({k: v for k, v in (("card", card), ("state", state)) if v})
    return "/reservations" + (f"?{query}" if query else "")


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    @r.get("/reservations")
    def reservations_page(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        own = _own_card(visit.staff)
        card = own or request.query_params.get("card", "").strip()[:80]
        state = request.query_params.get("state", "")
        if state and state not in rs.STATES:
            state = ""
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            today = visit.now.astimezone(lib.zone).date()
            rows = rs.listing(conn, today, card=card or None, state=state or None)
        return pages.page(
            visit, "reservations.html", lib, rows=rows, card=card, state=state, states=rs.STATES,
            own=own,
        )  # fmt: skip

    @r.post("/reservations")
    async def place(request: Request) -> Response:
        posted = await pages.posted(request, librarian=False)
        form, visit = posted.form, posted.visit
        who = visit.staff
        assert who is not None
        own = _own_card(who)
        card, code = own or form.get("card").strip()[:80], form.get("book").strip()[:80]
        isbn = isbn13(code) if code else None

        def work() -> str:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                if not card or not code:
                    return "reservation_isbn_or_barcode"
                # A barcode first: an ISBN-only copy's barcode is its ISBN.
                placed = rs.place(conn, card, visit.now, who.name, barcode=code)
                if isinstance(placed, rs.Refused) and placed.reason == "unknown_copy" and isbn:
                    placed = rs.place(conn, card, visit.now, who.name, isbn=isbn)
                if isinstance(placed, rs.Refused):
                    return f"reservation_{placed.reason}"
                return "reservation_placed"

        return see_other(_back(card, ""), await run_in_threadpool(work))

    @r.post("/reservations/{number}/cancel")
    async def cancel(number: str, request: Request) -> Response:
        if not number.isdigit() or len(number) > 18:
            raise PageNotFoundError
        posted = await pages.posted(request, librarian=False)
        who = posted.visit.staff
        assert who is not None
        own = _own_card(who)

        def work() -> str:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                refused = rs.cancel(conn, int(number), posted.visit.now, who.name, card=own)
                return f"reservation_{refused.reason}" if refused else "reservation_cancelled"

        return see_other("/reservations", await run_in_threadpool(work))

    @r.get("/registers/reservations")
    def register(request: Request) -> Response:
        visit = pages.visit(request)
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            today = visit.now.astimezone(lib.zone).date()
            rows = rs.listing(conn, today)
        if lib.policy is not None:
            start, end = lib.policy.term.start, lib.policy.term.end
            rows = [r for r in rows if start <= _day(r, lib.zone) <= end]
        rows.reverse()  # a register reads oldest first
        return pages.page(
            visit, "registers_reservations.html", lib, rows=rows, which="reservations"
        )

    return r


def _day(row: dict[str, object], zone: object) -> date:
    placed = row["placed_at"]
    assert hasattr(placed, "astimezone")
    return placed.astimezone(zone).date()  # type: ignore[no-any-return]
