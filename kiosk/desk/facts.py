"""What the desk says each screen shows, as facts: decisions, titles, dates, windows, states.

No sentences here: the child's language is one of the facts, and the touchscreen's presenters
(``kiosk.ui.presenters.present``) turn facts into the words and pictures a screen draws. So the
desk reads the store and the screens never do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.core.decisions import Decision, Reason
from kiosk.core.modes import DoorMode
from kiosk.core.policy import Window
from kiosk.core.rules import Room
from kiosk.desk.pin_pad import PinAnswer


class Notice(enum.StrEnum):
    """What the kiosk says by itself, not the engine."""

    UNREAD = "unread"  # a scan the scanner could not read: "scan again"


@dataclass(frozen=True)
class IdleFacts:
    library: str
    local: datetime  # now, in the library's time zone
    open_windows: tuple[Window, ...]
    next_window: tuple[datetime, Window] | None
    arrivals: tuple[str, ...]  # titles
    best_class: tuple[str, int] | None  # this week's best-borrowing class and its loans
    mode: DoorMode
    language: str
    notice: Decision | Notice | None = None  # the answer to a scan with no session


@dataclass(frozen=True)
class LoanFacts:
    """One of the reader's books on loan, and what renewing it now would give."""

    barcode: str
    title: str
    due: date
    renewal: date | Reason  # the new due date, or why it cannot be renewed now


@dataclass(frozen=True)
class SessionFacts:
    greeting: Decision
    read: int  # books this term
    to_go: int
    target: int  # 0: no reading target (a teacher, or none set)
    loans: tuple[LoanFacts, ...]  # the reader's books on loan, by due date
    today: date
    answers: tuple[Decision, ...]  # this visit's answers, oldest first
    idle_seconds: float
    last_activity: float  # monotonic: the countdown is drawn from these two
    language: str
    unread: bool = False  # the last scan did not read: "scan again" is drawn biggest
    room: Room | None = None  # what the reader may still borrow now, and what is in the way
    grade: int | None = None  # the reader's grade, named beside the grade's limit
    renew_button: bool = False  # loans.renew_without_book: a renew button beside each loan


@dataclass(frozen=True)
class ReturnFacts:
    decision: Decision  # the return, or the damage report after it
    damage_open: bool  # the engine still accepts "damaged" for this copy
    closes_at: float  # monotonic
    language: str


@dataclass(frozen=True)
class ReceiptFacts:
    name: str
    borrowed: tuple[tuple[str, date], ...]  # (title, due) of what this visit lent
    today: date
    closes_at: float
    language: str


@dataclass(frozen=True)
class PinFacts:
    entered: int  # digits typed so far
    answer: PinAnswer | None  # the keypad's answer to OK, if that was the last key
    language: str


@dataclass(frozen=True)
class ScannerFacts:
    name: str
    problem: str | None  # the scanner's problem reason while it is out (hardware.Reason)
    last_read: str | None = None  # the last code it read (the librarian's screen only)


@dataclass(frozen=True)
class MachineState:
    """What the admin screen reports about the kiosk itself."""

    pending_events: int  # journal events the server has not acknowledged yet
    last_sync: str | None
    network_up: bool
    clock_state: str  # synced, from_server (the server told the sync worker), unsynced
    now: str
    sync_problem: str | None = None  # kiosk.store.SyncProblem's value, from the sync worker


@dataclass(frozen=True)
class AdminFacts:
    machine: MachineState
    scanners: tuple[ScannerFacts, ...]
    mode: DoorMode
    language: str


@dataclass(frozen=True)
class HelperFacts:
    scanners: tuple[ScannerFacts, ...]  # no codes: the last one may be another child's card
    mode: DoorMode
    language: str


@dataclass(frozen=True)
class FaultFacts:
    scanners: tuple[tuple[str, str], ...]  # (name, problem) of each scanner that is out
    database: str | None  # why the database cannot be used, if that is the fault
    language: str


Facts = (
    IdleFacts
    | SessionFacts
    | ReturnFacts
    | ReceiptFacts
    | PinFacts
    | AdminFacts
    | HelperFacts
    | FaultFacts
)
