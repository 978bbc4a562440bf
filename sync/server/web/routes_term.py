"""The end of term (期末): the term's report (page, A4 print and Excel) and the term-end notices
of who still holds books, class by class (期末催还书).

The report is the school's, the librarian's; a class teacher sees her own class's notice, as
with the overdue notices (another class's is 403).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.db import reading
from sync.server.web import overdue, spreadsheets, term_report
from sync.server.web.i18n import Translate
from sync.server.web.routes_reports import GRADE_NAMES, download
from sync.server.web.routes_reports import _allowed as allowed
from sync.server.web.routes_reports import _class_or_404 as class_or_404
from sync.server.web.site import (
    SECURITY_HEADERS,
    Library,
    PageNotFoundError,
    Pages,
    Visit,
    WebRoute,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def grade_name(t: Translate, grade: int) -> str:
    return t(GRADE_NAMES[grade]) if grade in GRADE_NAMES else str(grade)


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    def report(visit: Visit) -> tuple[term_report.TermReport | None, Library]:
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            if library.policy is None:
                return None, library
            today = visit.now.astimezone(library.zone).date()
            return term_report.term_report(conn, library.policy, library.zone, today), library

    @r.get("/term")
    def term_page(request: Request) -> Response:
        visit = pages.visit(request)  # the school's report: the librarian's
        numbers, library = report(visit)
        return pages.page(
            visit,
            "term.html",
            library,
            report=numbers,
            grade_name=lambda g: grade_name(visit.t, g),
        )

    @r.get("/term.xlsx")
    def term_xlsx(request: Request) -> Response:
        visit = pages.visit(request)
        numbers, _ = report(visit)
        if numbers is None:
            raise PageNotFoundError  # no rules, so no term
        t = visit.t
        target = numbers.target
        classes = (
            t("Classes"),
            [t("Class"), t("Pupils"), t("Books borrowed"), t("Books that count"),
             t("Per pupil"), t("Met the target")],
            [
                (c.class_name, c.pupils, c.loans, c.counted, round(c.per_pupil, 2), c.met)
                for c in numbers.ranking()
            ],
        )  # fmt: skip
        grades = (
            t("Grades"),
            [t("Grade"), t("Classes"), t("Pupils"), t("Books borrowed"), t("Books that count")],
            [
                (grade_name(t, g.grade), g.classes, g.pupils, g.loans, g.counted)
                for g in numbers.grades()
            ],
        )
        stars = (
            t("Reading stars"),
            [t("Class"), t("Card"), t("Name"), t("Books that count")],
            [(p.class_name, p.card, p.given_name, p.books) for p in numbers.stars()],
        )
        pupils = (
            t("Every pupil"),
            [t("Class"), t("Card"), t("Name"), t("Books borrowed"), t("Books that count"),
             t("Target")],
            [
                (p.class_name, p.card, p.given_name, borrowed, p.books, target)
                for p, borrowed in numbers.pupils()
            ],
        )  # fmt: skip
        met = (
            t("Pupils who met the target"),
            [t("Class"), t("Card"), t("Name"), t("Books that count"), t("Target")],
            [(p.class_name, p.card, p.given_name, p.books, target) for p in numbers.met_target()],
        )
        data = spreadsheets.workbook([classes, grades, stars, met, pupils])
        return download(data, XLSX, f"term-{numbers.as_of.isoformat()}.xlsx")

    # --- who still holds books (期末催还书) -----------------------------------------------

    def holding_page(request: Request, class_name: str | None) -> Response:
        visit = pages.visit(request, librarian=False)
        shown = allowed(visit, class_name)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            day = visit.now.astimezone(library.zone).date()
            rows = overdue.held(conn, day, shown)
        last_day = library.policy.term.end if library.policy else None
        return pages.page(
            visit,
            "term_holding.html",
            library,
            groups=overdue.by_class(rows),
            class_name=shown,
            as_of=day,
            count=len(rows),
            last_day=last_day,
        )

    @r.get("/term/holding")
    def holding_all(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        if visit.staff and not visit.staff.librarian:
            target = f"/term/holding/{visit.staff.class_name}"
            return RedirectResponse(target, 303, headers=SECURITY_HEADERS)
        return holding_page(request, None)

    @r.get("/term/holding/{class_name}")
    def holding_class(class_name: str, request: Request) -> Response:
        return holding_page(request, class_or_404(class_name))

    return r
