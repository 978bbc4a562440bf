"""End to end, as a school runs it: the real `kiosk-server serve` process on 127.0.0.1, real
`kiosk` commands on real SQLite files, real HTTP (and HTTPS), and faults that really happen: the
server down, the worker or the server killed with SIGKILL mid-sync, a network that drops, delays
and resets connections."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sync.server.cli import main as server_main
from tests.conftest import EXAMPLES
from tests.sync.processes import BIN, ServerProcess, kiosk
from tests.sync.proxy import FaultProxy

MONDAY = "2026-11-23T12:15"
# Pupils and books of the sample school (kiosk/sample): 3-1 pupils borrow one book each.
PUPIL_A, PUPIL_B, PUPIL_C = "202430101", "202430102", "202430103"


@dataclass
class School:
    db: str  # the server's database URL
    folder: Path
    server: ServerProcess

    def restart(self, *, same_port: bool = True) -> None:
        self.server = ServerProcess(self.db, port=self.server.port if same_port else 0)

    def add_kiosk(self, name: str) -> tuple[Path, Path]:
        """A kiosk set up as the IT teacher would: `kiosk init`, a token, a kiosk.toml."""
        token = self.folder / f"{name}.token"
        made = server_command("add-kiosk", name, "--db", self.db)
        assert made.returncode == 0, made.stderr
        token.write_text(made.stdout)
        db = self.folder / f"{name}.db"
        assert kiosk("init", "--db", db, "--kiosk-id", name).returncode == 0
        return db, token

    def sync(
        self, db: Path, token: Path, *extra: str | Path, server: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return kiosk(
            "sync",
            "once",
            "--db",
            db,
            "--server",
            server or self.server.url,
            "--token-file",
            token,
            *extra,
        )

    def export(self) -> list[dict[str, object]]:
        done = server_command("export", "events", "--db", self.db)
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    def review(self) -> list[dict[str, object]]:
        done = server_command("review", "--db", self.db, "--json")
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]


def server_command(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """`kiosk-server COMMAND` run in this process (the server itself runs as its own process;
    test_server_cli.py covers these commands, so here they need not pay a start-up each)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = server_main([str(a) for a in argv])
    return subprocess.CompletedProcess(list(argv), status, out.getvalue(), err.getvalue())


def journal(db: Path) -> list[dict[str, object]]:
    done = kiosk("events", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def scan(db: Path, at: str, *codes: str) -> list[dict[str, object]]:
    done = kiosk("scan", "--db", db, "--at", at, "--json", *codes)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def school(server_url: str, tmp_path: Path) -> Iterator[School]:
    for kind, name in (
        ("policy", "policy.toml"),
        ("roster", "roster.csv"),
        ("catalog", "catalog.csv"),
    ):
        done = server_command("import", kind, EXAMPLES / name, "--db", server_url)
        assert done.returncode == 0, done.stderr
    s = School(server_url, tmp_path, ServerProcess(server_url))
    yield s
    s.server.stop()


def test_scans_made_offline_reach_the_server_once_and_a_second_sync_sends_nothing(
    school: School,
) -> None:
    db, token = school.add_kiosk("door-1")
    first = school.sync(db, token)  # a new kiosk gets the roster, catalogue and rules
    assert first.returncode == 0, first.stderr
    school.server.stop()  # the school's Wi-Fi is down for the afternoon
    scan(db, MONDAY, PUPIL_A, "0001002", "@done", PUPIL_B, "0001003", "@done")
    offline = school.sync(db, token)
    assert offline.returncode == 1 and "cannot reach the server" in offline.stderr
    assert "6 event(s) wait" in offline.stderr
    school.restart(same_port=False)
    done = school.sync(db, token)
    assert done.returncode == 0, done.stderr
    assert "6 event(s) sent" in done.stdout
    assert school.export() == journal(db)
    again = school.sync(db, token)
    assert "0 event(s) sent, 0 already on the server" in again.stdout
    assert school.export() == journal(db)
    assert school.review() == []  # every hash verified, no gap, no conflict


def test_a_worker_killed_mid_batch_sends_each_event_exactly_once(school: School) -> None:
    db, token = school.add_kiosk("door-1")
    assert school.sync(db, token).returncode == 0
    config = school.folder / "kiosk.toml"
    config.write_text("[sync]\nbatch_events = 3\n")
    codes: list[str] = []
    for pupil, book in ((PUPIL_A, "0001002"), (PUPIL_B, "0001003"), (PUPIL_C, "0001004")):
        codes += [pupil, book, "@done"]
    scan(db, MONDAY, *codes)
    proxy = FaultProxy(school.server.port)
    try:
        proxy.faults.hold_answer = 2  # the server has stored batch 2; the worker never hears
        worker = subprocess.Popen(
            [
                str(BIN / "kiosk"),
                "sync",
                "once",
                "--config",
                config,
                "--db",
                db,
                "--server",
                proxy.url,
                "--token-file",
                token,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proxy.faults.held.wait(60), "the worker never sent a second batch"
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
        proxy.faults.release.set()
    finally:
        proxy.close()
    assert len(school.export()) == 6  # two batches of three arrived
    done = school.sync(db, token, "--config", config)
    assert done.returncode == 0, done.stderr
    assert "3 event(s) sent, 3 already on the server" in done.stdout
    assert school.export() == journal(db)


def test_a_server_killed_mid_sync_loses_nothing(school: School) -> None:
    db, token = school.add_kiosk("door-1")
    assert school.sync(db, token).returncode == 0
    config = school.folder / "kiosk.toml"
    config.write_text("[sync]\nbatch_events = 2\n")
    scan(db, MONDAY, PUPIL_A, "0001002", "@done", PUPIL_B, "0001003", "@done")
    proxy = FaultProxy(school.server.port)
    try:
        proxy.faults.hold_answer = 2
        worker = subprocess.Popen(
            [
                str(BIN / "kiosk"),
                "sync",
                "once",
                "--config",
                config,
                "--db",
                db,
                "--server",
                proxy.url,
                "--token-file",
                token,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proxy.faults.held.wait(60)
        school.server.kill()  # the power goes in the server room, mid-answer
        proxy.faults.reset_answer = True
        proxy.faults.release.set()
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 1 and "sync failed" in err
        school.restart()  # the same port: the proxy reaches it again
        done = school.sync(db, token, "--config", config, server=proxy.url)
        assert done.returncode == 0, done.stderr
    finally:
        proxy.close()
    assert school.export() == journal(db)


def test_a_network_that_drops_delays_and_resets_connections(school: School) -> None:
    db, token = school.add_kiosk("door-1")
    assert school.sync(db, token).returncode == 0
    scan(db, MONDAY, PUPIL_A, "0001002", "@done")
    config = school.folder / "kiosk.toml"
    config.write_text("[sync]\nread_timeout = 0.5\nconnect_timeout = 2\n")
    proxy = FaultProxy(school.server.port)
    try:
        proxy.faults.reset_answer = True
        reset = school.sync(db, token, "--config", config, server=proxy.url)
        # Cut mid-answer: the worker sees a broken connection or a body that is not whole.
        assert reset.returncode == 1
        assert "cannot reach the server" in reset.stderr or "not protocol v1" in reset.stderr
        proxy.faults.delay = 2.0  # slower than the worker's read timeout
        slow = school.sync(db, token, "--config", config, server=proxy.url)
        assert slow.returncode == 1 and "no answer within the timeout" in slow.stderr
        proxy.faults.delay = 0.0
        proxy.faults.drop = 1
        dropped = school.sync(db, token, "--config", config, server=proxy.url)
        assert dropped.returncode == 1 and "cannot reach the server" in dropped.stderr
        proxy.faults.replace_answer = (
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!"
        )
        failed = school.sync(db, token, "--config", config, server=proxy.url)
        assert failed.returncode == 1 and "answered 500" in failed.stderr
        proxy.faults.replace_answer = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
            b'{"results":'
        )
        garbage = school.sync(db, token, "--config", config, server=proxy.url)
        assert garbage.returncode == 1 and "not protocol v1" in garbage.stderr
        done = school.sync(db, token, "--config", config, server=proxy.url)
        assert done.returncode == 0, done.stderr
    finally:
        proxy.close()
    assert school.export() == journal(db)


def test_one_copy_lent_at_two_offline_doors_makes_one_review_item(school: School) -> None:
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    # Both doors offline: each lends 0001002 to a different pupil.
    assert scan(a, MONDAY, PUPIL_A, "0001002", "@done")[1]["outcome"] == "borrowed"
    assert scan(b, "2026-11-23T12:20", PUPIL_B, "0001002", "@done")[1]["outcome"] == "borrowed"
    for db, token in ((a, a_token), (b, b_token), (a, a_token)):
        assert school.sync(db, token).returncode == 0
    items = school.review()
    assert [i["kind"] for i in items] == ["lent_twice"]
    assert items[0]["barcode"] == "0001002" and items[0]["kiosk"] == "door-b"


def test_a_book_borrowed_at_door_a_is_returned_at_door_b(school: School) -> None:
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    assert school.sync(b, b_token).returncode == 0
    assert school.sync(a, a_token).returncode == 0
    scan(a, MONDAY, PUPIL_A, "0001002", "@done")
    assert school.sync(a, a_token).returncode == 0
    assert school.sync(b, b_token).returncode == 0  # door B now knows the book is out
    loans_b = kiosk("loans", "--db", b, "--json")
    assert [json.loads(x)["reader"] for x in loans_b.stdout.splitlines()] == [PUPIL_A]
    returned = scan(b, "2026-11-24T12:15", "0001002")
    assert returned[0]["outcome"] == "returned" and "flags" not in returned[0]
    assert school.sync(b, b_token).returncode == 0
    assert school.sync(a, a_token).returncode == 0
    assert kiosk("loans", "--db", a, "--json").stdout == ""  # back on the shelf everywhere
    assert school.review() == []


def test_a_copy_returned_at_another_door_can_be_lent_again_where_it_was_lent(
    school: School,
) -> None:
    """Door A lent it and never saw it come back (door B did): A's own records still say it is
    out, the server says it is on the shelf. A lends it again, as an ordinary loan."""
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, "0001002", "@done")
    assert school.sync(a, a_token).returncode == 0
    assert school.sync(b, b_token).returncode == 0
    assert scan(b, "2026-11-24T12:15", "0001002")[0]["outcome"] == "returned"
    assert school.sync(b, b_token).returncode == 0
    assert school.sync(a, a_token).returncode == 0
    lent = scan(a, "2026-11-30T12:15", PUPIL_B, "0001002", "@done")
    assert [d["outcome"] for d in lent][:2] == ["session_started", "borrowed"], lent
    loans_a = kiosk("loans", "--db", a, "--json")
    assert [json.loads(x)["reader"] for x in loans_a.stdout.splitlines()] == [PUPIL_B]
    assert kiosk("doctor", "--db", a).returncode == 0
    # ... and once more back at B, and lent at A a third time: still nothing to review.
    assert school.sync(a, a_token).returncode == 0
    assert school.sync(b, b_token).returncode == 0
    assert scan(b, "2026-12-01T12:15", "0001002")[0]["outcome"] == "returned"
    assert school.sync(b, b_token).returncode == 0
    assert school.sync(a, a_token).returncode == 0
    again = scan(a, "2026-12-07T12:15", PUPIL_C, "0001002", "@done")
    assert again[1]["outcome"] == "borrowed", again
    assert school.sync(a, a_token).returncode == 0
    assert school.review() == []


def test_a_childs_books_this_term_count_at_every_door(school: School) -> None:
    a, a_token = school.add_kiosk("door-a")
    b, b_token = school.add_kiosk("door-b")
    for db, token in ((a, a_token), (b, b_token)):
        assert school.sync(db, token).returncode == 0
    scan(a, MONDAY, PUPIL_A, "0001002", "@done")
    scan(a, "2026-11-23T12:25", "0001002", PUPIL_A, "0001003", "@done")  # back, and another
    assert school.sync(a, a_token).returncode == 0
    assert school.sync(b, b_token).returncode == 0
    # Door B greets her with the two books she borrowed at door A ...
    greeting = scan(b, "2026-11-30T12:15", PUPIL_A)[0]
    assert greeting["params"] == {"read": 2, "to_go": 8, "on_loan": 1}
    # ... and counts one it lends itself before the server has seen it, once.
    scan(b, "2026-11-30T12:16", "0001003", PUPIL_A, "0001004", "@done")
    assert scan(b, "2026-11-30T12:20", PUPIL_A)[0]["params"]["read"] == 3
    assert school.sync(b, b_token).returncode == 0
    assert scan(b, "2026-11-30T12:22", "@done", PUPIL_A)[-1]["params"]["read"] == 3
    assert school.sync(a, a_token).returncode == 0
    assert scan(a, "2026-11-30T12:25", PUPIL_A)[0]["params"]["read"] == 3  # and at door A


def test_a_token_of_another_kiosk_is_refused(school: School) -> None:
    a, _ = school.add_kiosk("door-a")
    _, b_token = school.add_kiosk("door-b")
    refused = school.sync(a, b_token)
    assert refused.returncode == 1
    assert "refused (403)" in refused.stderr and "door-b" in refused.stderr
    assert school.export() == []


def test_a_new_roster_and_policy_reach_a_running_kiosk_between_sessions(
    school: School, tmp_path: Path
) -> None:
    from kiosk.clocks import ScriptedClock
    from kiosk.core.session import Button
    from kiosk.door import Door
    from kiosk.store import Store
    from tests.conftest import local

    db, token = school.add_kiosk("door-1")
    assert school.sync(db, token).returncode == 0
    store = Store(db)
    clock = ScriptedClock(local("2026-11-23 12:15"))
    door = Door(store, clock)  # the touchscreen app, running: it holds the door
    try:
        started = door.scan(PUPIL_A).decision
        assert started is not None and started.outcome.value == "session_started"
        clock.advance(1)
        borrowed = door.scan("0001002").decision
        assert borrowed is not None and str(borrowed.due) == "2026-12-07"  # 14 days
        policy = tmp_path / "policy.toml"
        policy.write_text(
            (EXAMPLES / "policy.toml").read_text("utf-8").replace("days = 14 ", "days = 21 "),
            encoding="utf-8",
        )
        roster = tmp_path / "roster.csv"
        roster.write_text(
            (EXAMPLES / "roster.csv").read_text("utf-8") + "202430199,钱新来,3-1,3,student\n",
            encoding="utf-8",
        )
        for kind, path in (("policy", policy), ("roster", roster)):
            assert server_command("import", kind, path, "--db", school.db).returncode == 0
        synced = school.sync(db, token)  # the worker, while a child is at the door
        assert synced.returncode == 0, synced.stderr
        clock.advance(1)
        door.tick()
        assert door.policy.loans.days == 14  # never in the middle of a child's session
        clock.advance(1)
        door.press(Button.DONE)
        clock.advance(1)
        door.tick()  # nobody at the door: the new rules are taken up
        assert door.policy.loans.days == 21
        clock.advance(5)
        newcomer = door.scan("202430199").decision
        assert newcomer is not None and newcomer.outcome.value == "session_started"
        clock.advance(1)
        second = door.scan("0001003").decision
        assert second is not None and str(second.due) == "2026-12-14"  # 21 days
    finally:
        door.close()
        store.close()


def test_a_worker_with_the_wrong_ca_refuses_to_talk_and_says_why(tmp_path: Path) -> None:
    from tests.sync.tls import make_certificates

    school_ca = make_certificates(tmp_path / "school")
    other_ca = make_certificates(tmp_path / "other", school="另一所学校 CA")
    url = f"sqlite:///{tmp_path / 'server.db'}"
    for command in (["migrate"], ["import", "policy", EXAMPLES / "policy.toml"]):
        assert server_command(*command, "--db", url).returncode == 0
    server = ServerProcess(url, tls=(school_ca.cert, school_ca.key))
    try:
        assert server.url.startswith("https://127.0.0.1:")
        s = School(url, tmp_path, server)
        db, token = s.add_kiosk("door-1")
        scan_at = ["--ca-file", school_ca.ca]
        assert s.sync(db, token, *scan_at).returncode == 0  # the school's own CA: trusted
        assert kiosk("scan", "--db", db, "--at", MONDAY, "T0001").returncode == 0
        wrong = s.sync(db, token, "--ca-file", other_ca.ca)
        assert wrong.returncode == 1
        assert f"does not verify against the CA in {other_ca.ca}" in wrong.stderr
        system = s.sync(db, token)  # no CA file: the system's CAs do not know the school's
        assert system.returncode == 1 and "system's trusted CAs" in system.stderr
        assert s.export() == []  # nothing was sent to a server it could not trust
        plain = s.sync(db, token, server="http://192.0.2.10:8080")
        assert plain.returncode == 2 and "not encrypted" in plain.stderr
        assert s.sync(db, token, *scan_at).returncode == 0
        assert s.export() == journal(db)
    finally:
        server.stop()
