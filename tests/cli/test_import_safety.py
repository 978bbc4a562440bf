"""What a careless re-save in Excel or a partial list would do is refused before it is done."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from tests.conftest import EXAMPLES, Run, scan_json


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((EXAMPLES / name).read_text(encoding="utf-8-sig"))))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _state(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return [
            *conn.execute("SELECT card, active, updated_at FROM readers ORDER BY card"),
            *conn.execute("SELECT barcode, active, updated_at FROM copies ORDER BY barcode"),
        ]


def test_a_catalogue_that_lost_its_leading_zeros_is_refused(
    db: Path, run: Run, tmp_path: Path
) -> None:
    rows = _rows("catalog.csv")
    for row in rows:  # what Excel does to 0001003 when the column is a number
        row["barcode"] = str(int(row["barcode"]))
    resaved = _write(tmp_path / "catalog.csv", rows)
    before = _state(db)
    status, out, err = run("import", "catalog", resaved, "--db", db)
    assert status == 1 and out == ""
    assert "1001 in the file is 0001001 on the kiosk" in err
    assert "leading zeros" in err and "Format the column as text in Excel" in err
    assert "nothing was imported" in err
    assert _state(db) == before  # no copy added, none withdrawn
    # The borrowing still works with the real barcodes.
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    assert lines[1]["outcome"] == "borrowed"


def test_forcing_an_import_that_looks_like_a_mistake(db: Path, run: Run, tmp_path: Path) -> None:
    rows = _rows("catalog.csv")
    rows[0]["barcode"] = "1001"
    resaved = _write(tmp_path / "catalog.csv", rows)
    assert run("import", "catalog", resaved, "--db", db)[0] == 1
    status, out, _ = run("import", "catalog", resaved, "--db", db, "--force", "--json")
    assert status == 0
    counts = json.loads(out)
    assert (counts["added"], counts["deactivated"]) == (1, 1)  # 1001 in, 0001001 withdrawn


def test_a_one_row_roster_does_not_make_the_school_inactive(
    db: Path, run: Run, tmp_path: Path
) -> None:
    rows = _rows("roster.csv")
    one = _write(tmp_path / "roster.csv", [rows[0]])
    before = _state(db)
    status, _, err = run("import", "roster", one, "--db", db)
    assert status == 1
    assert f"would make {len(rows) - 1} of {len(rows)} readers inactive" in err
    assert "--add-only" in err
    assert _state(db) == before
    assert scan_json(run, db, "2026-11-23T12:15", "202430102")[0]["outcome"] == "session_started"


def test_add_only_adds_and_updates_and_makes_nobody_inactive(
    db: Path, run: Run, tmp_path: Path
) -> None:
    rows = _rows("roster.csv")
    newcomer = {**rows[0], "card": "202430199", "name": "李新来"}
    renamed = {**rows[1], "name": rows[1]["name"][0] + "新名"}
    partial = _write(tmp_path / "roster.csv", [newcomer, renamed])
    status, out, _ = run("import", "roster", partial, "--db", db, "--add-only", "--json")
    assert status == 0
    counts = json.loads(out)
    assert (counts["added"], counts["updated"], counts["deactivated"]) == (1, 1, 0)
    with sqlite3.connect(db) as conn:
        active = conn.execute("SELECT count(*) FROM readers WHERE active = 1").fetchone()[0]
    assert active == len(rows) + 1


def test_a_new_school_year_that_drops_one_grade_imports(db: Path, run: Run, tmp_path: Path) -> None:
    rows = _rows("roster.csv")
    staying = [r for r in rows if not r["class"].startswith("6")]
    assert 0 < len(rows) - len(staying) <= len(rows) // 4
    status, out, _ = run(
        "import", "roster", _write(tmp_path / "r.csv", staying), "--db", db, "--json"
    )
    assert status == 0 and json.loads(out)["deactivated"] == len(rows) - len(staying)


def test_a_card_number_that_is_a_books_barcode_is_refused(
    db: Path, run: Run, tmp_path: Path
) -> None:
    rows = _rows("roster.csv")
    clash = {**rows[0], "card": "0001003", "name": "赵错号"}
    _write(tmp_path / "roster.csv", [*rows, clash])
    status, out, err = run("import", "roster", tmp_path / "roster.csv", "--db", db, "--json")
    assert status == 1
    line = len(rows) + 2  # header, the rows, then this one
    assert f"roster.csv:{line}: card: expected a card number that is not a book's barcode" in err
    assert '"0001003" (already the barcode of 《夏洛的网》 in the catalogue)' in err
    counts = json.loads(out)
    assert counts["rejected"] == 1 and counts["deactivated"] == 0
    # In a session, that book is still a book: borrowed, the child's session goes on.
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101", "0001003", "0001002")
    assert [line["outcome"] for line in lines] == ["session_started", "borrowed", "refused"]
    assert lines[2]["reason"] == "limit_reached"


def test_a_card_number_that_is_a_books_isbn_is_refused(db: Path, run: Run, tmp_path: Path) -> None:
    rows = _rows("roster.csv")
    isbn = next(r["isbn"] for r in _rows("catalog.csv") if r["isbn"])
    _write(tmp_path / "roster.csv", [*rows, {**rows[0], "card": isbn}])
    status, _, err = run("import", "roster", tmp_path / "roster.csv", "--db", db)
    assert status == 1 and "(already the ISBN of 《" in err


def test_a_barcode_that_is_a_readers_card_is_refused(db: Path, run: Run, tmp_path: Path) -> None:
    rows = _rows("catalog.csv")
    _write(tmp_path / "catalog.csv", [*rows, {**rows[0], "barcode": "202430101", "isbn": ""}])
    status, _, err = run("import", "catalog", tmp_path / "catalog.csv", "--db", db)
    assert status == 1
    assert '"202430101" (already the card of a reader in class 3-1 on the roster)' in err
    assert "王" not in err and "子乐" not in err  # the child's name is not printed
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101")
    assert lines[0]["outcome"] == "session_started"  # the card still opens her session
