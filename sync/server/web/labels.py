"""What the pages call the server's codes (reasons, event types, inbox kinds...), in English
marked for the catalogue; templates translate them with ``_(labels.reasons[code])``."""

from __future__ import annotations

from kiosk.core.decisions import EventType, Flag, Reason
from sync.server.review import Kind, Resolution
from sync.server.web.i18n import N_
from sync.server.web.registers import Mark, Shelf

REASONS = {
    Reason.OK: N_("done"),
    Reason.UNKNOWN_READER: N_("card not on the roster"),
    Reason.INACTIVE_READER: N_("card no longer active"),
    Reason.UNKNOWN_COPY: N_("book not in the catalogue"),
    Reason.WITHDRAWN_COPY: N_("copy withdrawn or off the shelf"),
    Reason.USE_LIBRARY_BARCODE: N_("cover ISBN scanned, not the library barcode"),
    Reason.NOT_FOR_LOAN: N_("reference book, not for loan"),
    Reason.ALREADY_ON_LOAN_TO_YOU: N_("already on loan to this reader"),
    Reason.OUTSIDE_WINDOW: N_("not this class's borrowing time"),
    Reason.OUTSIDE_TERM: N_("outside the term"),
    Reason.OVERDUE_BLOCK: N_("reader holds an overdue book"),
    Reason.RENEWALS_USED: N_("renewed as often as allowed"),
    Reason.RENEW_OVERDUE: N_("overdue, cannot be renewed"),
    Reason.RENEWAL_NOT_LATER: N_("renewal would not move the due date (term end)"),
    Reason.RESERVED_FOR_OTHER: N_("someone else is waiting for it"),
    Reason.RENEW_NEEDS_BOOK: N_("renew button where the book must be scanned"),
    Reason.HELD_FOR_OTHER: N_("kept on the reservations shelf for someone else"),
    Reason.LIMIT_REACHED: N_("loan limit reached"),
    Reason.UNKNOWN_CODE: N_("unknown code"),
    Reason.UNREADABLE_CODE: N_("unreadable code"),
    Reason.NO_RECENT_RETURN: N_("damage button without a return"),
    Reason.RETURNS_ONLY: N_("card tapped while the kiosk took returns only"),
    Reason.CLOSED: N_("scanned while the kiosk was closed"),
    Reason.DUPLICATE_SCAN: N_("same code read twice"),
    Reason.NO_SESSION: N_("no session open"),
    Reason.FINISHED: N_("pressed Done"),
    Reason.IDLE_TIMEOUT: N_("walked away (timed out)"),
    Reason.PREEMPTED: N_("next card tapped"),
    Reason.RESTART: N_("kiosk restarted"),
    Reason.SHUTDOWN: N_("kiosk stopped"),
}
TYPES = {
    EventType.CHECKOUT: N_("loan"),
    EventType.RENEWAL: N_("renewal"),
    EventType.RETURN: N_("return"),
    EventType.REFUSAL: N_("refusal"),
    EventType.DAMAGE_REPORT: N_("damage report"),
    EventType.SESSION_STARTED: N_("card tapped"),
    EventType.SESSION_ENDED: N_("session ended"),
    EventType.RESERVATION_READY: N_("put on the reservations shelf"),
    EventType.RESERVATION_EXPIRED: N_("reservation left too long"),
}
FLAGS = {
    Flag.TAKEN_FROM_OTHER: N_("was on loan to someone else"),
    Flag.NOT_ON_LOAN: N_("was not on loan"),
    Flag.LATE: N_("late"),
    Flag.WITHDRAWN: N_("withdrawn copy"),
    Flag.RESERVED: N_("reserved: to the reservations shelf"),
}
KINDS = {
    Kind.LENT_TWICE: N_("Lent twice while offline"),
    Kind.RETURN_NOT_ON_LOAN: N_("Return of a copy not on loan"),
    Kind.UNKNOWN_CARD: N_("Loan to a card not on the roster"),
    Kind.CHAIN_BREAK: N_("A kiosk's journal does not link up"),
    Kind.SEQUENCE_GAP: N_("Events missing from a kiosk"),
    Kind.SEQUENCE_REUSED: N_("A kiosk sent two events with one number"),
    Kind.JOURNAL_FORKED: N_("A kiosk went on from an older copy of its memory card"),
    Kind.INBOX_FULL: N_("More reports from one kiosk than the inbox shows"),
    Kind.EVENTS_LOST: N_("Events lost on a kiosk and on the server"),
    Kind.DAMAGE_REPORTED: N_("Damage reported by a child"),
    Kind.UNKNOWN_CODE: N_("Unknown code scanned"),
    Kind.RESERVED_COPY_LENT: N_("A copy kept for a reservation was lent to someone else"),
    Kind.RESERVATION_READIED_TWICE: N_("Two kiosks kept a copy each for one reservation"),
    Kind.STOCKTAKE_SEEN_ON_LOAN: N_("Seen on the shelf at a stocktake while on loan"),
}
# A reservation's state (sync.server.reservations).
RESERVATION_STATES = {
    "waiting": N_("waiting"),
    "ready": N_("on the reservations shelf"),
    "collected": N_("collected"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
}
RESOLUTIONS = {
    Resolution.CLEARED: N_("cleared by later events"),
    Resolution.FIXED: N_("Put right"),
    Resolution.ACCEPTED: N_("Nothing to do"),
    Resolution.SENT_FOR_REPAIR: N_("Send for repair"),
}
NO_REPAIR = N_("No repair needed")
UNDO_WITHDRAWAL = N_("Withdrawn by mistake: back on the shelf")
MARKS = {
    Mark.DAMAGED: N_("Damaged: send for repair"),
    Mark.REPAIRED: N_("Repaired: back on the shelf"),
    Mark.LOST: N_("Lost"),
    Mark.FOUND: N_("Found: back on the shelf"),
    Mark.WITHDRAWN: N_("Withdraw (注销)"),
    Mark.REFERENCE: N_("Reference only: read in the room"),
    Mark.LENDABLE: N_("May be lent"),
}
SHELVES = {
    Shelf.ON_SHELF: N_("on the shelf"),
    Shelf.LOST: N_("lost"),
    Shelf.IN_REPAIR: N_("in repair"),
    Shelf.WITHDRAWN: N_("withdrawn"),
}
TIMINGS = {
    "clock": N_("kiosk clock (synchronised)"),
    "anchor": N_("placed by a later synchronised event"),
    "received": N_("placed by the time it reached the server"),
    "held": N_("kiosk clock not synchronised"),
    "operator": N_("a time typed by a person at the kiosk"),
    "bounded": N_("the kiosk's clock was wrong: placed between the events around it"),
}

# A kiosk's scanners as its heartbeat names them: "ok", or the problem that took one out (the
# scanners' own words, hardware.Reason; sync does not import hardware, so they are spelled here).
SCANNER_STATES = {
    "ok": N_("working"),
    "disconnected": N_("unplugged"),
    "not_found": N_("device not found"),
    "ambiguous": N_("several devices match"),
    "busy": N_("in use by another program"),
    "permission_denied": N_("no permission to open it"),
    "open_failed": N_("could not be opened"),
    "scanner_failed": N_("scanner failed"),
    "reader_failed": N_("scanner failed"),  # its name from kiosks not yet upgraded
    "bad_recording": N_("bad recording"),
}


# The dictionaries above as templates reach them: ``labels.reasons[code]``.
LABELS = {
    "reasons": {k.value: v for k, v in REASONS.items()},
    "types": {k.value: v for k, v in TYPES.items()},
    "flags": {k.value: v for k, v in FLAGS.items()},
    "kinds": {k.value: v for k, v in KINDS.items()},
    "resolutions": {k.value: v for k, v in RESOLUTIONS.items()},
    "marks": {k.value: v for k, v in MARKS.items()},
    "shelves": {k.value: v for k, v in SHELVES.items()},
    "timings": TIMINGS,
    "scanners": SCANNER_STATES,
    "reservation_state": RESERVATION_STATES,
    "no_repair": NO_REPAIR,
    "undo_withdrawal": UNDO_WITHDRAWAL,
}
