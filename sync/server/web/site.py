"""The pages' frame: who is visiting and in which language, the answers every page shares
(sign-in first, 403, 404, an HTML error page), the security headers (HSTS under TLS), and
``install_answers``, which puts the shared answers on the server's FastAPI app.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import Connection, Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.core.policy import Policy
from kiosk.core.policy_file import PolicyError, parse_policy
from sync.server.db import reading
from sync.server.tables import policy as policy_table
from sync.server.web import i18n, signin
from sync.server.web.forms import Form, read_form
from sync.server.web.labels import LABELS
from sync.server.web.notices import NOTICES
from sync.server.web.render import formatters, render
from sync.server.web.staff import Staff

log = logging.getLogger("kiosk_server.web")

SESSION_COOKIE = "library_session"
LANGUAGE_COOKIE = "library_lang"
DEFAULT_ZONE = "Asia/Shanghai"  # until the school's policy names its timezone
# Everything comes from this server: a school LAN may have no internet. Styles may be inline
# because the charts are inline SVG with their own <style>; scripts may not.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Under TLS only: a browser that once reached the server over HTTPS never tries plain HTTP to it
# again for a year (a link typed without https://, a network that strips TLS off).
HSTS = "max-age=31536000"


class SignInNeededError(Exception):
    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class NotAllowedError(Exception):
    """A signed-in visitor asking for what their account may not see (403)."""


class PageNotFoundError(Exception):
    pass


class FormRefusedError(Exception):
    """A post without this session's form token (403): nothing was done."""


@dataclass(frozen=True)
class Library:
    name: str
    zone: ZoneInfo
    policy: Policy | None


@dataclass(frozen=True)
class Visit:
    language: str
    session: signin.Session | None
    path: str
    now: datetime

    @property
    def staff(self) -> Staff | None:
        return self.session.staff if self.session else None

    def t(self, message: str) -> str:
        return i18n.translator(self.language)(message)


@dataclass(frozen=True)
class Posted:
    visit: Visit
    form: Form
    nonce: str


def local_path(text: str | None, default: str = "/") -> str:
    """``text`` if it is a path on this site (never another site's address), else ``default``."""
    if not text or not text.startswith("/") or text.startswith("//") or "\\" in text:
        return default
    if any(ord(c) < 0x20 for c in text) or len(text) > 2000:
        return default
    return text


class Pages:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock
        self.password_checks = signin.PasswordChecks()  # this process's Argon2 checks
        self._policies: dict[int, Policy | None] = {}

    # --- who is visiting ----------------------------------------------------------------

    def _language(self, request: Request) -> str:
        return i18n.choose(request.cookies.get(LANGUAGE_COOKIE))

    def _path(self, request: Request) -> str:
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")

    def anonymous(self, request: Request) -> Visit:
        return Visit(self._language(request), None, self._path(request), self.clock())

    def visit(self, request: Request, *, librarian: bool = True) -> Visit:
        """The signed-in visitor; SignInNeededError without a session, NotAllowedError for a teacher
        on a librarian's page. Call from a worker thread (it reads the database)."""
        now = self.clock()
        with reading(self.engine) as conn:
            session = signin.current(conn, request.cookies.get(SESSION_COOKIE), now)
        if session is None:
            raise SignInNeededError(self._path(request))
        if librarian and not session.staff.librarian:
            raise NotAllowedError
        return Visit(self._language(request), session, self._path(request), now)

    async def posted(
        self, request: Request, *, librarian: bool = True, upload: bool = False
    ) -> Posted:
        """A posted form with this session's token; FormRefusedError (nothing done) otherwise."""
        visit = await run_in_threadpool(self.visit, request, librarian=librarian)
        self._same_origin(request)
        form = await read_form(request, upload=upload)
        assert visit.session is not None
        if form.too_large and not upload:
            raise FormRefusedError  # no form of the pages is this large: not one of ours
        nonce = signin.form_nonce(visit.session, form.get("form_token"), visit.now)
        if nonce is None and not form.too_large:
            raise FormRefusedError
        # An upload too large to read carries no token we could check: its page says so and
        # does nothing (``once`` refuses it).
        return Posted(visit, form, nonce or "")

    def _same_origin(self, request: Request) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if origin.split("://", 1)[-1] != host:
                raise FormRefusedError

    def once(self, conn: Connection, posted: Posted) -> bool:
        """Record the form as used, in the caller's transaction; False if it was already (or
        if it had no token: an upload too large to read)."""
        return bool(posted.nonce) and signin.use_form(conn, posted.nonce, posted.visit.now)

    # --- the school ---------------------------------------------------------------------

    def library(self, conn: Connection) -> Library:
        row = conn.execute(select(policy_table.c.source, policy_table.c.revision)).first()
        parsed: Policy | None = None
        if row is not None:
            if row.revision not in self._policies:
                try:
                    self._policies[row.revision] = parse_policy(row.source)
                except PolicyError:  # saved by an older parser; the rules page says so
                    self._policies[row.revision] = None
            parsed = self._policies[row.revision]
        if parsed is None:
            return Library("", ZoneInfo(DEFAULT_ZONE), None)
        return Library(parsed.library_name, ZoneInfo(parsed.timezone), parsed)

    # --- answers ------------------------------------------------------------------------

    def page(
        self,
        visit: Visit,
        template: str,
        library: Library,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        session = visit.session
        query = parse_qs(visit.path.partition("?")[2])
        notice_key = (query.get("notice") or [""])[0]
        notice = visit.t(NOTICES[notice_key]) if notice_key in NOTICES else None

        def token() -> str:
            assert session is not None
            return signin.form_token(session, visit.now)

        base: dict[str, Any] = {
            "language": visit.language,
            "html_lang": i18n.HTML_LANG[visit.language],
            "languages": i18n.LANGUAGE_NAMES,
            "switch": {
                lang: f"/language/{lang}?{urlencode({'next': visit.path})}"
                for lang in i18n.LANGUAGES
            },
            "staff": visit.staff,
            "form_token": token,
            "path": visit.path.split("?")[0],
            "library_name": library.name,
            "notice": notice,
            "labels": LABELS,
            "today": visit.now.astimezone(library.zone).date(),
            **formatters(visit.language, library.zone),
        }
        html = render(visit.language, template, {**base, **context})
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def simple(self, visit: Visit, template: str, status: int, **context: Any) -> HTMLResponse:
        with reading(self.engine) as conn:
            library = self.library(conn)
        return self.page(visit, template, library, status=status, **context)


def see_other(path: str, notice: str | None = None) -> RedirectResponse:
    """After a post: go to ``path`` (a GET), with a notice key the page translates."""
    if notice:
        path += ("&" if "?" in path else "?") + f"notice={quote(notice)}"
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


class WebRoute(APIRoute):
    """Routes of the pages: an unexpected error is an HTML page for a person, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (
                SignInNeededError,
                NotAllowedError,
                PageNotFoundError,
                FormRefusedError,
                StarletteHTTPException,
                ClientDisconnect,  # an upload cut off half-way: answered quietly (app.py)
            ):
                raise
            except Exception:
                log.exception("page %s failed", request.url.path)
                pages: Pages = request.app.state.pages
                visit = pages.anonymous(request)
                return await run_in_threadpool(pages.simple, visit, "error.html", 500)

        return guarded


class NoNul:
    """ASGI middleware: a query string with a NUL (``%00``) is answered 400 before any page
    sees it. No link of ours makes one, and PostgreSQL cannot compare text with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"%00" in query or b"\x00" in query:
            await HTMLResponse(_NUL_PAGE, status_code=400, headers=SECURITY_HEADERS)(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


_NUL_PAGE = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>400</title>'
    "<p>这个地址里有无法识别的字符，请回到上一页再试。</p>"
    "<p>This address holds a character no page of the library uses; go back and try again.</p>"
)


class StrictTransport:
    """ASGI middleware: every answer over TLS carries ``Strict-Transport-Security``; none over
    plain HTTP, where the header means nothing and must not make a school's browsers refuse a
    server it has not yet given a certificate."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_hsts)


def install_answers(app: FastAPI, pages: Pages) -> None:
    """The answers shared by every page, on the app that serves them; HSTS on every answer
    over TLS (the kiosks' API too)."""

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeededError)
        target = "/signin?" + urlencode({"next": local_path(exc.back_to)})
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        visit = pages.anonymous(request)
        return await run_in_threadpool(pages.simple, visit, "forbidden.html", 403)

    async def refused(request: Request, exc: Exception) -> Response:
        visit = pages.anonymous(request)
        return await run_in_threadpool(pages.simple, visit, "refused.html", 403)

    async def not_found(request: Request, exc: Exception) -> Response:
        visit = pages.anonymous(request)
        return await run_in_threadpool(pages.simple, visit, "not_found.html", 404)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/v1/") or exc.status_code != 404:
            return await http_exception_handler(request, exc)
        return await not_found(request, exc)

    handlers: Mapping[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        SignInNeededError: sign_in_first,
        NotAllowedError: not_allowed,
        FormRefusedError: refused,
        PageNotFoundError: not_found,
        StarletteHTTPException: http_error,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    app.add_middleware(StrictTransport)
    app.add_middleware(NoNul)
