"""The pages' roster and catalogue uploads refuse a row over what a pull carries, each with its
line, column and the bound, and import the others. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select

from sync.server.tables import copies, readers
from tests.web.conftest import Site


def test_an_upload_with_text_longer_than_a_pull_carries_lists_the_row(site: Site) -> None:
    s = site.sign_in()
    roster = ("借书证号,姓名,班级\n202630201," + "M" * 42 + ",3-1\n202630202,王小雨,3-1\n").encode()
    answer = site.post(
        s,
        "/readers/upload",
        data={"form_token": site.form_token(s, "/readers")},
        files={"file": ("名单.csv", roster, "text/csv")},
    )
    assert answer.status_code == 422
    table = answer.text[answer.text.index('id="row-errors"') :]
    assert re.search(r'<td class="num">2</td><td>姓名</td><td>[^<]*at most 40 characters', table)
    catalogue = ("条码号,题名\n9000001," + "书" * 401 + "\n9000002,小王子\n").encode()
    answer = site.post(
        s,
        "/catalogue/upload",
        data={"form_token": site.form_token(s, "/catalogue")},
        files={"file": ("catalog.csv", catalogue, "text/csv")},
    )
    assert answer.status_code == 422
    table = answer.text[answer.text.index('id="row-errors"') :]
    assert re.search(r'<td class="num">2</td><td>题名</td><td>[^<]*at most 400 characters', table)
    with site.engine.connect() as conn:
        cards = set(conn.execute(select(readers.c.card)).scalars())
        barcodes = set(conn.execute(select(copies.c.barcode)).scalars())
    assert "202630202" in cards and "202630201" not in cards
    assert "9000002" in barcodes and "9000001" not in barcodes
