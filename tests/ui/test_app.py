"""The real app under Xvfb, driven by fake readers through the scripted mode: what the screen
said after every line, and what the journal recorded."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from kiosk.store import Arrival, Cursor, PulledPage, Store
from tests.ui.app_runs import ARTIFACTS, KIOSK, LIBRARIAN, run_app, school

RECESS = "2026-11-23T10:05"  # the grades 3-6 break window: two books each


def test_card_book_book_refused_book_then_the_idle_time_out(tmp_path: Path) -> None:
    run = run_app(
        tmp_path,
        "0 202430101\n2 0001002\n4 0001003\n6 0001031\n8 @wait\n27 @wait\n",
        at=RECESS,
    )
    assert run.status == 0, run.stderr
    assert [s["screen"] for s in run.shots] == ["session"] * 5 + ["idle"]
    assert run.texts(1)[:2] == ["子乐，你好！", "本学期已读0本，还差10本"]
    assert "借好了！《小王子》请在12月7日前还回来。" in run.texts(2)
    assert "借好了！《夏洛的网》请在12月7日前还回来。" in run.texts(3)
    assert "本学期已读2本，还差8本" in run.texts(3)
    assert "这本书要在阅览室里看哦。" in run.texts(4)  # the dictionary
    assert "18秒后自动结束" in run.texts(5)  # the countdown runs on the app's clock
    assert "子乐，你好！" not in run.text(6)  # nobody's name or books on the idle screen
    assert run.events() == [
        ("session_started", "ok"),
        ("checkout", "ok"),
        ("checkout", "ok"),
        ("refusal", "not_for_loan"),
        ("session_ended", "idle_timeout"),
    ]


def test_a_second_card_takes_over_and_never_sees_the_first_childs_books(tmp_path: Path) -> None:
    run = run_app(tmp_path, "0 202430101\n2 0001002\n4 202430102\n")
    assert run.status == 0, run.stderr
    assert run.screen(3) == "session"
    assert run.texts(3)[0] == "妍宇，你好！"
    assert "小王子" not in run.text(3)
    assert ("session_ended", "preempted") in run.events()


def test_a_return_with_a_damage_report_then_idle(tmp_path: Path) -> None:
    script = "0 202430101\n2 0001002\n3 @done\n10 0001002\n12 @damaged\n33 @wait\n"
    run = run_app(tmp_path, script)
    assert run.status == 0, run.stderr
    assert run.screen(3) == "summary" and "小王子" in run.texts(3)
    assert run.screen(4) == "return"
    assert run.texts(4)[:2] == ["还书成功", "小王子"]
    assert "这本书坏了" in run.texts(4)
    assert "谢谢你告诉我们！老师会把《小王子》修好。" in run.texts(5)
    assert "这本书坏了" not in run.texts(5)  # once only
    assert run.screen(6) == "idle"
    assert run.events()[-2:] == [("return", "ok"), ("damage_report", "ok")]


def test_admin_by_pin_and_by_card_closed_mode(tmp_path: Path) -> None:
    script = (
        "0 @tap=admin\n1 @pin=1111\n2 @pin=2468\n3 @tap=mode:closed\n4 @tap=back\n"
        f"5 202430101\n12 {LIBRARIAN} card-scanner\n13 @tap=mode:normal\n14 @tap=back\n"
        "15 202430101\n"
    )
    run = run_app(tmp_path, script)
    assert run.status == 0, run.stderr
    assert run.screen(1) == "pin"
    assert "密码不对，还可以试4次" in run.texts(2)
    assert run.screen(3) == "admin"
    assert "模式：关闭" in run.texts(4)
    assert run.screen(5) == "idle" and "图书室现在关门了" in run.texts(5)
    assert "图书室现在关门了" in run.texts(6)  # the card was not let in
    assert run.screen(7) == "admin"  # the librarian's card
    assert run.screen(10) == "session"
    # The card refused while closed is journaled; the only session is the one after "normal",
    # and the app closing ends it.
    assert run.events() == [
        ("refusal", "closed"),
        ("session_started", "ok"),
        ("session_ended", "shutdown"),
    ]


def test_a_helper_turns_on_returns_only_and_returns_still_work(tmp_path: Path) -> None:
    script = (
        "0 202430101\n2 0001002\n3 @done\n"
        "10 H0001 card-scanner\n11 @tap=returns_only\n12 @tap=back\n"
        "13 202430102\n20 0001002\n"
    )
    run = run_app(tmp_path, script)
    assert run.status == 0, run.stderr
    assert run.screen(4) == "helper"
    assert "H0001" not in run.text(4)  # a helper sees scanner status, not codes
    assert "模式：只还书" in run.texts(5)
    assert "现在只能还书" in run.texts(6)
    assert "现在只能还书，不能借书哦" in run.texts(7)
    assert run.screen(8) == "return"
    events = run.events()
    assert events.count(("session_started", "ok")) == 1
    assert events[-2:] == [("refusal", "returns_only"), ("return", "ok")]


def test_the_fault_screen_while_a_scanner_is_gone_and_recovery(tmp_path: Path) -> None:
    script = "0 202430101\n1 @unplug=book-scanner\n2 0001002\n3 @replug=book-scanner\n30 @wait\n"
    run = run_app(tmp_path, script)
    assert run.status == 0, run.stderr
    assert run.screen(2) == "fault"
    assert "请告诉老师" in run.texts(2)
    assert "扫描器“book-scanner”：没有连接" in run.texts(2)
    assert run.screen(3) == "fault"  # nothing lent while the child cannot see it
    assert run.screen(4) == "session"  # back by itself
    assert run.screen(5) == "idle"
    assert ("checkout", "ok") not in run.events()
    assert run.events()[-1] == ("session_ended", "idle_timeout")


def test_a_scan_storm_is_one_loan_and_the_screen_keeps_the_answer(tmp_path: Path) -> None:
    storm = "".join(f"{2 + i * 0.02:.2f} 0001002\n" for i in range(50))
    run = run_app(tmp_path, "0 202430101\n2 0001002\n" + storm)
    assert run.status == 0, run.stderr
    assert {s["screen"] for s in run.shots} == {"session"}
    assert "借好了！《小王子》请在12月7日前还回来。" in run.texts(52)
    assert run.events().count(("checkout", "ok")) == 1


def test_an_unusable_database_shows_the_fault_screen(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kiosk.db"
    run = run_app(tmp_path, "0 @wait\n", db=missing)
    assert run.status == 0, run.stderr
    assert run.screen(1) == "fault"
    assert any("借书机的数据出了问题" in t for t in run.texts(1))


def test_systemd_hears_ready_and_watchdog_pings(tmp_path: Path) -> None:
    address = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(address))
        sock.settimeout(30)
        env = {"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "150000"}
        run = run_app(tmp_path, "0 @wait\n1 202430101\n", env=env)
        assert run.status == 0, run.stderr
        messages = []
        sock.setblocking(False)
        while True:
            try:
                messages.append(sock.recv(1024).decode())
            except BlockingIOError:
                break
    assert messages[0].startswith("READY=1")
    assert "WATCHDOG=1" in messages
    assert messages[-1] == "STOPPING=1"


def test_a_bad_config_is_one_message_naming_the_key(tmp_path: Path) -> None:
    _, config = school(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8") + '[sounds]\nvolume = 3\n[sync]\nserver = "x"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [str(KIOSK), "run", "--config", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "sounds.volume: expected a number from 0.0 to 1.0, found 3" in result.stderr
    # One file for the app and the sync worker: a bad [sync] key is named at start-up too, in
    # the same message, rather than left for the worker to trip over later.
    assert "sync.server: expected a URL such as https://server:8443, found 'x'" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_bad_script_line_is_named_before_the_app_starts(tmp_path: Path) -> None:
    db, _ = school(tmp_path)
    script = tmp_path / "bad.script"
    script.write_text("0 202430101\n1 @jump\n2 @wait\n1.5 0001002\n", encoding="utf-8")
    result = subprocess.run(
        [str(KIOSK), "run", "--db", str(db), "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "line 2: '@jump' is not one of the @ codes" in result.stderr
    assert "line 4: SECONDS must be a number from 2 to 86400" in result.stderr


def test_the_idle_screen_turns_through_the_new_arrivals_the_last_pull_brought(
    tmp_path: Path,
) -> None:
    db, _ = school(tmp_path)
    with Store(db) as store:  # what the sync worker's pull leaves in the kiosk's file
        chosen = [
            Arrival("0001003", "夏洛的网", "E.B.怀特"),
            Arrival("0001005", "草房子", "曹文轩"),
        ]
        page = PulledPage(snapshot=False, complete=True, cursor=Cursor(0, 0), new_arrivals=chosen)
        store.sync.apply_pull(page)
    run = run_app(tmp_path, "0 @wait\n6 @wait\n", db=db, shots=ARTIFACTS / "pulled-arrivals")
    assert run.status == 0, run.stderr
    assert {run.screen(1), run.screen(2)} == {"idle"}
    shown = {t for line in (1, 2) for t in run.texts(line) if t.startswith("《")}
    assert shown == {"《夏洛的网》", "《草房子》"}  # turning, one at a time
    assert all(s["overflowing"] == [] for s in run.shots)
