"""Protocol v1's three exchanges (push, pull, heartbeat) over the kiosk's one HTTPS client.

The transport, its TLS and its failures are kiosk.server_client's (`kiosk doctor` uses the same
client); this module adds only what needs pydantic: the messages, encoded on the way out and
checked on the way back. An answer that is not protocol v1 is the client's ``bad_answer``.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from kiosk.server_client import (
    ServerError,
    ServerFailure,
    ServerRefused,
    ServerUnavailable,
    SyncClient,
    SyncError,
    UntrustedServer,
)
from sync.protocol import (
    HEARTBEAT_PATH,
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

__all__ = [
    "ServerError",
    "ServerFailure",
    "ServerRefused",
    "ServerUnavailable",
    "SyncClient",
    "SyncError",
    "UntrustedServer",
    "heartbeat",
    "pull",
    "push",
]

Model = TypeVar("Model", bound=BaseModel)


def push(client: SyncClient, request: PushRequest) -> PushResponse:
    return _exchange(client, PUSH_PATH, request, PushResponse)


def pull(client: SyncClient, request: PullRequest) -> PullResponse:
    return _exchange(client, PULL_PATH, request, PullResponse)


def heartbeat(client: SyncClient, message: Heartbeat) -> HeartbeatResponse:
    return _exchange(client, HEARTBEAT_PATH, message, HeartbeatResponse)


def _exchange(client: SyncClient, path: str, message: BaseModel, answer: type[Model]) -> Model:
    body = client.post(path, encode(message))
    try:
        return parse(answer, body)
    except ProtocolError as exc:
        raise ServerUnavailable(
            ServerFailure.BAD_ANSWER, f"{client.server}: the answer is not protocol v1 ({exc})"
        ) from None
