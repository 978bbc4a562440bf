"""What the fuzzer found at the pages, each a request a hostile or careless user can send: a bad
file with bytes that are not text, a date outside any event's, a NUL in a field. Each gets a
clear answer, never a 500. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.web.conftest import Site


def test_a_file_with_bytes_that_are_not_text_gets_its_row_errors_escaped(site: Site) -> None:
    s = site.sign_in()
    token = site.form_token(s, "/readers")
    roster = b"card,name,class,grade,role\nT0001,\xe6\xad\xa6,9787269420800\xed\xbf\xbf,1,teacher\n"
    answer = site.post(
        s, "/readers/upload", data={"form_token": token},
        files={"file": ("roster.csv", roster, "text/csv")},
    )  # fmt: skip
    assert answer.status_code == 422, answer.text[:300]
    assert "\\xed\\xbf\\xbf" in answer.text or "UTF-8" in answer.text


@pytest.mark.parametrize("field", ["from", "to"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_outside_any_events_is_named_not_a_server_error(
    site: Site, field: str, day: str
) -> None:
    s = site.sign_in()
    for path in ("/events", "/export/events.csv", "/export/koc"):
        answer = site.get(s, f"{path}?{field}={day}")
        assert answer.status_code == 400, (path, answer.status_code)
        if path == "/events":
            assert "请填 1970 年到 2199 年之间的日期" in answer.text


def test_a_nul_in_a_query_or_a_form_is_refused_before_the_database_sees_it(site: Site) -> None:
    s = site.sign_in()
    for path in ("/catalogue?q=a%00b", "/readers?q=a%00b", "/catalogue/copy?barcode=a%00b"):
        answer = site.get(s, path)
        assert answer.status_code == 400, path
        assert "无法识别的字符" in answer.text
    token = site.form_token(s, "/catalogue/copy?barcode=0001002")
    answer = site.post(
        s, "/catalogue/mark",
        data={"form_token": token, "barcode": "0001002", "mark": "lost", "note": "a\x00b"},
    )  # fmt: skip
    assert answer.status_code < 500
    signin = s.post(site.url + "/signin", data={"name": "wa\x00ng", "password": "x"}, timeout=30)
    assert signin.status_code < 500
