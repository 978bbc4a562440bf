"""Requests as values, and sending them: who sends a request (nobody, the librarian, the class
teacher, a kiosk) and which form token it carries are named, not baked in, so one request can be
sent again to a fresh server for a reproduction; the sender fills in the real cookie and token.
"""

from __future__ import annotations

import http.cookiejar
import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests

from sync.server.web.signin import SESSION_HOURS

TIMEOUT = (5.0, 30.0)  # connect, read: longer than any answer needs; past it, a hang
FORM_PAGES = ("/kiosks", "/rules", "/arrivals", "/review")
Part = tuple[str, tuple[str | None, bytes] | tuple[str, bytes, str]]  # a multipart field or file
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass(frozen=True)
class Request:
    route: str  # "POST /v1/push": the route as the app declares it
    method: str
    path: str  # with its query string
    note: str  # what is hostile about it, for the report
    who: str = "nobody"  # nobody | librarian | teacher | spare (a session to sign out)
    kiosk: str | None = None  # whose bearer token, if any; None: see ``headers``
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None  # sent as is (kiosk messages, bodies that are not forms)
    form: tuple[tuple[str, str], ...] | None = None  # fields, before the form token
    files: tuple[tuple[str, str, bytes, str], ...] = ()  # (field, filename, data, type)
    # none | valid | forged | stale | other (another session's): a kind of token, not one
    form_token: str = "none"  # noqa: S105
    multipart: bool = False
    may_change: bool = False  # the server may rightly act on it
    raw: bytes | None = None  # a whole request sent over a bare socket, as is


@dataclass(frozen=True)
class Response:
    """What the server sent back to one request, or why nothing came."""

    status: int  # 0: no answer (``error`` says why)
    seconds: float
    location: str = ""
    body: bytes = b""
    error: str = ""

    @property
    def hang(self) -> bool:
        return self.error == "timeout"


@dataclass
class Identities:
    """The sessions and tokens the fuzzer holds on one server."""

    sessions: dict[str, str] = field(default_factory=dict)  # librarian, teacher -> cookie
    spares: list[str] = field(default_factory=list)  # sessions a request may sign out
    kiosk_tokens: dict[str, str] = field(default_factory=dict)


class Sender:
    def __init__(self, base: str, identities: Identities) -> None:
        self.base = base
        self.ids = identities
        self.http = requests.Session()
        self.http.trust_env = False
        # Cookies are sent only as each request names them, never remembered from answers.
        self.http.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def cookie(self, who: str) -> str | None:
        if who == "spare":
            return self.ids.spares.pop() if self.ids.spares else None
        return self.ids.sessions.get(who)

    def form_token(self, cookie: str | None, kind: str) -> str | None:
        if kind == "none":
            return None
        if kind == "forged":
            return f"{int(time.time())}.AAAAAAAAAAAAAAAA.{'0' * 32}"
        if kind == "stale":
            return f"{int(time.time()) - SESSION_HOURS * 3600 - 60}.AAAAAAAAAAAAAAAA.{'0' * 32}"
        owner = cookie
        if kind == "other":
            others = [c for c in self.ids.sessions.values() if c != cookie]
            owner = others[0] if others else None
        return self.fresh_token(owner) if owner else None

    def fresh_token(self, cookie: str) -> str | None:
        """A form token as a browser gets one: from a page with a form, for this session."""
        for page in FORM_PAGES:
            answer = self.http.get(
                self.base + page, headers={"Cookie": f"library_session={cookie}"}, timeout=TIMEOUT
            )
            found = _FORM_TOKEN.search(answer.text)
            if found:
                return found.group(1)
        return None

    def send(self, request: Request) -> Response:
        if request.raw is not None:
            return self._raw(request.raw)
        headers = dict(request.headers)
        cookie = self.cookie(request.who) if request.who != "nobody" else None
        if cookie:
            headers["Cookie"] = "; ".join(
                filter(None, [headers.get("Cookie"), f"library_session={cookie}"])
            )
        if request.kiosk is not None:
            token = self.ids.kiosk_tokens.get(request.kiosk, request.kiosk)
            headers["Authorization"] = f"Bearer {token}"
        body: bytes | None = request.body
        files: list[Part] | None = None
        if request.form is not None:
            fields = list(request.form)
            form_token = self.form_token(cookie, request.form_token)
            if form_token is not None:
                fields.insert(0, ("form_token", form_token))
            if request.multipart or request.files:
                files = [(n, (None, v.encode("utf-8", "surrogatepass"))) for n, v in fields]
                files += [(n, (fn, data, kind)) for n, fn, data, kind in request.files]
                body = None
            else:
                body = urlencode(
                    [(n, v.encode("utf-8", "surrogatepass")) for n, v in fields]
                ).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self._send(request.method, request.path, headers, body, files)

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        files: list[Part] | None,
    ) -> Response:
        started = time.perf_counter()
        try:
            answer = self._request(method, path, headers, body, files)
        except requests.Timeout:
            return Response(0, time.perf_counter() - started, error="timeout")
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            # The head said 200, then the body stopped: an export that failed half-way.
            return Response(0, time.perf_counter() - started, error="answer cut off")
        except requests.RequestException as exc:
            return Response(0, time.perf_counter() - started, error=type(exc).__name__)
        return Response(
            answer.status_code,
            time.perf_counter() - started,
            answer.headers.get("location", ""),
            answer.content[:4000],
        )

    def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        files: list[Part] | None,
    ) -> requests.Response:
        def once() -> requests.Response:
            return self.http.request(
                method,
                self.base + path,
                headers=headers,
                data=body,
                files=files,
                allow_redirects=False,
                timeout=TIMEOUT,
            )

        try:
            return once()
        except requests.ConnectionError as exc:
            if isinstance(exc, requests.exceptions.ChunkedEncodingError):
                raise
            # A kept-alive connection the server had closed (after draining a huge body, or
            # its keep-alive timeout): once more on a new one, as a browser does.
            self.http.close()
            return once()

    def _raw(self, data: bytes) -> Response:
        parts = urlsplit(self.base)
        started = time.perf_counter()
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT[1]) as s:
                s.sendall(data)  # the socket stays open: a closed one reads as a client gone
                received = b""
                while chunk := s.recv(65536):
                    received += chunk
                    if len(received) > 65536:
                        break
        except TimeoutError:
            return Response(0, time.perf_counter() - started, error="timeout")
        except OSError as exc:
            return Response(0, time.perf_counter() - started, error=type(exc).__name__)
        status = re.match(rb"HTTP/1\.[01] (\d{3})", received)
        seconds = time.perf_counter() - started
        if status is None:
            # The server closed without an answer: what a server does to a broken request.
            return Response(0, seconds, body=received[:4000], error="closed")
        return Response(int(status.group(1)), seconds, body=received[:4000])


def sign_in(
    base: str, name: str, password: str, *, address: str = "127.0.0.1"
) -> tuple[int, str | None]:
    """A browser's sign-in: the form (its cookie and token), then the post. (status, session)"""
    http = requests.Session()
    http.trust_env = False
    headers = {"X-Forwarded-For": address}
    form = http.get(base + "/signin", headers=headers, timeout=TIMEOUT)
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    data = {"signin_token": token.group(1) if token else "", "name": name, "password": password}
    answer = http.post(
        base + "/signin", data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
    )
    return answer.status_code, answer.cookies.get("library_session")
