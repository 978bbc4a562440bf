"""The log of events (/events) and its exports: CSV, and a KOC file for Koha.

The exports stream: rows are read from the database in batches and sent as they are written,
so a year of events costs the server no more memory than a day's. The generator that writes an
export holds a database connection and its snapshot while it runs; :class:`ExportResponse`
closes it however the answer ends.
"""

from __future__ import annotations

from collections.abc import Generator
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from kiosk.core.decisions import EventType, Reason
from sync.server.db import reading
from sync.server.tables import kiosks
from sync.server.web import eventlog
from sync.server.web.site import SECURITY_HEADERS, Pages, WebRoute


class ExportResponse(StreamingResponse):
    """A streamed export whose generator is closed as soon as the answer ends: sent whole, failed
    half-way, or cut off by the browser. Left to the garbage collector, a generator that an
    error or a cancelled download left suspended would keep its connection, with a read
    transaction on an old snapshot (on SQLite that also holds back the WAL checkpoint)."""

    def __init__(
        self, chunks: Generator[str, None, None], media_type: str, headers: dict[str, str]
    ) -> None:
        super().__init__(chunks, media_type=media_type, headers=headers)
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: after the browser went away this runs in a cancelled scope. The thread
            # that read the last chunk has returned (anyio waits for it), so the generator is
            # not running and can be closed.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self.chunks.close)


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 19 else None


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    @r.get("/events")
    def log(request: Request) -> Response:
        visit = pages.visit(request)
        filters, errors = eventlog.parse_filters(request.query_params)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            names = list(conn.execute(kiosks.select().order_by(kiosks.c.name)).scalars())
        page = None
        if not errors:
            page = eventlog.page(
                pages.engine,
                filters,
                library.zone,
                before=_number(request.query_params.get("before")),
                after=_number(request.query_params.get("after")),
            )
        return pages.page(
            visit,
            "events.html",
            library,
            filters=filters,
            errors=errors,
            page=page,
            kiosk_names=names,
            types=list(EventType),
            reasons=list(Reason),
            status=400 if errors else 200,
        )

    def _export(request: Request, kind: str) -> Response:
        visit = pages.visit(request)
        filters, errors = eventlog.parse_filters(request.query_params)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
        if errors:
            return pages.page(
                visit,
                "events.html",
                library,
                filters=filters,
                errors=errors,
                page=None,
                kiosk_names=[],
                types=list(EventType),
                reasons=list(Reason),
                status=400,
            )
        stamp = visit.now.astimezone(library.zone).date().isoformat()
        if kind == "csv":
            chunks = eventlog.csv_chunks(pages.engine, filters, library.zone)
            media, name = "text/csv; charset=utf-8", f"events-{stamp}.csv"
        else:
            chunks = eventlog.koc_chunks(pages.engine, filters, library.zone)
            media, name = "text/plain; charset=utf-8", f"kiosk-{stamp}.koc"
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        }
        return ExportResponse(chunks, media, headers)

    @r.get("/export/events.csv")
    def export_csv(request: Request) -> Response:
        return _export(request, "csv")

    @r.get("/export/koc")
    def export_koc(request: Request) -> Response:
        return _export(request, "koc")

    return r
