"""Signing in and out, and choosing the language.

The sign-in form carries a token that must match a cookie set with the form (double submit):
without a session there is no session key to sign it with, and a site that cannot read our
cookies cannot post a sign-in in the librarian's name. Failed sign-ins make the next attempt
wait (sync.server.web.signin); while an account or an address must wait, even the right
password is refused, and the page says how long to wait.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server.db import reading
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

        def wait() -> int:
            with pages.engine.begin() as conn:
                return signin.seconds_to_wait(conn, keys, visit.now)

        seconds = await run_in_threadpool(wait)
        if seconds:
            message = t("Too many failed sign-ins. Wait {seconds} seconds, then try again.")
            return await run_in_threadpool(
                lambda: form_page(
                    request,
                    status=429,
                    error=message.format(seconds=seconds),
                    name=name,
                    back_to=form.get("next"),
                )
            )
        who = await run_in_threadpool(staff.verify, pages.engine, name, password, visit.now)

        def settle() -> str | None:
            with pages.engine.begin() as conn:
                if who is None:
                    signin.failed(conn, keys, visit.now)
                    return None
                signin.succeeded(conn, keys)
                return signin.start(conn, who, visit.now)

        token = await run_in_threadpool(settle)
        if token is None or who is None:
            return await run_in_threadpool(
                lambda: form_page(
                    request,
                    status=401,
                    error=t("The name or the password is wrong."),
                    name=name,
                    back_to=form.get("next"),
                )
            )
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
