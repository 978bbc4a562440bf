"""``kiosk scanners``: list and watch, as documented, through the installed `kiosk` command."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hardware.host import InputDeviceInfo
from hardware.probe import main, render_list
from hardware.sources.evdev_device import AccessCheck
from hardware.sources.serial_port import SerialPortInfo

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = Path(__file__).parent / "recordings"
WAIT = 10.0
KIOSK = str(Path(sys.executable).parent / "kiosk")  # the console script installed beside python


class Watch:
    """``kiosk scanners watch`` in a child process, its output read line by line on threads."""

    def __init__(self, *urls: str, stdin: int | None = subprocess.DEVNULL) -> None:
        self.process = subprocess.Popen(
            [KIOSK, "scanners", "watch", *urls],
            cwd=REPO,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        self.stderr_lines: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout)),
            threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr)),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(stream, lines: queue.Queue[str]) -> None:
        for line in stream:
            lines.put(line)
        stream.close()

    def json_line(self) -> dict[str, object]:
        line = self.stdout.get(timeout=WAIT)
        value: dict[str, object] = json.loads(line)
        return value

    def status_line(self) -> str:
        line = self.stderr.get(timeout=WAIT)
        self.stderr_lines.append(line)
        return line

    def finish(self) -> tuple[int, list[str], str]:
        """Wait for exit; returns status, remaining stdout lines and all of stderr."""
        status = self.process.wait(timeout=WAIT)
        for thread in self._threads:
            thread.join(WAIT)
        rest = []
        while not self.stdout.empty():
            rest.append(self.stdout.get())
        while not self.stderr.empty():
            self.stderr_lines.append(self.stderr.get())
        return status, rest, "".join(self.stderr_lines)


def without_time(record: dict[str, object]) -> dict[str, object]:
    assert isinstance(record.pop("time"), float)
    return record


def test_watch_replays_a_recording_and_exits_0_at_its_end():
    url = f"evemu:{RECORDINGS / 'isbn-scanner.evemu'}?role=book"
    watch = Watch(url)
    status, lines, stderr = watch.finish()
    assert status == 0, stderr
    source = url.split("?")[0]
    assert [without_time(json.loads(line)) for line in lines] == [
        {"event": "scan", "source": source, "role": "book", "text": t, "kind": k}
        for t, k in [
            ("9787020002207", "isbn13"),
            ("9787536692930", "isbn13"),
            ("LIB-00042", "text"),
        ]
    ]
    assert "Traceback" not in stderr


def test_watch_prints_problems_with_a_reason():
    watch = Watch(f"evemu:{RECORDINGS / 'azerty-scanner.evemu'}")
    status, lines, _ = watch.finish()
    (problem,) = [json.loads(line) for line in lines]
    assert status == 0
    assert problem["event"] == "problem" and problem["reason"] == "wrong_layout"
    assert "US" in problem["message"]


@pytest.mark.parametrize(("sent", "expected_status"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_watch_on_a_pty_prints_each_scan_at_once_and_stops_cleanly(pty_port, sent, expected_status):
    url = f"serial://{pty_port.link}?baudrate=9600&role=book"
    watch = Watch(url)
    assert "reading" in watch.status_line()  # the port is open: now the scanner may send
    pty_port.write(b"9787020002207\r\n")
    assert without_time(watch.json_line()) == {
        "event": "scan",
        "source": f"serial://{pty_port.link}",
        "role": "book",
        "text": "9787020002207",
        "kind": "isbn13",
    }
    pty_port.write(b"0012345678\r\n")  # a card at a book scanner: still printed, with its kind
    assert watch.json_line()["kind"] == "rfid_em4100"
    watch.process.send_signal(sent)
    status, _, stderr = watch.finish()
    assert status == expected_status
    assert "Traceback" not in stderr


def test_watch_reads_stdin_until_end_of_file():
    read_fd, write_fd = os.pipe()
    watch = Watch("stdin:?role=card", stdin=read_fd)
    os.close(read_fd)
    os.write(write_fd, b"0012345678\nnot\x07ascii\xff\n3735928559")
    os.close(write_fd)
    status, lines, _ = watch.finish()
    records = [json.loads(line) for line in lines]
    assert status == 0
    assert [r.get("text") or r["reason"] for r in records] == [
        "0012345678",
        "garbled",
        "3735928559",
    ]


def test_watch_exits_1_when_a_recording_cannot_be_read(tmp_path, capsys):
    good = f"evemu:{RECORDINGS / 'isbn-scanner.evemu'}"
    assert main(["watch", good, f"evemu:{tmp_path / 'nope.evemu'}"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["reason"] for r in records if r["event"] == "problem"] == ["not_found"]
    assert len([r for r in records if r["event"] == "scan"]) == 3


def test_watch_exits_1_when_a_scanner_fails(monkeypatch, capsys):
    # stdin that is no file descriptor at all: the stdin scanner cannot read it and fails.
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"0012345678\n")))
    assert main(["watch", "stdin:"]) == 1
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["reason"] == "scanner_failed"


def test_watch_rejects_a_bad_url_with_status_2(capsys):
    assert main(["watch", "serial:///dev/ttyUSB0?debunce=2"]) == 2
    assert "unknown option 'debunce'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["list", "watch"])
def test_every_command_help_carries_an_example(command, capsys):
    assert main([command, "--help"]) == 0
    assert f"  kiosk scanners {command} " in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "kiosk scanners" in capsys.readouterr().err


def test_list_json_is_one_object_with_inputs_and_ports(capsys):
    assert main(["list", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"input_devices", "serial_ports", "notes"}


def test_list_shows_the_url_to_configure_and_whether_it_can_be_grabbed():
    scanner = InputDeviceInfo(
        "/dev/input/event4",
        "Barcode Scanner HID KBW",
        0x0483,
        0x0011,
        by_id=(
            "/dev/input/by-id/usb-Barcode_Scanner-if01-event-mouse",
            "/dev/input/by-id/usb-Barcode_Scanner-event-kbd",
        ),
        keyboard_like=True,
    )
    port = SerialPortInfo("/dev/ttyUSB0", "CH340", "1a86:7523", (), False, "busy: held")
    out = io.StringIO()
    render_list(
        out, [scanner], [port], lambda path: AccessCheck(True, False, "busy"), as_json=False
    )
    text = out.getvalue()
    assert "evdev:///dev/input/by-id/usb-Barcode_Scanner-event-kbd" in text
    assert "0483:0011" in text and "grab: no" in text
    assert "serial:///dev/ttyUSB0" in text and "1a86:7523" in text and "open: no" in text
    out = io.StringIO()
    render_list(out, [scanner], [port], None, as_json=True)
    (row,) = json.loads(out.getvalue())["input_devices"]
    assert row["can_grab"] is None and row["url"].endswith("-event-kbd")


def test_python_dash_m_hardware_is_the_same_probe():
    result = subprocess.run(
        [sys.executable, "-m", "hardware", "watch", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 0 and "kiosk scanners watch" in result.stdout
