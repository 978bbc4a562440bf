"""The fake scanner's test controls, for UI tests and demos without a scanner."""

from __future__ import annotations

from hardware import (
    FakeScanner,
    Host,
    Reason,
    ScanEvent,
    ScannerProblem,
    ScannerReady,
    open_scanner,
)


def test_fake_controls_play_scans_unplugs_and_replugs_in_order(clock):
    scanner = open_scanner("fake:?role=book&name=demo", host=Host(clock=clock))
    assert isinstance(scanner, FakeScanner)
    scanner.scan("9787020002207")
    scanner.unplug()
    scanner.replug()
    scanner.scan("\x02LIB-00042\r")
    scanner.end()
    out: list[object] = []
    with scanner:
        scanner.run(out.append)  # returns at end(): nothing is left running
    assert [type(item) for item in out] == [
        ScannerReady,
        ScanEvent,
        ScannerProblem,
        ScannerReady,
        ScanEvent,
    ]
    assert isinstance(out[2], ScannerProblem) and out[2].reason is Reason.DISCONNECTED
    assert isinstance(out[4], ScanEvent) and (out[4].text, out[4].source) == ("LIB-00042", "demo")
    assert all(item.time == clock.now for item in out)  # type: ignore[attr-defined]
