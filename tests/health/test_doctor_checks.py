"""`kiosk doctor --config`: a healthy kiosk passes; each check, broken in turn, fails and names
the fix, in Chinese and in English; the exit status says whether anything failed."""

from __future__ import annotations

import argparse
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kiosk.commands.doctor import doctor as file_doctor
from kiosk.core.moments import Reading
from kiosk.health.command import run_doctor
from kiosk.health.machine import Completed, DiskUsage, Grab, GrabResult, ServerAnswer
from kiosk.i18n import LANGUAGES, catalogue
from kiosk.server_client import ServerFailure
from kiosk.store import Store, SyncProblem
from tests.conftest import example_policy, make_school
from tests.health.conftest import BOOT, Breakage, Pi

SCANNER = "book /dev/library/book-scanner"


def state(result: dict[str, object]) -> object:
    # The database file checks print {"check", "ok", "problems"}; the appliance's add a status.
    return result.get("status", "ok" if result["ok"] else "fail")


def failures(results: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["check"], r.get("reason")) for r in results if state(r) == "fail"]


def test_a_healthy_kiosk_passes_every_check(pi: Pi) -> None:
    status, results = pi.doctor()
    assert status == 0, [r for r in results if not r["ok"]]
    checks = {r["check"] for r in results}
    assert {"config", "database", "scanner", "server", "tls", "token", "clock", "disk"} <= checks
    assert {"sd_card", "unit", "file", "journal", "loans", "policy"} <= checks
    assert [r.get("subject") for r in results if r["check"] == "scanner"] == [
        SCANNER,
        "card /dev/library/card-scanner",
    ]
    url, token, ca = pi.asked[0]
    assert (url, token) == ("https://library.school.example:8443", "k1-token")
    assert ca == pi.file("/etc/library-kiosk/server-ca.pem")


def test_a_kiosk_toml_that_still_says_readers_works_and_doctor_asks_to_rename_it(pi: Pi) -> None:
    # A file written before the scanners were called scanners: its [[readers]] are the scanners.
    pi.set_config("[[scanners]]", "[[readers]]")
    status, results = pi.doctor()
    assert status == 0, failures(results)
    config = next(r for r in results if r["check"] == "config")
    assert (config["status"], config["reason"]) == ("ok", "old_name")
    assert "rename those tables [[scanners]]" in str(config["message"])
    assert [r.get("subject") for r in results if r["check"] == "scanner"] == [
        SCANNER,
        "card /dev/library/card-scanner",
    ]
    _, text = pi.doctor_text()  # in Chinese, the default
    assert "请把这些表改名为 [[scanners]]" in text


def _last_sync(pi: Pi, kind: SyncProblem, problem: str) -> None:
    with Store(pi.file("/var/lib/library-kiosk/kiosk.db")) as store:
        at = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
        succeeded = kind is SyncProblem.CLOCK_BEHIND_CERTIFICATE  # it syncs, with a warning
        store.sync.record_attempt(at, succeeded=succeeded, kind=kind, problem=problem)


def test_an_unsynchronised_clock_told_the_time_by_the_server_is_fine(pi: Pi) -> None:
    pi.file("/run/systemd/timesync/synchronized").unlink()
    heard = datetime(2026, 11, 23, 4, 15, tzinfo=UTC)
    with Store(pi.file("/var/lib/library-kiosk/kiosk.db")) as store:
        store.sync.record_server_clock(heard, Reading(heard, 12.0, False, BOOT))
    status, results = pi.doctor("en")
    clock = next(r for r in results if r["check"] == "clock")
    assert status == 0 and clock["reason"] == "from_server", clock
    assert "uses the time the school's server gave it" in str(clock["message"])
    # Heard in an earlier boot: no longer this boot's time.
    pi.file("/proc/sys/kernel/random/boot_id").write_text("another-boot\n")
    status, results = pi.doctor("en")
    assert ("clock", "not_synchronised") in failures(results)


def unit_state(
    active: str, sub: str, restarts: int = 0, condition: str = "yes", checked_at: int = 52_000_000
) -> str:
    """``systemctl show``'s answer; ``checked_at`` 0 is a unit never started since installed."""
    return (
        f"LoadState=loaded\nActiveState={active}\nSubState={sub}\nNRestarts={restarts}\n"
        f"ConditionResult={condition}\nConditionTimestampMonotonic={checked_at}\n"
    )


def answer(kind: ServerFailure, detail: str = "", status: int = 0) -> Breakage:
    def set_answer(pi: Pi) -> None:
        pi.answer = ServerAnswer(kind, detail, status)

    return set_answer


def grab(outcome: Grab, detail: str = "", *, kiosk_stopped: bool = False) -> Breakage:
    def set_grab(pi: Pi) -> None:
        pi.grabs["event3"] = GrabResult(outcome, detail)
        if kiosk_stopped:  # so the grab is not the running kiosk's own
            pi.units["library-kiosk.service"] = unit_state("inactive", "dead")

    return set_grab


def wrong_kiosk(pi: Pi) -> None:
    db = pi.file("/var/lib/library-kiosk/kiosk.db")
    db.unlink()
    Store.create(db, "door-2").close()


# (what breaks, the check and reason that must fail, words its fix must contain)
BREAKAGES: list[tuple[str, Breakage, str, str, str]] = [
    ("no config", lambda pi: pi.config.unlink(), "config", "missing", "install-kiosk.sh"),
    (
        "config is a folder",
        lambda pi: (pi.config.unlink(), pi.config.mkdir()),
        "config",
        "unreadable",
        "0640",
    ),
    (
        "TOML typo",
        lambda pi: pi.set_config('language = "zh_CN"', "language = zh_CN"),
        "config",
        "syntax",
        "kiosk.example.toml",
    ),
    (
        "bad role",
        lambda pi: pi.set_config('role = "book"', 'role = "books"'),
        "config",
        "bad_key",
        "scanners[1].role",
    ),
    (
        "bad scanner URL",
        lambda pi: pi.set_config("evdev:///dev/library/book", "evdev://dev/library/book"),
        "config",
        "bad_key",
        "scanners[1].url",
    ),
    (
        "no database",
        lambda pi: pi.file("/var/lib/library-kiosk/kiosk.db").unlink(),
        "database",
        "missing",
        "kiosk init --db /var/lib/library-kiosk/kiosk.db --kiosk-id door-1",
    ),
    (
        "damaged database",
        lambda pi: pi.file("/var/lib/library-kiosk/kiosk.db").write_bytes(b"x" * 4096),
        "database",
        "unusable",
        "backup",
    ),
    ("another kiosk's database", wrong_kiosk, "database", "wrong_kiosk", "door-2"),
    (
        "scanner unplugged",
        lambda pi: pi.file("/dev/input/event3").unlink(),
        "scanner",
        "not_found",
        "70-library-readers.rules",
    ),
    (
        "no udev rules",
        lambda pi: pi.file("/dev/input/event3").chmod(0o600),
        "scanner",
        "no_access",
        "udevadm trigger",
    ),
    (
        "held by another program",
        grab(Grab.BUSY, "busy", kiosk_stopped=True),
        "scanner",
        "busy",
        "fuser -v /dev/library/book-scanner",
    ),
    ("cannot grab", grab(Grab.FAILED, "Input/output error"), "scanner", "open_failed", "USB port"),
    (
        "a fake scanner",
        lambda pi: pi.set_config("evdev:///dev/library/book-scanner", "fake:"),
        "scanner",
        "not_physical",
        "evdev:///dev/library/book-scanner",
    ),
    (
        "not paired",
        lambda pi: pi.set_config('server = "https://library.school.example:8443"', 'server = ""'),
        "server",
        "not_paired",
        "kiosk-server add-kiosk",
    ),
    (
        "no token",
        lambda pi: pi.file("/etc/library-kiosk/sync-token").unlink(),
        "token",
        "missing",
        "kiosk-server add-kiosk",
    ),
    (
        "no CA file",
        lambda pi: pi.file("/etc/library-kiosk/server-ca.pem").unlink(),
        "tls",
        "no_ca_file",
        "/etc/library-server/tls/ca.crt",
    ),
    (
        "server down",
        answer(ServerFailure.UNREACHABLE, "Connection refused"),
        "server",
        "unreachable",
        "systemctl status library-server",
    ),
    (
        "server errors",
        answer(ServerFailure.BUSY, "Internal Server Error", 500),
        "server",
        "bad_answer",
        "journalctl -u library-server",
    ),
    (
        "another CA",
        answer(ServerFailure.UNTRUSTED, "unable to get local issuer certificate"),
        "tls",
        "untrusted",
        "/etc/library-kiosk/server-ca.pem",
    ),
    (
        "clock behind",
        answer(ServerFailure.NOT_YET_VALID, "certificate is not yet valid"),
        "tls",
        "not_yet_valid",
        "timedatectl",
    ),
    (
        "certificate expired",
        answer(ServerFailure.EXPIRED, "certificate has expired"),
        "tls",
        "expired",
        "install-server.sh --tls-cert",
    ),
    (
        "wrong host name",
        answer(ServerFailure.WRONG_NAME, "Hostname mismatch"),
        "tls",
        "wrong_name",
        "install-server.sh --name",
    ),
    (
        "token revoked",
        answer(ServerFailure.TOKEN_REFUSED, "Unauthorized", 401),
        "token",
        "refused",
        "kiosk-server add-kiosk door-1",
    ),
    (
        "clock never synchronised",
        lambda pi: pi.file("/run/systemd/timesync/synchronized").unlink(),
        "clock",
        "not_synchronised",
        "timedatectl",
    ),
    (
        "sync failing",
        lambda pi: _last_sync(pi, SyncProblem.UNREACHABLE, "cannot reach the server"),
        "sync",
        "unreachable",
        "tries again by itself",
    ),
    (
        "sync refused",
        lambda pi: _last_sync(pi, SyncProblem.REFUSED, "the server refused (401)"),
        "sync",
        "refused",
        "kiosk-server add-kiosk",
    ),
    (
        "clock behind the certificate",
        lambda pi: _last_sync(pi, SyncProblem.CLOCK_BEHIND_CERTIFICATE, "not yet valid"),
        "sync",
        "clock_behind_certificate",
        "UDP port 123",
    ),
    (
        "SD card full",
        lambda pi: setattr(pi, "disk", DiskUsage(8 * 2**30, 90 * 2**20)),
        "disk",
        "low",
        "journalctl --vacuum-size",
    ),
    (
        "SD card failing",
        lambda pi: setattr(
            pi,
            "kernel_log",
            Completed(
                0,
                "mmc0: Timeout waiting for hardware interrupt.\n"
                "blk_update_request: I/O error, dev mmcblk0, sector 123\n",
            ),
        ),
        "sd_card",
        "errors",
        "replace the SD card",
    ),
    (
        "weak power supply",
        lambda pi: setattr(
            pi, "kernel_log", Completed(0, "hwmon hwmon1: Undervoltage detected!\n")
        ),
        "sd_card",
        "undervoltage",
        "power supply",
    ),
    (
        "kiosk stopped",
        lambda pi: pi.units.update({"library-kiosk.service": unit_state("failed", "failed")}),
        "unit",
        "not_running",
        "sudo systemctl start library-kiosk.service",
    ),
    (
        "kiosk crash loop",
        lambda pi: pi.units.update({"library-kiosk.service": unit_state("active", "running", 7)}),
        "unit",
        "restarting",
        "journalctl -b -u library-kiosk.service",
    ),
    (
        "sync unit missing",
        lambda pi: pi.units.update(
            {"library-kiosk-sync.service": "LoadState=not-found\nActiveState=inactive\n"}
        ),
        "unit",
        "not_installed",
        "install-kiosk.sh",
    ),
]


@pytest.mark.parametrize(
    ("what", "breaks", "check", "reason", "fix_words"), BREAKAGES, ids=[b[0] for b in BREAKAGES]
)
def test_each_check_fails_in_turn_and_names_its_fix(
    pi: Pi, what: str, breaks: Breakage, check: str, reason: str, fix_words: str
) -> None:
    breaks(pi)
    status, results = pi.doctor("en")
    assert status == 1, what
    failed = [r for r in results if state(r) == "fail"]
    assert (check, reason) in failures(results), failures(results)
    mine = next(r for r in failed if (r["check"], r["reason"]) == (check, reason))
    assert fix_words in str(mine["fix"]), mine
    assert mine["problems"] == [mine["message"]] and mine["ok"] is False
    # Only what was broken, and what cannot be checked without it, fails.
    collateral = {
        "held by another program": {("unit", "not_running")},  # the kiosk was stopped for it
    }.get(what, set())
    assert set(failures(results)) - collateral - {(check, reason)} <= {("config", "missing")}, what
    # The same failure, with its fix, in Simplified Chinese (the default).
    status_zh, text = pi.doctor_text()
    line = next(li for li in text.splitlines() if li.startswith("FAIL") and "→" in li)
    assert status_zh == 1 and any("\u4e00" <= ch <= "\u9fff" for ch in line), line


def test_a_scanner_the_running_kiosk_holds_is_fine(pi: Pi) -> None:
    pi.grabs["event3"] = GrabResult(Grab.BUSY, "held")
    status, results = pi.doctor()
    scanner = next(r for r in results if r.get("subject") == SCANNER)
    assert (status, scanner["status"], scanner["reason"]) == (0, "ok", "in_use")


def test_a_sync_unit_waiting_for_pairing_is_not_a_second_failure(pi: Pi) -> None:
    pi.set_config('server = "https://library.school.example:8443"', 'server = ""')
    pi.units["library-kiosk-sync.service"] = unit_state("inactive", "dead", condition="no")
    _, results = pi.doctor()
    assert failures(results) == [("server", "not_paired")]
    unit = next(r for r in results if r.get("subject") == "library-kiosk-sync.service")
    assert (unit["status"], unit["reason"]) == ("skipped", "not_paired")


def test_a_unit_never_started_since_the_install_is_not_running_not_waiting_for_pairing(
    pi: Pi,
) -> None:
    # systemd says ConditionResult=no for a unit it has not started yet: paired, the screen
    # still needs a start (or the reboot the runbook asks for), and doctor must say so.
    pi.units["library-kiosk.service"] = unit_state("inactive", "dead", condition="no", checked_at=0)
    _, results = pi.doctor()
    unit = next(r for r in results if r.get("subject") == "library-kiosk.service")
    assert (unit["status"], unit["reason"]) == ("fail", "not_running")


def test_a_scanner_named_by_usb_id_is_looked_up_in_sysfs(pi: Pi) -> None:
    pi.set_config("evdev:///dev/library/book-scanner", "evdev://0483:0011")
    for node in ("event7", "event8"):  # two identical scanners: the id is ambiguous
        device = pi.file(f"/sys/class/input/{node}/device")
        (device / "id").mkdir(parents=True)
        (device / "name").write_text("Barcode Scanner\n")
        (device / "id/vendor").write_text("0483\n")
        (device / "id/product").write_text("0011\n")
        (device / "capabilities").mkdir()
        (device / "capabilities/key").write_text("1e000000 0 0 0 0 ffffffff fffffffe\n")
    _, results = pi.doctor()
    assert ("scanner", "ambiguous") in failures(results)
    fix = next(r for r in results if r.get("reason") == "ambiguous")["fix"]
    assert "/dev/input/by-id/" in str(fix)


def test_the_database_file_checks_run_on_the_configured_database(pi: Pi) -> None:
    pi.units["library-kiosk.service"] = unit_state("inactive", "dead")
    db = pi.file("/var/lib/library-kiosk/kiosk.db")
    db.unlink()
    school = make_school(db, example_policy())
    school.scan("S31")
    school.scan("B1")
    school.store.close()
    pi.set_config('id = "door-1"', 'id = "test-door"')
    # Someone edits the journal with an SQLite tool, around its no-update trigger.
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET wall_time = '2020-01-01T00:00:00+00:00' WHERE seq = 2")
    status, results = pi.doctor()
    chain = next(r for r in results if r["check"] == "journal")
    assert status == 1 and chain["ok"] is False and "event 2" in chain["problems"][0]


def test_one_line_per_check_in_chinese_by_default(pi: Pi) -> None:
    pi.file("/run/systemd/timesync/synchronized").unlink()
    status, text = pi.doctor_text()
    lines = text.splitlines()
    assert status == 1
    clock = [li for li in lines if li.startswith("FAIL 时钟")]
    assert len(clock) == 1 and "开机以后时钟还没有同步" in clock[0] and "→" in clock[0]
    assert any(li.startswith("ok   配置") for li in lines)
    _, english = pi.doctor_text("en")
    assert any(
        li.startswith("FAIL clock: not synchronised since boot") for li in english.splitlines()
    )


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("[display]\n", "[display]\nfont-size = 20\n", "display.font-size", "unknown key"),
        ("[sounds]\n", "[Sounds]\nvolume = 0.5\n[sounds]\n", "Sounds", "unknown key"),
        (
            "interval = 60 ",
            'interval = "1; 2" ',
            "sync.interval",
            "expected a number from 1 to 86400, found '1; 2'",
        ),
    ],
    ids=["a dash", "a capital", "a semicolon in the value"],
)
def test_the_config_check_names_the_key_the_error_carries(
    pi: Pi, old: str, new: str, key: str, problem: str
) -> None:
    pi.set_config(old, new)
    status, results = pi.doctor("en")
    config = next(r for r in results if r["check"] == "config")
    assert status == 1 and config["reason"] == "bad_key"
    assert config["params"] == {"path": str(pi.config), "key": key, "problem": problem}
    assert str(config["fix"]).startswith(f"correct {key} in {pi.config}")


def test_json_lines_carry_reason_and_params_for_the_admin_screen(pi: Pi) -> None:
    pi.answer = ServerAnswer(ServerFailure.TOKEN_REFUSED, "Unauthorized", 401)
    status, out = pi.doctor_text("zh_CN", as_json=True)
    token = next(json.loads(li) for li in out.splitlines() if json.loads(li)["check"] == "token")
    assert status == 1
    assert token["reason"] == "refused" and token["params"]["kiosk_id"] == "door-1"
    assert "kiosk-server add-kiosk door-1" in token["fix"] and token["message"].startswith(
        "服务器拒绝"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_failure_the_checks_can_give_has_a_sentence_and_a_fix(language: str) -> None:
    sentences = catalogue(language, "health")
    assert sentences.keys() == catalogue("en", "health").keys()
    for _what, _breaks, check, reason, _fix in BREAKAGES:
        assert sentences[f"{check}.{reason}"].strip() and sentences[f"{check}.{reason}.fix"].strip()
    fails_without_fix = [
        k
        for k in sentences
        if not k.startswith(("title.", "problem.", "note."))
        and not k.endswith(".fix")
        and k.split(".")[1]
        not in (
            "ok",
            "waits",
            "in_use",
            "reachable",
            "not_booted",
            "not_started",
            "not_paired",
            "no_kernel_log",
            "no_systemctl",
            "not_configured",
            "from_server",
            "old_name",  # it works as it is: the sentence itself says to rename the table
        )
        and f"{k}.fix" not in sentences
    ]
    assert fails_without_fix == []


def test_under_root_the_checks_that_need_the_running_system_are_skipped(pi: Pi) -> None:
    machine = replace(pi.machine(), booted=False)
    assert pi.capsys is not None
    pi.capsys.readouterr()
    run_doctor(machine, pi.config, argparse.Namespace(json=True, lang="en"), file_doctor)
    results = [json.loads(li) for li in pi.capsys.readouterr().out.splitlines()]
    skipped = {(r["check"], r["reason"]) for r in results if state(r) == "skipped"}
    assert {("clock", "not_booted"), ("sd_card", "not_booted"), ("unit", "not_booted")} <= skipped
    assert pi.commands == []  # neither systemctl nor the kernel log was asked
