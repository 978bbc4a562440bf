"""A renewal in the kiosk's file: the loan it renewed outlives the events retention deletes (with
its due date and its count), and a pulled loan renewed elsewhere keeps the server's count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.cli import main
from kiosk.core.decisions import Outcome, Reason
from kiosk.store import Acknowledgement, Cursor, PulledLoan, PulledPage
from tests.conftest import local
from tests.sync.conftest import Kiosk


def test_a_renewed_loan_outlives_its_events_with_its_due_date_and_count(
    kiosks: dict[str, Kiosk], capsys: pytest.CaptureFixture[str]
) -> None:
    k = kiosks["door-a"]
    k.borrow("T1", "B1")  # a teacher: due 23 December
    k.clock.advance(7 * 86400)
    k.scan("T1", "B1", "@done")  # renewed: due 30 December
    store = k.store
    store.sync.acknowledge([Acknowledgement(e.seq, True) for e in store.sync.unsent(10_000)])
    k.clock.advance(40 * 86400)
    k.borrow("S31", "B2")  # the newest events always stay
    assert store.sync.retire(k.clock.read().wall - timedelta(days=30)) > 0
    assert not any(e.event.barcode == "B1" for e in store.events())  # its events are gone
    loan = store.library.loan("B1")
    assert loan is not None and (loan.due, loan.renewals) == (date(2026, 12, 30), 1)
    assert store.projection_differences() == []
    assert main(["doctor", "--db", str(store.path)]) == 0
    assert "FAIL" not in capsys.readouterr().out


def test_a_loan_renewed_at_another_door_is_not_renewed_again_here(
    kiosks: dict[str, Kiosk],
) -> None:
    k = kiosks["door-a"]
    lent = local("2026-11-16 12:15")
    page = PulledPage(
        snapshot=True,
        complete=True,
        cursor=Cursor(5, 5),
        loans=[PulledLoan("B3", True, "T1", lent, date(2026, 12, 30), 2, renewals=1)],
    )
    k.store.sync.apply_pull(page)
    k.clock.advance(7 * 86400)
    k.scan("T1")
    k.clock.advance(1)
    refused = k.door.scan("B3").decision
    assert refused is not None
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, Reason.RENEWALS_USED)
