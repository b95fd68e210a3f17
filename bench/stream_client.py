"""The load generator for the stream benchmark, in its own process:
`python -m bench.stream_client PORT STREAMS TITLE`.

Opens STREAMS connections to `/v1/now-playing/stream` on 127.0.0.1:PORT, each a bare asyncio
protocol (no task, no parser: it only looks for TITLE in what arrives and notes the time), so
one process holds ten thousand and timestamps each arrival as it is read. Prints `{"ready": N}`
once every stream has its snapshot, then `{"arrivals": [...]}`: the `time.monotonic()` at which
each stream received the event naming TITLE (CLOCK_MONOTONIC is one clock for all processes on
Linux, so the controller compares it with its own). Holds the streams until a line on stdin.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from proxy.limits import files_for_streams, raise_open_files_limit

CONNECTING = 200  # connections opened at once: the proxy's listen backlog is 128 by default
WAIT_FOR_EVENT = 60.0
REQUEST = b"GET /v1/now-playing/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"


class Stream(asyncio.Protocol):
    def __init__(self, needle: bytes) -> None:
        self.needle = needle
        self.tail = b""  # the end of the last read, in case the needle straddles two reads
        self.snapshot = asyncio.get_running_loop().create_future()
        self.arrived = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(REQUEST)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.snapshot.done():
            if b"event: now-playing" in data:
                self.snapshot.set_result(None)
            return
        if not self.arrived.done() and self.needle in self.tail + data:
            self.arrived.set_result(now)
        self.tail = data[-len(self.needle) :]

    def connection_lost(self, exc: Exception | None) -> None:
        for waiter in (self.snapshot, self.arrived):
            if not waiter.done():
                waiter.set_exception(ConnectionError("the proxy closed the stream"))


async def open_stream(port: int, needle: bytes, gate: asyncio.Semaphore) -> Stream:
    loop = asyncio.get_running_loop()
    async with gate:
        _transport, stream = await loop.create_connection(lambda: Stream(needle), "127.0.0.1", port)
        await stream.snapshot
    return stream


async def main(port: int, streams: int, title: str) -> int:
    raise_open_files_limit(files_for_streams(streams))
    needle = f'"title":"{title}"'.encode()
    gate = asyncio.Semaphore(CONNECTING)
    opened = await asyncio.gather(*(open_stream(port, needle, gate) for _ in range(streams)))
    print(json.dumps({"ready": len(opened)}), flush=True)
    arrivals = await asyncio.wait_for(
        asyncio.gather(*(stream.arrived for stream in opened)), WAIT_FOR_EVENT
    )
    print(json.dumps({"arrivals": arrivals}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])))
