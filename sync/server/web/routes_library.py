"""The catalogue and the readers: search, import files, mark copies, choose new arrivals,
deactivate readers, and the registers of repairs, withdrawals and lost copies."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kiosk.core.import_plan import ImportMode
from sync.server.db import reading
from sync.server.web import library, registers
from sync.server.web.forms import MAX_UPLOAD_BYTES
from sync.server.web.site import PageNotFoundError, Pages, Posted, WebRoute, see_other

REGISTERS = {
    "repairs": registers.Mark.DAMAGED,
    "withdrawals": registers.Mark.WITHDRAWN,
    "lost": registers.Mark.LOST,
}


def _offset(text: str | None) -> int:
    return min(int(text), 1_000_000) if text and text.isdigit() and len(text) < 8 else 0


def _copy_path(barcode: str) -> str:
    return "/catalogue/copy?" + urlencode({"barcode": barcode})


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    # --- catalogue ----------------------------------------------------------------------

    @r.get("/catalogue")
    def catalogue(request: Request) -> Response:
        visit = pages.visit(request)
        text = request.query_params.get("q", "").strip()[: library.MAX_SEARCH]
        offset = _offset(request.query_params.get("offset"))
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            rows, more = library.search_copies(conn, text, offset=offset)
            marked = registers.states(conn, [row.barcode for row in rows])
        return pages.page(
            visit,
            "catalogue.html",
            lib,
            rows=rows,
            more=more,
            q=text,
            offset=offset,
            states=marked,
            page_rows=library.PAGE_ROWS,
            max_upload=MAX_UPLOAD_BYTES >> 20,
            arrivals=None,
        )

    @r.get("/catalogue/copy")
    def copy_page(request: Request) -> Response:
        visit = pages.visit(request)
        barcode = request.query_params.get("barcode", "")[:80]
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            row = library.find_copy(conn, barcode)
            if row is None:
                raise PageNotFoundError
            state = registers.state_of(conn, barcode)
            marks = registers.history(conn, barcode)
            chosen = any(a.barcode == barcode for a in registers.arrivals(conn))
        allowed = list(registers.ALLOWED[state.shelf])
        return pages.page(
            visit,
            "copy.html",
            lib,
            copy=row,
            state=state,
            marks=marks,
            allowed=allowed,
            chosen=chosen,
        )

    @r.post("/catalogue/mark")
    async def mark(request: Request) -> Response:
        posted = await pages.posted(request)
        barcode = posted.form.get("barcode")[:80]
        try:
            what = registers.Mark(posted.form.get("mark"))
        except ValueError:
            return see_other(_copy_path(barcode), "bad_choice")
        note = posted.form.get("note").strip()

        def work() -> str:
            who = posted.visit.staff
            assert who is not None
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    registers.mark(conn, barcode, what, who.name, posted.visit.now, note=note)
                except LookupError:
                    raise _UndoneError("no_such_copy") from None
                except registers.MarkRefusedError:
                    raise _UndoneError("mark_refused") from None
            return "marked"

        return see_other(_copy_path(barcode), await _run(work))

    async def upload(request: Request, kind: str) -> Response:
        posted = await pages.posted(request, upload=True)
        visit = posted.visit
        form = posted.form
        template = "imported.html"
        back = "/catalogue" if kind == "catalog" else "/readers"

        def show(status: int, **context: object) -> Response:
            return pages.simple(visit, template, status, kind=kind, back=back, **context)

        if form.too_large:
            return await run_in_threadpool(
                show, 413, refused="too_large", limit=MAX_UPLOAD_BYTES >> 20, result=None
            )
        if form.upload is None or not form.upload.data:
            return await run_in_threadpool(show, 400, refused="no_file", result=None, limit=0)
        if library.looks_binary(form.upload.data):
            return await run_in_threadpool(show, 415, refused="binary", result=None, limit=0)
        file = form.upload
        # "Import anyway" posts the refused file's digest back: it confirms that file only, and
        # another file chosen in its place is checked as any upload is.
        choice = form.get("choice")
        force = choice == "force" and form.get("confirm") == library.file_digest(file.data)
        add_only = choice == "add_only" or form.get("add_only") == "yes"
        mode = ImportMode.ADD_ONLY if add_only else ImportMode.REPLACE

        def work() -> library.Imported | None:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return None
                result = library.import_file(conn, kind, file.filename, file.data, visit.now,
                                             t=visit.t, force=force, mode=mode)  # fmt: skip
                if result.refused:
                    raise _RefusedError(result)
                return result

        try:
            result = await run_in_threadpool(work)
        except _RefusedError as refused:
            status = 409 if refused.result.refused == "confirm" else 422
            return await run_in_threadpool(
                show, status, refused=refused.result.refused, result=refused.result, limit=0
            )
        if result is None:
            return see_other(back, "already_done")
        status = 200 if not result.errors else 422
        return await run_in_threadpool(show, status, refused=None, result=result, limit=0)

    @r.post("/catalogue/upload")
    async def upload_catalogue(request: Request) -> Response:
        return await upload(request, "catalog")

    # --- new arrivals -------------------------------------------------------------------

    @r.get("/arrivals")
    def arrivals(request: Request) -> Response:
        visit = pages.visit(request)
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            rows = registers.arrivals(conn)
        return pages.page(visit, "arrivals.html", lib, rows=rows)

    @r.post("/arrivals")
    async def change_arrivals(request: Request) -> Response:
        posted = await pages.posted(request)
        barcode = posted.form.get("barcode")[:80]
        action = posted.form.get("action")
        back = posted.form.get("back") == "copy"

        def work() -> str:
            who = posted.visit.staff
            assert who is not None
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    if action == "add":
                        added = registers.choose_arrival(conn, barcode, who.name, posted.visit.now)
                        return "arrival_added" if added else "arrival_there"
                    if action == "remove":
                        registers.drop_arrival(conn, barcode)
                        return "arrival_removed"
                    if action in ("up", "down"):
                        registers.move_arrival(conn, barcode, -1 if action == "up" else 1)
                        return "arrival_moved"
                except LookupError:
                    raise _UndoneError("no_such_copy") from None
                except registers.ArrivalsFullError:
                    raise _UndoneError("arrival_full") from None
                raise _UndoneError("bad_choice")

        return see_other(_copy_path(barcode) if back else "/arrivals", await _run(work))

    # --- readers ------------------------------------------------------------------------

    @r.get("/readers")
    def readers_page(request: Request) -> Response:
        visit = pages.visit(request)
        text = request.query_params.get("q", "").strip()[: library.MAX_SEARCH]
        wanted = request.query_params.get("class", "").strip()
        class_name = library.parse_class(wanted) if wanted else None
        offset = _offset(request.query_params.get("offset"))
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            rows, more = library.search_readers(conn, text, class_name, offset=offset)
            classes = library.classes(conn)
        return pages.page(
            visit,
            "readers.html",
            lib,
            rows=rows,
            more=more,
            q=text,
            offset=offset,
            class_name=class_name,
            class_error=bool(wanted) and class_name is None,
            classes=classes,
            page_rows=library.PAGE_ROWS,
            max_upload=MAX_UPLOAD_BYTES >> 20,
            status=400 if wanted and class_name is None else 200,
        )

    @r.post("/readers/upload")
    async def upload_roster(request: Request) -> Response:
        return await upload(request, "roster")

    @r.post("/readers/active")
    async def reader_active(request: Request) -> Response:
        posted = await pages.posted(request)
        card = posted.form.get("card")[:80]
        active = posted.form.get("active") == "yes"
        back = "/readers?" + urlencode({"q": card})

        def work() -> str:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    changed = registers.set_reader_active(conn, card, active, posted.visit.now)
                except LookupError:
                    raise _UndoneError("no_such_reader") from None
            if not changed:
                return "reader_unchanged"
            return "reader_activated" if active else "reader_deactivated"

        return see_other(back, await _run(work))

    # --- registers ----------------------------------------------------------------------

    @r.get("/registers")
    def registers_page(request: Request) -> Response:
        visit = pages.visit(request)
        which = request.query_params.get("register", "repairs")
        if which not in REGISTERS:
            raise PageNotFoundError
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            entries = registers.register(conn, REGISTERS[which])
        return pages.page(
            visit,
            "registers.html",
            lib,
            which=which,
            entries=entries,
            total=registers.total_price(entries),
            names=list(REGISTERS),
        )

    return r


class _UndoneError(Exception):
    """Raised inside a transaction to roll it back; the notice says why."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice


class _RefusedError(Exception):
    def __init__(self, result: library.Imported) -> None:
        super().__init__(result.refused)
        self.result = result


async def _run(work: Callable[[], str]) -> str:
    try:
        return await run_in_threadpool(work)
    except _UndoneError as undone:
        return undone.notice


__all__ = ["Posted", "router"]
