"""Sync protocol v1: the JSON both ends speak, its bounds, and the journal events it carries.

One module for the kiosk's worker and the central server, so the two can never disagree on a
field. Every message is a strict model: no extra keys, no type coercion, lengths bounded; a
message that does not fit gets a :class:`ProtocolError` naming the field (``events.3.seq``).
The journal event on the wire is exactly :func:`kiosk.core.journal.as_dict` of the recorded
event, so its hash can be checked by the receiver. See docs/protocol.md.
"""

from __future__ import annotations

import enum
import itertools
import json
import logging
import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Final, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from kiosk.core import bounds
from kiosk.core.decisions import EventType, Flag, Reason
from kiosk.core.journal import RecordedEvent, Stamp, as_dict, digest_of, event_from_columns
from kiosk.core.moments import ClockSource
from sync.limits import CONTENT_TYPE as CONTENT_TYPE  # the kiosk's client sends it as well
from sync.limits import MAX_BODY_BYTES as MAX_BODY_BYTES  # ... and reads answers up to it
from sync.limits import MAX_PUSH_EVENTS
from sync.limits import WHOAMI_PATH as WHOAMI_PATH  # the kiosk and the server name it here

PROTOCOL_VERSION: Final = 1
# A push carries at most MAX_PUSH_EVENTS events and no request or answer is larger than
# MAX_BODY_BYTES (sync/limits.py, which the kiosk's settings and its client read without pydantic).
# School-data rows (readers, copies) per pull page; loans always come complete.
MAX_PULL_ROWS = 500
MAX_NEW_ARRIVALS = 20
# Open reservations a pull carries: a school library has tens; ten thousand is a runaway.
MAX_RESERVATIONS = 10_000
# A kiosk starts a new journal each time it finds the server holding a different history under
# its sequence numbers (restored from a backup, a copied SD card): a handful in its lifetime.
MAX_JOURNALS = 64

PUSH_PATH = "/v1/push"
PULL_PATH = "/v1/pull"
HEARTBEAT_PATH = "/v1/heartbeat"
HEALTH_PATH = "/v1/health"
# A kiosk's token checked and nothing else (`kiosk doctor`): 200 with the kiosk's name, or 401.

Model = TypeVar("Model", bound=BaseModel)
# The server's: only the server builds pulled rows from Python values (see Pulled).
_log = logging.getLogger("kiosk_server.pull")
# A list price in yuan as the importers keep it (kiosk.imports.cells.price).
_PRICE = re.compile(rf"^[0-9]{{1,{bounds.PRICE_DIGITS}}}(\.[0-9]{{1,4}})?$")


class ProtocolError(ValueError):
    """A message that is not protocol v1; ``field`` is the dotted path of the first bad field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def _iso_time(text: str) -> str:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("expected a time with its UTC offset")
    return text


def _iso_date(text: str) -> str:
    date.fromisoformat(text)
    return text


def _clock_time(text: str) -> str:
    problem = bounds.time_problem(datetime.fromisoformat(text))
    if problem is not None:
        raise ValueError(f"expected {problem}, found {text}")
    return text


def _due_day(text: str) -> str:
    problem = bounds.day_problem(date.fromisoformat(text))
    if problem is not None:
        raise ValueError(f"expected {problem}, found {text}")
    return text


def _one_line(text: str) -> str:
    if bounds.breaks_lines(text):
        raise ValueError("expected a code without control characters or line breaks")
    return text


def _plain(text: str) -> str:
    # What a kiosk writes here (ids, a version, what was read made printable) never holds a
    # control character; PostgreSQL cannot store a NUL, and a page must not show one.
    if bounds.breaks_lines(text):
        raise ValueError("expected text without control characters or line breaks")
    return text


Text = Annotated[str, Field(max_length=64), AfterValidator(_plain)]
Code = Annotated[str, Field(min_length=1, max_length=bounds.CODE_CHARS)]
Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
KioskId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Time = Annotated[str, Field(max_length=40), AfterValidator(_iso_time)]
Day = Annotated[str, Field(max_length=10), AfterValidator(_iso_date)]
Revision = Annotated[int, Field(ge=0, le=2**62)]
# What a kiosk sends of its clocks and its journal: only what a real kiosk can produce
# (kiosk.core.bounds). A time outside the window would break what the server computes from it
# (a local time past year 9999, a loan that never ends); a tab or line break in a card or
# barcode would forge a line of the KOC file Koha imports. What the server sends back (a loan's
# ``borrowed_at``) keeps the plain types: a row stored before pushes were bounded still goes out.
ClockTime = Annotated[Time, AfterValidator(_clock_time)]
DueDay = Annotated[Day, AfterValidator(_due_day)]
Mono = Annotated[float, Field(allow_inf_nan=False, ge=0, le=bounds.MAX_MONO_SECONDS)]
JournalCode = Annotated[Code, AfterValidator(_one_line)]


class Message(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class WireEvent(Message):
    """One journal event, field for field as the kiosk recorded and hashed it.

    Journal format 2 hashes ``clock_source`` too; format 1 did not (kiosk.core.journal).
    """

    format: Literal[1, 2]
    seq: Annotated[int, Field(ge=1, le=2**62)]
    id: Annotated[
        str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ]
    kiosk_id: KioskId
    type: EventType
    reason: Reason
    session_id: Text | None
    card: JournalCode | None
    barcode: JournalCode | None
    code: Annotated[str, Field(max_length=256), AfterValidator(_plain)] | None  # made printable
    due: DueDay | None
    flags: Annotated[list[Flag], Field(max_length=len(Flag))]
    wall_time: ClockTime
    clock_time: ClockTime
    mono_time: Mono
    boot_id: Text
    clock_synced: bool
    prev_hash: Hash
    hash: Hash
    clock_source: ClockSource  # hashed from journal format 2 on; format 1 events are "system"
    # Which of the kiosk's journals the event belongs to (see JournalStart). Not hashed: the
    # kiosk learns it only when it finds its history forked, after the event was recorded.
    journal: Annotated[int, Field(ge=0, le=MAX_JOURNALS)] = 0

    @model_validator(mode="after")
    def _format_1_is_system_time(self) -> WireEvent:
        if self.format < 2 and self.clock_source is not ClockSource.SYSTEM:
            raise ValueError("clock_source: a format 1 event's time is the system's")
        return self

    def as_journal_dict(self) -> dict[str, object]:
        """The event exactly as ``kiosk events --json`` prints it."""
        return self.model_dump(mode="json", exclude={"journal"})


class ClockReading(Message):
    """What the sender's clocks said as it sent the message: lets the server re-time events."""

    wall: ClockTime
    mono: Mono
    boot_id: Text
    synced: bool


class JournalStart(Message):
    """Where one of the kiosk's journals begins.

    A kiosk's events are numbered 1, 2, 3 ... in one file. When the kiosk finds that the server
    already holds other events under numbers it is using (its SD card was restored from an older
    backup, or copied into a second Pi), it starts a new journal at the first such number: its
    events from there on are that journal's, and the server keeps both histories. The kiosk's
    events are journal 0 from 1, then each journal from its ``from_seq`` until the next one's
    (a journal begun at an earlier number than the last replaces it there: numbers only grow).
    """

    number: Annotated[int, Field(ge=0, le=MAX_JOURNALS)]
    from_seq: Annotated[int, Field(ge=1, le=2**62)]


def _a_path(journals: list[JournalStart]) -> list[JournalStart]:
    if not journals:
        return journals
    if journals[0].from_seq != 1:
        raise ValueError("the first journal starts at event 1")
    for a, b in itertools.pairwise(journals):
        if b.number <= a.number or b.from_seq <= a.from_seq:
            raise ValueError("each journal has a higher number and starts after the one before")
    return journals


# The kiosk's journals, oldest first; empty: journal 0 alone (a kiosk that never forked).
Journals = Annotated[
    list[JournalStart], Field(max_length=MAX_JOURNALS + 1), AfterValidator(_a_path)
]


def journal_of(journals: list[JournalStart], seq: int) -> int:
    """The journal an event with this sequence number belongs to."""
    found = 0
    for j in journals:
        if j.from_seq <= seq:
            found = j.number
    return found


class PushRequest(Message):
    protocol: Literal[1]
    kiosk_id: KioskId
    sent: ClockReading
    events: Annotated[list[WireEvent], Field(max_length=MAX_PUSH_EVENTS)]
    journals: Journals = []
    lost: Lost = []

    @model_validator(mode="after")
    def _events_on_the_path(self) -> PushRequest:
        for n, e in enumerate(self.events):
            if e.journal != journal_of(self.journals, e.seq):
                raise ValueError(
                    f"events.{n}.journal: event {e.seq} belongs to journal "
                    f"{journal_of(self.journals, e.seq)} of this push's journals"
                )
        return self


class Status(enum.StrEnum):
    ACCEPTED = "accepted"  # stored for the first time
    DUPLICATE = "duplicate"  # the server already has this very event: nothing to do
    REJECTED = "rejected"  # never stored; ``reason`` says why (resending will not help)


class EventResult(Message):
    id: str
    seq: int
    status: Status
    reason: str | None = None


class SeqRange(Message):
    first: Annotated[int, Field(ge=1, le=2**62)]
    last: Annotated[int, Field(ge=1, le=2**62)]

    @model_validator(mode="after")
    def _in_order(self) -> SeqRange:
        if self.last < self.first:
            raise ValueError("last: expected a number at least first")
        return self


# Events the kiosk no longer holds and the server does not have (deleted on the kiosk after its
# retention period, then lost on a server restored from an older backup): the kiosk says so,
# so that they count as answered, and the server puts them in the librarian's inbox.
Lost = Annotated[list[SeqRange], Field(max_length=64)]


class ChainReport(Message):
    seq: int
    problem: str


class PushResponse(Message):
    protocol: Literal[1]
    results: list[EventResult]
    acked_through: int  # every event of this kiosk up to here is on the server
    gaps: list[SeqRange]  # sequence numbers the server has never received
    chain_breaks: list[ChainReport]
    # The highest journal number the server holds of this kiosk: a new one goes above it.
    journals_held: Annotated[int, Field(ge=0)] = 0


class Cursor(Message):
    # The school data (readers, copies and policy) seen up to this revision. Protocol v1's name
    # for it: old kiosks send it and expect it back, so it stays until a protocol v2.
    reference: Revision = 0
    loans: Revision = 0


class PullRequest(Message):
    protocol: Literal[1]
    kiosk_id: KioskId
    cursor: Cursor | None  # None: never pulled, send everything
    journals: Journals = []  # ``reflects_through`` follows these
    lost: Lost = []


class Pulled(Message):
    """A row of the school's roster or catalogue as the server sends it from its tables.

    Its text is bounded as the importers bound it (kiosk.core.bounds). A row stored before they
    were (a 42-character name imported by an older version) must not make every kiosk's pull
    fail: so when the server builds the message from its values (Python, not JSON), a text over
    its bound is cut and a price that does not fit is left out, each with a warning in the
    server's log naming the row's code and the field, never the reader's name. Parsed from JSON
    (a kiosk reading a pull), nothing is cut: a message that does not fit is refused.
    """

    fitted_text: ClassVar[dict[str, int]] = {}
    row_key: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _fit(cls, data: Any, info: ValidationInfo) -> Any:
        if info.mode != "python" or not isinstance(data, dict):
            return data
        fitted = dict(data)
        row = f"{cls.row_key} {fitted.get(cls.row_key)!s:.{bounds.CODE_CHARS}}"
        for name, limit in cls.fitted_text.items():
            value = fitted.get(name)
            if isinstance(value, str) and len(value) > limit:
                _log.warning(
                    "pull: %s: its %s has %d characters, more than protocol v1's %d; "
                    "kiosks get the first %d (import the file again to fix the row)",
                    row, name, len(value), limit, limit,
                )  # fmt: skip
                fitted[name] = value[:limit]
        price = fitted.get("price")
        if isinstance(price, str) and not _PRICE.fullmatch(price):
            _log.warning("pull: %s: its price does not fit protocol v1; kiosks get none", row)
            fitted["price"] = None
        return fitted


class WireReader(Pulled):
    fitted_text: ClassVar[dict[str, int]] = {"given_name": bounds.READER_NAME_CHARS}
    row_key: ClassVar[str] = "card"

    card: Code
    given_name: Annotated[str, Field(max_length=bounds.READER_NAME_CHARS)]
    role: Literal["student", "teacher"]
    class_name: Annotated[str, Field(pattern=r"^[1-9]-[0-9]{1,3}$")] | None
    grade: Annotated[int, Field(ge=0, le=12)] | None
    active: bool
    deleted: bool
    revision: Revision


_COPY_TEXT = {
    "title": bounds.TITLE_CHARS,
    "author": bounds.AUTHOR_CHARS,
    "category": bounds.CATEGORY_CHARS,
}


class WireCopy(Pulled):
    fitted_text: ClassVar[dict[str, int]] = _COPY_TEXT
    row_key: ClassVar[str] = "barcode"

    barcode: Code
    isbn: Annotated[str, Field(max_length=13)] | None
    title: Annotated[str, Field(max_length=bounds.TITLE_CHARS)]
    author: Annotated[str, Field(max_length=bounds.AUTHOR_CHARS)]
    category: Annotated[str, Field(max_length=bounds.CATEGORY_CHARS)]
    loan_type: Literal["loan", "reference"]
    price: Annotated[str, Field(pattern=_PRICE.pattern)] | None
    isbn_only: bool
    active: bool
    deleted: bool
    revision: Revision


class WirePolicy(Message):
    source: Annotated[str, Field(max_length=200_000)]
    revision: Revision


class WireLoan(Message):
    """The server's view of one copy: on loan (to ``card``, due ``due``) or back on the shelf."""

    barcode: Code
    on_loan: bool
    card: Code | None
    borrowed_at: Time | None
    due: Day | None
    revision: Revision
    # Times the loan was renewed (续借), at any door: a kiosk allows no more than the policy says.
    # A server older than renewals sends none.
    renewals: Annotated[int, Field(ge=0, le=1000)] = 0


class WireReservation(Message):
    """A waiting or ready reservation (预约): ``card`` waits for any copy of ``isbn`` or for the
    copy ``barcode``; when ready, ``ready_barcode`` is held for them until ``ready_until``."""

    id: Annotated[int, Field(ge=1)]
    card: Code
    isbn: Annotated[str, Field(min_length=13, max_length=13)] | None
    barcode: Code | None
    ready_barcode: Code | None = None
    ready_until: Day | None = None


class NewArrival(Pulled):
    fitted_text: ClassVar[dict[str, int]] = _COPY_TEXT
    row_key: ClassVar[str] = "barcode"

    barcode: Code
    title: Annotated[str, Field(max_length=bounds.TITLE_CHARS)]
    author: Annotated[str, Field(max_length=bounds.AUTHOR_CHARS)]


class TermCheckouts(Message):
    """How many books a reader has borrowed this term at every kiosk (the kiosk shows it: "本学期
    已读7本，还差3本"), counting the asking kiosk's own checkouts up to ``reflects_through``."""

    card: Code
    term_start: Day  # the term of the server's policy this count is for
    checkouts: Annotated[int, Field(ge=0)]


class PullResponse(Message):
    protocol: Literal[1]
    snapshot: bool  # everything from scratch: forget what was pulled before once complete
    complete: bool  # False: more school-data rows wait; pull again with ``cursor``
    cursor: Cursor
    readers: list[WireReader]
    copies: list[WireCopy]
    policy: WirePolicy | None
    loans: list[WireLoan]  # every change up to ``cursor.loans`` (all loans when ``snapshot``)
    new_arrivals: Annotated[list[NewArrival], Field(max_length=MAX_NEW_ARRIVALS)] | None
    # The kiosk's own events up to this sequence number are reflected in ``loans``.
    reflects_through: int
    # The readers whose count changed since the cursor (every reader who borrowed this term
    # when ``snapshot``). A server older than this field sends none: the kiosk counts its own.
    term_checkouts: list[TermCheckouts] = []
    journals_held: Annotated[int, Field(ge=0)] = 0  # as in PushResponse
    # Every waiting and ready reservation, sent with the page that completes a pull; None: as
    # before (a server older than reservations, or more pages to come).
    reservations: Annotated[list[WireReservation], Field(max_length=MAX_RESERVATIONS)] | None = None


class ScannerState(Message):
    name: Text
    state: Text


class Heartbeat(Message):
    protocol: Literal[1]
    kiosk_id: KioskId
    version: Text
    events_waiting: Annotated[int, Field(ge=0)]
    last_sync: ClockTime | None
    clock: ClockReading
    scanners: Annotated[list[ScannerState], Field(max_length=16)]
    # Set while the kiosk's clock is so wrong that the server's certificate looked out of its
    # dates (the worker then checks its name and CA only; see kiosk.server_client).
    clock_problem: Annotated[str, Field(max_length=300)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _scanners_once_named_readers(cls, data: Any) -> Any:
        """A kiosk not yet upgraded sends its scanners as ``readers``: read as ``scanners``, so
        the Today page still shows them. For one release; a message with both is refused."""
        if isinstance(data, dict) and "readers" in data and "scanners" not in data:
            data = {("scanners" if key == "readers" else key): v for key, v in data.items()}
        return data


class HeartbeatResponse(Message):
    protocol: Literal[1]
    server_time: Time


class ErrorBody(Message):
    error: str
    message: str
    field: str | None = None


def parse(model: type[Model], body: bytes | str) -> Model:
    """``body`` as ``model``, or ProtocolError naming the first field that does not fit."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        problem = first["msg"]
        if first["type"] == "json_invalid":
            problem = "the body is not valid JSON"
        elif first["type"] == "missing":
            problem = "this field is required"
        elif first["type"] == "extra_forbidden":
            problem = "not a field of protocol v1"
        elif first["type"] == "value_error":
            problem = problem.removeprefix("Value error, ")
        raise ProtocolError(field, problem) from None


def encode(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()


def json_bytes(obj: object) -> bytes:
    """Plain values as the JSON a sender would write (tests and tools build bodies by hand)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=True).encode()


def wire_event(recorded: RecordedEvent, journal: int = 0) -> WireEvent:
    return WireEvent.model_validate({**as_dict(recorded), "journal": journal}, strict=False)


def recorded_event(wire: WireEvent) -> RecordedEvent:
    """The journal event a wire event describes (its hash as sent, not recomputed)."""
    event = event_from_columns(
        type=wire.type.value,
        reason=wire.reason.value,
        session_id=wire.session_id,
        card=wire.card,
        barcode=wire.barcode,
        code=wire.code,
        due=wire.due,
        flags=",".join(f.value for f in wire.flags),
    )
    stamp = Stamp(
        wall=datetime.fromisoformat(wire.wall_time),
        clock=datetime.fromisoformat(wire.clock_time),
        mono=wire.mono_time,
        boot_id=wire.boot_id,
        clock_synced=wire.clock_synced,
        source=wire.clock_source,
    )
    return RecordedEvent(
        wire.seq, wire.id, wire.kiosk_id, event, stamp, wire.prev_hash, wire.hash, wire.format
    )


def hash_matches(wire: WireEvent) -> bool:
    """Whether the event, exactly as sent, is what its hash says (nothing edited on the way).

    The kiosk hashed the very fields it sends (kiosk.core.journal.as_dict), so the text as
    received is hashed again: what the server stores is what the kiosk hashed.
    """
    fields = wire.as_journal_dict()
    claimed = fields.pop("hash")
    if wire.format < 2:
        del fields["clock_source"]  # format 1 did not hash it
    return digest_of(fields) == claimed
