"""The `kiosk` command end to end on real files: what a school's IT teacher would type."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.cli import build_parser
from tests.conftest import EXAMPLES, Run, scan_json


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    sub = next(
        a for a in parser._actions if isinstance(a, type(parser._subparsers._group_actions[0]))
    )  # type: ignore[union-attr]
    for name, command in sub.choices.items():  # type: ignore[attr-defined]
        assert "example:" in command.format_help(), name
        assert f"kiosk {name}" in command.format_help(), name


def test_init_is_idempotent_but_never_renames_a_kiosk(tmp_path: Path, run: Run) -> None:
    path = tmp_path / "k.db"
    assert run("init", "--db", path, "--kiosk-id", "door-1")[0] == 0
    assert run("init", "--db", path, "--kiosk-id", "door-1")[0] == 0
    status, _, err = run("init", "--db", path, "--kiosk-id", "door-2")
    assert status == 1 and "door-1" in err


def test_a_bad_kiosk_id_is_refused(tmp_path: Path, run: Run) -> None:
    status, _, err = run("init", "--db", tmp_path / "k.db", "--kiosk-id", "门 1; rm")
    assert status == 2 and "--kiosk-id" in err
    assert not (tmp_path / "k.db").exists()


def test_scan_prints_one_json_decision_per_code(db: Path, run: Run) -> None:
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002", "0001031", "@done")
    assert [line["outcome"] for line in lines] == [
        "session_started", "borrowed", "refused", "session_ended",
    ]  # fmt: skip
    borrowed = lines[1]
    assert borrowed["reader"] == "202430101"
    assert borrowed["barcode"] == "0001002"
    assert borrowed["title"] == "小王子"
    assert borrowed["due"] == "2026-12-07"
    assert borrowed["message"] == "借好了！《小王子》请在12月7日前还回来。"
    assert lines[2]["reason"] == "not_for_loan"


def test_scan_in_english_and_as_text(db: Path, run: Run) -> None:
    status, out, _ = run(
        "scan", "--db", db, "--at", "2026-11-23T12:15", "--lang", "en", "202430101", "0001031"
    )
    assert status == 0
    assert "This book stays in the reading room." in out
    assert "[not_for_loan]" in out


def test_scan_as_text_shows_each_code_and_answer_and_closes_a_session_left_open(
    db: Path, run: Run
) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002", "@done")
    codes = [
        "@done",
        "@damaged",
        "X999",
        "0001002",
        "@damaged",
        "202430102",
        "@wait=5",
        "202430102",
        "0001003",
    ]
    status, out, _ = run("scan", "--db", db, "--at", "2026-11-23T12:20", *codes)
    assert status == 0
    assert [line.split() for line in out.splitlines()] == [
        ["·", "请先刷借书证。"],
        ["✖", "请先还书，再告诉我们书坏了。", "[no_recent_return]"],
        ["✖", "X999", "这张卡或这本书没有登记，请找老师帮忙。", "[unknown_code]"],
        ["✔", "0001002", "还好了，谢谢你！《小王子》"],
        ["✎", "谢谢你告诉我们！老师会把《小王子》修好。"],
        ["▶", "202430102", "妍宇，你好！这学期你已经借了0本书，再借10本就达标啦！"],
        ["▶", "202430102", "妍宇，请扫描要借的书。"],
        ["✔", "0001003", "借好了！《夏洛的网》请在12月7日前还回来。"],
        ["◀", "借书机暂停服务。"],  # the run ended her session
    ]


def test_each_scan_run_is_a_fresh_session(db: Path, run: Run) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101")
    # A later run starts as after a restart: the book is a return, not a loan.
    lines = scan_json(run, db, "2026-11-23T12:16", "0001002")
    assert lines[0]["outcome"] == "returned"


def test_wait_lets_the_idle_timeout_fire(db: Path, run: Run) -> None:
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101", "@wait=25", "0001002")
    assert lines[1]["outcome"] == "session_ended" and lines[1]["reason"] == "idle_timeout"
    assert lines[2]["outcome"] == "returned"


def test_loans_and_overdue(db: Path, run: Run) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002", "@done", "T0001", "0001010")
    status, out, _ = run("loans", "--db", db, "--json")
    loans = [json.loads(line) for line in out.splitlines()]
    assert [(loan["barcode"], loan["reader"]) for loan in loans] == [
        ("0001002", "202430101"),
        ("0001010", "T0001"),
    ]
    status, out, _ = run("loans", "--db", db, "--overdue", "--at", "2026-12-08", "--json")
    assert status == 0
    assert [json.loads(line)["barcode"] for line in out.splitlines()] == ["0001002"]
    _status, out, _ = run("loans", "--db", db, "--reader", "T0001")
    assert "昆虫记" in out and "小王子" not in out


def test_events_lists_the_journal_in_order(db: Path, run: Run) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    status, out, _ = run("events", "--db", db, "--json")
    assert status == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["session_started", "checkout", "session_ended"]
    assert all(e["kiosk_id"] == "door-1" and len(e["hash"]) == 64 for e in events)
    # What the server and the librarian check the chain with: each event names the one before.
    assert [e["prev_hash"] for e in events] == ["0" * 64] + [e["hash"] for e in events[:-1]]
    assert len({e["id"] for e in events}) == 3 and all(len(e["id"]) == 36 for e in events)
    assert {e["clock_source"] for e in events} == {"operator"}  # the time given with --at
    _status, out, _ = run("events", "--db", db)
    assert "checkout" in out and "— 3 event(s)" in out


def test_a_changed_row_is_counted_as_updated_and_a_price_is_kept(
    db: Path, run: Run, tmp_path: Path
) -> None:
    text = (EXAMPLES / "catalog.csv").read_text(encoding="utf-8")
    changed = tmp_path / "catalog.csv"
    changed.write_text(
        text.replace(
            "小王子,圣埃克苏佩里,I565.88,loan,12.00", "小王子,圣埃克苏佩里,I565.88,loan,14.50"
        )
    )
    status, out, _ = run("import", "catalog", changed, "--db", db, "--json")
    counts = json.loads(out)
    assert status == 0 and (counts["added"], counts["updated"]) == (0, 1)
    assert counts["unchanged"] == len(text.splitlines()) - 2
    with sqlite3.connect(db) as conn:  # what the librarian's reports will read
        price = conn.execute("SELECT price FROM copies WHERE barcode = '0001002'").fetchone()
    conn.close()
    assert price == ("14.50",)


def test_export_koc(db: Path, run: Run, tmp_path: Path) -> None:
    scan_json(
        run, db, "2026-11-23T12:15:00.250+08:00",
        "202430101", "0001002", "@done", "@wait=4", "0001002", "202430201", "9787419254125",
    )  # fmt: skip
    target = tmp_path / "out.koc"
    assert run("export", "koc", "--db", db, "-o", target)[0] == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Version=1.0\tGenerator=school-library-kiosk\tGeneratorVersion=0.1.0"
    assert lines[1:] == [
        "2026-11-23 12:15:01 250\tissue\t202430101\t0001002",
        "2026-11-23 12:15:08 250\treturn\t0001002",
        "2026-11-23 12:15:10 250\tissue\t202430201\t9787419254125",  # the label Koha knows
    ]


def test_reimport_marks_missing_readers_inactive_and_keeps_history(
    db: Path, run: Run, tmp_path: Path
) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    lines = (EXAMPLES / "roster.csv").read_text(encoding="utf-8").splitlines()
    shorter = tmp_path / "roster.csv"
    shorter.write_text("\n".join(line for line in lines if "202430101" not in line) + "\n")
    status, out, _ = run("import", "roster", shorter, "--db", db, "--json")
    assert status == 0
    counts = json.loads(out)
    assert (counts["added"], counts["updated"], counts["deactivated"]) == (0, 0, 1)
    assert counts["unchanged"] == len(lines) - 2  # the header, and the reader left out
    assert scan_json(run, db, "2026-11-23T12:20", "202430101")[0]["reason"] == "inactive_reader"
    _, out, _ = run("loans", "--db", db, "--json")
    assert json.loads(out)["reader"] == "202430101"  # the loan and its history stay


def test_bad_rows_are_reported_and_good_rows_imported(db: Path, run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "roster.csv"
    bad.write_text(
        "card,name,class,grade,role\n"
        "900001,新同学,3-1,3,student\n"
        "900002,坏同学,九年级(1)班,9,student\n"
        "900003,又一个,3-2,3,pupil\n",
        encoding="utf-8",
    )
    status, out, err = run("import", "roster", bad, "--db", db)
    assert status == 1
    problems = err.strip().splitlines()
    assert [p.split(": ")[0:2] for p in problems] == [
        [f"{bad}:3", "class"],
        [f"{bad}:3", "grade"],
        [f"{bad}:4", "role"],
    ]
    assert problems[2].endswith('found "pupil"')
    assert "1 readers added" in out
    # Rows were rejected, so nobody missing from this short file was made inactive.
    assert "0 no longer listed" in out
    assert scan_json(run, db, "2026-11-23T12:15", "900001")[0]["outcome"] == "session_started"


def test_a_bad_policy_names_the_key_and_keeps_the_old_one(
    db: Path, run: Run, tmp_path: Path
) -> None:
    broken = tmp_path / "policy.toml"
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    broken.write_text(text.replace('weekdays = ["mon"]', 'weekdays = ["mnn"]'), encoding="utf-8")
    status, _, err = run("import", "policy", broken, "--db", db)
    assert status == 1
    assert "windows[0].weekdays" in err and "mnn" in err
    assert "Traceback" not in err
    assert scan_json(run, db, "2026-11-23T12:15", "202430101")[0]["outcome"] == "session_started"


def test_every_mistake_of_a_policy_is_on_its_own_line(db: Path, run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    broken.write_text(
        text.replace("days = 14", "days = 0").replace('weekdays = ["tue"]', 'weekdays = ["tu"]'),
        encoding="utf-8",
    )
    status, _, err = run("import", "policy", broken, "--db", db)
    assert status == 1
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("kiosk: loans.days: expected a whole number")
    assert lines[1].startswith('windows[1].weekdays: "tu" is not a weekday')


def test_a_row_edited_by_hand_into_nonsense_is_named_with_what_to_do(db: Path, run: Run) -> None:
    with sqlite3.connect(db) as conn:  # an outside tool, or a damaged page that still reads
        conn.execute("UPDATE readers SET class_name = '三班' WHERE card = '202430101'")
    conn.close()
    status, _, err = run("scan", "--db", db, "--at", "2026-11-23T12:15", "202430101")
    assert status == 1
    assert err.startswith(f"kiosk: {db}: the readers table holds a value no kiosk wrote (")
    assert "'三班'" in err and err.endswith(f"run `kiosk doctor --db {db}` to see what to do\n")
    status, out, _ = run("doctor", "--db", db, "--json")
    roster = next(c for c in map(json.loads, out.splitlines()) if c["check"] == "roster")
    assert status == 1 and not roster["ok"] and "'三班'" in " ".join(roster["problems"])


def test_changing_the_policy_keeps_existing_due_dates(db: Path, run: Run, tmp_path: Path) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    shorter = tmp_path / "policy.toml"
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    shorter.write_text(text.replace("days = 14", "days = 7"), encoding="utf-8")
    assert run("import", "policy", shorter, "--db", db)[0] == 0
    _, out, _ = run("loans", "--db", db, "--json")
    assert json.loads(out)["due"] == "2026-12-07"
    lines = scan_json(run, db, "2026-11-23T12:16", "202430102", "0001003")
    assert lines[1]["due"] == "2026-11-30"


def test_doctor_finds_events_removed_from_the_journal(db: Path, run: Run) -> None:
    # A borrow, a return, a return of a copy nobody had, and another borrow.
    codes = (
        "202430101",
        "0001002",
        "@done",
        "@wait=5",
        "0001002",
        "0001004",
        "202430102",
        "0001003",
    )
    scan_json(run, db, "2026-11-23T12:15", *codes)
    status, out, _ = run("doctor", "--db", db)
    assert status == 0 and "FAIL" not in out  # a lunchtime with a return: the loans agree
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER events_no_delete")
        conn.execute("DELETE FROM events WHERE seq IN (3, 4)")  # the session's end and a return
    conn.close()
    status, out, _ = run("doctor", "--db", db)
    assert status == 1
    journal = r"FAIL 借还记录及其哈希链\n\s+"  # doctor names the part in Chinese by default
    assert re.search(journal + r"event 5: missing event\(s\) 3-4 before this one", out)
    assert "event 5: previous-event hash does not match" in out


def test_doctor_finds_a_tampered_journal(db: Path, run: Run) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    status, out, _ = run("doctor", "--db", db)
    assert status == 0 and "FAIL" not in out
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET barcode = '0001003' WHERE seq = 2")
    status, out, _ = run("doctor", "--db", db)
    assert status == 1
    assert re.search(r"FAIL 借还记录.*\n\s+event 2: event content does not match", out)
    assert "FAIL 借阅表与借还记录一致" in out
    _status, out, _ = run("doctor", "--db", db, "--lang", "en")
    assert "FAIL loan table matches the journal" in out and "→ run `kiosk doctor --repair" in out


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: None, "no kiosk database here"),
        (
            lambda p: p.write_bytes(b"this is not sqlite" * 100),
            "not a kiosk database, or its first page is damaged",
        ),
        (lambda p: p.write_bytes(b""), "not a kiosk database"),
    ],
    ids=["missing", "garbage", "empty"],
)
def test_a_bad_database_file_gets_a_clear_message(
    tmp_path: Path, run: Run, make: Callable[[Path], object], expected: str
) -> None:
    path = tmp_path / "kiosk.db"
    make(path)
    before = path.read_bytes() if path.exists() else None
    status, _out, err = run("scan", "--db", path, "0001002")
    assert status == 1
    assert expected in err
    assert "Traceback" not in err
    assert (path.read_bytes() if path.exists() else None) == before  # left as it was found


def test_init_in_a_folder_that_does_not_exist_says_so(tmp_path: Path, run: Run) -> None:
    missing = tmp_path / "no-such-folder"
    status, _, err = run("init", "--db", missing / "k.db", "--kiosk-id", "door-1")
    assert (status, err) == (1, f"kiosk: {missing}: folder does not exist\n")


def test_a_damaged_page_gets_one_sentence_that_sends_to_doctor(db: Path, run: Run) -> None:
    with sqlite3.connect(db) as conn:
        page = conn.execute("SELECT pageno FROM dbstat WHERE name = 'policy'").fetchone()[0]
    conn.close()
    with db.open("r+b") as f:  # what a failing SD card does to one page
        f.seek((page - 1) * 4096)
        f.write(bytes(4096))
    status, _, err = run("loans", "--db", db)
    assert status == 1
    assert err == (
        f"kiosk: {db}: part of the file is damaged (database disk image is malformed); "
        f"run `kiosk doctor --db {db}` to see which part and what to do\n"
    )


def test_a_locked_database_gets_a_clear_message(
    db: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kiosk.store._db.BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        status, _, err = run("scan", "--db", db, "--at", "2026-11-23T12:15", "202430101")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 1 and "busy" in err


def test_scan_before_any_policy_says_what_to_do(tmp_path: Path, run: Run) -> None:
    path = tmp_path / "k.db"
    run("init", "--db", path, "--kiosk-id", "door-1")
    status, _, err = run("scan", "--db", path, "0001002")
    assert status == 1 and "kiosk import policy" in err


def test_a_bad_time_is_a_usage_error(db: Path, run: Run) -> None:
    status, _, err = run("scan", "--db", db, "--at", "next tuesday", "0001002")
    assert status == 2 and "--at" in err


def test_the_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [Path(sys.executable).parent / "kiosk", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "kiosk init" in result.stdout


def test_doctor_on_a_new_kiosk_says_what_to_import_not_to_repair(tmp_path: Path, run: Run) -> None:
    db = tmp_path / "new.db"
    assert run("init", "--db", db, "--kiosk-id", "door-1")[0] == 0
    status, out, _ = run("doctor", "--db", db)
    assert status == 1
    blocks = {b.split("\n")[0]: b for b in re.split(r"\n(?=ok|FAIL)", out)}
    for part, command in (("读者名单", "roster"), ("馆藏目录", "catalog"), ("借阅规则", "policy")):
        assert f"kiosk import {command} 文件 --db {db}" in blocks[f"FAIL {part}"]
    # What it found, in Chinese too.
    assert "没有读者：还没有导入读者名单" in blocks["FAIL 读者名单"]
    assert "--repair" not in out  # nothing is damaged
    # Damage is another matter: a repair first, then the import.
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE readers")
    _, out, _ = run("doctor", "--db", db, "--lang", "en")
    assert f"run `kiosk doctor --repair --db {db}`, then import the roster again" in out


def test_doctor_rebuilds_a_hand_edited_loan_table(db: Path, run: Run) -> None:
    scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM loans")  # someone "tidied up" with a SQLite tool
    status, out, _ = run("doctor", "--db", db)
    # Which loan, what the journal says of it, and what the table says.
    assert status == 1 and "0001002: journal says Loan(barcode='0001002', card='202430101'" in out
    assert "loan table says None" in out
    status, out, _ = run("doctor", "--db", db, "--rebuild-loans")
    assert status == 0
    assert "1 loan(s) corrected" in out
    _, out, _ = run("loans", "--db", db, "--json")
    assert json.loads(out)["barcode"] == "0001002"


@pytest.mark.parametrize(
    "at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00+14:00", "1970-01-01", "2026-13-01"]
)
def test_an_impossible_time_is_a_usage_error(db: Path, run: Run, at: str) -> None:
    status, _, err = run("scan", "--db", db, "--at", at, "0001002")
    assert status == 2 and "--at" in err and "Traceback" not in err
    assert run("events", "--db", db, "--json")[1] == ""  # nothing was recorded


def test_hostile_arguments_get_answers_not_tracebacks(db: Path, run: Run) -> None:
    hostile = "\udcff\x1b[2J"  # undecodable bytes in argv arrive as lone surrogates
    status, out, err = run("scan", "--db", db, "--at", "2026-11-23T12:15", "--json", hostile)
    assert status == 0
    answer = json.loads(out)
    assert (answer["outcome"], answer["reason"]) == ("refused", "unknown_code")
    assert answer["code"] == "\\udcff\\x1b[2J"  # shown, never echoed raw to a terminal
    status, _, err = run("loans", "--db", db, "--reader", "\udcff")
    assert status == 2 and "--reader" in err
    status, _, err = run("scan", "--db", db, "@wait=forever")
    assert status == 2 and "@wait" in err


def test_a_future_time_once_recorded_does_not_block_borrowing(db: Path, run: Run) -> None:
    scan_json(run, db, "2027-03-01T12:15", "202430101")  # a mistyped --at
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101", "0001002")
    assert lines[1]["outcome"] == "borrowed"


def test_a_marc_catalogue_imports_and_its_copies_lend(db: Path, run: Run, tmp_path: Path) -> None:
    from tests.imports.test_import_marc import GRASS_HOUSE, LITTLE_PRINCE

    marc = tmp_path / "新书.mrc"
    marc.write_bytes(LITTLE_PRINCE + GRASS_HOUSE + b"01234broken\x1d")
    status, out, err = run("import", "catalog", marc, "--db", db, "--json")
    assert status == 1  # one record was broken: said, and the others imported
    assert f"{marc}:record 3:" in err
    assert json.loads(out)["rejected"] == 1
    lines = scan_json(run, db, "2026-11-23T12:15", "T0001", "A0099", "0001003")
    assert lines[1]["title"] == "草房子" and lines[1]["outcome"] == "borrowed"
    assert lines[2]["reason"] == "not_for_loan"  # 952$y REF: a reference copy


@pytest.mark.parametrize("button", ["@DONE", "@Done", " @done "])
def test_buttons_are_buttons_whatever_their_case(db: Path, run: Run, button: str) -> None:
    lines = scan_json(run, db, "2026-11-23T12:15", "202430101", button)
    assert lines[1]["outcome"] == "session_ended" and lines[1]["reason"] == "finished"


@pytest.mark.parametrize("mistyped", ["@wait", "@wait:5", "@dnoe", "@", "@damage"])
def test_a_mistyped_button_is_a_usage_error_and_nothing_is_recorded(
    db: Path, run: Run, mistyped: str
) -> None:
    status, out, err = run("scan", "--db", db, "--at", "2026-11-23T12:15", "202430101", mistyped)
    assert status == 2 and out == ""
    assert "expected @done, @damaged or @wait=SECONDS" in err or "@wait=SECONDS" in err
    _, out, _ = run("events", "--db", db, "--json")
    assert out == ""  # not even the card before it: the arguments are checked first
