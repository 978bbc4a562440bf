"""What the engine answers to every scan and press, and what it asks the journal to record.

Reason codes are stable: the screen, the journal, the sync protocol and the librarian's pages all
key on them. Never rename one; add new ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class Outcome(enum.StrEnum):
    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    BORROWED = "borrowed"
    RENEWED = "renewed"
    RETURNED = "returned"
    DAMAGE_REPORTED = "damage_reported"
    REFUSED = "refused"
    IGNORED = "ignored"  # nothing happened and nothing is recorded (a double read)


class Reason(enum.StrEnum):
    OK = "ok"
    # refusals of a card
    UNKNOWN_READER = "unknown_reader"
    INACTIVE_READER = "inactive_reader"
    # refusals of a book
    UNKNOWN_COPY = "unknown_copy"
    WITHDRAWN_COPY = "withdrawn_copy"
    USE_LIBRARY_BARCODE = "use_library_barcode"
    NOT_FOR_LOAN = "not_for_loan"
    ALREADY_ON_LOAN_TO_YOU = "already_on_loan_to_you"
    OUTSIDE_WINDOW = "outside_window"
    OUTSIDE_TERM = "outside_term"
    OVERDUE_BLOCK = "overdue_block"
    LIMIT_REACHED = "limit_reached"
    # refusals of a renewal (a book the reader already holds)
    RENEWALS_USED = "renewals_used"  # renewed as often as loans.renewals allows
    RENEW_OVERDUE = "renew_overdue"  # overdue, and loans.renew_overdue is false
    RENEWAL_NOT_LATER = "renewal_not_later"  # the new due date would not be later (term end)
    RESERVED_FOR_OTHER = "reserved_for_other"  # someone else is waiting for this copy
    RENEW_NEEDS_BOOK = "renew_needs_book"  # a renew button, where loans.renew_without_book is off
    HELD_FOR_OTHER = "held_for_other"  # on the reservations shelf for another reader
    # refusals of anything
    UNKNOWN_CODE = "unknown_code"
    UNREADABLE_CODE = "unreadable_code"
    NO_RECENT_RETURN = "no_recent_return"
    # refusals of the door's mode (kiosk.core.modes)
    RETURNS_ONLY = "returns_only"  # a card, while the door takes returns only
    CLOSED = "closed"  # anything, while the door is closed
    # ignored
    DUPLICATE_SCAN = "duplicate_scan"
    NO_SESSION = "no_session"
    # why a session ended
    FINISHED = "finished"
    IDLE_TIMEOUT = "idle_timeout"
    PREEMPTED = "preempted"
    RESTART = "restart"
    SHUTDOWN = "shutdown"


class Flag(enum.StrEnum):
    """Marks on a checkout or return the librarian reviews; the child is never blamed."""

    TAKEN_FROM_OTHER = "taken_from_other"  # records said on loan to someone else
    NOT_ON_LOAN = "not_on_loan"  # a return of a copy the records had on the shelf
    LATE = "late"  # returned after its due date
    WITHDRAWN = "withdrawn"  # the copy is no longer in the catalogue
    RESERVED = "reserved"  # returned, and someone is waiting for it: the reservations shelf


class EventType(enum.StrEnum):
    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    CHECKOUT = "checkout"
    RENEWAL = "renewal"  # the same reader keeps the copy to a later due date
    RETURN = "return"
    REFUSAL = "refusal"
    DAMAGE_REPORT = "damage_report"
    # Reservations (预约): a copy returned here is held on the reservations shelf for ``card``
    # until ``due``; a held copy left past that day is released when scanned again.
    RESERVATION_READY = "reservation_ready"
    RESERVATION_EXPIRED = "reservation_expired"


@dataclass(frozen=True)
class Event:
    """A journal entry as the engine asks for it; the store adds identity, times and the hash."""

    type: EventType
    reason: Reason = Reason.OK
    session_id: str | None = None
    card: str | None = None
    barcode: str | None = None
    code: str | None = None  # what was read, made printable, for refusals
    due: date | None = None
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The answer to one input, shown on screen and printed by ``kiosk scan``."""

    code: str
    outcome: Outcome
    reason: Reason
    message_key: str
    reader: str | None = None  # card number
    given_name: str | None = None
    barcode: str | None = None
    title: str | None = None
    due: date | None = None
    flags: tuple[Flag, ...] = ()
    params: dict[str, str | int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.outcome not in (Outcome.REFUSED, Outcome.IGNORED)
