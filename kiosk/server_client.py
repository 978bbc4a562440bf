"""The kiosk's one HTTPS client to the school's server, and its one vocabulary of failures.

Two parts of the kiosk talk to the server: `kiosk doctor --config` (one authenticated GET: is
this kiosk's token accepted?) and the sync worker (push, pull and heartbeat; sync/worker/client.py
adds protocol v1's messages on top of this module). Both go through :class:`SyncClient`, so the
server's certificate, its name and its answers are checked the same way for both, and every
failure is called by one word (:class:`ServerFailure`) with one sentence. The client is on the
standard library (http.client, ssl), not requests: `kiosk doctor` and the kiosk's settings run
without the sync extra, and the kiosk imports nothing of ``sync`` outside its composition root,
so a client both share lives here and needs neither requests nor pydantic.

TLS is always verified, against the school's CA file when one is configured (else the system's
CAs); there is no way to turn that off. One thing a Pi cannot check is a certificate's dates: it
has no real-time clock, and until the clock is synchronised a valid certificate can look "not yet
valid". Then, and only then, the client verifies the chain and the server's name but not the
dates, and says so (``time_checks_skipped``), so the sync worker can tell the admin screen,
`kiosk doctor` and the heartbeat, and take the server's time back. With a synchronised clock, a
certificate out of its dates is refused like any other. Every request has explicit connect and
read timeouts, and an idle connection is used again only while the server keeps it open.
Nothing is retried here: a POST is not idempotent at the transport level, so retries belong to
the outbox, which knows what the server acknowledged (see sync.worker.cycle).
"""

from __future__ import annotations

import enum
import http.client
import json
import select
import ssl
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.protocol_v1 import CONTENT_TYPE, MAX_BODY_BYTES

# No answer of protocol v1 comes near this; a larger one is not the school's server speaking.
MAX_ANSWER_BYTES = 8 * MAX_BODY_BYTES
# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (Python's ssl module has no name for it).
NO_CHECK_TIME = 0x200000
# OpenSSL's verify codes for a certificate out of its dates, and for another host's certificate.
_NOT_YET_VALID, _EXPIRED, _HOSTNAME_MISMATCH, _IP_MISMATCH = 9, 10, 62, 64


class ServerFailure(enum.StrEnum):
    """Why the server gave no usable answer: the one word the worker, doctor and logs use."""

    UNREACHABLE = "unreachable"  # no route, refused, reset, name not found, no answer in time
    UNTRUSTED = "untrusted"  # the certificate does not verify against the CA (or the CA file)
    NOT_YET_VALID = "not_yet_valid"  # the certificate is valid from a time after this clock
    EXPIRED = "expired"  # the certificate's time is over
    WRONG_NAME = "wrong_name"  # the certificate is another host's
    TOKEN_REFUSED = "token_refused"  # noqa: S105 - a word, not a secret: 401 or 403
    REFUSED = "refused"  # any other 4xx: this request will never be taken as it is
    BUSY = "busy"  # 429 or 5xx: overloaded or failing, try again later
    BAD_ANSWER = "bad_answer"  # an answer that is not one (too large, or not protocol v1)


# The certificate failures, by OpenSSL's verify code (any other code: UNTRUSTED).
_TLS_FAILURES = {
    _NOT_YET_VALID: ServerFailure.NOT_YET_VALID,
    _EXPIRED: ServerFailure.EXPIRED,
    _HOSTNAME_MISMATCH: ServerFailure.WRONG_NAME,
    _IP_MISMATCH: ServerFailure.WRONG_NAME,
}
_DATES = {
    ServerFailure.NOT_YET_VALID: "certificate is not yet valid",
    ServerFailure.EXPIRED: "certificate has expired",
}


class SyncError(Exception):
    """A request to the server (a sync, or doctor's question) that did not happen; the message
    says why, for the journal, the log and the admin screen."""


class ServerError(SyncError):
    """The server gave no usable answer: ``failure`` says why in one word, ``detail`` in a few
    (what the TLS library or the socket said), ``status`` is the HTTP status if one came."""

    def __init__(
        self,
        failure: ServerFailure,
        message: str,
        *,
        detail: str = "",
        status: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


class ServerUnavailable(ServerError):  # noqa: N818 (a state, like ConnectionError)
    """Down, slow, overloaded, or answered nonsense: try again later (``retry_after`` if said)."""


class ServerRefused(ServerError):  # noqa: N818 (a state, as the server said it)
    """The server will not take this from us (a revoked token, a wrong kiosk, a bad request):
    trying again will not help until a person fixes the setting the message names."""


class UntrustedServer(ServerRefused):
    """The server's certificate does not verify: nothing is sent to it."""


class SyncClient:
    """Requests to one server with one kiosk's token: ``post`` for protocol v1's messages,
    ``get`` for doctor's question. An answer that is not 2xx raises a :class:`ServerError`."""

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
        self._token = token
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._clock_synced = clock_synced
        # Why the certificate's dates are not being checked (None while they are).
        self.time_checks_skipped: str | None = None
        self._connection: http.client.HTTPConnection | None = None
        self._connected_to: tuple[str, str, int] | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = self._connected_to = None

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A client dropped without close() (a test, a one-off script) leaves no socket open.
        if hasattr(self, "_connection"):  # not when __init__ itself failed
            self.close()

    def post(self, path: str, body: bytes) -> bytes:
        """POST ``body`` (JSON) to ``path``; the answer's body."""
        return self._request("POST", path, body)

    def get(self, path: str) -> bytes:
        return self._request("GET", path, None)

    def _request(self, method: str, path: str, body: bytes | None) -> bytes:
        if self.time_checks_skipped is not None and self._clock_synced():
            self.time_checks_skipped = None  # the clock is set now: dates count again
            self.close()
        try:
            status, retry_after, answer = self._exchange(method, path, body)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            failure = _TLS_FAILURES.get(exc.verify_code, ServerFailure.UNTRUSTED)
            dates = _DATES.get(failure)
            if dates is not None and self.time_checks_skipped is None:
                if not self._clock_synced():
                    self._skip_date_checks(dates)
                    return self._request(method, path, body)
                raise UntrustedServer(
                    failure,
                    f"{self.server}: the server's {dates}, and this kiosk's clock is "
                    "synchronised: the server needs a new certificate; not sending anything",
                    detail=exc.verify_message or dates,
                ) from None
            where = f"the CA in {self.ca_file}" if self.ca_file else "the system's trusted CAs"
            raise UntrustedServer(
                failure,
                f"{self.server}: the server's certificate does not verify against {where}; "
                f"not sending anything ({_reason(exc)})",
                detail=exc.verify_message or str(exc),
            ) from None
        except ssl.SSLError as exc:
            # No TLS spoken at all (plain HTTP behind an https:// address) or the handshake
            # broken off: nothing can be sent safely until a person looks at the address.
            self.close()
            raise UntrustedServer(
                ServerFailure.UNTRUSTED,
                f"{self.server}: no verified TLS connection to the server; not sending anything "
                f"({_reason(exc)})",
                detail=_reason(exc),
            ) from None
        except TimeoutError:
            self.close()
            raise ServerUnavailable(
                ServerFailure.UNREACHABLE,
                f"{self.server}: no answer within the timeout",
                detail="timed out",
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ServerUnavailable(
                ServerFailure.UNREACHABLE,
                f"{self.server}: cannot reach the server ({_reason(exc)})",
                detail=_reason(exc),
            ) from None
        if status == 429 or status >= 500:
            raise ServerUnavailable(
                ServerFailure.BUSY,
                f"{self.server}: the server answered {status}; trying again later",
                status=status,
                retry_after=retry_after,
            )
        if not 200 <= status < 300:
            failure = ServerFailure.TOKEN_REFUSED if status in (401, 403) else ServerFailure.REFUSED
            raise ServerRefused(
                failure,
                f"{self.server}: the server refused ({status}): {_message(answer)}",
                detail=_message(answer),
                status=status,
            )
        return answer

    def _exchange(
        self, method: str, path: str, body: bytes | None
    ) -> tuple[int, float | None, bytes]:
        """(status, Retry-After, body) of one request on the open connection or a new one."""
        scheme, host, port, base = self._where()
        connection = self._open(scheme, host, port)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": CONTENT_TYPE}
        if body is not None:
            headers["Content-Type"] = CONTENT_TYPE
        connection.request(method, base + path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER_BYTES + 1)
        if len(answer) > MAX_ANSWER_BYTES:
            self.close()
            raise ServerUnavailable(
                ServerFailure.BAD_ANSWER,
                f"{self.server}: the answer is larger than any protocol v1 answer",
                status=response.status,
            )
        if response.will_close:
            self.close()
        return response.status, _retry_after(response.getheader("Retry-After")), answer

    def _where(self) -> tuple[str, str, int, str]:
        parts = urlsplit(self.server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerRefused(
                ServerFailure.REFUSED,
                f"{self.server}: not a server address; expected https://HOST:PORT",
            )
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.scheme, parts.hostname, port, parts.path.rstrip("/")

    def _open(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        """The connection to use: the open one while the server keeps it, else a new one."""
        if self._connection is not None:
            if self._connected_to == (scheme, host, port) and _still_open(self._connection):
                return self._connection
            self.close()
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=self._connect_timeout, context=self._tls()
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self._connect_timeout)
        connection.connect()
        assert connection.sock is not None  # connect() made it
        connection.sock.settimeout(self._read_timeout)  # the connect timeout was for connecting
        self._connection, self._connected_to = connection, (scheme, host, port)
        return connection

    def _tls(self) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise UntrustedServer(
                ServerFailure.UNTRUSTED,
                f"{self.server}: the CA file {self.ca_file} cannot be used ({exc}); "
                "not sending anything",
                detail=f"{self.ca_file}: {exc}",
            ) from None
        if self.time_checks_skipped is not None:
            context.verify_flags |= NO_CHECK_TIME  # the chain and the name are still verified
        return context

    def _skip_date_checks(self, dates: str) -> None:
        self.time_checks_skipped = (
            f"the server's {dates} by this kiosk's clock, which is not synchronised: "
            "its name and its CA are checked, its dates are not until the clock is set"
        )


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection may be used again: one the server closed reads at once."""
    if connection.sock is None:
        return False
    try:
        readable, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


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
    """What the server's error body says (protocol v1's {"error", "message", "field"})."""
    try:
        error = json.loads(body)
    except ValueError:
        return "no explanation"
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return "no explanation"
    message = error["message"][:300]
    field = error.get("field")
    return f"{str(field)[:100]}: {message}" if field else message


def _reason(exc: Exception) -> str:
    """A few words for why a connection failed, the same whatever the library said."""
    text = f"{type(exc).__name__}: {exc}"
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
