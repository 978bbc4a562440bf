"""`kiosk-server` as the school's IT teacher types it, on SQLite and PostgreSQL; two server
processes on one database agree."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from sync.server import review
from sync.server.cli import main
from sync.server.db import engine_for, reading
from sync.server.tables import kiosks, metadata
from tests.conftest import EXAMPLES
from tests.sync.conftest import Kiosk, LiveServer, ServerClock


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_migrations_make_exactly_the_tables_the_code_uses(server_url: str) -> None:
    engine = engine_for(server_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_the_schema_head_the_commands_expect_is_alembics(tmp_path: Path) -> None:
    from sync.server.db import SCHEMA_HEAD, alembic_head

    engine = engine_for(f"sqlite:///{tmp_path / 'x.db'}")
    assert alembic_head(engine) == SCHEMA_HEAD
    engine.dispose()


def test_a_kiosk_token_is_printed_once_and_stored_only_hashed(
    server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "add-kiosk", "door-1", "--db", server_url)
    token = out.strip()
    assert status == 0 and token.startswith("kst_") and len(token) > 40
    engine = engine_for(server_url)
    with reading(engine) as conn:
        stored = conn.execute(select(kiosks.c.token_hash)).scalar_one()
    engine.dispose()
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    status, _, err = run(capsys, "add-kiosk", "door-1", "--db", server_url)
    assert status == 1 and "already exists" in err
    assert run(capsys, "revoke-kiosk", "door-1", "--db", server_url)[0] == 0
    status, _, err = run(capsys, "revoke-kiosk", "door-1", "--db", server_url)
    assert status == 1 and "no active kiosk" in err


def test_imports_use_the_kiosks_importers_and_messages(
    server_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        status, out, err = run(capsys, "import", kind, EXAMPLES / name, "--db", server_url)
        assert status == 0, err
    bad = tmp_path / "roster.csv"
    bad.write_text("card,name,class\n202610101,高明安,1-1\n,无卡,1-1\n", encoding="utf-8")
    status, out, err = run(capsys, "import", "roster", bad, "--db", server_url)
    assert status == 1
    assert f"{bad}:3: card: expected a card number" in err  # the kiosk's own message
    assert "left as they were" in out  # a rejected row: nobody made inactive
    policy = tmp_path / "policy.toml"
    policy.write_text("[library]\nname = 1\n", encoding="utf-8")
    status, _, err = run(capsys, "import", "policy", policy, "--db", server_url)
    assert status == 1 and "library.name" in err


def test_commands_on_a_database_never_migrated_say_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    status, _, err = run(capsys, "add-kiosk", "door-1", "--db", url)
    assert status == 1 and "kiosk-server migrate" in err
    status, _, err = run(capsys, "serve", "--db", "mysql://x/y")
    assert status == 1 and "--db" in err
    assert run(capsys, "migrate", "--db", url)[0] == 0
    assert run(capsys, "migrate", "--db", url)[0] == 0  # again: nothing to do


def test_export_prints_the_journal_as_jsonl_and_csv(
    live: LiveServer,
    kiosks: dict[str, Kiosk],
    server_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = kiosks["door-a"]
    live.add_kiosk(a.id)
    a.borrow("S31", "B1")
    live.push(a.id, a.events())
    status, out, _ = run(capsys, "export", "events", "--db", server_url)
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and [line["seq"] for line in lines] == [e.seq for e in a.events()]
    status, out, _ = run(capsys, "export", "events", "--db", server_url, "--format", "csv")
    assert out.splitlines()[0].startswith("format,seq,id,kiosk_id,type")
    assert len(out.splitlines()) == 1 + len(lines)


def test_two_server_processes_on_one_database_make_one_review_item(
    server_url: str, kiosks: dict[str, Kiosk]
) -> None:
    """Door A pushes to one `kiosk-server serve`, door B to another, at the same moment, both
    lending B3: the database, not either process, decides."""
    from tests.sync.processes import ServerProcess

    engine = engine_for(server_url)
    servers = [ServerProcess(server_url), ServerProcess(server_url)]
    try:
        a, b = kiosks["door-a"], kiosks["door-b"]
        clock = ServerClock()
        first = LiveServer(servers[0].url, engine, clock)
        first.add_kiosk(a.id)
        first.add_kiosk(b.id)
        second = LiveServer(servers[1].url, engine, clock, dict(first.tokens))
        a.borrow("S31", "B3")
        b.clock.advance(120)
        b.borrow("S32", "B3")
        journals = {a.id: a.events(), b.id: b.events()}
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            done = [
                pool.submit(first.push, a.id, journals[a.id]),
                pool.submit(second.push, b.id, journals[b.id]),
            ]
            for f in done:
                f.result()
        with reading(engine) as conn:
            kinds = [i["kind"] for i in review.open_items(conn)]
        assert kinds == ["lent_twice"]
        assert [loan.card for loan in second.pull("door-a").loans] == ["S32"]
        assert [loan.card for loan in first.pull("door-b").loans] == ["S32"]
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
