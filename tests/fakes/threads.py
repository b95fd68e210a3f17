"""Run an async fake server from a background thread, for synchronous tests (subprocesses)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager


@contextmanager
def serving_in_thread(
    start: Callable[[], Awaitable[object]], stop: Callable[[], Awaitable[object]]
) -> Iterator[None]:
    """`start()` on a fresh event loop in a daemon thread; `stop()` there on the way out."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(_wrap(start), loop).result(10)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(_wrap(stop), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _wrap(step: Callable[[], Awaitable[object]]) -> object:
    return await step()
