"""`kiosk-server import` guards the school as `kiosk import` guards a kiosk, in the same words:
a file re-saved in Excel (its codes without their leading zeros), a list that would make most of
the school inactive and a card number that is a book's barcode are refused before anything is
written; `--force` imports the file anyway and `--add-only` makes nobody inactive. On SQLite and
PostgreSQL; each refusal is compared with what a kiosk says of the same file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.cli import main as kiosk_main
from sync.server.cli import main as server_main
from sync.server.db import engine_for, reading
from sync.server.revisions import latest
from sync.server.tables import copies, readers
from tests.conftest import EXAMPLES

Capture = pytest.CaptureFixture[str]


def _server(capsys: Capture, *argv: str | Path) -> tuple[int, str, str]:
    status = server_main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _kiosk(capsys: Capture, *argv: str | Path) -> tuple[int, str, str]:
    status = kiosk_main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((EXAMPLES / name).read_text(encoding="utf-8-sig"))))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _school(capsys: Capture, tmp_path: Path, url: str, roster: Path, catalog: Path) -> Path:
    """The same school on the server at ``url`` and on a kiosk (returned: its file)."""
    kiosk_db = tmp_path / "kiosk.db"
    assert _kiosk(capsys, "init", "--db", kiosk_db, "--kiosk-id", "door-1")[0] == 0
    for kind, path in (("policy", EXAMPLES / "policy.toml"), ("roster", roster),
                       ("catalog", catalog)):  # fmt: skip
        status, _, err = _server(capsys, "import", kind, path, "--db", url)
        assert status == 0, err
        status, _, err = _kiosk(capsys, "import", kind, path, "--db", kiosk_db)
        assert status == 0, err
    return kiosk_db


def _state(url: str) -> tuple[object, ...]:
    """Every reader's and copy's activity and revision, and the last revision handed out."""
    engine = engine_for(url)
    with reading(engine) as conn:
        found = (
            list(conn.execute(select(readers.c.card, readers.c.active, readers.c.revision))),
            list(conn.execute(select(copies.c.barcode, copies.c.active, copies.c.revision))),
            latest(conn),
        )
    engine.dispose()
    return tuple(sorted(found[0])), tuple(sorted(found[1])), found[2]


def _active_readers(url: str) -> int:
    engine = engine_for(url)
    with reading(engine) as conn:
        found = conn.execute(select(readers.c.card).where(readers.c.active.is_(True))).all()
    engine.dispose()
    return len(found)


def _refusal(err: str, program: str) -> list[str]:
    """The refusal's sentences, without the program's name, the server's place named as a
    kiosk's (each names where the codes are held: "0001001 on the server")."""
    lines = [line.removeprefix(f"{program}: ") for line in err.splitlines()]
    return [line.replace("on the server", "on the kiosk") for line in lines if line]


def test_a_catalogue_that_lost_its_leading_zeros_is_refused_as_on_a_kiosk(
    server_url: str, capsys: Capture, tmp_path: Path
) -> None:
    kiosk_db = _school(
        capsys, tmp_path, server_url, EXAMPLES / "roster.csv", EXAMPLES / "catalog.csv"
    )
    rows = _rows("catalog.csv")
    for row in rows:  # what Excel does to 0001003 when the column is a number
        row["barcode"] = str(int(row["barcode"]))
    resaved = _write(tmp_path / "catalog.csv", rows)
    before = _state(server_url)
    status, out, err = _server(capsys, "import", "catalog", resaved, "--db", server_url)
    assert status == 1 and out == ""
    assert "29 code(s) in the file equal codes already on the server but for their leading " in err
    assert "(1001 in the file is 0001001 on the server, 1002 in the file is 0001002 on the " in err
    assert "Format the column as text in Excel and save the file again" in err
    assert "would make 29 of 34 copies inactive (85%, more than 25%)" in err
    assert err.endswith("nothing was imported; if the file is right, import it with --force\n")
    assert _state(server_url) == before  # no copy added, none made inactive: kiosks pull nothing
    kiosk_status, _, kiosk_err = _kiosk(capsys, "import", "catalog", resaved, "--db", kiosk_db)
    assert kiosk_status == 1
    assert _refusal(err, f"kiosk-server: {resaved}") == _refusal(kiosk_err, f"kiosk: {resaved}")

    status, out, err = _server(capsys, "import", "catalog", resaved, "--db", server_url, "--force")
    assert status == 0, err
    assert "29 copies added, 0 updated, 5 unchanged, 29 no longer listed" in out


def test_a_roster_that_lost_its_leading_zeros_is_refused_as_on_a_kiosk(
    server_url: str, capsys: Capture, tmp_path: Path
) -> None:
    rows = _rows("roster.csv")
    zeros = _write(tmp_path / "school.csv", [{**r, "card": "00" + r["card"]} for r in rows])
    kiosk_db = _school(capsys, tmp_path, server_url, zeros, EXAMPLES / "catalog.csv")
    resaved = EXAMPLES / "roster.csv"  # the same cards, as Excel shows them
    before = _state(server_url)
    status, _, err = _server(capsys, "import", "roster", resaved, "--db", server_url)
    assert status == 1
    assert "36 code(s) in the file equal codes already on the server but for their leading " in err
    assert "(202160101 in the file is 00202160101 on the server, 202160102 in the file" in err
    assert "would make 38 of 38 readers inactive (100%, more than 25%): is it the whole " in err
    assert _state(server_url) == before
    kiosk_status, _, kiosk_err = _kiosk(capsys, "import", "roster", resaved, "--db", kiosk_db)
    assert kiosk_status == 1
    assert _refusal(err, f"kiosk-server: {resaved}") == _refusal(kiosk_err, f"kiosk: {resaved}")


def test_a_one_class_list_is_refused_added_only_or_forced(
    server_url: str, capsys: Capture, tmp_path: Path
) -> None:
    kiosk_db = _school(
        capsys, tmp_path, server_url, EXAMPLES / "roster.csv", EXAMPLES / "catalog.csv"
    )
    rows = _rows("roster.csv")
    newcomer = {**rows[0], "card": "202430199", "name": "李新来"}
    one_class = _write(tmp_path / "3-1.csv", [r for r in rows if r["class"] == "3-1"] + [newcomer])
    listed = sum(r["class"] == "3-1" for r in rows)
    before = _state(server_url)
    status, _, err = _server(capsys, "import", "roster", one_class, "--db", server_url)
    assert status == 1
    assert (
        f"would make {38 - listed} of 38 readers inactive ({round(100 * (38 - listed) / 38)}%, "
        "more than 25%): is it the whole list? Import a partial list with --add-only"
    ) in err
    assert _state(server_url) == before
    kiosk_status, _, kiosk_err = _kiosk(capsys, "import", "roster", one_class, "--db", kiosk_db)
    assert kiosk_status == 1
    assert _refusal(err, f"kiosk-server: {one_class}") == _refusal(kiosk_err, f"kiosk: {one_class}")

    status, out, err = _server(
        capsys, "import", "roster", one_class, "--db", server_url, "--add-only"
    )
    assert status == 0, err
    assert f"1 readers added, 0 updated, {listed} unchanged, 0 no longer listed" in out
    assert _active_readers(server_url) == 39  # nobody made inactive, the newcomer in

    status, out, err = _server(capsys, "import", "roster", one_class, "--db", server_url, "--force")
    assert status == 0, err
    assert f"0 readers added, 0 updated, {listed + 1} unchanged, {38 - listed} no longer" in out
    assert _active_readers(server_url) == listed + 1


def test_a_card_number_that_is_a_books_barcode_is_rejected_as_on_a_kiosk(
    server_url: str, capsys: Capture, tmp_path: Path
) -> None:
    kiosk_db = _school(
        capsys, tmp_path, server_url, EXAMPLES / "roster.csv", EXAMPLES / "catalog.csv"
    )
    rows = _rows("roster.csv")
    clash = _write(tmp_path / "roster.csv", [*rows[1:], {**rows[0], "card": "0001003"}])
    status, out, err = _server(capsys, "import", "roster", clash, "--db", server_url)
    assert status == 1
    said = (
        f"{clash}:39: card: expected a card number that is not a book's barcode or ISBN, found "
        '"0001003" (already the barcode of 《夏洛的网》 in the catalogue)'
    )
    assert said in err.splitlines()
    assert "1 no longer listed" not in out and "0 no longer listed" in out  # rows[0] stays
    assert "1 row(s) rejected" in out
    kiosk_status, _, kiosk_err = _kiosk(capsys, "import", "roster", clash, "--db", kiosk_db)
    assert kiosk_status == 1 and said in kiosk_err.splitlines()
