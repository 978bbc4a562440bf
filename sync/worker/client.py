"""The worker's HTTP client: the only module that imports requests.

TLS is always verified, against the school's CA file when one is configured (else the system's
CAs); there is no way to turn that off. One thing a Pi cannot check is a certificate's dates:
it has no real-time clock, and until the clock is synchronised a valid certificate can look
"not yet valid". Then, and only then, the client verifies the chain and the server's name but
not the dates, and says so (``time_checks_skipped``), so the sync worker can tell the admin
screen, `kiosk doctor` and the heartbeat, and take the server's time back. With a synchronised
clock, a certificate out of its dates is refused like any other. Every request has explicit
connect and read timeouts.
Nothing is retried here: a POST is not idempotent at the transport level, so retries belong to
the outbox, which knows what the server acknowledged (see sync.worker.cycle).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from pydantic import BaseModel
from requests.adapters import HTTPAdapter

from sync.protocol import (
    CONTENT_TYPE,
    HEARTBEAT_PATH,
    MAX_BODY_BYTES,
    PULL_PATH,
    PUSH_PATH,
    Heartbeat,
    HeartbeatResponse,
    ProtocolError,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    encode,
    parse,
)

Answer = TypeVar("Answer", bound=BaseModel)

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (Python's ssl module has no name for it).
NO_CHECK_TIME = 0x200000
# What a certificate verification failure says when only its dates are wrong for our clock.
_DATE_PROBLEMS = ("certificate is not yet valid", "certificate has expired")


class SyncError(Exception):
    """A sync that did not happen; the message says why, for the journal and the log."""


class ServerUnavailable(SyncError):  # noqa: N818 (a state, like requests' ConnectionError)
    """Down, slow, overloaded, or answered nonsense: try again later (``retry_after`` if said)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerRefused(SyncError):  # noqa: N818
    """The server will not take this from us (a revoked token, a wrong kiosk, a bad request):
    trying again will not help until a person fixes the setting the message names."""


class UntrustedServer(ServerRefused):
    """The server's certificate does not verify: the worker will not talk to it."""


class _DateBlindAdapter(HTTPAdapter):
    """Verifies the chain and the name as always, but not the certificate's dates."""

    def __init__(self, ca_file: Path | None) -> None:
        self._context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._context.verify_flags |= NO_CHECK_TIME
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)


class SyncClient:
    def __init__(
        self,
        server: str,
        token: str,
        *,
        ca_file: Path | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        clock_synced: Callable[[], bool] = lambda: True,
    ) -> None:
        self.server = server.rstrip("/")
        self.ca_file = ca_file
        self._timeouts = (connect_timeout, read_timeout)
        self._clock_synced = clock_synced
        # Why the certificate's dates are not being checked (None while they are).
        self.time_checks_skipped: str | None = None
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or CA bundle from the environment
        self._session.verify = str(ca_file) if ca_file is not None else True
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": CONTENT_TYPE,
                "Accept": CONTENT_TYPE,
            }
        )

    def close(self) -> None:
        self._session.close()

    def push(self, request: PushRequest) -> PushResponse:
        return self._post(PUSH_PATH, request, PushResponse)

    def pull(self, request: PullRequest) -> PullResponse:
        return self._post(PULL_PATH, request, PullResponse)

    def heartbeat(self, message: Heartbeat) -> HeartbeatResponse:
        return self._post(HEARTBEAT_PATH, message, HeartbeatResponse)

    def _post(self, path: str, message: BaseModel, answer: type[Answer]) -> Answer:
        url = self.server + path
        if self.time_checks_skipped is not None and self._clock_synced():
            self._check_dates_again()
        try:
            response = self._session.post(
                url, data=encode(message), timeout=self._timeouts, stream=True
            )
            body = self._read(response)
        except requests.exceptions.SSLError as exc:
            dates = _date_problem(exc)
            if dates is not None and self.time_checks_skipped is None:
                if not self._clock_synced():
                    self._skip_date_checks(dates)
                    return self._post(path, message, answer)
                raise UntrustedServer(
                    f"{self.server}: the server's {dates}, and this kiosk's clock is "
                    "synchronised: the server needs a new certificate; not sending anything"
                ) from None
            where = f"the CA in {self.ca_file}" if self.ca_file else "the system's trusted CAs"
            raise UntrustedServer(
                f"{self.server}: the server's certificate does not verify against {where}; "
                f"not sending anything ({_reason(exc)})"
            ) from None
        except requests.exceptions.Timeout:
            raise ServerUnavailable(f"{self.server}: no answer within the timeout") from None
        except requests.exceptions.RequestException as exc:
            raise ServerUnavailable(
                f"{self.server}: cannot reach the server ({_reason(exc)})"
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise ServerUnavailable(
                f"{self.server}: the server answered {status}; trying again later",
                _retry_after(response.headers.get("Retry-After")),
            )
        if status != 200:
            raise ServerRefused(f"{self.server}: the server refused ({status}): {_message(body)}")
        try:
            return parse(answer, body)
        except ProtocolError as exc:
            raise ServerUnavailable(
                f"{self.server}: the answer is not protocol v1 ({exc})"
            ) from None

    def _skip_date_checks(self, dates: str) -> None:
        self.time_checks_skipped = (
            f"the server's {dates} by this kiosk's clock, which is not synchronised: "
            "its name and its CA are checked, its dates are not until the clock is set"
        )
        self._session.mount("https://", _DateBlindAdapter(self.ca_file))

    def _check_dates_again(self) -> None:
        self.time_checks_skipped = None
        self._session.mount("https://", HTTPAdapter())

    @staticmethod
    def _read(response: requests.Response) -> bytes:
        """The whole answer, or an error if it is cut short or larger than any answer can be."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > 8 * MAX_BODY_BYTES:
                    raise ServerUnavailable("the answer is larger than any protocol v1 answer")
                chunks.append(chunk)
        finally:
            response.close()
        return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the HTTP-date form is not used by our server)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), 86400.0)


def _message(body: bytes) -> str:
    try:
        from sync.protocol import ErrorBody

        error = parse(ErrorBody, body)
    except ProtocolError:
        return "no explanation"
    return f"{error.field}: {error.message}" if error.field else error.message


def _date_problem(exc: Exception) -> str | None:
    text = str(exc).lower()
    return next((problem for problem in _DATE_PROBLEMS if problem in text), None)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in (
        "CERTIFICATE_VERIFY_FAILED",
        "certificate verify failed",
        "hostname mismatch",
        "Connection refused",
        "Connection reset",
        "Name or service not known",
        "RemoteDisconnected",
        "IncompleteRead",
        "Connection aborted",
    ):
        if marker.lower() in text.lower():
            return marker.lower().replace("_", " ")
    return text[:200]
