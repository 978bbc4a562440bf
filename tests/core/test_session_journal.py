"""What the journal keeps of refusals inside a session: the librarian's log shows whose visit
each one was, and a child the roster removed mid-visit borrows nothing more."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.core.decisions import EventType, Outcome, Reason
from kiosk.core.session import DeviceRole
from kiosk.store import Cursor, PulledPage
from tests.conftest import READERS, School


def test_every_refusal_in_a_visit_is_journaled_with_the_visit_and_the_card(school: School) -> None:
    school.scan("S31")
    assert school.scan("\x07\x1b").reason is Reason.UNREADABLE_CODE  # a scanner's noise
    assert school.scan("C999", DeviceRole.CARD).reason is Reason.UNKNOWN_READER
    assert school.scan("ZZ404").reason is Reason.UNKNOWN_COPY
    refusals = [e.event for e in school.store.events() if e.event.type is EventType.REFUSAL]
    assert [(e.reason, e.session_id, e.card) for e in refusals] == [
        (Reason.UNREADABLE_CODE, "session-1", "S31"),
        (Reason.UNKNOWN_READER, "session-1", "S31"),
        (Reason.UNKNOWN_COPY, "session-1", "S31"),
    ]
    # The noise itself is not kept; the codes that could be the library's are.
    assert [e.code for e in refusals][1:] == ["C999", "ZZ404"]
    assert (refusals[0].code or "").startswith("[not kept: ")
    # Her visit goes on: the next book is hers.
    assert school.scan("B2").outcome is Outcome.BORROWED


@pytest.mark.parametrize("how", ["made inactive", "deleted by the server"])
def test_a_child_the_roster_removed_mid_visit_borrows_nothing_more(
    school: School, how: str
) -> None:
    school.scan("S31")
    if how == "made inactive":  # a roster import without her
        gone = [dataclasses.replace(r, active=False) if r.card == "S31" else r for r in READERS]
        school.store.import_readers(gone)
    else:  # the sync worker pulled the school's removal of her
        school.store.sync.apply_pull(
            PulledPage(snapshot=False, complete=True, cursor=Cursor(1, 1), deleted_readers=["S31"])
        )
    refused = school.scan("B2")
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, Reason.INACTIVE_READER)
    assert school.store.loans() == []
