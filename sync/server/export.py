"""`kiosk-server export events`: every kiosk's journal as stored, JSON lines or CSV.

A line is exactly the event as the kiosk's `kiosk events --json` prints it (the wire form), so
the two can be compared event for event.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Engine, select

from sync.protocol import WireEvent
from sync.server.db import reading
from sync.server.tables import events

FIELDS = tuple(WireEvent.model_fields)


def wire_dicts(engine: Engine, kiosk: str | None = None) -> Iterator[dict[str, Any]]:
    """The stored events, by kiosk then sequence, in the form the kiosk sent them."""
    c = events.c
    query = select(events).order_by(c.kiosk, c.seq)
    if kiosk is not None:
        query = query.where(c.kiosk == kiosk)
    with reading(engine) as conn:
        for row in conn.execution_options(yield_per=1000).execute(query):
            m = row._mapping
            yield {
                "format": m["format"],
                "seq": m["seq"],
                "id": m["id"],
                "kiosk_id": m["kiosk"],
                "type": m["type"],
                "reason": m["reason"],
                "session_id": m["session_id"],
                "card": m["card"],
                "barcode": m["barcode"],
                "code": m["code"],
                "due": m["due"],
                "flags": [f for f in m["flags"].split(",") if f],
                "wall_time": m["wall_time"],
                "clock_time": m["clock_time"],
                "mono_time": m["mono_time"],
                "boot_id": m["boot_id"],
                "clock_synced": m["clock_synced"],
                "prev_hash": m["prev_hash"],
                "clock_source": m["clock_source"],
                "hash": m["hash"],
            }


def write_jsonl(engine: Engine, out: TextIO) -> int:
    count = 0
    for obj in wire_dicts(engine):
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(engine: Engine, out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n", restval="")
    writer.writeheader()
    count = 0
    for obj in wire_dicts(engine):
        writer.writerow({**obj, "flags": ",".join(obj["flags"])})
        count += 1
    return count
