"""`kiosk-server stocktake start|scan|report|close` on SQLite and PostgreSQL: a count over the
sample catalogue, its report as JSON lines, one open at a time, unknown codes kept apart, and the
report kept as it was once closed."""

from __future__ import annotations

import json

import pytest

from sync.server.cli import main
from tests.conftest import EXAMPLES

PRINCE = "0001002"  # 小王子, I565.88
JOURNEY = "9787419254125"  # 西游记(少儿版): an ISBN-only copy (9787419254125#1), scanned by ISBN
HISTORY = "0001001"  # 中华上下五千年, K209


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def school(server_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    for kind, name in (("roster", "roster.csv"), ("catalog", "catalog.csv")):
        assert main(["import", kind, str(EXAMPLES / name), "--db", server_url]) == 0
    capsys.readouterr()
    return server_url


def findings(capsys: pytest.CaptureFixture[str], db: str) -> dict[str, str]:
    status, out, _ = run(capsys, "stocktake", "report", "--json", "--db", db)
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    return {line["barcode"]: line["finding"] for line in lines}


def test_a_stocktake_of_some_classes_counts_each_code_once(
    school: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "stocktake", "start", "--classes", "i-k", "--db", school)
    assert status == 0 and "classes IJK" in out
    status, out, _ = run(capsys, "stocktake", "scan", PRINCE, JOURNEY, PRINCE, "L404",
                         "--db", school)  # fmt: skip
    assert status == 0
    assert out.splitlines() == [f"{PRINCE}: counted", f"{JOURNEY}#1: counted",
                                f"{PRINCE}: again", "L404: unknown"]  # fmt: skip
    found = findings(capsys, school)
    assert found[PRINCE] == "seen" and found[f"{JOURNEY}#1"] == "seen"
    assert found[HISTORY] == "missing" and found["L404"] == "unknown"
    assert "0001009" not in found  # Z228.1: not counted in this stocktake
    assert set(found.values()) == {"seen", "missing", "unknown"}
    status, out, _ = run(capsys, "stocktake", "report", "--db", school)
    assert "I: 2 of" in out and "K: 0 of 1 seen" in out and "missing: 0001001 K209" in out


def test_two_stocktakes_at_once_are_refused_and_a_closed_one_keeps_its_report(
    school: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "stocktake", "start", "--db", school)[0] == 0
    status, _, err = run(capsys, "stocktake", "start", "--db", school)
    assert (
        status == 1 and "已经有一个清点在进行（1号）" in err and "stocktake 1 is still open" in err
    )
    assert run(capsys, "stocktake", "scan", PRINCE, "--db", school)[0] == 0
    before = findings(capsys, school)
    status, out, _ = run(capsys, "stocktake", "close", "--db", school)
    assert status == 0 and "1 seen" in out
    # The catalogue changes afterwards; the closed stocktake's report does not.
    assert main(["import", "catalog", str(EXAMPLES / "catalog.csv"), "--db", school,
                 "--add-only"]) == 0  # fmt: skip
    capsys.readouterr()
    assert findings(capsys, school) == before
    status, _, err = run(capsys, "stocktake", "scan", PRINCE, "--db", school)
    assert status == 1 and "现在没有进行中的清点" in err and "no stocktake is open" in err
    assert run(capsys, "stocktake", "start", "--db", school)[0] == 0  # a new one may start


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["start", "--classes", "K-I"], "分类号范围应是中图法大类字母"),
        (["start", "--classes", "I;7"], "expected 中图法 class letters"),
        (["report"], "还没有清点过 / there has been no stocktake yet"),
        (["close"], "现在没有进行中的清点 / no stocktake is open"),
        (["report", "--number", "9"], "没有这个清点：9"),
    ],
)
def test_bad_input_is_answered_in_chinese_then_english_and_nothing_is_written(
    school: str, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    status, _, err = run(capsys, "stocktake", *argv, "--db", school)
    assert status == 1 and said in err
    status, _, err = run(capsys, "stocktake", "report", "--db", school)
    assert status == 1 and "还没有清点过" in err
