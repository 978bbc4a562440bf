"""Hostile requests at the librarian's pages: every route the FastAPI app declares (read from
``app.routes``, so a page added later is fuzzed too), asked for by nobody, by the class teacher
and by the librarian, with hostile path parameters, query strings, form fields and uploads, and
with missing, forged, stale and borrowed form tokens.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from kiosk.core.classes import ClassNameError, parse_class_name
from sync.server.app import create_app
from sync.server.db import engine_for
from tools.fuzz import uploads
from tools.fuzz.sending import Request
from tools.fuzz.server import TEACHER_CLASS, School
from tools.fuzz.texts import SchoolCodes, hostile

# Routes anyone may be answered on; everything else needs a session (or a kiosk's token).
PUBLIC = {"GET /signin", "POST /signin", "GET /language/{language}", "GET /v1/health"}
# What the class teacher may see (her own class only, where a class is named).
TEACHER = {
    "GET /weekly/{class_name}",
    "GET /overdue/{class_name}",
    "GET /overdue.csv",
    "GET /term/holding/{class_name}",
    "POST /signout",
}
# Her own class's printed sheets too, the class named by the query's ``class`` (the last one).
TEACHER_SHEETS = {"GET /print/cards", "GET /print/class-sheet"}
PARAMS = (
    "q", "offset", "barcode", "class", "register", "before", "after", "week", "show", "next",
    "notice", "from", "to", "reader", "copy", "kiosk", "type", "reason", "format", "page",
    "count", "grade", "all",
)  # fmt: skip
LEGIT = {
    "offset": ["0", "50", "999999", "-1", "1e3", "99999999999999999999"],
    "class": ["3-1", "3-2", "三年级(1)班", "7-1", "0-0"],
    "register": ["repairs", "withdrawals", "lost", "x"],
    "before": ["1", "0", "999999999999999999", "9" * 25, "-5"],
    "after": ["1", "0", "999999999999999999", "9" * 25],
    "week": ["1", "0", "18", "99", "-1", "9" * 30],
    "show": ["resolved", "open"],
    "next": [
        "/",
        "//evil.example",
        "https://evil.example/",
        "/\\evil",
        "/review?x=1",
        "/%0d%0aX:1",
    ],
    "notice": ["marked", "already_done", "x"],
    "from": ["2026-09-01", "0001-01-01", "9999-12-31", "2026-02-30", "2026-9-1"],
    "to": ["2027-01-22", "0001-01-01", "9999-12-31"],
    "type": ["checkout", "return", "x"],
    "reason": ["ok", "limit_reached", "x"],
    "kiosk": ["door-1", "door-2", "../x", ""],
    "count": ["1", "24", "480", "481", "0", "-1", "100000", "9" * 30, "1e3", "x"],
    "grade": ["1", "3", "6", "0", "10", "-1", "x"],
    "all": ["1", "0", "yes"],
    "first": ["L0001", "0001001", "0001034", "202430101", "9787419254125", "L99", "ABC"],
}
FORM_FIELDS = {
    "POST /signin": ("name", "password", "next"),
    "POST /signout": (),
    "POST /review/{item_id}": ("resolution", "note"),
    "POST /catalogue/mark": ("barcode", "mark", "note"),
    "POST /arrivals": ("barcode", "action", "back"),
    "POST /readers/active": ("card", "active"),
    "POST /rules": ("source",),
    "POST /kiosks": ("name",),
    "POST /kiosks/revoke": ("name",),
    "POST /print/labels/new": ("first", "count"),
    "POST /stocktake/start": ("classes",),
    "POST /stocktake/scan": ("code",),
    "POST /stocktake/{number}/lost": ("barcode",),
    "POST /stocktake/{number}/review": ("barcode",),
}
CHOICES = {
    "resolution": ["fixed", "accepted", "sent_for_repair", "cleared", "x"],
    "mark": ["lost", "damaged", "repaired", "found", "withdrawn", "reference", "lendable", "x"],
    "action": ["add", "remove", "up", "down", "x"],
    "back": ["copy", ""],
    "active": ["yes", "no", ""],
}
UPLOADS = {"POST /catalogue/upload": "catalog", "POST /readers/upload": "roster"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    files: tuple[str, ...] = ()  # a mount's files (the static files), by name

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def routes() -> list[Route]:
    """Every route of the server's app, read from the app itself."""
    with tempfile.TemporaryDirectory(prefix="fuzz-routes-") as folder:
        engine = engine_for(f"sqlite:///{Path(folder) / 'routes.db'}")
        try:
            app = create_app(engine)
            found: list[Route] = []

            def walk(items: list[Any]) -> None:
                for route in items:
                    inner = getattr(route, "original_router", None)
                    if inner is not None:  # FastAPI's wrapper around an included router
                        walk(list(inner.routes))
                        continue
                    path = getattr(route, "path", None)
                    methods = getattr(route, "methods", None) or ()
                    if path is None:
                        continue
                    if not methods:  # a mount: the static files
                        folder = getattr(getattr(route, "app", None), "directory", None)
                        names = sorted(p.name for p in Path(folder).iterdir()) if folder else []
                        found.append(Route("GET", path + "/{file}", tuple(names)))
                    for method in sorted(set(methods) - {"HEAD"}):
                        found.append(Route(method, path))

            walk(list(app.routes))
        finally:
            engine.dispose()
    return found


def teacher_may_see(request: Request) -> bool:
    if request.route in PUBLIC or request.route.startswith("GET /static"):
        return True
    if request.route in TEACHER_SHEETS:
        named = parse_qs(request.path.partition("?")[2], keep_blank_values=True).get("class") or [
            ""
        ]
        try:
            return str(parse_class_name(named[-1].strip())) == TEACHER_CLASS
        except ClassNameError:
            return False
    if request.route not in TEACHER:
        return False
    parts = request.path.split("?")[0].rstrip("/").split("/")
    shown = parts[-1] if "{class_name}" in request.route else TEACHER_CLASS
    try:
        return str(parse_class_name(_unquote(shown))) == TEACHER_CLASS
    except ClassNameError:
        return False


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


class PageRequests:
    def __init__(
        self, rng: random.Random, school: School, codes: SchoolCodes, found: list[Route]
    ) -> None:
        self.rng = rng
        self.school = school
        self.codes = codes
        self.routes = [r for r in found if not r.path.startswith("/v1/")]
        self.review_ids: list[int] = [1]
        self.kiosks_made: list[str] = []

    def _value(self, name: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45 and name in LEGIT:
            return rng.choice(LEGIT[name])
        if roll < 0.6 and name in CHOICES:
            return rng.choice(CHOICES[name])
        if roll < 0.75 and name in ("barcode", "copy", "q"):
            return rng.choice(self.school.barcodes)
        if roll < 0.75 and name in ("card", "reader"):
            return rng.choice(self.school.cards)
        if roll < 0.8:
            return rng.choice(["", " ", "x" * rng.choice([81, 201, 2001, 600_000])])
        if roll < 0.87:
            # A real code with a NUL or a lone surrogate in it: what a database may refuse to
            # store or compare (PostgreSQL's text holds no NUL), in a field that looks right.
            code = rng.choice([*self.school.barcodes, *self.school.cards])
            at = rng.randint(0, len(code))
            return code[:at] + rng.choice(["\x00", "\ud800", "\x00\x00", "\udfff"]) + code[at:]
        return hostile(rng, self.codes)[1][:3000]

    def _path(self, route: Route) -> str:
        rng = self.rng
        path = route.path
        replacements = {
            "{class_name}": ["3-1", "3-2", "6-2", "三年级(1)班", "３-１", "..", "%2e%2e%2f",
                             "9-999", "0-0", "x" * 3000, "3-1%00", "%E4%B8%89"],
            "{item_id}": [*map(str, self.review_ids), "0", "-1", "9" * 18, "9" * 19, "1e3", "٣"],
            "{language}": ["en", "zh_CN", "fr", "x" * 500, "%00", "../.."],
            "{file}": [*route.files, "../app.py", "..%2f..%2fapp.py", "%00", "x" * 300, ""],
        }  # fmt: skip
        for name, values in replacements.items():
            if name in path:
                if rng.random() < 0.7:
                    value = rng.choice(values)
                else:
                    junk = hostile(rng, self.codes)[1][:200]
                    value = quote(junk, safe="", errors="surrogatepass")
                path = path.replace(name, value)
        if rng.random() < 0.6:
            params = [(p, self._value(p)) for p in rng.sample(PARAMS, k=rng.randint(1, 4))]
            query = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in params])
            path += "?" + query
        elif rng.random() < 0.3:
            path += "?" + rng.choice(
                ["%zz", "%ff%fe", "a=%00", "&&&=", "q=" + "%41" * 3000, "a[]=1&a[]=2"]
            )
        return path

    def next(self) -> Request:
        rng = self.rng
        who = rng.choice(["nobody", "teacher", "librarian", "librarian"])
        return self.next_for(rng.choice(self.routes), who)

    def next_for(self, route: Route, who: str) -> Request:
        path = self._path(route)
        if route.method == "GET":
            return Request(route.key, "GET", path, "hostile path and query", who=who)
        if route.key == "POST /signin":
            return self._signin(route, path)
        return self._post(route, path, who)

    def _post(self, route: Route, path: str, who: str) -> Request:
        rng = self.rng
        names = FORM_FIELDS.get(route.key, ("a", "b", "note"))
        fields = [(n, self._value(n)) for n in names]
        if route.key == "POST /kiosks/revoke":
            fields = [
                (
                    "name",
                    rng.choice(["door-old", "nobody", *self.kiosks_made[-3:], self._value("name")]),
                )
            ]
        if route.key == "POST /kiosks" and rng.random() < 0.5:
            name = f"fuzz-{rng.randrange(10**6)}"
            fields, self.kiosks_made = [("name", name)], [*self.kiosks_made, name]
        files: tuple[tuple[str, str, bytes, str], ...] = ()
        note = "hostile form"
        if route.key in UPLOADS:
            filename, data, kind, what = uploads.upload(rng, self.codes, UPLOADS[route.key])
            files, note = (("file", filename, data, kind),), f"upload: {what}"
            fields = []
        elif route.key == "POST /rules" and rng.random() < 0.8:
            source, what = uploads.policy(rng, self.codes)
            fields, note = [("source", source)], f"a hostile policy: {what}"
        csrf = rng.choice(["valid", "valid", "valid", "none", "forged", "stale", "other"])
        if route.key == "POST /signout" and csrf == "valid":
            who = "spare"  # a session of its own to end, never the fuzzer's
        headers: list[tuple[str, str]] = []
        if rng.random() < 0.15:
            headers.append(
                ("Origin", rng.choice(["http://evil.example", "null", "http://127.0.0.1"]))
            )
        multipart = bool(files) or rng.random() < 0.3
        if rng.random() < 0.1:
            fields += [(f"extra{i}", "x") for i in range(rng.choice([5, 25]))]
            note += "; extra fields"
        if rng.random() < 0.08:
            fields += [(n, "duplicate") for n, _ in fields]
            note += "; every field twice"
        body = None
        if rng.random() < 0.07:
            headers.append(
                (
                    "Content-Type",
                    rng.choice(
                        [
                            "application/json",
                            "text/plain",
                            "multipart/form-data",
                            "multipart/form-data; boundary=",
                            "",
                        ]
                    ),
                )
            )
            body, csrf = b'{"form_token": "x"}', "none"
            note += "; not a form"
        # "null" is what a browser sends when it may not say (a sandboxed frame): the form
        # token is the defence then, as the server has it (Pages._same_origin).
        origin_ok = all(v != "http://evil.example" for k, v in headers if k == "Origin")
        may_change = (
            who in ("librarian", "spare") and csrf == "valid" and body is None and origin_ok
        )
        return Request(
            route.key,
            "POST",
            path,
            f"{note}; token {csrf}",
            who=who,
            headers=tuple(headers),
            body=body,
            form=tuple(fields) if body is None else None,
            files=files,
            form_token=csrf,
            multipart=multipart,
            may_change=may_change,
        )

    def _signin(self, route: Route, path: str) -> Request:
        rng = self.rng
        pair = rng.choice(["match", "match", "match", "mismatch", "none"])
        token = f"fuzz{rng.randrange(10**9)}"
        cookie = {"match": token, "mismatch": token + "x", "none": ""}[pair]
        name = rng.choice(["wang", "li", "nobody", self._value("name")])
        password = rng.choice(["wrong", "", "x" * 100_000, self._value("password")])
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        headers = [("X-Forwarded-For", address)]
        if cookie:
            headers.append(("Cookie", f"library_signin={cookie}"))
        fields = [
            ("signin_token", token),
            ("name", name),
            ("password", password),
            ("next", self._value("next")),
        ]
        return Request(
            route.key, "POST", path, f"sign-in, double-submit {pair}", headers=tuple(headers),
            form=tuple(fields), multipart=rng.random() < 0.2,
        )  # fmt: skip
