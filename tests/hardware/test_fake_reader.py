"""The fake reader's test controls, for UI tests and demos without a scanner."""

from __future__ import annotations

from hardware import FakeReader, Host, ReaderProblem, ReaderReady, Reason, ScanEvent, open_reader


def test_fake_controls_play_scans_unplugs_and_replugs_in_order(clock):
    reader = open_reader("fake:?role=book&name=demo", host=Host(clock=clock))
    assert isinstance(reader, FakeReader)
    reader.scan("9787020002207")
    reader.unplug()
    reader.replug()
    reader.scan("\x02LIB-00042\r")
    reader.end()
    out: list[object] = []
    with reader:
        reader.run(out.append)  # returns at end(): nothing is left running
    assert [type(item) for item in out] == [
        ReaderReady,
        ScanEvent,
        ReaderProblem,
        ReaderReady,
        ScanEvent,
    ]
    assert isinstance(out[2], ReaderProblem) and out[2].reason is Reason.DISCONNECTED
    assert isinstance(out[4], ScanEvent) and (out[4].text, out[4].source) == ("LIB-00042", "demo")
    assert all(item.time == clock.now for item in out)  # type: ignore[attr-defined]
