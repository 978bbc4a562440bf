"""One contract, every source kind: what the kiosk may rely on whichever scanner is plugged in.

fake, stdin through a pipe, serial and RDM6300 over a pty, an evemu recording, and the evdev
source reading a device double constructed here. Each harness turns "present this card" into
what that kind of scanner really sends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hardware import (
    CodeKind,
    Host,
    ScanEvent,
    Scanner,
    ScannerProblem,
    ScannerReady,
    ScannerRole,
    open_scanner,
)

CARD = "0012345678"
LAST_CARD = "3735928559"  # presented last: when it arrives, everything before it has been read


class Harness:
    """Presents codes to one kind of source. Live sources act after the scanner is ready."""

    kind = ""
    finite = False  # the input ends by itself (recording, stdin)

    def __init__(self, tmp_path: Path, fixtures: Any) -> None:
        self.tmp_path = tmp_path
        self.fx = fixtures
        self.actions: list[tuple[str, str]] = []

    def url(self) -> str:
        raise NotImplementedError

    def open_waiting(self) -> Scanner:
        """A scanner with more input to come: it must be blocked when the test stops it."""
        return self.open()

    def host(self) -> Host:
        return Host(clock=self.fx.clock, wait=self.fx.manual_wait)

    def present(self, code: str) -> None:
        self.actions.append(("code", code))

    def garbage(self) -> None:
        self.actions.append(("garbage", ""))

    def perform(self) -> None:
        for action, code in self.actions:
            self.send_code(code) if action == "code" else self.send_garbage()
        self.end_of_input()

    def send_code(self, code: str) -> None:
        raise NotImplementedError

    def send_garbage(self) -> None:
        raise NotImplementedError

    def end_of_input(self) -> None:
        pass

    def close(self) -> None:
        pass


class FakeHarness(Harness):
    kind = "fake"

    def url(self) -> str:
        return "fake:?role=card"

    def open(self) -> Scanner:
        self.scanner = open_scanner(self.url(), host=self.host())
        return self.scanner

    def send_code(self, code: str) -> None:
        self.scanner.scan(code)  # type: ignore[attr-defined]

    def send_garbage(self) -> None:
        self.scanner.scan("7" * 100)  # type: ignore[attr-defined]


class StdinHarness(Harness):
    kind = "stdin"
    finite = True

    def url(self) -> str:
        return "stdin:?role=card"

    def open(self) -> Scanner:
        read_fd, self.write_fd = os.pipe()
        self.stream = os.fdopen(read_fd, "rb", buffering=0)
        return open_scanner(self.url(), host=Host(clock=self.fx.clock, stdin=self.stream))

    def send_code(self, code: str) -> None:
        os.write(self.write_fd, code.encode() + b"\n")

    def send_garbage(self) -> None:
        os.write(self.write_fd, b"7" * 100 + b"\n")

    def end_of_input(self) -> None:
        os.close(self.write_fd)
        self.write_fd = -1

    def close(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
        self.stream.close()


class SerialHarness(Harness):
    kind = "serial"

    def url(self) -> str:
        return f"serial://{self.port.link}?role=card&baudrate=9600"

    def open(self) -> Scanner:
        self.port = self.fx.make_pty_port(self.tmp_path / "ttyUSB0")
        return open_scanner(self.url(), host=self.host())

    def send_code(self, code: str) -> None:
        self.port.write(code.encode() + b"\r\n")

    def send_garbage(self) -> None:
        self.port.write(b"7" * 100 + b"\r\n")


class Rdm6300Harness(SerialHarness):
    kind = "rdm6300"

    def url(self) -> str:
        return f"rdm6300://{self.port.link}?role=card"

    def send_code(self, code: str) -> None:
        self.port.write(self.fx.rdm_frame(f"04{int(code):08X}"))

    def send_garbage(self) -> None:
        self.port.write(self.fx.rdm_frame("0400BC614E", corrupt=True))


class EvemuHarness(Harness):
    kind = "evemu"
    finite = True

    def url(self) -> str:
        return f"evemu:{self.tmp_path / 'contract.evemu'}?role=card"

    def open(self, *, options: str = "", apart: float = 0.0) -> Scanner:
        # A recording holds its input in advance: write what the test will "present".
        events: list[Any] = []
        for index, (action, code) in enumerate(self.actions):
            text = code if action == "code" else "7" * 100
            events += self.fx.key_events(text, t=apart * index)
        lines = ["# EVEMU 1.3", "N: Contract Scanner", "I: 0003 0483 0011 0110"]
        lines += [f"E: {e.sec}.{e.usec:06d} {e.type:04x} {e.code:04x} {e.value}" for e in events]
        (self.tmp_path / "contract.evemu").write_text("\n".join(lines) + "\n")
        return open_scanner(self.url() + options, host=self.host())

    def open_waiting(self) -> Scanner:
        # Two cards a minute apart, replayed at the recorded pace: the replay waits in between.
        self.present(CARD)
        self.present(LAST_CARD)
        return self.open(options="&pace=1", apart=60.0)

    def perform(self) -> None:
        pass


class EvdevHarness(Harness):
    kind = "evdev"
    path = "/dev/input/by-id/usb-Contract_Scanner-event-kbd"

    def url(self) -> str:
        return f"evdev://{self.path}?role=card"

    def open(self) -> Scanner:
        self.device = self.fx.input_devices.plug(self.path)
        return open_scanner(
            self.url(), host=self.fx.host_with(clock=self.fx.clock, wait=self.fx.manual_wait)
        )

    def send_code(self, code: str) -> None:
        self.device.type(self.fx.key_events(code))

    def send_garbage(self) -> None:
        self.device.type(self.fx.key_events("7" * 100))


HARNESSES = [FakeHarness, StdinHarness, SerialHarness, Rdm6300Harness, EvemuHarness, EvdevHarness]


class Fixtures:
    def __init__(self, request: pytest.FixtureRequest) -> None:
        for name in (
            "clock",
            "manual_wait",
            "make_pty_port",
            "rdm_frame",
            "key_events",
            "input_devices",
            "host_with",
        ):
            setattr(self, name, request.getfixturevalue(name))


@pytest.fixture(params=HARNESSES, ids=[h.kind for h in HARNESSES])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness: Harness = request.param(tmp_path, Fixtures(request))
    yield harness
    harness.close()


def play(harness: Harness, outputs: Any) -> tuple[Scanner, list[Any]]:
    """Open the scanner, present what the test queued and a last card, collect until it arrives."""
    harness.present(LAST_CARD)
    scanner = harness.open()
    scanner.start(outputs.put)
    try:
        outputs.ready()
        harness.perform()
        while True:
            item = outputs.next()
            if isinstance(item, ScanEvent) and item.text == LAST_CARD:
                break
    finally:
        scanner.stop()
    assert scanner.join(5), f"{harness.kind} scanner did not stop"
    scanner.close()
    return scanner, outputs.seen


def test_a_card_is_one_scan_event_with_role_source_kind_and_time(harness, outputs, clock):
    harness.present(CARD)
    scanner, seen = play(harness, outputs)
    assert isinstance(seen[0], ScannerReady)
    scan = next(item for item in seen if isinstance(item, ScanEvent))
    assert (scan.text, scan.role, scan.kind) == (CARD, ScannerRole.CARD, CodeKind.RFID_EM4100)
    assert scan.source == harness.url().split("?")[0] == scanner.name
    assert 0 <= scan.time - clock.now < 60  # on the injected monotonic clock
    assert all(isinstance(item, ScanEvent | ScannerReady) for item in seen)


def test_the_same_card_read_twice_is_reported_once(harness, outputs):
    harness.present(CARD)
    harness.present(CARD)
    _, seen = play(harness, outputs)
    assert [item.text for item in seen if isinstance(item, ScanEvent)] == [CARD, LAST_CARD]


def test_bad_input_is_a_problem_with_a_reason_and_reading_goes_on(harness, outputs):
    harness.garbage()
    harness.present(CARD)
    _, seen = play(harness, outputs)
    problems = [item for item in seen if isinstance(item, ScannerProblem)]
    assert problems and all(p.reason.value and p.message for p in problems)
    assert [item.text for item in seen if isinstance(item, ScanEvent)] == [CARD, LAST_CARD]


def test_stop_ends_a_scanner_that_is_waiting_for_input(harness, outputs):
    scanner = harness.open_waiting()
    scanner.start(outputs.put)
    outputs.ready()
    if isinstance(harness, EvemuHarness):
        outputs.scan()  # the first card; the replay now waits a minute for the second
        assert harness.fx.manual_wait.next_request() > 59
    scanner.stop()
    assert scanner.join(5)
    scanner.close()
    assert not [item for item in outputs.drain() if isinstance(item, ScanEvent)]
