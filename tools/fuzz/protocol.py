"""Hostile kiosk requests: protocol v1 (push, pull, heartbeat, whoami, health) malformed, with
wrong types, oversized, with huge numbers and out-of-range times, replayed and forged events,
wrong and missing tokens.

door-2 and door-3 are the fuzzer's kiosks: it writes their journals itself (real hashes, real
chains, kiosk.core.journal.record) so that forged and out-of-range events reach the server's
ingest, not only its parser.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from kiosk.core.decisions import Event, EventType, Flag, Reason
from kiosk.core.journal import GENESIS_HASH, Stamp, as_dict, record
from kiosk.core.moments import ClockSource
from tools.fuzz import malformed
from tools.fuzz.malformed import JSON, TYPE_JUNK
from tools.fuzz.sending import Request, Response
from tools.fuzz.server import FUZZ_KIOSKS, REVOKED, School
from tools.fuzz.texts import SchoolCodes, hostile

PUSH, PULL, BEAT, WHOAMI, HEALTH = (
    "/v1/push",
    "/v1/pull",
    "/v1/heartbeat",
    "/v1/whoami",
    "/v1/health",
)
FAR = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
    datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=23, minutes=59))),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2099, 6, 1, tzinfo=UTC),
    datetime(2000, 2, 29, tzinfo=timezone(timedelta(hours=14))),
]
HUGE_MONO = [1e308, -1e308, 5e-324, -0.0, 2.0**63, -(2.0**63), 1e16 + 1, float("nan"), float("inf")]


@dataclass
class Chain:
    """A fuzz kiosk's journal as the server holds it: where to continue, and what was sent."""

    kiosk: str
    seq: int = 0
    prev: str = GENESIS_HASH
    mono: float = 100.0
    sent: list[dict[str, Any]] = field(default_factory=list)  # events the server accepted


class KioskRequests:
    def __init__(self, rng: random.Random, school: School, codes: SchoolCodes) -> None:
        self.rng = rng
        self.school = school
        self.codes = codes
        self.chains = {k: Chain(k) for k in FUZZ_KIOSKS}
        self._pending: dict[int, tuple[Chain, list[dict[str, Any]]]] = {}
        self.hostile_fields: list[str] = []  # what the events of the push being made carry

    # --- events -------------------------------------------------------------------------------

    def _uuid(self) -> str:
        """An event id from the seed, so a run's requests are the same from one run to the next
        (only their times follow the clock: the server judges times against its own)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _event(
        self, chain: Chain, seq: int, prev: str, hostile_fields: bool, what: int | None = None
    ) -> dict[str, Any]:
        """One journal event of ``chain``, hashed; ``what`` picks the hostile field (0: a time
        out of range, 1: a huge monotonic reading, 2: a due date out of range, …)."""
        rng = self.rng
        now = datetime.now(UTC)
        kind = rng.choice(list(EventType))
        card = rng.choice(self.school.cards)
        barcode = rng.choice(self.school.barcodes)
        reason = Reason.OK
        due: date | None = (now + timedelta(days=14)).date() if kind is EventType.CHECKOUT else None
        code: str | None = None
        wall, mono = now, chain.mono + rng.random() * 10
        flags: tuple[Flag, ...] = ()
        session: str | None = f"fuzz-{rng.randrange(10**6)}"
        boot, synced, source = "fuzz-boot", True, ClockSource.SYSTEM
        if kind is EventType.REFUSAL:
            reason = rng.choice([r for r in Reason if r is not Reason.OK])
            code = rng.choice([*self.codes.cards, "[not kept: 9 characters]"])
        if hostile_fields:
            what = rng.randrange(9) if what is None else what
            if what == 0:
                wall = rng.choice(FAR)
            elif what == 1:
                mono = rng.choice(HUGE_MONO)
            elif what == 2:
                due = rng.choice([date(1, 1, 1), date(9999, 12, 31), date(2000, 2, 29)])
            elif what == 3:
                code = hostile(rng, self.codes)[1][:256]
            elif what == 4:
                card = rng.choice(
                    ["a\tb", "a\nb", "\x00", "x" * 80, "' OR 1=1 --", "\u202e1234", "\ud800", "李"]
                )
            elif what == 5:
                barcode = rng.choice(["0001002\tX", "\r\n", "\x00", "y" * 80, "%s", "\udfff"])
            elif what == 6:
                flags = tuple(rng.choice(list(Flag)) for _ in range(rng.randint(1, len(Flag))))
            elif what == 7:
                session = hostile(rng, self.codes)[1][:64]
                boot = hostile(rng, self.codes)[1][:64]
            else:
                # Fields the engine never leaves empty, left empty: a checkout without a card.
                card = None  # type: ignore[assignment]
                due = None
                synced, source = rng.random() < 0.5, rng.choice(list(ClockSource))
            shown = {
                0: f"wall_time {wall.isoformat()}",
                1: f"mono_time {mono}",
                2: f"due {due}",
                3: f"code {code!r}",
                4: f"card {card!r}",
                5: f"barcode {barcode!r}",
                6: f"flags {[f.value for f in flags]}",
                7: f"session_id {session!r}, boot_id {boot!r}",
            }.get(what, f"a {kind.value} without card or due")
            self.hostile_fields.append(f"seq {seq} {kind.value}: {shown[:120]}")
        texts = {
            "session_id": session,
            "card": card,
            "barcode": barcode if kind is not EventType.SESSION_STARTED else None,
            "code": code,
            "boot_id": boot,
        }
        # A lone surrogate cannot be hashed (no kiosk can journal one): hash a stand-in, then
        # send the text itself, as a forger would.
        safe = {k: _utf8(v) for k, v in texts.items()}
        event = Event(
            kind,
            reason,
            safe["session_id"],
            safe["card"],
            safe["barcode"],
            safe["code"],
            due,
            flags,
        )
        stamp = Stamp(wall, wall, mono, safe["boot_id"] or "", synced, source)
        wire = as_dict(record(seq, self._uuid(), chain.kiosk, event, stamp, prev))
        return {**wire, **{k: v for k, v in texts.items() if v != safe[k]}}

    def _events(self, chain: Chain, n: int, hostile_fields: bool) -> list[dict[str, Any]]:
        out, seq, prev = [], chain.seq, chain.prev
        for _ in range(n):
            seq += 1
            event = self._event(chain, seq, prev, hostile_fields and self.rng.random() < 0.5)
            out.append(event)
            prev = str(event["hash"])
        return out

    def _push_body(self, chain: Chain, events: list[dict[str, Any]], **sent: Any) -> dict[str, Any]:
        clock = {
            "wall": datetime.now(UTC).isoformat(),
            "mono": chain.mono + 50,
            "boot_id": "fuzz-boot",
            "synced": True,
            **sent,
        }
        return {"protocol": 1, "kiosk_id": chain.kiosk, "sent": clock, "events": events}

    # --- requests -----------------------------------------------------------------------------

    def next(self) -> Request:
        roll = self.rng.random()
        if roll < 0.45:
            return self._push()
        if roll < 0.6:
            return self._pull()
        if roll < 0.75:
            return self._heartbeat()
        if roll < 0.82:
            return self._get(WHOAMI)
        if roll < 0.85:
            return self._get(HEALTH)
        return self._malformed()

    def _push(self) -> Request:
        rng = self.rng
        chain = self.chains[rng.choice(FUZZ_KIOSKS)]
        how = rng.randrange(13)
        sent: dict[str, Any] = {}
        if how <= 3:
            events = self._events(chain, rng.randint(1, 5), hostile_fields=how >= 2)
            note = "next events" if how < 2 else "next events, some with hostile fields"
        elif how in (11, 12):
            what = rng.choice([0, 0, 1, 2])
            events = [self._event(chain, chain.seq + 1, chain.prev, True, what)]
            note = ("a time", "a monotonic reading", "a due date")[what] + " out of range"
        elif how == 4:
            events = self._events(chain, 1, hostile_fields=False)
            sent = rng.choice(
                [{"mono": m} for m in HUGE_MONO] + [{"wall": w.isoformat()} for w in FAR]
                + [{"boot_id": "x" * 64}, {"synced": False, "wall": FAR[0].isoformat()}]
            )  # fmt: skip
            note = f"sent clock {sent}"
        elif how == 5 and chain.sent:
            events = rng.sample(chain.sent, k=min(len(chain.sent), rng.randint(1, 3)))
            note = "replayed events the server has"
        elif how == 6 and chain.sent:
            old = rng.choice(chain.sent)
            events = [self._event(chain, int(old["seq"]), str(old["prev_hash"]), False)]
            note = f"a new event reusing seq {old['seq']}"
        elif how == 7:
            events = self._events(chain, 1, hostile_fields=False)
            events[0] = {**events[0], "hash": _flip(str(events[0]["hash"]))}
            note = "an event whose hash is wrong"
        elif how == 8:
            other = self.chains[next(k for k in FUZZ_KIOSKS if k != chain.kiosk)]
            if other.sent and rng.random() < 0.5:
                events = [rng.choice(other.sent)]
                note = "another kiosk's event"
            else:
                events = self._events(chain, 1, hostile_fields=False)
                events[0] = (
                    {**events[0], "id": rng.choice(other.sent)["id"]} if other.sent else events[0]
                )
                note = "an event id another kiosk used"
            chain = self.chains[chain.kiosk]
        elif how == 9:
            gap = rng.choice([2, 10, 2**40, 2**62 - chain.seq])
            seq = chain.seq + gap
            events = [
                as_dict(
                    record(
                        seq,
                        self._uuid(),
                        chain.kiosk,
                        Event(
                            EventType.SESSION_STARTED,
                            session_id="g",
                            card=rng.choice(self.school.cards),
                        ),
                        Stamp(datetime.now(UTC), datetime.now(UTC), chain.mono, "fuzz-boot", True),
                        rng.choice([chain.prev, GENESIS_HASH]),
                    )
                )
            ]
            note = f"seq jumps {gap} ahead"
        else:
            events = self._events(chain, 1, hostile_fields=False)
            events[0] = {**events[0], "prev_hash": _flip(str(events[0]["prev_hash"]))}
            note = "an event whose prev_hash is not the last event's"
        body = self._push_body(chain, events, **sent)
        if self.hostile_fields:
            note += " (" + "; ".join(self.hostile_fields) + ")"
            self.hostile_fields = []
        token_kiosk = chain.kiosk
        if rng.random() < 0.08:
            token_kiosk = rng.choice(["door-1", REVOKED, *FUZZ_KIOSKS])
            note += f"; token of {token_kiosk}"
        request = Request(
            f"POST {PUSH}",
            "POST",
            PUSH,
            note,
            kiosk=token_kiosk,
            headers=JSON,
            body=json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass"),
            may_change=True,
        )
        self._pending[id(request)] = (chain, events)
        return request

    def answered(self, request: Request, answer: Response) -> None:
        """Follow the server: events it accepted (or already had) continue the chain."""
        pending = self._pending.pop(id(request), None)
        if pending is None or answer.status != 200:
            return
        chain, events = pending
        try:
            results = json.loads(answer.body)["results"]
        except (ValueError, KeyError, TypeError):
            return
        by_id = {e["id"]: e for e in events}
        for result in results:
            event = by_id.get(result.get("id"))
            if event is None or result.get("status") not in ("accepted", "duplicate"):
                continue
            seq = int(event["seq"])
            # The server holds it, forged or not: the chain goes on from the highest sequence
            # number held (a jump far ahead is not followed: nothing could come after it).
            if chain.seq < seq < chain.seq + 1_000:
                chain.seq, chain.prev = seq, str(event["hash"])
                chain.mono = max(chain.mono, min(float(event["mono_time"]), 1e9))
            if result["status"] == "accepted":
                chain.sent.append(event)

    def _pull(self) -> Request:
        rng = self.rng
        kiosk = rng.choice(["door-1", *FUZZ_KIOSKS])
        cursor: Any = rng.choice(
            [None, {"reference": 0, "loans": 0}, {"reference": 2**62, "loans": 2**62},
             {"reference": -1, "loans": 0}, {"reference": 10**30}, {"loans": "1"}, [], "0",
             {"reference": 1.0, "loans": 1}, {"reference": 3, "loans": 3, "x": 1}]
        )  # fmt: skip
        body = {"protocol": 1, "kiosk_id": kiosk, "cursor": cursor}
        return Request(
            f"POST {PULL}", "POST", PULL, f"cursor {cursor!r}", kiosk=kiosk, headers=JSON,
            body=json.dumps(body).encode(),
        )  # fmt: skip

    def _heartbeat(self) -> Request:
        rng = self.rng
        kiosk = rng.choice(["door-1", *FUZZ_KIOSKS])
        body: dict[str, Any] = {
            "protocol": 1,
            "kiosk_id": kiosk,
            "version": "0.1.0",
            "events_waiting": 0,
            "last_sync": datetime.now(UTC).isoformat(),
            "clock": {
                "wall": datetime.now(UTC).isoformat(),
                "mono": 5.0,
                "boot_id": "b",
                "synced": True,
            },
            "scanners": [{"name": "wedge", "state": "ready"}],
        }
        key = rng.choice([*body, "clock_problem"])
        value: Any = rng.choice(
            TYPE_JUNK + [f.isoformat() for f in FAR] + [2**62, -5, "x" * 301, "\u202e", "\x00"]
            + [[{"name": "r", "state": "s"}] * 17, {**body["clock"], "mono": 1e308}]
        )  # fmt: skip
        body[key] = value
        # The note names the hostile value, not the time it was made: one seed, one report.
        shown = {**value, "wall": "TIME"} if isinstance(value, dict) and "wall" in value else value
        return Request(
            f"POST {BEAT}", "POST", BEAT, f"{key} = {str(shown)[:60]!r}", kiosk=kiosk,
            headers=JSON, body=json.dumps(body).encode("utf-8", "surrogatepass"),
        )  # fmt: skip

    def _get(self, path: str) -> Request:
        rng = self.rng
        kiosk = rng.choice([None, "door-1", REVOKED, "not-a-token", "x" * 5000, "' OR 1=1 --"])
        headers: tuple[tuple[str, str], ...] = ()
        if kiosk is None and rng.random() < 0.5:
            headers = (
                (
                    "Authorization",
                    rng.choice(["Bearer", "Bearer  ", "Basic Zm9vOmJhcg==", "bearer", "Token x"]),
                ),
            )
        query = rng.choice(["", "?x=1", "?" + "a=1&" * 500, "?%zz", "?q=%00"])
        return Request(
            f"GET {path}",
            "GET",
            path + query,
            f"token {str(kiosk)[:20]!r}",
            kiosk=kiosk,
            headers=headers,
        )

    def _malformed(self) -> Request:
        """A message that is not protocol v1 (tools/fuzz/malformed.py)."""
        self.hostile_fields = []
        rng = self.rng
        chain = self.chains[rng.choice(FUZZ_KIOSKS)]
        path = rng.choice([PUSH, PULL, BEAT])
        base = (
            self._push_body(chain, self._events(chain, 1, False))
            if path == PUSH
            else {"protocol": 1, "kiosk_id": chain.kiosk, "cursor": None}
        )
        self.hostile_fields = []
        return malformed.request(rng, path, base, chain.kiosk, self.school.tokens[chain.kiosk])


def _utf8(text: str | None) -> str | None:
    return None if text is None else text.encode("utf-8", "replace").decode()


def _flip(digest: str) -> str:
    return ("1" if digest[0] != "1" else "2") + digest[1:]
