"""A Pi whose clock is behind the server's certificate: it syncs, says so, and takes the time back.

The certificates here are valid only from next month, which is what a kiosk whose clock is a
month behind sees of a valid certificate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from kiosk.clocks import TIMESYNC_FLAG
from kiosk.store import Store, SyncProblem
from sync.protocol import PROTOCOL_VERSION, ClockReading, Heartbeat
from sync.server.tables import kiosks
from sync.worker.client import SyncClient, UntrustedServer, heartbeat
from tests.conftest import SAMPLE
from tests.sync.processes import ServerProcess, kiosk
from tests.sync.test_end_to_end import School, journal, server_command
from tests.sync.tls import Certificates, make_certificates

MONDAY = "2026-11-23T12:15"
NEXT_MONTH = timedelta(days=30)


@pytest.fixture
def early(tmp_path: Path) -> Iterator[tuple[School, Certificates]]:
    """The school's server with a certificate this machine's clock finds not yet valid."""
    certificates = make_certificates(tmp_path / "ca", valid_from=NEXT_MONTH)
    url = f"sqlite:///{tmp_path / 'server.db'}"
    assert server_command("migrate", "--db", url).returncode == 0
    server = ServerProcess(url, tls=(certificates.cert, certificates.key))
    try:
        yield School(url, tmp_path, server), certificates
    finally:
        server.stop()


def _heartbeat() -> Heartbeat:
    now = datetime.now(UTC).isoformat()
    return Heartbeat(
        protocol=PROTOCOL_VERSION, kiosk_id="door-1", version="test", events_waiting=0,
        last_sync=None, clock=ClockReading(wall=now, mono=1.0, boot_id="b", synced=False),
        scanners=[],
    )  # fmt: skip


def _client(school: School, certificates: Certificates, synced: list[bool]) -> SyncClient:
    _db, token = school.add_kiosk("door-1")
    return SyncClient(
        school.server.url,
        token.read_text().strip(),
        ca_file=certificates.ca,
        clock_synced=lambda: synced[0],
    )


def test_an_unset_clock_checks_the_servers_name_and_ca_but_not_its_dates(
    early: tuple[School, Certificates],
) -> None:
    school, certificates = early
    synced = [False]
    client = _client(school, certificates, synced)
    answer = heartbeat(client, _heartbeat())  # verified, but for its dates
    assert datetime.fromisoformat(answer.server_time).year >= 2026
    assert client.time_checks_skipped is not None
    assert "not synchronised" in client.time_checks_skipped
    # Once the clock is set, the dates count again: this certificate is refused.
    synced[0] = True
    with pytest.raises(UntrustedServer, match="the server needs a new certificate"):
        heartbeat(client, _heartbeat())
    assert client.time_checks_skipped is None


def test_a_set_clock_refuses_a_certificate_out_of_its_dates(
    early: tuple[School, Certificates],
) -> None:
    school, certificates = early
    client = _client(school, certificates, [True])
    with pytest.raises(UntrustedServer, match="certificate is not yet valid, and this kiosk's"):
        heartbeat(client, _heartbeat())


def test_the_name_and_the_ca_are_still_checked_when_the_dates_are_not(
    early: tuple[School, Certificates], tmp_path: Path
) -> None:
    school, certificates = early
    client = _client(school, certificates, [False])
    heartbeat(client, _heartbeat())
    assert client.time_checks_skipped is not None  # dates no longer checked ...
    url = f"sqlite:///{tmp_path / 'other.db'}"
    assert server_command("migrate", "--db", url).returncode == 0
    other_ca = make_certificates(tmp_path / "other", "另一所学校 CA", valid_from=NEXT_MONTH)
    same_ca_wrong_name = make_certificates(
        tmp_path / "name", valid_from=NEXT_MONTH, address="127.0.0.2", ca_of=certificates
    )
    for impostor in (other_ca, same_ca_wrong_name):  # ... but the CA and the name still are
        server = ServerProcess(url, tls=(impostor.cert, impostor.key))
        try:
            client.server = server.url
            with pytest.raises(UntrustedServer, match="does not verify"):
                heartbeat(client, _heartbeat())
        finally:
            server.stop()


def test_the_worker_syncs_and_the_admin_screen_doctor_and_heartbeat_say_why(
    early: tuple[School, Certificates],
) -> None:
    school, certificates = early
    db, token = school.add_kiosk("door-1")
    policy = SAMPLE / "policy.toml"
    assert server_command("import", "policy", policy, "--db", school.db).returncode == 0
    assert kiosk("import", "policy", policy, "--db", db).returncode == 0
    assert kiosk("scan", "--db", db, "--at", MONDAY, "T0001").returncode == 0
    done = school.sync(db, token, "--ca-file", certificates.ca)
    if TIMESYNC_FLAG.exists():  # this machine's clock is synchronised: a refusal that says why
        assert done.returncode == 1 and "needs a new certificate" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert school.export() == journal(db)  # nothing held back
    with Store(db, read_only=True) as store:
        health = store.sync.health()
        assert health.problem_kind is SyncProblem.CLOCK_BEHIND_CERTIFICATE
        assert health.problem is not None and "its dates are not" in health.problem
        assert health.server_clock is not None  # the time the door believes from now on
    engine = create_engine(school.db)
    with engine.connect() as conn:
        beat = conn.execute(select(kiosks.c.last_heartbeat)).scalar_one()
    assert "not synchronised" in json.loads(beat)["clock_problem"]
