"""`kiosk-server reserve`, `reservations`, `cancel-reservation` on SQLite and PostgreSQL: placed,
listed and cancelled, and every refusal named in Chinese then English with nothing written."""

from __future__ import annotations

import json

import pytest

from sync.server.cli import main
from tests.conftest import EXAMPLES

DAFFODIL = "9787598386754"  # 草房子, copy 0001005
DICTIONARY = "0001031"  # 新华字典: a reference book


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def school(server_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    for kind in ("roster", "catalog", "policy"):
        name = {"roster": "roster.csv", "catalog": "catalog.csv", "policy": "policy.toml"}[kind]
        assert main(["import", kind, str(EXAMPLES / name), "--db", server_url]) == 0
    capsys.readouterr()
    return server_url


def listed(capsys: pytest.CaptureFixture[str], db: str, *more: str) -> list[dict[str, object]]:
    status, out, _ = run(capsys, "reservations", "--json", "--db", db, *more)
    assert status == 0
    return [json.loads(line) for line in out.splitlines()]


def test_a_reservation_is_placed_listed_and_cancelled(
    school: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "reserve", "T0001", "--isbn", DAFFODIL, "--db", school)
    assert status == 0 and out.startswith("reservation 1:")
    status, _, _ = run(capsys, "reserve", "202610101", "--barcode", "0001002", "--db", school)
    assert status == 0
    rows = listed(capsys, school)
    assert [(r["id"], r["card"], r["state"], r["title"]) for r in rows] == [
        (2, "202610101", "waiting", "小王子"),
        (1, "T0001", "waiting", "草房子"),
    ]
    assert [r["id"] for r in listed(capsys, school, "--card", "T0001")] == [1]
    status, out, _ = run(capsys, "reservations", "--db", school)
    assert "草房子" in out and "— 2 reservation(s)" in out
    assert run(capsys, "cancel-reservation", "1", "--db", school)[0] == 0
    assert [r["id"] for r in listed(capsys, school, "--state", "cancelled")] == [1]
    status, _, err = run(capsys, "cancel-reservation", "1", "--db", school)
    assert status == 1 and "这个预约已经结束（cancelled）" in err and "already cancelled" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["NOBODY", "--isbn", DAFFODIL], "没有这个借书证：NOBODY / no reader has card NOBODY"),
        (["T0001", "--barcode", "L9999"], "没有这本书（条码）：L9999"),
        (["T0001", "--isbn", "9780000000002"], "馆藏里没有这个ISBN"),
        (["T0001", "--isbn", "12345"], "不是有效的ISBN：12345"),
        (["T0001", "--barcode", DICTIONARY], "工具书不外借，不能预约：《新华字典(第12版)》"),
    ],
)
def test_a_reservation_that_cannot_be_is_refused_with_why(
    school: str, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    status, _, err = run(capsys, "reserve", *argv, "--db", school)
    assert status == 1 and said in err
    assert listed(capsys, school) == []


def test_the_same_reservation_twice_is_refused(
    school: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "reserve", "T0001", "--isbn", DAFFODIL, "--db", school)[0] == 0
    status, _, err = run(capsys, "reserve", "T0001", "--isbn", DAFFODIL, "--db", school)
    assert status == 1 and "已经预约了这本书（预约 1）" in err and "already has" in err
    assert len(listed(capsys, school)) == 1
    status, _, err = run(capsys, "cancel-reservation", "99", "--db", school)
    assert status == 1 and "没有这个预约：99" in err
