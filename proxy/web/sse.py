"""Server-Sent Events on aio-libs' aiohttp-sse (https://github.com/aio-libs/aiohttp-sse).

aiohttp-sse's response brings the headers, the ping, the send timeout (a stalled reader is
dropped, with TCP_USER_TIMEOUT on Linux) and the abort of a stalled connection. Its `send()`
formats the message for each stream; with thousands of streams the proxy formats a change once
(`encode_event`) and writes the same bytes to each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp_sse import EventSourceResponse

from proxy.answers.encoding import Answer

EVENT = "now-playing"


def encode_event(answer: Answer, retry_ms: int | None = None) -> bytes:
    """One `now-playing` event: `id:` the answer's ETag, `data:` its JSON, maybe `retry:`.

    The answer is compact JSON on one line; were a line break ever in it, each line would become
    its own `data:` field, which is how the standard reads them back
    (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
    """
    lines = [f"id: {answer.etag}", f"event: {EVENT}"]
    lines += [f"data: {line}" for line in answer.body.decode().splitlines()]
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class EventStream(EventSourceResponse):
    """aiohttp-sse's response, plus writing a message encoded once for every stream."""

    def gone(self) -> bool:
        """True once the reader's connection is closed or closing (it hung up)."""
        transport = self._req.transport if self._req is not None else None
        return transport is None or transport.is_closing()

    def has_room(self, size: int) -> bool:
        """True when `size` more bytes fit under the socket's high-water mark, so a write
        returns at once (no waiting for a reader that does not read)."""
        transport = self._req.transport if self._req is not None else None
        if transport is None or transport.is_closing():
            return False
        _low, high = transport.get_write_buffer_limits()
        return transport.get_write_buffer_size() + size <= high

    async def send_encoded(self, message: bytes) -> None:
        """`send()` for bytes from `encode_event`, with the same timeout and failure handling."""
        try:
            async with asyncio.timeout(self._send_timeout):
                await self.write(message)
        except ConnectionResetError:
            self.stop_streaming()
            raise
        except TimeoutError:
            self.stop_streaming()
            self._abort_transport()
            raise

    def on_end(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the stream ends: aiohttp-sse's ping task ends when a ping cannot
        be written (the reader went away or stalled) or when the stream is stopped."""
        ping = self._ping_task
        if ping is None or ping.done():
            callback()
        else:
            ping.add_done_callback(lambda _task: callback())
