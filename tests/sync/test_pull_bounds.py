"""The roster and catalogue on the server stay within what a pull carries: `kiosk-server import`
refuses a row over a bound with its line, column and the bound. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from kiosk.core import bounds
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
