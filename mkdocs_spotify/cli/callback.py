"""The loopback listener Spotify redirects the owner's browser to during `mkdocs-spotify login`.

Binds 127.0.0.1 only, answers `/callback` only (404 elsewhere), refuses a wrong or missing
`state` with a 400 page and keeps waiting, and hands the first good answer to `result`. The
browser's page waits for `conclude()`: it tells the real outcome of the code exchange, not
just that a code arrived.

Hardening (RFC 8252 §8.3 and OAuth's security BCP, RFC 9700 §4.2):
https://www.rfc-editor.org/rfc/rfc8252#section-8.3, https://www.rfc-editor.org/rfc/rfc9700
- a request whose Host is not `127.0.0.1:PORT` or `[::1]:PORT` gets 400: a web page that
  rebinds its own name to 127.0.0.1 (DNS rebinding) cannot talk to the listener;
- every page sends `Cache-Control: no-store` and `Referrer-Policy: no-referrer`, so the
  code in the address never lands in a cache or in a Referer header;
- a malformed request (say a 100 kB address) is one DEBUG line, not a traceback on the
  owner's terminal.
"""

from __future__ import annotations

import asyncio
import errno
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from mkdocs_spotify.cli.oauth import (
    CALLBACK_PATH,
    LOOPBACK_HOST,
    CallbackError,
    Code,
    Refused,
    parse_callback,
)

log = logging.getLogger(__name__)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# aiohttp's own message for a request it cannot parse (web_protocol.RequestHandler.handle_error).
_AIOHTTP_BAD_REQUEST = "Error handling request from %s"


class PortInUse(Exception):
    """Another program listens on the port; the message says how to pick another one."""


@dataclass(frozen=True)
class Verdict:
    """What the browser's page says once the login knows how the code exchange went."""

    ok: bool
    text: str


def _page(status: int, title: str, text: str) -> web.Response:
    body = (
        "<!doctype html><meta charset=utf-8>"
        f"<title>mkdocs-spotify: {html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host headers a browser sends for the redirect URI (no port when it is 80)."""
    hosts = {f"{LOOPBACK_HOST}:{port}", f"[::1]:{port}"}
    if port == 80:
        hosts |= {LOOPBACK_HOST, "[::1]"}
    return frozenset(hosts)


class _QuietMalformed(logging.Filter):
    """aiohttp logs an unparsable request as an ERROR with a traceback: make it one DEBUG line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _AIOHTTP_BAD_REQUEST and record.exc_info:
            error = record.exc_info[1]
            # The type only: the message of a parse error may quote the request line.
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "Refused a malformed request from %s (%s)."
            record.args = (remote, type(error).__name__)
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.DEBUG
            record.levelname = logging.getLevelName(logging.DEBUG)
        return True


def _server_logger() -> logging.Logger:
    server = logging.getLogger(f"{__name__}.server")
    if not any(isinstance(f, _QuietMalformed) for f in server.filters):
        server.addFilter(_QuietMalformed())
    return server


class CallbackListener:
    def __init__(self, state: str, port: int) -> None:
        self._state = state
        self.port = port
        loop = asyncio.get_running_loop()
        self.result: asyncio.Future[Code | Refused] = loop.create_future()
        self._verdict: asyncio.Future[Verdict] = loop.create_future()
        self._hosts = allowed_hosts(port)
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._check_host])
        app.router.add_get(CALLBACK_PATH, self._callback)
        app.on_response_prepare.append(_add_page_headers)
        return app

    @web.middleware
    async def _check_host(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        hosts = request.headers.getall("Host", [])
        if len(hosts) != 1 or hosts[0].lower() not in self._hosts:
            return _page(
                400,
                "Not accepted",
                f"This listener only answers http://{LOOPBACK_HOST}:{self.port}{CALLBACK_PATH}.",
            )
        return await handler(request)

    async def _callback(self, request: web.Request) -> web.Response:
        if self.result.done():
            return _page(
                200,
                "Already done",
                "This login already has its answer: the first tab and the terminal say how it "
                "went. You can close this tab.",
            )
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
        # shield: a browser that gives up must not cancel the verdict for the login.
        verdict = await asyncio.shield(self._verdict)
        if isinstance(outcome, Refused):
            return _page(200, "Authorization refused", verdict.text)
        if verdict.ok:
            return _page(200, "Spotify is connected", verdict.text)
        return _page(500, "Login failed", verdict.text)

    def conclude(self, verdict: Verdict) -> None:
        """Tell the waiting browser page how the login ended (only the first call counts)."""
        if not self._verdict.done():
            self._verdict.set_result(verdict)

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None, logger=_server_logger())
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
        # A page still waiting gets an answer before the server closes under it.
        self.conclude(Verdict(False, "The login ended: the terminal says why."))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _add_page_headers(_request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(PAGE_HEADERS)
