"""The evdev wedge source through input-device doubles: grab, decode, unplug, regrab, resolve."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from hardware import Reason, ScannerProblem, ScannerReady, ScannerRole, open_scanner
from hardware.host import InputDeviceInfo
from hardware.sources.evdev_device import list_input_devices

BY_ID = "/dev/input/by-id/usb-Barcode_Scanner_HID_KBW-event-kbd"


@pytest.fixture
def evdev_scanner(host_with, manual_wait, outputs, clock):
    scanners = []

    def start(url: str):
        scanner = open_scanner(url, host=host_with(wait=manual_wait, clock=clock))
        scanners.append(scanner)
        scanner.start(outputs.put)
        return scanner

    yield start
    for scanner in scanners:
        scanner.close()


def test_a_scan_is_decoded_and_the_device_is_grabbed_while_read(
    evdev_scanner, input_devices, outputs, key_events
):
    device = input_devices.plug(BY_ID)
    scanner = evdev_scanner(f"evdev://{BY_ID}?role=book")
    ready = outputs.ready()
    assert device.grabbed and BY_ID in ready.device
    device.type(key_events("9787020002207"))
    scan = outputs.scan()
    assert (scan.text, scan.role, scan.kind.value) == ("9787020002207", ScannerRole.BOOK, "isbn13")
    scanner.stop()
    assert scanner.join(5)
    assert not device.grabbed and device.closed  # the grab is released on the way out


def test_unplug_reports_once_and_the_replugged_scanner_is_grabbed_again(
    evdev_scanner, input_devices, outputs, key_events, manual_wait
):
    first = input_devices.plug(BY_ID)
    evdev_scanner(f"evdev://{BY_ID}?role=card")
    outputs.ready()
    first.type(key_events("00123", keypad=True, enter=False))
    first.unplug()
    lost = outputs.problem()
    if lost.reason is Reason.INCOMPLETE:  # the half-typed number, if read before the unplug
        lost = outputs.problem()
    assert lost.reason is Reason.DISCONNECTED
    assert manual_wait.next_request() == 0.5
    assert first.closed  # closed before the back-off starts
    manual_wait.release()  # still unplugged: not found, silently
    assert manual_wait.next_request() == 1.0
    second = input_devices.plug(BY_ID)
    manual_wait.release()
    outputs.ready()
    assert second.grabbed
    second.type(key_events("0012345678", keypad=True))
    assert outputs.scan().text == "0012345678"


def test_a_device_grabbed_by_another_program_is_reported_busy(
    evdev_scanner, input_devices, outputs, manual_wait
):
    device = input_devices.plug(BY_ID)
    device.grab_error = OSError(errno.EBUSY, "Device or resource busy")
    evdev_scanner(f"evdev://{BY_ID}")
    problem = outputs.problem()
    assert problem.reason is Reason.BUSY and "grabbed by another program" in problem.message
    assert device.closed


def test_no_permission_names_the_problem(evdev_scanner, input_devices, outputs):
    input_devices.permission_denied.add(BY_ID)
    evdev_scanner(f"evdev://{BY_ID}")
    assert outputs.problem().reason is Reason.PERMISSION_DENIED


def test_a_half_code_expires_on_the_scanners_own_time_out(
    evdev_scanner, input_devices, outputs, key_events, clock
):
    device = input_devices.plug(BY_ID)
    evdev_scanner(f"evdev://{BY_ID}?timeout=0.5")
    outputs.ready()
    device.type(key_events("978", enter=False))
    assert device.all_read.wait(5)
    clock.advance(0.5)
    device.nudge()  # no key: the scanner looks at its clock again and gives up on the code
    problem = outputs.problem()
    assert problem.reason is Reason.INCOMPLETE and "'978'" in problem.message


def test_a_scanner_thread_stalled_between_two_reads_does_not_cut_a_code(
    evdev_scanner, input_devices, outputs, key_events, clock
):
    device = input_devices.plug(BY_ID)
    evdev_scanner(f"evdev://{BY_ID}?timeout=0.5")
    outputs.ready()
    # The device typed the ISBN in 30 ms; the scanner read "978", then lost the CPU for 1 s.
    device.type_in_reads(
        [key_events("978", enter=False, t=7.0), key_events("0306406157", t=7.03)],
        then_stall=lambda: clock.advance(1.0),
    )
    scan = outputs.scan()
    assert (scan.text, scan.kind.value, scan.role) == ("9780306406157", "isbn13", ScannerRole.BOOK)


def test_dropped_kernel_events_never_turn_the_tail_of_a_book_into_a_card(
    evdev_scanner, input_devices, outputs, key_events
):
    from evdev import InputEvent, ecodes

    device = input_devices.plug(BY_ID)
    evdev_scanner(f"evdev://{BY_ID}")
    outputs.ready()
    dropped = InputEvent(0, 0, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)
    device.type([*key_events("978", enter=False), dropped, *key_events("0306406157")])
    assert outputs.problem().reason is Reason.EVENTS_DROPPED
    device.type(key_events("0012345678", keypad=True))
    scan = outputs.scan()  # the next output: no card 0306406157 came before it
    assert scan.text == "0012345678"


def test_an_unexpected_error_is_reported_and_the_device_reopened(
    evdev_scanner, input_devices, outputs, key_events, manual_wait
):
    first = input_devices.plug(BY_ID)
    evdev_scanner(f"evdev://{BY_ID}?role=book")
    outputs.ready()
    first.read_error = ValueError("Exceeds the limit (4300 digits) for integer string conversion")
    first.nudge()
    problem = outputs.problem()
    assert problem.reason is Reason.SCANNER_FAILED and "4300 digits" in problem.message
    assert manual_wait.next_request() == 0.5
    assert first.closed and not first.grabbed  # released before the back-off: keys stay away
    second = input_devices.plug(BY_ID)
    manual_wait.release()
    outputs.ready()
    second.type(key_events("9787020002207"))
    assert outputs.scan().text == "9787020002207"


def test_an_error_while_opening_is_reported_once_and_retried(
    evdev_scanner, input_devices, outputs, key_events, manual_wait
):
    input_devices.open_error = RuntimeError("a driver library surprise")
    evdev_scanner(f"evdev://{BY_ID}")
    assert outputs.problem().reason is Reason.SCANNER_FAILED
    assert manual_wait.next_request() == 0.5
    manual_wait.release()
    assert manual_wait.next_request() == 1.0  # reported once, not at every attempt
    input_devices.open_error = None
    device = input_devices.plug(BY_ID)
    manual_wait.release()
    outputs.ready()
    device.type(key_events("0012345678", keypad=True))
    assert outputs.scan().text == "0012345678"


def info(path: str, name: str, usb: tuple[int, int], keyboard: bool = True) -> InputDeviceInfo:
    return InputDeviceInfo(path, name, usb[0], usb[1], keyboard_like=keyboard)


def test_open_by_usb_id_picks_the_keyboard_interface(
    evdev_scanner, input_devices, outputs, key_events
):
    input_devices.infos = [
        info("/dev/input/event3", "Barcode Scanner HID KBW Consumer", (0x0483, 0x0011), False),
        info("/dev/input/event4", "Barcode Scanner HID KBW", (0x0483, 0x0011)),
        info("/dev/input/event5", "Other keyboard", (0x046D, 0xC31C)),
    ]
    device = input_devices.plug("/dev/input/event4")
    evdev_scanner("evdev://0483:0011")
    outputs.ready()
    device.type(key_events("LIB-00042"))
    assert outputs.scan().text == "LIB-00042"


def test_open_by_name(evdev_scanner, input_devices, outputs):
    input_devices.infos = [info("/dev/input/event7", "SYC ID&IC USB Scanner", (0xFFFF, 0x0035))]
    input_devices.plug("/dev/input/event7")
    evdev_scanner("evdev://syc%20id%26ic%20usb%20scanner")
    assert "/dev/input/event7" in outputs.ready().device


def test_two_identical_scanners_by_usb_id_is_ambiguous(evdev_scanner, input_devices, outputs):
    input_devices.infos = [
        info("/dev/input/event4", "Scanner", (0x0483, 0x0011)),
        info("/dev/input/event6", "Scanner", (0x0483, 0x0011)),
    ]
    evdev_scanner("evdev://0483:0011")
    problem = outputs.problem()
    assert problem.reason is Reason.AMBIGUOUS and "/dev/input/event6" in problem.message


def test_a_missing_device_is_not_found_and_never_replaced_by_a_fake(
    evdev_scanner, outputs, manual_wait
):
    evdev_scanner("evdev://0483:0011")
    problem = outputs.next()
    assert isinstance(problem, ScannerProblem) and problem.reason is Reason.NOT_FOUND
    assert manual_wait.next_request() == 0.5
    assert not [o for o in outputs.drain() if isinstance(o, ScannerReady)]


def test_listing_reads_sysfs_so_devices_show_even_without_permission(tmp_path: Path):
    sys_class, dev_input = tmp_path / "sys", tmp_path / "dev"
    for node, name, usb, keys in [
        ("event0", "Power Button", ("0000", "0001"), "4 0"),  # only KEY_POWER: not a scanner
        (
            "event4",
            "Barcode Scanner HID KBW",
            ("0483", "0011"),
            "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe",
        ),
    ]:
        device = sys_class / node / "device"
        (device / "id").mkdir(parents=True)
        (device / "capabilities").mkdir()
        (device / "name").write_text(name + "\n")
        (device / "id" / "vendor").write_text(usb[0] + "\n")
        (device / "id" / "product").write_text(usb[1] + "\n")
        (device / "capabilities" / "key").write_text(keys + "\n")
    (dev_input / "by-id").mkdir(parents=True)
    (dev_input / "event4").touch()
    (dev_input / "by-id" / "usb-Barcode_Scanner-event-kbd").symlink_to(dev_input / "event4")
    found = list_input_devices(sys_class, dev_input)
    assert [(d.name, d.keyboard_like, d.usb_id) for d in found] == [
        ("Power Button", False, "0000:0001"),
        ("Barcode Scanner HID KBW", True, "0483:0011"),
    ]
    assert found[1].by_id == (str(dev_input / "by-id" / "usb-Barcode_Scanner-event-kbd"),)


def test_a_scanner_that_fails_as_soon_as_it_opens_is_retried_ever_more_slowly(
    evdev_scanner, input_devices, outputs, manual_wait
):
    input_devices.plug(BY_ID).unplug()  # a loose cable: opens, then is gone at the first read
    evdev_scanner(f"evdev://{BY_ID}")
    delays = []
    for _ in range(5):
        outputs.ready()
        assert outputs.problem().reason is Reason.DISCONNECTED
        delays.append(manual_wait.next_request())
        input_devices.plug(BY_ID).unplug()
        manual_wait.release()
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0]


def test_a_real_device_is_asked_for_monotonic_event_timestamps(monkeypatch):
    # Key gaps are measured with event timestamps: wall-clock ones would jump at the Pi's
    # first NTP sync and could cut a code in two.
    import fcntl
    import struct
    import time

    import evdev

    from hardware.sources import evdev_device

    class Device:
        path, name = "/dev/input/event4", "Barcode Scanner HID KBW"

        def fileno(self) -> int:
            return 42

    asked = []
    monkeypatch.setattr(evdev, "InputDevice", lambda path: Device())
    monkeypatch.setattr(fcntl, "ioctl", lambda fd, request, arg: asked.append((fd, request, arg)))
    evdev_device.open_evdev_device("/dev/input/event4")
    eviocsclockid = (1 << 30) | (4 << 16) | (ord("E") << 8) | 0xA0  # _IOW('E', 0xa0, int)
    assert asked == [(42, eviocsclockid, struct.pack("i", time.CLOCK_MONOTONIC))]
