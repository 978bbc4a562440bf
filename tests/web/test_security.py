"""The pages refuse what they must, over real HTTP, on SQLite and PostgreSQL: no session, the
wrong account, a missing, forged or reused form token, guessing passwords, injection through
the filters, oversized and binary uploads, cookies without their flags."""

from __future__ import annotations

import json
import re
import threading

import requests
import uvicorn
from sqlalchemy import func, select

from sync.server.app import create_app
from sync.server.ratelimit import RateLimit
from sync.server.tables import events, readers, review_items, web_sessions
from tests.sync.tls import make_certificates
from tests.web.conftest import LIBRARIAN, PASSWORD, TEACHER, Site

PAGES = [
    "/",
    "/review",
    "/overdue",
    "/overdue/3-1",
    "/overdue.csv",
    "/weekly",
    "/weekly/3-1",
    "/weekly/poster",
    "/weekly.csv",
    "/weekly.xlsx",
    "/events",
    "/export/events.csv",
    "/export/koc",
    "/catalogue",
    "/catalogue/copy?barcode=0001002",
    "/readers",
    "/registers",
    "/arrivals",
    "/rules",
    "/kiosks",
]
POSTS = [
    "/review/1",
    "/catalogue/mark",
    "/catalogue/upload",
    "/arrivals",
    "/readers/upload",
    "/readers/active",
    "/rules",
    "/kiosks",
    "/kiosks/revoke",
    "/signout",
]


def _open_items(site: Site) -> list[int]:
    with site.engine.connect() as conn:
        return list(
            conn.execute(
                select(review_items.c.id)
                .where(review_items.c.resolved_at.is_(None))
                .order_by(review_items.c.id)
            ).scalars()
        )


def _count(site: Site, table: object) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_every_page_without_a_session_goes_to_the_sign_in_page(site: Site) -> None:
    s = site.session()
    for page in PAGES:
        answer = site.get(s, page)
        assert answer.status_code == 303, page
        assert answer.headers["location"].startswith("/signin?next="), page
    for page in POSTS:
        answer = site.post(s, page, data={"form_token": "x"})
        assert answer.status_code == 303 and "/signin" in answer.headers["location"], page
    followed = s.get(site.url + "/overdue/3-1", timeout=30)
    assert "登录" in followed.text and followed.url.endswith("next=%2Foverdue%2F3-1")


def test_after_signing_in_the_page_asked_for_opens_and_never_another_site(site: Site) -> None:
    s = site.session()
    answer = site.try_sign_in(s, LIBRARIAN, PASSWORD, next_="/overdue/3-1")
    assert answer.headers["location"] == "/overdue/3-1"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = site.try_sign_in(site.session(), LIBRARIAN, PASSWORD, next_=target)
        assert answer.headers["location"] == "/", target
    assert site.get(s, "/language/en?next=//evil.example").headers["location"] == "/"


def test_a_teacher_sees_only_her_class(site: Site) -> None:
    s = site.sign_in(TEACHER)
    assert site.get(s, "/").headers["location"] == "/weekly/3-1"
    assert site.get(s, "/weekly").headers["location"] == "/weekly/3-1"
    assert site.get(s, "/overdue").headers["location"] == "/overdue/3-1"
    for own in ("/weekly/3-1", "/overdue/3-1", "/overdue.csv?class=3-1"):
        assert site.get(s, own).status_code == 200, own
    for other in (
        "/weekly/3-2",
        "/overdue/3-2",
        "/overdue.csv?class=3-2",
        "/weekly/poster",
        "/weekly.csv",
        "/events",
        "/export/events.csv",
        "/catalogue",
        "/readers",
        "/review",
        "/rules",
        "/kiosks",
        "/registers",
    ):
        answer = site.get(s, other)
        assert answer.status_code == 403, other
        assert "班主任账号只能查看本班" in answer.text
    # A teacher's own page carries a form token (sign out), which opens no librarian's form.
    token = site.form_token(s, "/weekly/3-1")
    answer = site.post(s, "/rules", data={"form_token": token, "source": "x"})
    assert answer.status_code == 403
    own_csv = site.get(s, "/overdue.csv").text
    assert all(line.startswith("3-1,") for line in own_csv.splitlines()[1:])


def test_a_form_without_its_token_or_with_a_forged_one_does_nothing(site: Site) -> None:
    s = site.sign_in()
    item = _open_items(site)[0]
    good = site.form_token(s, "/review")
    issued, nonce, signature = good.split(".")
    forged = [
        "",
        "not-a-token",
        f"{issued}.{nonce}.{'0' * 32}",  # a signature it did not make
        f"{issued}.other{nonce}.{signature}",  # a nonce the signature is not for
        f"{int(issued) - 13 * 3600}.{nonce}.{signature}",  # too old, and so unsigned
    ]
    for token in forged:
        answer = site.post(
            s, f"/review/{item}", data={"form_token": token, "resolution": "accepted"}
        )
        assert answer.status_code == 403, token
        assert "没有做任何操作" in answer.text
    other = site.sign_in()  # another sign-in's token is not this session's
    theirs = site.form_token(other, "/review")
    answer = site.post(s, f"/review/{item}", data={"form_token": theirs, "resolution": "accepted"})
    assert answer.status_code == 403
    answer = site.post(
        s,
        f"/review/{item}",
        data={"form_token": good, "resolution": "accepted"},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403
    assert item in _open_items(site)


def test_a_form_posted_twice_does_its_work_once(site: Site) -> None:
    s = site.sign_in()
    first, second = _open_items(site)[:2]
    token = site.form_token(s, "/review")
    data = {"form_token": token, "resolution": "fixed", "note": "checked the shelf"}
    answer = site.post(s, f"/review/{first}", data=data)
    assert answer.headers["location"] == "/review?notice=resolved"
    again = site.post(s, f"/review/{first}", data=data)
    assert again.headers["location"] == "/review?notice=already_done"
    # The same token sent for another item is still the same, used, form.
    other = site.post(s, f"/review/{second}", data=data)
    assert other.headers["location"] == "/review?notice=already_done"
    assert second in _open_items(site) and first not in _open_items(site)
    with site.engine.connect() as conn:
        row = conn.execute(select(review_items).where(review_items.c.id == first)).one()
    assert (row.resolved_by, row.resolution, row.note) == (LIBRARIAN, "fixed", "checked the shelf")
    shown = site.get(s, "/review?notice=already_done").text
    assert "这个表单已经提交过了" in shown


def test_failed_sign_ins_make_the_next_attempt_wait_longer_per_account(site: Site) -> None:
    s = site.session()
    for _ in range(3):  # typing mistakes cost nothing
        assert site.try_sign_in(s, LIBRARIAN, "wrong").status_code == 401
    waits = []
    for _ in range(3):
        site.clock.advance(0.5)
        refused = site.try_sign_in(s, LIBRARIAN, PASSWORD)  # even the right password
        assert refused.status_code == 429
        wait = int(re.search(r"请等 (\d+) 秒", refused.text).group(1))  # type: ignore[union-attr]
        site.clock.advance(wait)
        assert site.try_sign_in(s, LIBRARIAN, "wrong again").status_code == 401
        waits.append(wait)
    assert waits[0] < waits[1] < waits[2]
    # The count is in the database: another server process on it makes her wait too.
    second = create_app(site.engine, rate_limit=RateLimit(limit=1000), clock=site.clock)
    from tests.sync.conftest import serve_in_thread

    url, server, thread = serve_in_thread(second)
    try:
        elsewhere = requests.Session()
        page = elsewhere.get(url + "/signin", timeout=30)
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = elsewhere.post(
            url + "/signin",
            data={"signin_token": token, "name": LIBRARIAN, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 429
    finally:
        s.close()
        server.should_exit = True
        thread.join(10)
    site.clock.advance(3600)
    assert site.try_sign_in(s, LIBRARIAN, PASSWORD).status_code == 303
    # A success starts the count again.
    assert site.try_sign_in(site.session(), LIBRARIAN, "wrong").status_code == 401


def test_failed_sign_ins_from_one_address_slow_every_account_from_it(site: Site) -> None:
    s = site.session()
    for name in ("a1", "a2", "a3", "a4"):
        site.try_sign_in(s, name, "guess")
    assert site.try_sign_in(s, TEACHER, PASSWORD).status_code == 429  # same address (127.0.0.1)


def test_filters_and_searches_bind_what_they_are_given(site: Site) -> None:
    s = site.sign_in()
    before = _count(site, events), _count(site, readers)
    attack = "' OR 1=1 --"
    for page in ("/events?reader=", "/events?copy=", "/catalogue?q=", "/readers?q="):
        answer = site.get(s, page + requests.utils.quote(attack))
        assert answer.status_code == 200, page
        assert "<tbody>\n  \n  <tr>" not in answer.text
    found = site.get(s, "/events?reader=" + requests.utils.quote(attack)).text
    assert "没有符合条件的记录" in found
    # The same text in a field that takes a class, a date or a kiosk is a mistake, said so.
    for field in ("class", "from", "kiosk", "type", "reason"):
        answer = site.get(s, f"/events?{field}=" + requests.utils.quote(attack))
        assert answer.status_code == 400, field
        assert "没有进行搜索" in answer.text
    assert site.get(s, "/readers?class=" + requests.utils.quote(attack)).status_code == 400
    assert site.get(s, "/catalogue?q=%25").status_code == 200  # a wildcard is only a character
    wildcard = site.get(s, "/catalogue?q=" + requests.utils.quote("%_")).text
    assert "没有找到图书" in wildcard
    # The scanner's garbage never left the kiosk (it journals only how long a code that is
    # not a library's was), and that is what the log shows, in the librarian's language.
    log = site.get(s, "/events?type=refusal&reason=unknown_code").text
    assert "OR 1=1" not in log and "未保存（共 11 个字符）" in log
    assert (_count(site, events), _count(site, readers)) == before


def test_an_oversized_upload_is_refused_whole_and_nothing_is_imported(site: Site) -> None:
    s = site.sign_in()
    before = _count(site, readers)
    token = site.form_token(s, "/readers")
    big = b"card,name,class,grade,role\n" + b"9" * (50 * 1024 * 1024)
    answer = site.post(
        s,
        "/readers/upload",
        data={"form_token": token},
        files={"file": ("roster.csv", big, "text/csv")},
    )
    assert answer.status_code == 413
    assert "文件超过 20 MB" in answer.text and "没有导入任何内容" in answer.text
    assert _count(site, readers) == before


def test_a_binary_upload_is_refused_and_nothing_is_imported(site: Site) -> None:
    s = site.sign_in()
    before = _count(site, readers)
    token = site.form_token(s, "/readers")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    answer = site.post(
        s,
        "/readers/upload",
        data={"form_token": token},
        files={"file": ("roster.csv", png, "text/csv")},
    )
    assert answer.status_code == 415
    assert "这不是文本文件" in answer.text
    workbook = b"PK\x03\x04" + b"x" * 2000
    token = site.form_token(s, "/readers")
    answer = site.post(
        s,
        "/readers/upload",
        data={"form_token": token},
        files={"file": ("roster.xlsx", workbook, "application/zip")},
    )
    assert answer.status_code == 422
    assert "CSV UTF-8" in answer.text  # the kiosk's importer says how to save the sheet
    assert _count(site, readers) == before


def test_the_session_cookie_is_http_only_same_site_and_ends_on_sign_out(site: Site) -> None:
    s = site.session()
    answer = site.try_sign_in(s, LIBRARIAN, PASSWORD)
    cookie = answer.headers["set-cookie"]
    assert "library_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP here
    stolen = s.cookies.get("library_session")
    token = site.form_token(s, "/")
    assert site.post(s, "/signout", data={"form_token": token}).status_code == 303
    assert _count(site, web_sessions) == 0
    replay = site.session()
    replay.cookies.set("library_session", stolen)
    assert site.get(replay, "/").status_code == 303


def test_pages_say_where_scripts_and_frames_may_come_from(site: Site) -> None:
    s = site.sign_in()
    answer = site.get(s, "/weekly")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r'(src|href)="(https?:)?//', answer.text)  # nothing from elsewhere


def test_unknown_paths_are_a_page_for_people_and_json_for_kiosks(site: Site) -> None:
    s = site.sign_in()
    page = site.get(s, "/no-such-page")
    assert page.status_code == 404 and "未找到" in page.text
    api = site.get(s, "/v1/no-such-call")
    assert api.status_code == 404 and json.loads(api.text)
    assert site.get(s, "/weekly/9-9x").status_code == 404
    assert site.get(s, "/catalogue/copy?barcode=NOPE").status_code == 404


def test_under_tls_the_session_cookie_is_secure(sqlite_site: Site) -> None:
    certs = make_certificates(sqlite_site.kiosk_db.parent / "tls")
    app = create_app(sqlite_site.engine, clock=sqlite_site.clock)
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    config = uvicorn.Config(
        app,
        log_level="warning",
        ssl_certfile=str(certs.cert),
        ssl_keyfile=str(certs.key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    s = requests.Session()
    try:
        url = f"https://127.0.0.1:{sock.getsockname()[1]}"
        s.trust_env = False  # a CA bundle named in the environment would override ours
        s.verify = str(certs.ca)
        # No connection left open for the server to wait on when it stops.
        s.headers["Connection"] = "close"
        page = s.get(url + "/signin", timeout=30)
        assert "Secure" in page.headers["set-cookie"]
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = s.post(
            url + "/signin",
            data={"signin_token": token, "name": LIBRARIAN, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303
        assert (
            "Secure" in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]
        )
    finally:
        s.close()
        server.should_exit = True
        thread.join(10)


def test_a_form_larger_than_any_of_ours_is_refused_unread(site: Site) -> None:
    s = site.sign_in()
    item = _open_items(site)[0]
    token = site.form_token(s, "/review")
    data = {"form_token": token, "resolution": "accepted", "note": "x" * (2 * 1024 * 1024)}
    answer = site.post(s, f"/review/{item}", data=data)
    assert answer.status_code == 403
    assert item in _open_items(site)
    # The rules take a file: one too large is answered with a reason, and nothing is saved.
    token = site.form_token(s, "/rules")
    big = b"# " + b"x" * (21 * 1024 * 1024)
    answer = site.post(s, "/rules", data={"form_token": token},
                       files={"file": ("policy.toml", big, "text/plain")})  # fmt: skip
    assert answer.status_code == 413 and "文件太大" in answer.text
