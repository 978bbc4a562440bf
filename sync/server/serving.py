"""How `kiosk-server serve` runs uvicorn: with a deadline for each request's headers.

uvicorn times a connection out only between requests, and only until the next request's first
byte: a connection that opens and sends nothing, or half a request line, or its headers a byte
a minute (slowloris), is kept for ever, each holding a file descriptor. ``HeaderDeadline``
closes a connection whose request headers have not all arrived ``header_timeout`` seconds after
the connection opened or the request began. A body is not bounded here: an upload may take its
time on a slow link.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

KEEP_ALIVE = 30  # seconds an idle kept-alive connection stays open (a kiosk's sync interval)


class ServeConfig(uvicorn.Config):
    """uvicorn's configuration with ``header_timeout`` in seconds (`serve --header-timeout`; a
    class at module level, so that worker processes started from it find it again)."""

    def __init__(self, app: Any, *, header_timeout: float, **options: Any) -> None:
        super().__init__(app, http=HeaderDeadline, **options)
        self.header_timeout = header_timeout


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools) with a deadline for each request's headers."""

    def __init__(self, config: ServeConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._header_timeout = config.header_timeout
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self._header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
