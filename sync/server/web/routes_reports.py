"""Today, overdue and weekly: the pages the librarian reads, and what class teachers see.

A teacher's account sees its own class's overdue notice and weekly numbers and nothing else:
asking for another class is 403. Exports are the pages' numbers as CSV (UTF-8 with a BOM, for
Excel) and, for the weekly numbers, an Excel workbook.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.db import reading
from sync.server.web import charts, overdue, spreadsheets, today, weekly
from sync.server.web.eventlog import spreadsheet_safe
from sync.server.web.i18n import N_
from sync.server.web.library import parse_class
from sync.server.web.render import class_label
from sync.server.web.site import (
    SECURITY_HEADERS,
    Library,
    NotAllowedError,
    PageNotFoundError,
    Pages,
    Visit,
    WebRoute,
)

POSTER_CLASSES = 12  # as many as the poster's ranking lists
GRADE_NAMES = {
    1: N_("Grade 1"),
    2: N_("Grade 2"),
    3: N_("Grade 3"),
    4: N_("Grade 4"),
    5: N_("Grade 5"),
    6: N_("Grade 6"),
}


def download(body: bytes | str, media: str, filename: str) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
    }
    return Response(data, media_type=media, headers=headers)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def _class_or_404(text: str) -> str:
    found = parse_class(text)
    if found is None or found != text:
        raise PageNotFoundError
    return found


def _allowed(visit: Visit, class_name: str | None) -> str | None:
    """The class a visitor may see: a teacher only theirs (NotAllowedError otherwise)."""
    who = visit.staff
    assert who is not None
    if who.librarian:
        return class_name
    if class_name is not None and class_name != who.class_name:
        raise NotAllowedError
    return who.class_name


def _weekly(
    pages: Pages, visit: Visit, library: Library, class_name: str | None, week: str | None
) -> weekly.Weekly | None:
    if library.policy is None:
        return None
    policy = library.policy
    day = visit.now.astimezone(library.zone).date()
    weeks = weekly.term_weeks(policy.term)
    if week and week.isdigit() and 1 <= int(week) <= len(weeks):
        day = weeks[int(week) - 1].start
    with reading(pages.engine) as conn:
        return weekly.weekly(
            conn, policy.term, library.zone, policy.books_per_term, day, class_name
        )


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    @r.get("/")
    def today_page(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        who = visit.staff
        assert who is not None
        if not who.librarian:
            return RedirectResponse(f"/weekly/{who.class_name}", 303, headers=SECURITY_HEADERS)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            day = today.today(conn, library.zone, visit.now)
        return pages.page(
            visit, "today.html", library, door_day=day, silent_after=today.SILENT_AFTER
        )

    # --- overdue ------------------------------------------------------------------------

    def overdue_page(request: Request, class_name: str | None) -> Response:
        visit = pages.visit(request, librarian=False)
        shown = _allowed(visit, class_name)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            day = visit.now.astimezone(library.zone).date()
            rows = overdue.overdue(conn, day, shown)
        return pages.page(
            visit,
            "overdue.html",
            library,
            groups=overdue.by_class(rows),
            class_name=shown,
            as_of=day,
            count=len(rows),
        )

    @r.get("/overdue")
    def overdue_all(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        if visit.staff and not visit.staff.librarian:
            target = f"/overdue/{visit.staff.class_name}"
            return RedirectResponse(target, 303, headers=SECURITY_HEADERS)
        return overdue_page(request, None)

    @r.get("/overdue.csv")
    def overdue_csv(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        wanted = request.query_params.get("class") or None
        shown = _allowed(visit, _class_or_404(wanted) if wanted else None)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
            day = visit.now.astimezone(library.zone).date()
            rows = overdue.overdue(conn, day, shown)
        t = visit.t
        header = [
            t("Class"),
            t("Card"),
            t("Name"),
            t("Barcode"),
            t("Title"),
            t("Due"),
            t("Days overdue"),
        ]
        body = csv_text(
            header,
            (
                (
                    r.class_name or "",
                    r.card,
                    r.given_name,
                    r.barcode,
                    r.title,
                    r.due.isoformat() if r.due else "",
                    r.days,
                )
                for r in rows
            ),
        )
        return download(body, "text/csv; charset=utf-8", f"overdue-{day.isoformat()}.csv")

    @r.get("/overdue/{class_name}")
    def overdue_class(class_name: str, request: Request) -> Response:
        return overdue_page(request, _class_or_404(class_name))

    # --- weekly -------------------------------------------------------------------------

    def weekly_page(request: Request, class_name: str | None, template: str) -> Response:
        visit = pages.visit(request, librarian=False)
        shown = _allowed(visit, class_name)
        with reading(pages.engine) as conn:
            library = pages.library(conn)
        numbers = _weekly(pages, visit, library, shown, request.query_params.get("week"))
        context: dict[str, Any] = {"numbers": numbers, "class_name": shown}
        if numbers is not None:
            t, lang = visit.t, visit.language
            week = numbers.week
            ranking = numbers.ranking()
            if shown is None:
                # The A4 poster has room for the twelve best classes; the page shows them all.
                shown_classes = ranking[:POSTER_CLASSES] if template == "poster.html" else ranking
                by_class = sorted(shown_classes, key=lambda c: overdue.class_key(c.class_name))
                context["chart"] = charts.bars(
                    t("Books borrowed this week, per class"),
                    [class_label(c.class_name, lang) for c in by_class],
                    t("Books"),
                    [c.loans for c in by_class],
                )
            grades: dict[str, list[int]] = {}
            for c in numbers.classes():
                if shown is not None and c != shown:
                    continue
                grade = int(c.split("-")[0])
                label = (
                    t(GRADE_NAMES.get(grade, "Grade 1")) if shown is None else class_label(c, lang)
                )
                totals = grades.setdefault(label, [0] * len(numbers.weeks))
                for i, n in enumerate(numbers.by_class_week[c]):
                    totals[i] += n
            shown_weeks = numbers.weeks[: week.number]  # no empty weeks still to come
            context["trend"] = charts.lines(
                t("Books borrowed per week this term"),
                [t("Week {n}").format(n=w.number) for w in shown_weeks],
                {name: counts[: week.number] for name, counts in grades.items()},
            )
            context["ranking"] = ranking
            context["poster_classes"] = POSTER_CLASSES
            context["week"] = week
        return pages.page(visit, template, library, **context)

    @r.get("/weekly")
    def weekly_all(request: Request) -> Response:
        visit = pages.visit(request, librarian=False)
        if visit.staff and not visit.staff.librarian:
            return RedirectResponse(
                f"/weekly/{visit.staff.class_name}", 303, headers=SECURITY_HEADERS
            )
        return weekly_page(request, None, "weekly.html")

    @r.get("/weekly/poster")
    def weekly_poster(request: Request) -> Response:
        pages.visit(request)  # the school's poster: the librarian's
        return weekly_page(request, None, "poster.html")

    def term_numbers(visit: Visit) -> weekly.Weekly:
        """The term's weekly numbers for the exports, or "not found" before there is a term."""
        with reading(pages.engine) as conn:
            library = pages.library(conn)
        numbers = _weekly(pages, visit, library, None, None)
        if numbers is None:
            raise PageNotFoundError
        return numbers

    @r.get("/weekly.csv")
    def weekly_csv(request: Request) -> Response:
        visit = pages.visit(request)
        numbers = term_numbers(visit)
        t = visit.t
        header = [
            t("Class"),
            t("Pupils"),
            *[t("Week {n}").format(n=w.number) for w in numbers.weeks],
            t("Term"),
        ]
        sizes = numbers.class_sizes()
        rows = [
            (c, sizes.get(c, 0), *numbers.by_class_week[c], sum(numbers.by_class_week[c]))
            for c in numbers.classes()
        ]
        return download(csv_text(header, rows), "text/csv; charset=utf-8", "weekly.csv")

    @r.get("/weekly.xlsx")
    def weekly_xlsx(request: Request) -> Response:
        visit = pages.visit(request)
        numbers = term_numbers(visit)
        t = visit.t
        sizes = numbers.class_sizes()
        classes_sheet = (
            t("Classes"),
            [
                t("Class"),
                t("Pupils"),
                *[t("Week {n}").format(n=w.number) for w in numbers.weeks],
                t("Term"),
            ],
            [
                (c, sizes.get(c, 0), *numbers.by_class_week[c], sum(numbers.by_class_week[c]))
                for c in numbers.classes()
            ],
        )
        pupils_sheet = (
            t("Pupils"),
            [t("Class"), t("Card"), t("Name"), t("Books this term"), t("Target")],
            [
                (p.class_name, p.card, p.given_name, p.books, numbers.target)
                for c in numbers.classes()
                for p in numbers.class_pupils(c)
            ],
        )
        data = spreadsheets.workbook([classes_sheet, pupils_sheet])
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return download(data, media, "weekly.xlsx")

    @r.get("/weekly/{class_name}")
    def weekly_class(class_name: str, request: Request) -> Response:
        return weekly_page(request, _class_or_404(class_name), "weekly_class.html")

    return r
