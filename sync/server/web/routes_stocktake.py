"""The stocktake page (清点): start one (the whole library or some 中图法 classes), count codes in
its focused field (a USB scanner types a code and Enter: one plain form post per code, answered
with the running count and a tick for the last code), close it; and its report, printable and as
CSV or Excel. The work is sync.server.stocktake's, as for `kiosk-server stocktake`: a refusal is
the same reason, said in the visitor's language, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from sync.server import stocktake as st
from sync.server.db import reading
from sync.server.tables import copies, stocktakes
from sync.server.web import spreadsheets
from sync.server.web.i18n import N_
from sync.server.web.routes_reports import csv_text, download
from sync.server.web.site import PageNotFoundError, Pages, WebRoute, see_other

# What the page says after a post, by key (the key travels in the address, never the words).
SAID = {
    "counted": N_("Counted."),
    "again": N_("Already counted: each copy counts once."),
    "unknown": N_("Not in the catalogue: counted as an unknown code."),
    "started": N_("The stocktake is open: scan the shelves."),
    "closed": N_("The stocktake is closed; its report is kept."),
    "already_open": N_("A stocktake is already open: close it before starting another."),
    "none_open": N_("No stocktake is open."),
    "bad_classes": N_("Classes: give 中图法 class letters such as I-K or I,K,Z."),
    "bad_code": N_("A code is 1 to 80 characters; nothing was counted."),
    "already_done": N_("This form was already sent; nothing was done again."),
    "marked_lost": N_("Put in the lost register."),
    "sent_to_review": N_("Sent to the review inbox."),
    "not_on_loan_seen": N_(
        "This copy was not seen on loan in this stocktake; nothing was changed."
    ),
    "not_missing": N_("This copy is not missing in this stocktake; nothing was changed."),
}
FINDINGS = {
    st.Finding.SEEN: N_("Seen"),
    st.Finding.MISSING: N_("Not seen (missing)"),
    st.Finding.ON_LOAN_BUT_SEEN: N_("Seen but on loan"),
    st.Finding.WITHDRAWN: N_("Seen but withdrawn or lost"),
    st.Finding.UNKNOWN: N_("Unknown codes"),
}
LISTED = [f for f in FINDINGS if f is not st.Finding.SEEN]  # the page lists all but the seen


def _number(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise PageNotFoundError
    return int(text)


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    @r.get("/stocktake")
    def stocktake_page(request: Request) -> Response:
        visit = pages.visit(request)
        said = request.query_params.get("said", "")
        try:
            last = st.clean_code(request.query_params.get("last", ""))
        except st.RefusedError:
            last = ""
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            taking = st.current(conn)
            count = st.scan_count(conn, taking.id) if taking else 0
            title = None
            if last and said == "counted":
                title = conn.execute(
                    select(copies.c.title).where(copies.c.barcode == last)
                ).scalar()
            past = conn.execute(select(stocktakes).order_by(stocktakes.c.id.desc()).limit(20)).all()
        return pages.page(
            visit, "stocktake.html", lib, taking=taking, count=count, past=past,
            said=SAID.get(said), said_key=said if said in SAID else "", last=last, title=title,
        )  # fmt: skip

    @r.post("/stocktake/start")
    async def start(request: Request) -> Response:
        posted = await pages.posted(request)
        who = posted.visit.staff
        assert who is not None
        text = posted.form.get("classes")[:40]

        def work() -> str:
            try:
                classes = st.parse_classes(text)
            except st.RefusedError as refused:
                return refused.reason
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    st.start(conn, classes, who.name, posted.visit.now)
                except st.RefusedError as refused:
                    return refused.reason
            return "started"

        return see_other(_back(await run_in_threadpool(work)))

    @r.post("/stocktake/scan")
    async def scan(request: Request) -> Response:
        posted = await pages.posted(request)
        who = posted.visit.staff
        assert who is not None
        text = posted.form.get("code")

        def work() -> tuple[str, str]:
            try:
                code = st.clean_code(text)
            except st.RefusedError as refused:
                return refused.reason, ""
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done", ""
                try:
                    what, barcode = st.scan(conn, code, who.name, posted.visit.now)
                except st.RefusedError as refused:
                    return refused.reason, ""
            return what.value, barcode

        said, last = await run_in_threadpool(work)
        return see_other(_back(said, last))

    @r.post("/stocktake/close")
    async def close(request: Request) -> Response:
        posted = await pages.posted(request)
        who = posted.visit.staff
        assert who is not None

        def work() -> tuple[str, int | None]:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done", None
                try:
                    closed = st.close(conn, who.name, posted.visit.now)
                except st.RefusedError as refused:
                    return refused.reason, None
            return "closed", closed.id

        said, number = await run_in_threadpool(work)
        if number is not None:
            return see_other(f"/stocktake/{number}?{urlencode({'said': said})}")
        return see_other(_back(said))

    @r.post("/stocktake/{number}/lost")
    async def lost(number: str, request: Request) -> Response:
        which = _number(number)
        posted = await pages.posted(request)
        who = posted.visit.staff
        assert who is not None
        barcode = posted.form.get("barcode").strip()[: st.MAX_CODE]

        def work() -> str:
            with pages.engine.begin() as conn:
                taking = st.get(conn, which)
                if taking is None:
                    raise PageNotFoundError
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    st.mark_lost(conn, taking, barcode, who.name, posted.visit.now)
                except st.RefusedError as refused:
                    return refused.reason
            return "marked_lost"

        said = await run_in_threadpool(work)
        return see_other(f"/stocktake/{which}?{urlencode({'said': said})}#missing")

    @r.post("/stocktake/{number}/review")
    async def to_review(number: str, request: Request) -> Response:
        which = _number(number)
        posted = await pages.posted(request)
        barcode = posted.form.get("barcode").strip()[: st.MAX_CODE]

        def work() -> str:
            with pages.engine.begin() as conn:
                taking = st.get(conn, which)
                if taking is None:
                    raise PageNotFoundError
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    st.send_to_review(conn, taking, barcode, posted.visit.now)
                except st.RefusedError as refused:
                    return refused.reason
            return "sent_to_review"

        said = await run_in_threadpool(work)
        return see_other(f"/stocktake/{which}?{urlencode({'said': said})}#on_loan_but_seen")

    def _report(number: str) -> st.Report:
        with reading(pages.engine) as conn:
            taking = st.get(conn, _number(number))
            if taking is None:
                raise PageNotFoundError
            return st.report(conn, taking)

    @r.get("/stocktake/{number}")
    def report_page(number: str, request: Request) -> Response:
        visit = pages.visit(request)
        found = _report(number)
        said = request.query_params.get("said", "")
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
        listed = {f: [x for x in found.lines if x.finding is f] for f in LISTED}
        counts = {f: found.count(f) for f in FINDINGS}
        return pages.page(
            visit, "stocktake_report.html", lib, found=found, taking=found.stocktake,
            listed=listed, counts=counts, findings=FINDINGS, said=SAID.get(said),
            said_key=said,
        )  # fmt: skip

    @r.get("/stocktake/{number}/report.csv")
    def report_csv(number: str, request: Request) -> Response:
        visit = pages.visit(request)
        found = _report(number)
        header, rows = _table(found, visit.t)
        return download(csv_text(header, rows), "text/csv; charset=utf-8",
                        f"stocktake-{found.stocktake.id}.csv")  # fmt: skip

    @r.get("/stocktake/{number}/report.xlsx")
    def report_xlsx(number: str, request: Request) -> Response:
        visit = pages.visit(request)
        found = _report(number)
        header, rows = _table(found, visit.t)
        progress = (
            [visit.t("Class"), visit.t("Expected on the shelf"), visit.t("Seen")],
            [[k, p.expected, p.seen] for k, p in found.by_class.items()],
        )
        data = spreadsheets.workbook(
            [(visit.t("Stocktake"), header, rows), (visit.t("Progress"), *progress)]
        )
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return download(data, media, f"stocktake-{found.stocktake.id}.xlsx")

    return r


def _back(said: str, last: str = "") -> str:
    query = {"said": said, **({"last": last} if last else {})}
    return "/stocktake?" + urlencode(query)


def _table(found: st.Report, t: Callable[[str], str]) -> tuple[list[str], list[list[object]]]:
    header = [t("Barcode"), t("Finding"), t("Title"), t("Category"), t("Class")]
    rows: list[list[object]] = [
        [x.barcode, t(FINDINGS[x.finding]), x.title, x.category, st.class_letter(x.category)]
        for x in found.lines
    ]
    return header, rows
