"""The rules the kiosks enforce, and the kiosks' tokens.

A policy is checked by the kiosk's own parser before it is saved (sync.server.school_data), so
what the page accepts is what every kiosk accepts; each problem is shown with its key. Kiosks
take up a saved policy at their next sync. A kiosk's token is shown once, on the page that made
it; the server keeps only its hash.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from kiosk.core.policy_file import PolicyError
from kiosk.imports.csvtext import decode
from sync.protocol import WirePolicy
from sync.server import accounts, school_data
from sync.server.db import reading
from sync.server.tables import kiosks, policy
from sync.server.web import today
from sync.server.web.site import Pages, WebRoute, see_other

MAX_POLICY = int(WirePolicy.model_fields["source"].metadata[0].max_length)


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    def rules_page(request: Request, **context: object) -> Response:
        visit = pages.visit(request)
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            row = conn.execute(select(policy.c.source, policy.c.imported_at)).first()
        context.setdefault("source", row.source if row else "")
        context.setdefault("problems", ())
        context.setdefault("saved", False)
        status = int(str(context.pop("status", 200)))
        return pages.page(
            visit,
            "rules.html",
            lib,
            saved_at=row.imported_at if row else None,
            status=status,
            **context,
        )

    @r.get("/rules")
    def rules(request: Request) -> Response:
        return rules_page(request)

    @r.post("/rules")
    async def save_rules(request: Request) -> Response:
        posted = await pages.posted(request, upload=True)
        form, t = posted.form, posted.visit.t
        if form.too_large:
            problem = t("The file is too large for a policy.")
            return await run_in_threadpool(
                lambda: rules_page(request, problems=[problem], status=413)
            )
        if form.upload is not None and form.upload.data:
            text = decode(form.upload.data, form.upload.filename or "policy.toml")
            if not isinstance(text, str) or "\x00" in text:
                problem = t("This file is not a policy file (TOML text).")
                return await run_in_threadpool(
                    lambda: rules_page(request, problems=[problem], status=415)
                )
            source = text.lstrip("\ufeff")
        else:
            source = form.get("source").replace("\r\n", "\n")
        if len(source) > MAX_POLICY:
            problem = t("The file is too large for a policy.")
            return await run_in_threadpool(
                lambda: rules_page(request, problems=[problem], source=source, status=413)
            )

        def work() -> tuple[str, ...] | None:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return None
                try:
                    school_data.save_policy(conn, source, posted.visit.now)
                except PolicyError as exc:
                    raise _ProblemsError(exc.problems) from None
            return ()

        try:
            done = await run_in_threadpool(work)
        except _ProblemsError as bad:
            problems = bad.problems
            return await run_in_threadpool(
                lambda: rules_page(request, problems=problems, source=source, status=422)
            )
        if done is None:
            return see_other("/rules", "already_done")
        return await run_in_threadpool(lambda: rules_page(request, saved=True))

    # --- kiosks -------------------------------------------------------------------------

    def kiosks_page(request: Request, status: int = 200, **context: object) -> Response:
        visit = pages.visit(request)
        with reading(pages.engine) as conn:
            lib = pages.library(conn)
            rows = list(conn.execute(select(kiosks).order_by(kiosks.c.name)))
            day = today.today(conn, lib.zone, visit.now)
        context.setdefault("new_token", None)
        context.setdefault("error", None)
        context.setdefault("new_name", "")
        return pages.page(
            visit,
            "kiosks.html",
            lib,
            rows=rows,
            health={d.name: d for d in day.doors},
            status=status,
            **context,
        )

    @r.get("/kiosks")
    def kiosk_list(request: Request) -> Response:
        return kiosks_page(request)

    @r.post("/kiosks")
    async def add_kiosk(request: Request) -> Response:
        posted = await pages.posted(request)
        name = posted.form.get("name").strip()[:80]
        t = posted.visit.t

        def work() -> str | None:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return None
                try:
                    return accounts.add_kiosk(conn, name, posted.visit.now)
                except accounts.AccountError:
                    raise _ProblemsError(()) from None

        try:
            token = await run_in_threadpool(work)
        except _ProblemsError:
            error = t(
                "A kiosk's name is its kiosk id: letters, digits, '.', '_' or '-', at most 64; "
                "an active kiosk of that name must be revoked first."
            )
            return await run_in_threadpool(
                lambda: kiosks_page(request, 422, error=error, new_name=name)
            )
        if token is None:
            return see_other("/kiosks", "already_done")
        return await run_in_threadpool(lambda: kiosks_page(request, new_token=token, new_name=name))

    @r.post("/kiosks/revoke")
    async def revoke_kiosk(request: Request) -> Response:
        posted = await pages.posted(request)
        name = posted.form.get("name")[:80]

        def work() -> str:
            with pages.engine.begin() as conn:
                if not pages.once(conn, posted):
                    return "already_done"
                try:
                    accounts.revoke_kiosk(conn, name, posted.visit.now)
                except accounts.AccountError:
                    return "bad_choice"
            return "kiosk_revoked"

        return see_other("/kiosks", await run_in_threadpool(work))

    return r


class _ProblemsError(Exception):
    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
