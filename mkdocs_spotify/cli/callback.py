"""The loopback listener Spotify redirects the owner's browser to during `mkdocs-spotify login`.

Binds 127.0.0.1 only, answers `/callback` only (404 elsewhere), refuses a wrong or missing
`state` with a 400 page and keeps waiting, and hands the first good answer to `result`.
"""

from __future__ import annotations

import asyncio
import errno
import html

from aiohttp import web

from mkdocs_spotify.cli.oauth import (
    CALLBACK_PATH,
    LOOPBACK_HOST,
    CallbackError,
    Code,
    Refused,
    parse_callback,
)


class PortInUse(Exception):
    """Another program listens on the port; the message says how to pick another one."""


def _page(status: int, title: str, text: str) -> web.Response:
    body = (
        "<!doctype html><meta charset=utf-8>"
        f"<title>mkdocs-spotify: {html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


class CallbackListener:
    def __init__(self, state: str, port: int) -> None:
        self._state = state
        self.port = port
        self.result: asyncio.Future[Code | Refused] = asyncio.get_running_loop().create_future()
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(CALLBACK_PATH, self._callback)
        return app

    async def _callback(self, request: web.Request) -> web.Response:
        if self.result.done():
            return _page(200, "Already done", "This login has finished. You can close this tab.")
        try:
            outcome = parse_callback(request.query, self._state)
        except CallbackError as problem:
            return _page(
                400,
                "Not accepted",
                f"This page was not accepted: {problem}. Start from the link "
                "`mkdocs-spotify login` printed; it is still waiting.",
            )
        self.result.set_result(outcome)
        if isinstance(outcome, Refused):
            return _page(
                200,
                "Authorization refused",
                f"Spotify answered {outcome.error}. You can close this tab; the terminal "
                "says what to do next.",
            )
        return _page(
            200,
            "Spotify is connected",
            "mkdocs-spotify received the authorization. You can close this tab.",
        )

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        # Loopback only: the code must never be reachable from the network. SO_REUSEADDR (the
        # default) lets the owner run `login` again at once: without it the connections the last
        # run closed hold the port in TIME_WAIT for a minute. A live listener still refuses us.
        site = web.TCPSite(self._runner, LOOPBACK_HOST, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"Port {self.port} on {LOOPBACK_HOST} is already in use: stop the program "
                    "using it, or run `mkdocs-spotify login --port <another port>` and register "
                    "http://127.0.0.1:<that port>/callback in the Spotify dashboard."
                ) from None
            raise PortInUse(
                f"Cannot listen on {LOOPBACK_HOST}:{self.port} ({error.strerror}): run "
                "`mkdocs-spotify login --port <another port>`."
            ) from None

    def bound_addresses(self) -> list[tuple[str, int]]:
        if self._runner is None:
            return []
        return [(str(addr[0]), int(addr[1])) for addr in self._runner.addresses]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
