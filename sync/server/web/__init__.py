"""The librarian's web pages, served by the central server beside the kiosks' API.

``install(app, engine, clock)`` puts them on the server's FastAPI app: the routes of each page
(``routes_*``), the static files (CSS, one small script), and the answers every page shares
(sign in first, 403, 404). See docs/web.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.staticfiles import StaticFiles

from sync.server.web import (
    routes_access,
    routes_admin,
    routes_library,
    routes_log,
    routes_print,
    routes_reports,
    routes_reservations,
    routes_review,
    routes_stocktake,
    routes_term,
)
from sync.server.web.site import Pages, install_answers

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI, engine: Engine, clock: Callable[[], datetime]) -> Pages:
    pages = Pages(engine, clock)
    app.state.pages = pages
    for module in (
        routes_access,
        routes_reports,
        routes_review,
        routes_log,
        routes_library,
        routes_stocktake,
        routes_admin,
        routes_print,
        routes_reservations,
        routes_term,
    ):
        app.include_router(module.router(pages))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_answers(app, pages)
    return pages


__all__ = ["Pages", "install"]
