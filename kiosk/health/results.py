"""What one appliance check found: a status, a stable reason code, the values its sentence needs.

The sentences themselves (what is wrong, and what to do) live in the ``health`` catalogues, keyed
``<check>.<reason>`` and ``<check>.<reason>.fix``, so the admin screen and the heartbeat can key on
the reason and show the text in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIPPED = "skipped"  # could not run here (under --root) or waits on a check that failed


@dataclass(frozen=True)
class Result:
    check: str  # config, database, screen, scanner, server, tls, token, clock, disk, sd_card, unit
    status: Status
    reason: str
    params: dict[str, str] = field(default_factory=dict)
    subject: str = ""  # which scanner or unit, for the checks that run once per thing

    @property
    def key(self) -> str:
        return f"{self.check}.{self.reason}"


def ok(check: str, reason: str = "ok", subject: str = "", /, **params: object) -> Result:
    return Result(check, Status.OK, reason, _text(params), subject)


def fail(check: str, reason: str, subject: str = "", /, **params: object) -> Result:
    return Result(check, Status.FAIL, reason, _text(params), subject)


def skipped(check: str, reason: str, subject: str = "", /, **params: object) -> Result:
    return Result(check, Status.SKIPPED, reason, _text(params), subject)


def _text(params: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}
