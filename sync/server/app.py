"""The HTTP face of the server (FastAPI): push, pull and heartbeat for kiosks.

Every request from a kiosk is untrusted. In order: a body larger than MAX_BODY_BYTES is 413
before it is read; no or a wrong bearer token is 401; too many requests is 429 with
``Retry-After``; anything but JSON is 415; a body that is not protocol v1 is 400 naming the
field; events of another kiosk are 403. Answers are JSON, errors as ``{"error", "message",
"field"}``; no traceback ever reaches a kiosk. The database work runs in a worker thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sync.protocol import (
    CONTENT_TYPE,
    HEALTH_PATH,
    HEARTBEAT_PATH,
    MAX_BODY_BYTES,
    PROTOCOL_VERSION,
    PULL_PATH,
    PUSH_PATH,
    WHOAMI_PATH,
    ErrorBody,
    Heartbeat,
    HeartbeatResponse,
    ProtocolError,
    PullRequest,
    PushRequest,
    encode,
    parse,
)
from sync.server import accounts, feed, ingest, web
from sync.server.db import writing
from sync.server.queue import PushQueue
from sync.server.ratelimit import RateLimit, RateLimited
from sync.server.tables import kiosks

log = logging.getLogger("kiosk_server")
Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")


class RefusedError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field
        self.headers = headers or {}


def _json(message: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode(message), status_code=status, media_type=CONTENT_TYPE, headers=headers)


def create_app(
    engine: Engine,
    *,
    rate_limit: RateLimit | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    limit = rate_limit or RateLimit()
    pushes = PushQueue(engine, limit)
    app = FastAPI(
        title="School library kiosk server",
        version=str(PROTOCOL_VERSION),
        # No generated API description (/openapi.json, /docs): it would be open without signing
        # in, and kiosks speak protocol v1 from sync/protocol.py, not from a schema.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(RefusedError)
    async def _refused(_request: Request, exc: RefusedError) -> Response:
        body = ErrorBody(error=exc.error, message=exc.message, field=exc.field)
        return _json(body, exc.status, exc.headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _exc: ClientDisconnect) -> Response:
        # A kiosk that lost its network or was switched off mid-upload: nothing was stored (the
        # body is read whole before anything is) and it sends the same events again later.
        log.info("%s %s: the client went away before its request was read", request.method,
                 request.url.path)  # fmt: skip
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _failed(_request: Request, exc: Exception) -> Response:
        log.exception("request failed")
        body = ErrorBody(error="server_error", message="the server could not do this; try later")
        return _json(body, 500)

    async def _authorised(request: Request) -> str:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            raise RefusedError(
                413, "too_large", f"a request body holds at most {MAX_BODY_BYTES} bytes"
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise RefusedError(
                401,
                "unauthorised",
                "send the kiosk's token as 'Authorization: Bearer'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        kiosk = await run_in_threadpool(accounts.kiosk_of, engine, token.strip())
        if kiosk is None:
            raise RefusedError(
                401,
                "unauthorised",
                "this token is unknown or was revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return kiosk

    async def _body(request: Request, model: type[Model]) -> Model:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != CONTENT_TYPE:
            raise RefusedError(
                415, "unsupported_media_type", f"send {CONTENT_TYPE}, not {media or 'nothing'}"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise RefusedError(
                    413, "too_large", f"a request body holds at most {MAX_BODY_BYTES} bytes"
                )
            chunks.append(chunk)
        try:
            return parse(model, b"".join(chunks))
        except ProtocolError as exc:
            raise RefusedError(400, "bad_request", str(exc), exc.field or None) from None

    def _own(kiosk: str, named: str, events: list[str] | None = None) -> None:
        if named != kiosk or any(k != kiosk for k in events or ()):
            raise RefusedError(
                403,
                "forbidden",
                f"this token belongs to kiosk {kiosk!r}; it may send only that kiosk's events",
                "kiosk_id",
            )

    @app.get(HEALTH_PATH)
    async def health() -> Response:
        return Response(
            json.dumps({"protocol": PROTOCOL_VERSION, "ok": True}), media_type=CONTENT_TYPE
        )

    @app.get(WHOAMI_PATH)
    async def whoami(request: Request) -> Response:
        kiosk = await _authorised(request)
        return Response(
            json.dumps({"protocol": PROTOCOL_VERSION, "kiosk_id": kiosk}), media_type=CONTENT_TYPE
        )

    @app.post(PUSH_PATH)
    async def push(request: Request) -> Response:
        kiosk = await _authorised(request)
        message = await _body(request, PushRequest)
        _own(kiosk, message.kiosk_id, [e.kiosk_id for e in message.events])
        answer = await _limited(pushes.store, ingest.Push(kiosk, message, clock()))
        return _json(answer)

    @app.post(PULL_PATH)
    async def pull(request: Request) -> Response:
        kiosk = await _authorised(request)
        message = await _body(request, PullRequest)
        _own(kiosk, message.kiosk_id)
        await _limited(limit.check, engine, kiosk, clock())
        return _json(await run_in_threadpool(feed.pull, engine, kiosk, message))

    @app.post(HEARTBEAT_PATH)
    async def heartbeat(request: Request) -> Response:
        kiosk = await _authorised(request)
        message = await _body(request, Heartbeat)
        _own(kiosk, message.kiosk_id)
        now = clock()
        await _limited(_store_heartbeat, engine, kiosk, message, now, limit)
        return _json(HeartbeatResponse(protocol=PROTOCOL_VERSION, server_time=now.isoformat()))

    # The librarian's pages (issue 9), on the same app: see sync/server/web.
    web.install(app, engine, clock)
    return app


async def _limited(work: Callable[..., T], *args: object) -> T:
    """Database work in a worker thread; a kiosk over its rate limit gets 429."""
    try:
        return await run_in_threadpool(work, *args)
    except RateLimited as exc:
        raise RefusedError(
            429, "rate_limited", str(exc), headers={"Retry-After": str(exc.retry_after)}
        ) from None
    except ingest.PushFailed:
        # Logged with its traceback where it failed; the kiosk sends it again later.
        raise RefusedError(
            500, "server_error", "the server could not store this push; try later"
        ) from None


def _store_heartbeat(
    engine: Engine, kiosk: str, message: Heartbeat, now: datetime, limit: RateLimit
) -> None:
    with writing(engine) as conn:
        limit.count(conn, kiosk, now)
        conn.execute(
            update(kiosks)
            .where(kiosks.c.name == kiosk)
            .values(
                last_heartbeat=message.model_dump_json(), last_heartbeat_at=now, last_seen_at=now
            )
        )
