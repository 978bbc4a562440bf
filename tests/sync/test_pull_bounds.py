"""The roster and catalogue on the server stay within what a pull carries: `kiosk-server import`
refuses a row over a bound with its line, column and the bound, and a row an older version stored
over a bound no longer makes every kiosk's pull fail: it is sent cut to the bound, with a warning
in the server's log that names the row's code, never the child's name. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kiosk.core import bounds
from sync.server import revisions
from sync.server.tables import copies, readers
from tests.sync.conftest import LiveServer
from tests.sync.processes import server_command

LONG_NAME = "M" * (bounds.READER_NAME_CHARS + 2)


def test_server_import_refuses_text_a_pull_cannot_carry(
    server_url: str, live: LiveServer, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(f"card,name,class\nC1,{LONG_NAME},3-2\nC2,Anna Li,3-2\n", encoding="utf-8")
    done = server_command("import", "roster", roster, "--db", server_url)
    assert done.returncode == 1
    assert f"{roster}:2: name: expected a name whose given name has at most 40 characters" in (
        done.stderr
    )
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(f"barcode,title\nB1,{'书' * 401}\nB2,小王子\n", encoding="utf-8")
    done = server_command("import", "catalog", catalog, "--db", server_url)
    assert done.returncode == 1
    assert f"{catalog}:2: title: expected a title of at most 400 characters" in done.stderr
    live.add_kiosk("door-a")
    pulled = live.pull("door-a")
    assert [(r.card, r.given_name) for r in pulled.readers] == [("C2", "Anna")]
    assert [c.barcode for c in pulled.copies] == ["B2"]


def _store_as_an_older_version_did(engine: Engine) -> None:
    """Rows imported before imports were bounded. PostgreSQL's columns hold no longer name or
    title than a pull carries; a price of ten digits fits them all the same."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        revisions.lock(conn)
        first, second, third = revisions.take(conn, 3)
        reader = {
            "card": "C1", "given_name": LONG_NAME if sqlite else "M", "role": "student",
            "class_name": "3-2", "grade": 3, "active": True, "deleted": False,
            "revision": first, "updated_at": now,
        }  # fmt: skip
        conn.execute(readers.insert(), [reader, {**reader, "card": "C2", "revision": second}])
        conn.execute(
            copies.insert(),
            {
                "barcode": "B1", "isbn": None, "title": "书" * (401 if sqlite else 400),
                "author": "", "category": "", "loan_type": "loan", "price": "1234567890.00",
                "isbn_only": False, "active": True, "deleted": False, "revision": third,
                "added_at": now, "updated_at": now,
            },
        )  # fmt: skip


def test_a_row_over_a_bound_already_stored_is_pulled_cut_to_it_and_logged(
    live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    _store_as_an_older_version_did(live.engine)
    live.add_kiosk("door-a")
    with caplog.at_level(logging.WARNING, logger="kiosk_server"):
        pulled = live.pull("door-a")  # every kiosk's pull used to answer 500 here
    names = {r.card: r.given_name for r in pulled.readers}
    assert names["C1"] == "M" * min(len(names["C1"]), bounds.READER_NAME_CHARS)
    (copy,) = pulled.copies
    assert len(copy.title) == bounds.TITLE_CHARS and copy.price is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("barcode B1" in r.getMessage() and "price" in r.getMessage() for r in warnings)
    if live.engine.dialect.name == "sqlite":
        said = [r.getMessage() for r in warnings]
        assert any("card C1" in m and "given_name has 42 characters" in m for m in said), said
        assert any("barcode B1" in m and "title has 401 characters" in m for m in said), said
    assert not any(LONG_NAME in r.getMessage() for r in caplog.records)
