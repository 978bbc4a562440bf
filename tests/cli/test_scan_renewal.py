"""`kiosk scan` shows a renewal like every other answer: a line of its own, and in JSON."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Run, scan_json

PUPIL, BOOK = "202430101", "0001002"  # 3-1 of the sample school, 小王子


def test_kiosk_scan_shows_a_renewal(run: Run, db: Path) -> None:
    assert scan_json(run, db, "2026-11-16T12:15", PUPIL, BOOK, "@done")[1]["due"] == "2026-11-30"
    status, out, err = run("scan", "--db", db, "--at", "2026-11-23T12:15", PUPIL, BOOK, "@done")
    assert status == 0, err
    line = out.splitlines()[1]
    assert line.startswith("↻") and "续借好了！《小王子》请在12月7日前还回来。" in line
    [renewed] = [
        d for d in scan_json(run, db, "2026-11-30T12:15", PUPIL, BOOK, "@done") if d["code"] == BOOK
    ]
    assert (renewed["outcome"], renewed["reason"]) == ("refused", "renewals_used")
    assert renewed["message"] == "这本书续借的次数用完了。看完请还回来吧。"
