"""`GET /v1/now-playing/stream`: the now-playing answer as Server-Sent Events.

Each stream gets the whole answer at once (`event: now-playing`, `id:` its ETag, a `retry:`
hint), then the whole answer again on every change that matters to a reader
(`proxy.answers.changes`), and a comment ping every 15 s. All streams share the one answer
cache: while any is open, `StreamHub.drive` reads the cache at each TTL boundary, so Spotify
sees no more calls than with one visitor polling, and none once the last stream closes.

Built on aio-libs' aiohttp-sse (https://github.com/aio-libs/aiohttp-sse): its response has the
send timeout (a stalled reader is dropped, with TCP_USER_TIMEOUT on Linux) and the ping; the ping
is also how a reader that went away is noticed, since aiohttp does not cancel handlers on
disconnect (https://docs.aiohttp.org/en/stable/web_advanced.html#web-handler-cancellation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Generic, TypeVar

from aiohttp import web
from aiohttp_sse import EventSourceResponse

from proxy.answers.cache import AnswerCache, Served
from proxy.answers.encoding import compact_json
from proxy.web.http import NO_STORE, SECURITY, cors_headers

log = logging.getLogger(__name__)

T = TypeVar("T")
Matters = Callable[[Served[T], Served[T]], bool]

EVENT = "now-playing"
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


class EventStream(EventSourceResponse):
    """aiohttp-sse's response, plus a wait for "something to send, or the end"."""

    async def until_change_or_end(self, change: asyncio.Future[None]) -> None:
        # The ping task ends when a ping cannot be written (the reader went away or stalled)
        # or when the stream is stopped; it is aiohttp-sse's own signal for `wait()`.
        ping = self._ping_task
        if ping is None or ping.done():
            return
        await asyncio.wait((change, ping), return_when=asyncio.FIRST_COMPLETED)


class StreamHub(Generic[T]):
    """The open streams of one answer cache: their number and cap, the last answer they were
    all sent, and the task that keeps the cache fresh while any is open."""

    def __init__(self, cache: AnswerCache[T], matters: Matters[T], *, limit: int) -> None:
        self.cache = cache
        self.limit = limit
        self.count = 0
        self.closed = False
        self.version = 0  # counts the answers broadcast
        self.latest: Served[T] | None = None
        self._matters = matters
        self._change: asyncio.Future[None] | None = None
        self._listening = asyncio.Event()
        cache.subscribe(self._on_answer)

    def admit(self) -> bool:
        """Take a slot for a new stream; False when the cap is reached or the app stops."""
        if self.closed or self.count >= self.limit:
            return False
        self.count += 1
        self._listening.set()
        return True

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._listening.clear()

    def change(self) -> asyncio.Future[None]:
        """Resolves at the next broadcast (or when the hub closes)."""
        if self._change is None:
            self._change = asyncio.get_running_loop().create_future()
        return self._change

    def close(self) -> None:
        """Tell every stream to end (the app is shutting down) and admit no more."""
        self.closed = True
        self._wake()

    async def drive(self) -> None:
        """While any stream is open, read the cache whenever its answer is due."""
        while True:
            await self._listening.wait()
            if self.cache.in_flight:
                await self.cache.settled()
                continue
            delay = self.cache.next_start_in()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            try:
                await self.cache.get_served()
            except Exception as error:  # a bug must not stop the streams' updates for good
                log.error(
                    "Refreshing the answer for live streams failed (%s).", type(error).__name__
                )
                await asyncio.sleep(self.cache.ttl)

    def _on_answer(self, served: Served[T]) -> None:
        if self.latest is not None and not self._matters(self.latest, served):
            return
        self.latest = served
        self.version += 1
        self._wake()

    def _wake(self) -> None:
        change, self._change = self._change, None
        if change is not None and not change.done():
            change.set_result(None)


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
        if not hub.admit():
            return refuse(FULL, FULL_RETRY_AFTER, self.headers(request))
        try:
            version = hub.version  # before the snapshot: a broadcast meanwhile is not missed
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
            async with response:
                # A reader that goes away or stalls ends its stream; aiohttp-sse has already
                # stopped the ping and closed or aborted the connection.
                with contextlib.suppress(ConnectionResetError, TimeoutError):
                    await self._follow(response, served, version)
            return response
        finally:
            hub.leave()

    async def _follow(self, response: EventStream, served: Served[T], version: int) -> None:
        hub = self.hub
        sent = served.answer.etag
        await response.send(
            served.answer.body.decode(), id=sent, event=EVENT, retry=random.randint(*RECONNECT_MS)
        )
        while True:
            if hub.version == version:
                await response.until_change_or_end(hub.change())
            if hub.closed or not response.is_connected():
                return
            version = hub.version
            latest = hub.latest
            if latest is not None and latest.answer.etag != sent:
                sent = latest.answer.etag
                await response.send(latest.answer.body.decode(), id=sent, event=EVENT)
