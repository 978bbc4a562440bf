"""The log of events (/events) and its exports: CSV, and a KOC file for Koha.

The exports stream: rows are read from the database in batches and sent as they are written,
so a year of events costs the server no more memory than a day's.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from kiosk.core.decisions import EventType, Reason
from sync.server.db import reading
from sync.server.tables import kiosks
from sync.server.web import eventlog
from sync.server.web.site import SECURITY_HEADERS, Pages, WebRoute


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
        return StreamingResponse(chunks, media_type=media, headers=headers)

    @r.get("/export/events.csv")
    def export_csv(request: Request) -> Response:
        return _export(request, "csv")

    @r.get("/export/koc")
    def export_koc(request: Request) -> Response:
        return _export(request, "koc")

    return r
