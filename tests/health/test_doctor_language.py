"""`kiosk doctor --config FILE --lang en` says every line in English, the database file's checks
among them; without --lang it says them in Chinese as before. Run as the command is run, on a Pi
laid under --root (install-kiosk.sh --root), so nothing asks the network or the booted system."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from kiosk.store import Store
from tests.conftest import COPIES, EXAMPLES, Run
from tests.health.conftest import Pi, make_pi

# Han characters, CJK punctuation and full-width forms: any of them is Chinese on the line.
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture
def new_pi(tmp_path: Path) -> Pi:
    """A kiosk set up but not finished: not paired with a server yet, the roster not imported,
    and a note the sync worker left (the server had lost events it then sent again)."""
    pi = make_pi(tmp_path / "pi")
    pi.set_config('server = "https://library.school.example:8443"', 'server = ""')
    db = pi.file("/var/lib/library-kiosk/kiosk.db")
    db.unlink()
    with Store.create(db, "door-1") as store:
        store.save_policy((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
        store.import_copies(COPIES)
    with sqlite3.connect(db) as conn:  # as kiosk.store._forks writes it
        conn.execute(
            "INSERT INTO sync_notes (at, kind, first, last, journal) "
            "VALUES ('2026-11-23T04:10:00+00:00', 'server_lost', 3, 7, NULL)"
        )
    return pi


def doctor(run: Run, pi: Pi, *options: str) -> tuple[int, str]:
    status, out, err = run("doctor", "--config", pi.config, "--root", pi.root, *options)
    assert err == ""
    return status, out


def test_every_line_of_the_english_doctor_is_english(run: Run, new_pi: Pi) -> None:
    status, out = doctor(run, new_pi, "--lang", "en")
    lines = out.splitlines()
    assert status == 1
    assert [line for line in lines if CHINESE.search(line)] == []
    # The database file's checks are there, with their problem, fix and note.
    assert "ok   database file" in lines
    roster = lines.index("FAIL roster (readers)")
    assert lines[roster + 1] == "     no readers: the roster has not been imported"
    assert lines[roster + 2].startswith("     → import the roster: `kiosk import roster FILE")
    assert any(line.startswith("     ! the server no longer held events 3–7") for line in lines)
    assert "FAIL server: not paired with a server yet ([sync] server is empty)" in out
    status, out = doctor(run, new_pi, "--lang", "en", "--json")
    for result in map(json.loads, out.splitlines()):
        assert not CHINESE.search(json.dumps(result, ensure_ascii=False)), result


def test_the_chinese_doctor_is_unchanged(run: Run, new_pi: Pi) -> None:
    status, out = doctor(run, new_pi)
    lines = out.splitlines()
    assert status == 1
    assert all(CHINESE.search(line) for line in lines), out
    start = lines.index("ok   数据库文件")
    db = new_pi.file("/var/lib/library-kiosk/kiosk.db")
    assert lines[start : start + 12] == [
        "ok   数据库文件",
        "ok   借书机编号",
        "ok   数据库版本",
        "FAIL 读者名单",
        "     没有读者：还没有导入读者名单",
        f"     → 导入读者名单：kiosk import roster 文件 --db {db}（或让同步程序从服务器取回）",
        "ok   馆藏目录",
        "ok   借阅规则",
        "ok   借还记录及其哈希链",
        "ok   借阅表与借还记录一致",
        "ok   同步状态（待发送记录、服务器数据、保留期）",
        "     ! 服务器上少了它确认过的第 3–7 条记录（服务器从备份恢复过？）：已于 "
        "2026-11-23T04:10 重新发送。",
    ]
    assert "FAIL 服务器: 还没有和服务器配对（[sync] server 是空的）" in out
