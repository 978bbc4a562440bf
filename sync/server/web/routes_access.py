"""Signing in and out, and choosing the language.

The sign-in form carries a token that must match a cookie set with the form (double submit):
without a session there is no session key to sign it with, and a site that cannot read our
cookies cannot post a sign-in in the librarian's name. Failed sign-ins make the next attempt
wait (sync.server.web.signin); while an account or an address must wait, even the right
password is refused, and the page says how long to wait.

An attempt goes: a cheap look at the wait (most of a burst stops here), a turn among the few
password checks this process runs at once, the attempt counted in the database (the count that
decides, committed before the check), the Argon2 check, and on success a new session and the
count cleared.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server.db import reading, writing
from sync.server.web import i18n, signin, staff
from sync.server.web.forms import read_form
from sync.server.web.site import (
    LANGUAGE_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    FormRefusedError,
    Pages,
    WebRoute,
    local_path,
    see_other,
)

SIGNIN_COOKIE = "library_signin"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def home_of(who: staff.Staff) -> str:
    return "/" if who.librarian else f"/weekly/{who.class_name}"


def router(pages: Pages) -> APIRouter:
    r = APIRouter(route_class=WebRoute)

    def form_page(
        request: Request,
        *,
        status: int = 200,
        error: str | None = None,
        name: str = "",
        back_to: str | None = None,
    ) -> Response:
        visit = pages.anonymous(request)
        token = secrets.token_urlsafe(24)
        response = pages.simple(
            visit,
            "signin.html",
            status,
            signin_token=token,
            error=error,
            name=name,
            next=local_path(back_to or request.query_params.get("next")),
        )
        response.set_cookie(
            SIGNIN_COOKIE,
            token,
            max_age=3600,
            path="/signin",
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
        return response

    @r.get("/signin")
    def show_signin(request: Request) -> Response:
        now = pages.clock()
        with reading(pages.engine) as conn:
            session = signin.current(conn, request.cookies.get(SESSION_COOKIE), now)
        if session is not None:
            target = local_path(request.query_params.get("next"), home_of(session.staff))
            return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
        return form_page(request)

    @r.post("/signin")
    async def sign_in(request: Request) -> Response:
        form = await read_form(request)
        cookie = request.cookies.get(SIGNIN_COOKIE, "")
        posted = form.get("signin_token")
        if not cookie or not posted or not hmac.compare_digest(cookie, posted):
            raise FormRefusedError
        name = form.get("name").strip()[:64]
        password = form.get("password")
        address = request.client.host if request.client else "unknown"
        keys = signin.throttle_keys(name, address)
        visit = pages.anonymous(request)
        t = visit.t

        def refuse(status: int, error: str, retry_after: int | None = None) -> Response:
            response = form_page(
                request, status=status, error=error, name=name, back_to=form.get("next")
            )
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response

        def must_wait(seconds: int) -> Response:
            message = t("Too many failed sign-ins. Wait {seconds} seconds, then try again.")
            return refuse(429, message.format(seconds=seconds), seconds)

        def waiting() -> int:
            with reading(pages.engine) as conn:
                return signin.seconds_to_wait(conn, keys, visit.now)

        def claim() -> None:
            with writing(pages.engine) as conn:
                signin.claim(conn, keys, visit.now)

        seconds = await run_in_threadpool(waiting)
        if seconds:
            return await run_in_threadpool(must_wait, seconds)
        who: staff.Staff | None = None
        async with pages.password_checks.turn() as checking:
            if checking:
                try:
                    await run_in_threadpool(claim)  # counted, and committed, before the check
                except signin.MustWaitError as exc:  # another attempt got there first
                    seconds = exc.seconds
                else:
                    who = await run_in_threadpool(
                        staff.verify, pages.engine, name, password, visit.now
                    )
        if not checking:
            busy = t("Too many people are signing in at once. Try again in a moment.")
            return await run_in_threadpool(refuse, 429, busy, 1)
        if seconds:
            return await run_in_threadpool(must_wait, seconds)
        if who is None:
            wrong = t("The name or the password is wrong.")
            return await run_in_threadpool(refuse, 401, wrong)
        signed_in = who

        def start() -> str:
            with writing(pages.engine) as conn:
                signin.succeeded(conn, keys)
                return signin.start(conn, signed_in, visit.now)

        token = await run_in_threadpool(start)
        target = local_path(form.get("next"), home_of(who))
        response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=signin.SESSION_HOURS * 3600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
        response.delete_cookie(SIGNIN_COOKIE, path="/signin")
        return response

    @r.post("/signout")
    async def sign_out(request: Request) -> Response:
        posted = await pages.posted(request, librarian=False)
        assert posted.visit.session is not None
        session = posted.visit.session

        def end() -> None:
            with pages.engine.begin() as conn:
                signin.end(conn, session)

        await run_in_threadpool(end)
        response = see_other("/signin")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @r.get("/language/{language}")
    def choose_language(language: str, request: Request) -> Response:
        chosen = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
        target = local_path(request.query_params.get("next"))
        response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=365 * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
        return response

    return r
