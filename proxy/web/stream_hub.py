"""The open live streams of one answer cache: the cap, the fan-out of changes, the driver.

While any stream is open, `StreamHub.drive` reads the cache whenever its answer is due, so the
streams share the GETs' single flight and TTL: Spotify sees no more calls than with one visitor
polling, and none once the last stream closes. A change that matters (`matters`) is encoded once
and written to every stream by one task, without a task switch per stream; a stream whose socket
is full gets it from its own task instead, under the send timeout. `StreamHub.sweep` ends the
streams of readers who hung up: aiohttp does not cancel a handler when its client disconnects
(https://docs.aiohttp.org/en/stable/web_advanced.html#web-handler-cancellation).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from proxy.answers.cache import AnswerCache, Served
from proxy.web.sse import EventStream, encode_event

log = logging.getLogger(__name__)

T = TypeVar("T")
Matters = Callable[[Served[T], Served[T]], bool]

# Streams written in one go before the fan-out lets other requests run.
FAN_OUT_SLICE = 500
# How often the hub looks for readers that hung up; the ping would notice only every 15 s. A
# look at 10,000 sockets costs a few milliseconds.
SWEEP_INTERVAL = 1.0


class Reader:
    """One open stream: its response, what it was last sent, and its task's wake-up call."""

    __slots__ = ("busy", "response", "sent", "version", "wake")

    def __init__(self, version: int) -> None:
        self.response: EventStream | None = None  # set once the headers are out
        self.sent = ""  # ETag of the last answer written
        self.version = version  # the hub's version it is up to date with
        self.busy = False  # its own task is writing
        self.wake = asyncio.Event()


class StreamHub(Generic[T]):
    def __init__(self, cache: AnswerCache[T], matters: Matters[T], *, limit: int) -> None:
        self.cache = cache
        self.limit = limit
        self.closed = False
        self.version = 0  # counts the answers broadcast
        self.latest: Served[T] | None = None
        self.message = b""  # `latest` as an event
        self._matters = matters
        self._readers: set[Reader] = set()
        self._listening = asyncio.Event()
        self._fan_outs: set[asyncio.Task[None]] = set()
        cache.subscribe(self._on_answer)

    @property
    def count(self) -> int:
        return len(self._readers)

    def admit(self) -> Reader | None:
        """A slot for a new stream; None when the cap is reached or the app stops."""
        if self.closed or len(self._readers) >= self.limit:
            return None
        reader = Reader(self.version)
        self._readers.add(reader)
        self._listening.set()
        return reader

    def leave(self, reader: Reader) -> None:
        self._readers.discard(reader)
        if not self._readers:
            self._listening.clear()

    def close(self) -> None:
        """Tell every stream to end (the app is shutting down) and admit no more."""
        self.closed = True
        for reader in self._readers:
            reader.wake.set()

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

    async def sweep(self) -> None:
        """End the streams of readers who hung up, so their slots (and the driver) free soon."""
        while True:
            await self._listening.wait()
            for reader in tuple(self._readers):
                if reader.response is not None and reader.response.gone():
                    reader.response.stop_streaming()
            await asyncio.sleep(SWEEP_INTERVAL)

    def _on_answer(self, served: Served[T]) -> None:
        if self.latest is not None and not self._matters(self.latest, served):
            return
        self.latest = served
        self.message = encode_event(served.answer)
        self.version += 1
        task = asyncio.get_running_loop().create_task(self._fan_out(self.version))
        self._fan_outs.add(task)
        task.add_done_callback(self._fan_outs.discard)

    async def _fan_out(self, version: int) -> None:
        message = self.message
        etag = self.latest.answer.etag if self.latest is not None else ""
        for done, reader in enumerate(tuple(self._readers), 1):
            if version != self.version:
                return  # a newer answer has its own fan-out
            if reader.version < version:
                await self._deliver(reader, version, etag, message)
            if done % FAN_OUT_SLICE == 0:
                await asyncio.sleep(0)

    async def _deliver(self, reader: Reader, version: int, etag: str, message: bytes) -> None:
        response = reader.response
        if response is None or reader.busy or not response.has_room(len(message)):
            reader.wake.set()  # its own task sends it, under the send timeout
            return
        reader.version = version
        if reader.sent == etag:
            return
        reader.sent = etag
        try:
            # With room under the socket's high-water mark this returns without waiting: no
            # task switch, and no reader can hold up the others.
            await response.write(message)
        except (ConnectionResetError, RuntimeError):  # gone: stopping it ends its task
            response.stop_streaming()
