"""What each screen shows, as plain values in one language: the screens only lay them out.

Built by :mod:`kiosk.ui.presenters` from the desk's facts (on the door's thread, as they arrive),
handed to the UI thread through the Kivy clock, and written into each shot's JSON by the scripted
mode.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kiosk.core.modes import DoorMode


class Tone(enum.StrEnum):
    OK = "ok"  # a big green tick
    REFUSED = "refused"  # a friendly picture, never red
    INFO = "info"


@dataclass(frozen=True)
class Reply:
    """What the screen says to one scan or press: the biggest thing on it."""

    tone: Tone
    picture: str  # a file under kiosk/ui/pictures/, without .png
    sentence: str
    title: str = ""
    due: str = ""


@dataclass(frozen=True)
class LoanLine:
    title: str
    due: str  # "12月8日前还" / "due 8 Dec", or the overdue mark
    overdue: bool = False
    renew: str = ""  # "可续借" / "can renew", "不能续借" / "no renewal"; "" on a receipt
    renewable: bool = False
    renew_target: str = ""  # "renew:<barcode>" where a renew button is offered


@dataclass(frozen=True)
class IdleView:
    library: str
    prompt: str
    hint: str
    window_now: str
    window_next: str
    arrivals_title: str
    arrivals: tuple[str, ...]
    best_class: str
    language_button: str
    mode: DoorMode = DoorMode.NORMAL
    mode_line: str = ""
    picture: str = "card"
    notice: Reply | None = None  # the answer to a scan with no session (a refused card)


@dataclass(frozen=True)
class SessionView:
    greeting: str
    progress: str
    loans_title: str
    loans: tuple[LoanLine, ...]
    no_loans: str  # shown instead of an empty list
    visit_title: str
    visit: tuple[Reply, ...]  # this session's answers, newest first
    answer: Reply | None  # the last one, drawn biggest
    prompt: str
    done_button: str
    language_button: str
    idle_seconds: float
    last_activity: float  # monotonic: the countdown is drawn from these two
    language: str = "zh_CN"
    room: str = ""  # "这次还可以借1本（三年级每人最多2本）", or the way forward when blocked
    blocked: bool = False  # nothing may be borrowed now: the room line is drawn as a warning
    renew_button: str = ""  # the renew buttons' label, where they are offered


@dataclass(frozen=True)
class ReturnView:
    title: str
    answer: Reply
    damage_button: str
    damage_open: bool  # the engine still accepts "damaged" for this copy
    closes_at: float  # monotonic


@dataclass(frozen=True)
class SummaryView:
    title: str
    goodbye: str
    borrowed: tuple[LoanLine, ...]
    nothing: str
    closes_at: float


@dataclass(frozen=True)
class ScannerLine:
    name: str
    working: bool
    line: str


@dataclass(frozen=True)
class PinView:
    title: str
    entered: int  # how many digits typed (shown as dots)
    message: str
    ok: str
    clear: str
    back: str


@dataclass(frozen=True)
class AdminView:
    title: str
    sync: str
    network: str
    clock: str
    scanners: tuple[ScannerLine, ...]
    test_hint: str
    mode: DoorMode
    mode_line: str
    mode_buttons: tuple[tuple[DoorMode, str], ...]
    language: str
    restart: str
    leave: str
    back: str


@dataclass(frozen=True)
class HelperView:
    title: str
    scanners: tuple[ScannerLine, ...]
    mode_line: str
    toggle: str
    back: str


@dataclass(frozen=True)
class FaultView:
    title: str
    details: tuple[str, ...]  # for the teacher: which scanner, what the database said
    retrying: str


View = (
    IdleView | SessionView | ReturnView | SummaryView | PinView | AdminView | HelperView | FaultView
)

SCREEN_OF: dict[type, str] = {
    IdleView: "idle",
    SessionView: "session",
    ReturnView: "return",
    SummaryView: "summary",
    PinView: "pin",
    AdminView: "admin",
    HelperView: "helper",
    FaultView: "fault",
}
