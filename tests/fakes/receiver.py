"""A notification receiver: a real aiohttp server on 127.0.0.1 that Apprise's `json://` posts to.

    async with Receiver() as receiver:
        settings = replace(settings, notify_urls=(receiver.apprise_url,))
        ...
        assert [m["title"] for m in receiver.messages] == [...]

The URL's path stands for a webhook secret: tests check it never shows up in logs or output.
`running()` serves from a thread for synchronous tests (subprocesses).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from tests.fakes.threads import serving_in_thread


class Receiver:
    def __init__(self) -> None:
        self.secret = "hook-" + secrets.token_hex(8)
        self.messages: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def apprise_url(self) -> str:
        return f"json://127.0.0.1:{self.port}/{self.secret}"

    async def _receive(self, request: web.Request) -> web.Response:
        if request.match_info["secret"] != self.secret:
            return web.Response(status=404)
        self.messages.append(await request.json())
        self.arrived.set()
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{secret}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait(self, count: int, seconds: float = 10.0) -> None:
        """Until `count` messages have arrived (TimeoutError otherwise)."""
        async with asyncio.timeout(seconds):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        with serving_in_thread(self.start, self.stop):
            yield self
