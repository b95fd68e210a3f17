"""`GET /v1/now-playing/stream`: the now-playing answer as Server-Sent Events.

Each stream gets the whole answer at once (`event: now-playing`, `id:` its ETag, a `retry:`
hint), then the whole answer again on every change that matters to a reader
(`proxy.answers.changes`, sent by `proxy.web.stream_hub`), and a comment ping every 15 s.
"""

from __future__ import annotations

import contextlib
import random
from typing import Generic, TypeVar

from aiohttp import web

from proxy.answers.encoding import compact_json
from proxy.web.http import NO_STORE, SECURITY, cors_headers
from proxy.web.sse import EventStream, encode_event
from proxy.web.stream_hub import Reader, StreamHub

T = TypeVar("T")

# Set after aiohttp-sse's own `no-cache`: `no-transform` keeps a CDN or proxy from compressing
# or buffering the stream (https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.6).
CACHE_CONTROL = "no-cache, no-transform"
# A full proxy asks a reader to come back after a minute; the widget polls meanwhile.
FULL_RETRY_AFTER = 60
# The reconnection delay a browser's EventSource uses after a drop, spread over a few seconds
# so that thousands of readers do not all return in the same instant after a restart.
RECONNECT_MS = (2000, 6000)
FULL = "This proxy has as many live readers as it may: read /v1/now-playing instead."
UNAVAILABLE = "Spotify status is unavailable right now."


def refuse(error: str, retry_after: int, headers: dict[str, str]) -> web.Response:
    """503 in JSON: the widget falls back to polling and tries the stream again later."""
    return web.Response(
        body=compact_json({"error": error}),
        status=503,
        content_type="application/json",
        headers={**headers, **NO_STORE, "Retry-After": str(retry_after)},
    )


class StreamHandler(Generic[T]):
    """The stream endpoint of one hub, with the app's CORS allow-list and stream settings."""

    def __init__(
        self,
        hub: StreamHub[T],
        allowed: tuple[str, ...],
        *,
        ping_interval: float,
        send_timeout: float,
    ) -> None:
        self.hub = hub
        self.allowed = allowed
        self.ping_interval = ping_interval
        self.send_timeout = send_timeout

    def headers(self, request: web.Request) -> dict[str, str]:
        cors = cors_headers(request.headers.get("Origin"), self.allowed)
        return {**SECURITY, **cors, "Vary": "Origin"}

    async def head(self, request: web.Request) -> web.Response:
        headers = {
            **self.headers(request),
            "Content-Type": "text/event-stream",
            "Cache-Control": CACHE_CONTROL,
        }
        return web.Response(headers=headers)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        hub = self.hub
        reader = hub.admit()
        if reader is None:
            return refuse(FULL, FULL_RETRY_AFTER, self.headers(request))
        try:
            served = await hub.cache.get_served()
            if served is None:
                return refuse(UNAVAILABLE, hub.cache.retry_after(), self.headers(request))
            response = EventStream(
                headers=self.headers(request),
                send_timeout=self.send_timeout,
                ping_interval=self.ping_interval,
            )
            response.headers["Cache-Control"] = CACHE_CONTROL
            await response.prepare(request)
            response.on_end(reader.wake.set)
            reader.sent = served.answer.etag
            async with response:
                # A reader that goes away or stalls ends its stream; aiohttp-sse has already
                # stopped the ping and closed or aborted the connection.
                with contextlib.suppress(ConnectionResetError, TimeoutError):
                    await self._follow(response, reader, encode_event(served.answer, _retry()))
            return response
        finally:
            hub.leave(reader)

    async def _follow(self, response: EventStream, reader: Reader, snapshot: bytes) -> None:
        """Send the snapshot, then whatever the fan-out left to this stream's own task."""
        hub = self.hub
        reader.busy = True
        await response.send_encoded(snapshot)
        reader.busy = False
        reader.response = response
        while True:
            if reader.version == hub.version:
                await reader.wake.wait()
                reader.wake.clear()
            if hub.closed or not response.is_connected():
                return
            version, latest = hub.version, hub.latest
            if reader.version < version and latest is not None:
                reader.version = version
                if reader.sent != latest.answer.etag:
                    reader.sent = latest.answer.etag
                    reader.busy = True
                    await response.send_encoded(hub.message)
                    reader.busy = False


def _retry() -> int:
    # Spreads reconnections after a restart; nothing secret depends on it.
    return random.randint(*RECONNECT_MS)  # noqa: S311
