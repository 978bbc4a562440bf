"""The printed sheets: library cards, class sheets and copy labels, A4 from the browser.

The librarian prints everything; a class teacher prints her own class's cards and class sheet
and nothing else (403). A request that cannot be printed is answered with its reason in
Simplified Chinese, then English, whatever the page's language: the sheet is often printed by
whoever stands at the office PC.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from sync.server import relabels
from sync.server.db import reading, writing
from sync.server.relabels import RelabelRefused
from sync.server.tables import copies, readers
from sync.server.web import sheets
from sync.server.web.i18n import N_, translator
from sync.server.web.overdue import class_key
from sync.server.web.render import class_label
from sync.server.web.sheets import Choice, Refusal
from sync.server.web.site import NotAllowedError, Pages, Visit, WebRoute, see_other

# Where the cut marks go (mm): the card grid's edges, 2 x 5 cards of 85.6 x 54 mm centred on A4.
CUT_X = (19.4, 105.0, 190.6)
CUT_Y = tuple(round(13.5 + 54 * row, 1) for row in range(6))


class _UndoneError(Exception):
    def __init__(self, refused: RelabelRefused) -> None:
        super().__init__(refused.reason)
        self.refused = refused


# Why no copy was given a barcode: the page's answer and its sentence.
RELABEL_REFUSALS = {
    "bad_first": (
        400,
        N_(
            "“{value}” cannot start a run of barcodes: it must end in a number (such as "
            "L0001) and must not be an ISBN."
        ),
    ),
    "runs_out": (
        400,
        N_(
            "Counting up from {value}, the number runs out of digits before the last copy: "
            "start with more digits (such as L00001)."
        ),
    ),
    "nothing_waiting": (404, N_("No copy on the shelf is waiting for a barcode of its own.")),
    "runs_into_copy": (
        409,
        N_(
            "The new barcodes would run into {value}, already the barcode of “{holder}”: "
            "nothing was changed. Start the range after the barcodes in use."
        ),
    ),
    "runs_into_isbn": (
        409,
        N_(
            "The new barcodes would run into {value}, the ISBN of “{holder}”: nothing was "
            "changed. Start the range elsewhere."
        ),
    ),
    "runs_into_card": (
        409,
        N_(
            "The new barcodes would run into {value}, a reader's card ({holder}): nothing was "
            "changed. Start the range elsewhere."
        ),
    ),
}


def _relabel_refusal(refused: RelabelRefused) -> Refusal:
    status, message = RELABEL_REFUSALS[refused.reason]
    return Refusal(status, message, refused.code[:80], refused.holder)


def _zh_class(class_name: str) -> str:
    return class_label(class_name, "zh_CN")


def _heading(visit: Visit, choice: Choice) -> str:
    if choice.class_name is not None:
        return class_label(choice.class_name, visit.language)
    if choice.grade is not None:
        return visit.t("Grade {n}").format(n=choice.grade)
    return visit.t("Everyone on the roster")


def _back(visit: Visit) -> str:
    who = visit.staff
    return (
        "/print"
        if who is not None and who.librarian
        else f"/weekly/{who.class_name if who else ''}"
    )


def _allowed(visit: Visit, choice: Choice) -> None:
    """A teacher prints her own class only: a grade, the roster or another class is 403."""
    who = visit.staff
    assert who is not None
    if not who.librarian and (
        choice.class_name is None or not who.may_see_class(choice.class_name)
    ):
        raise NotAllowedError


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    def refused(visit: Visit, refusal: Refusal) -> Response:
        values = {"value": refusal.value, "holder": refusal.holder}
        chinese = translator("zh_CN")(refusal.message).format(**values)
        english = refusal.message.format(**values)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
        return pages.page(
            visit,
            "print_refused.html",
            library,
            status=refusal.status,
            chinese=chinese,
            english=english,
            back=_back(visit),
        )

    @r.get("/print")
    def print_index(request: Request) -> Response:
        visit = pages.visit(request)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            on_roster = (readers.c.active.is_(True), readers.c.deleted.is_(False))
            per_class = conn.execute(
                select(readers.c.class_name, func.count())
                .where(*on_roster, readers.c.class_name.is_not(None))
                .group_by(readers.c.class_name)
            ).all()
            roster_size = conn.execute(select(func.count()).where(*on_roster)).scalar_one()
            shelf = (copies.c.deleted.is_(False), copies.c.active.is_(True))
            first = conn.execute(
                select(func.min(copies.c.barcode)).where(
                    *shelf,
                    copies.c.isbn_only.is_(False) | copies.c.barcode.in_(relabels.RELABELLED),
                )
            ).scalar()
            waiting = len(relabels.waiting(conn))
        classes = sorted(((c, n) for c, n in per_class), key=lambda cn: class_key(cn[0]))
        return pages.page(
            visit,
            "print.html",
            library,
            classes=classes,
            grades=sorted({int(c.split("-")[0]) for c, _ in classes}),
            roster_size=roster_size,
            first_barcode=first or "",
            waiting=waiting,
            max_labels=sheets.MAX_LABELS,
        )

    @r.get("/print/cards")
    def print_cards(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        choice = sheets.choose(request.query_params, everyone_allowed=True)
        if isinstance(choice, Refusal):
            return refused(visit, choice)
        _allowed(visit, choice)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            faces = sheets.card_faces(conn, choice)
        if isinstance(faces, Refusal):
            return refused(visit, faces)
        context: dict[str, Any] = {
            "sheets": sheets.in_sheets(faces, sheets.CARDS_PER_SHEET),
            "count": len(faces),
            "heading": _heading(visit, choice),
            "zh_class": _zh_class,
            "cut_x": CUT_X,
            "cut_y": CUT_Y,
            "back": _back(visit),
        }
        return pages.page(visit, "print_cards.html", library, **context)

    @r.get("/print/class-sheet")
    def print_class_sheet(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        choice = sheets.choose(request.query_params, everyone_allowed=False)
        if isinstance(choice, Refusal):
            return refused(visit, choice)
        _allowed(visit, choice)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            classes = sheets.class_sheets(conn, choice)
        if isinstance(classes, Refusal):
            return refused(visit, classes)
        # A class larger than one sheet holds goes on to a second, numbered "(2/2)".
        parts = []
        for class_name, faces in classes:
            chunks = sheets.in_sheets(faces, sheets.NAMES_PER_CLASS_SHEET)
            for i, chunk in enumerate(chunks, 1):
                parts.append((class_name, i, len(chunks), chunk))
        return pages.page(
            visit,
            "print_class_sheet.html",
            library,
            sheets=parts,
            heading=_heading(visit, choice),
            zh_class=_zh_class,
            back=_back(visit),
        )

    @r.get("/print/labels")
    def print_labels(request: Request) -> Response:
        visit = pages.visit(request)
        count = sheets.label_count(request.query_params.get("count"))
        if isinstance(count, Refusal):
            return refused(visit, count)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            labels = sheets.labels(conn, request.query_params.get("from"), count)
        if isinstance(labels, Refusal):
            return refused(visit, labels)
        return pages.page(
            visit,
            "print_labels.html",
            library,
            sheets=sheets.in_sheets(labels, sheets.LABELS_PER_SHEET),
            count=len(labels),
            first=labels[0].barcode_text,
            last=labels[-1].barcode_text,
            short=len(labels) < count,
            given=request.query_params.get("given") == "1",
        )

    @r.post("/print/labels/new")
    async def give_barcodes(request: Request) -> Response:
        """ISBN-only copies on the shelf get the barcodes from ``first`` on; their labels next."""
        posted = await pages.posted(request)
        visit = posted.visit
        first = posted.form.get("first").strip()[:80]
        count = sheets.label_count(posted.form.get("count"))
        if isinstance(count, Refusal):
            return await run_in_threadpool(refused, visit, count)
        who = visit.staff
        assert who is not None

        def work() -> list[relabels.Relabelled] | RelabelRefused | None:
            try:
                with writing(pages.engine) as conn:
                    if not pages.once(conn, posted):
                        return None
                    done = relabels.relabel(conn, first, count, visit.now, who.name)
                    if isinstance(done, RelabelRefused):
                        raise _UndoneError(done)  # nothing written, the form's token included
                    return done
            except _UndoneError as e:
                return e.refused

        done = await run_in_threadpool(work)
        if done is None:
            return see_other("/print", "already_done")
        if isinstance(done, RelabelRefused):
            return await run_in_threadpool(refused, visit, _relabel_refusal(done))
        return see_other(f"/print/labels?from={done[0].barcode}&count={len(done)}&given=1")

    return r
