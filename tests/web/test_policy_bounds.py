"""A term from year 1 to 9999: the rules page refuses it naming the keys, and one stored by an
older version no longer breaks the weekly pages or a kiosk's pull. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

import requests
from sqlalchemy import select, update

from sync.protocol import PROTOCOL_VERSION
from sync.server import accounts
from sync.server.tables import policy
from tests.web.conftest import Site


def _endless(source: str) -> str:
    source = re.sub(r"(?m)^start = .*$", "start = 0001-01-01", source, count=1)
    source = re.sub(r"(?m)^end = .*$", "end = 9999-12-31", source, count=1)
    return re.sub(r"(?m)^(closed|open) = .*$", r"\1 = []", source)


def test_a_term_from_year_1_to_9999_is_refused_and_one_stored_breaks_nothing(site: Site) -> None:
    with site.engine.connect() as conn:
        source = conn.execute(select(policy.c.source)).scalar_one()
    endless = _endless(source)
    assert "9999-12-31" in endless
    s = site.sign_in()
    answer = site.post(
        s, "/rules", data={"form_token": site.form_token(s, "/rules"), "source": endless}
    )
    assert answer.status_code == 422
    assert "term.start: expected a date from 2000-01-01 to 2100-12-31" in answer.text
    with site.engine.begin() as conn:  # as an older version let it be saved
        conn.execute(update(policy).values(source=endless))
        token = accounts.add_kiosk(conn, "door-9", site.clock())
    for page in ("/", "/weekly", "/weekly/3-1", "/weekly.csv", "/weekly.xlsx", "/rules"):
        assert site.get(s, page).status_code in (200, 404), page
    pulled = requests.post(
        site.url + "/v1/pull",
        data=json.dumps({"protocol": PROTOCOL_VERSION, "kiosk_id": "door-9", "cursor": None}),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
        },
        timeout=60,
    )
    assert pulled.status_code == 200, pulled.text
