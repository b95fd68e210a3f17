"""Malformed requests: refused in one sentence, logged as one DEBUG line without a traceback.

aiohttp's parser refuses bad HTTP itself (an oversized header, a bad version, `Transfer-Encoding`
tricks, NUL, a missing or duplicate Host, a bare LF, obs-fold) and answers before any
application code runs; its server logger then writes ERROR with a full traceback for each, a
cheap way to fill an owner's disk. `QuietServerLog` replaces that logger (aiohttp's `logger`
handler argument) and logs those refusals as one DEBUG line; any other error keeps its
traceback. The answer itself stays aiohttp's plain-text 400: applications cannot replace it
(https://github.com/aio-libs/aiohttp/issues/3287, https://github.com/aio-libs/aiohttp/issues/9882).

What the parser lets through but the proxy still refuses (`screened`, around every route):
HTTP/0.9 request lines, which would otherwise get an `HTTP/0.9 200`, and more than one `Origin`
header, which CORS would otherwise read as the first. Those answers are the project's JSON 400.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import HttpVersion10, web
from aiohttp.http_exceptions import HttpProcessingError

from proxy.web.handlers import json_response
from proxy.web.origins import RefusedOrigins

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REASON_CHARS = 80


class QuietServerLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server logger, with refused malformed requests as one DEBUG line."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        if isinstance(error, HttpProcessingError):
            log.debug("Refused a malformed request: %s", describe(error))
            return
        super().log(level, msg, *args, **kwargs)


def server_args() -> dict[str, Any]:
    """Keyword arguments for aiohttp's request handler (`run_app(**server_args())`)."""
    return {"logger": QuietServerLog()}


def describe(error: HttpProcessingError) -> str:
    """One short printable line: the error's kind and the start of aiohttp's reason."""
    first_line = str(error.message).strip().split("\n", 1)[0]
    reason = first_line[:_REASON_CHARS].encode("ascii", "backslashreplace").decode()
    reason = "".join(c if c.isprintable() else "?" for c in reason)
    return f"{type(error).__name__} ({reason})" if reason else type(error).__name__


def screened(handler: Handler, refused: RefusedOrigins) -> Handler:
    """`handler` behind what every request goes through: the refusal of what the parser let
    through, and the note of a refused CORS origin.

    A wrapper made once per route, not a middleware or an `on_response_prepare` signal: aiohttp
    rebuilds its middleware chain for every request and awaits every signal handler, which
    together cost about a fifth of the warm-cache throughput (`make bench`)."""

    async def screen(request: web.Request) -> web.StreamResponse:
        problem = malformed(request)
        if problem is not None:
            log.debug("Refused a malformed request: %s", problem)
            refusal = json_response({"error": problem}, 400)
            refusal.force_close()
            return refusal
        response = await handler(request)
        refused.check(request, response)
        return response

    return screen


def malformed(request: web.BaseRequest) -> str | None:
    """The sentence refusing a request the parser accepted but the proxy does not, else None."""
    if request.version < HttpVersion10:
        return "HTTP/0.9 is not supported: send an HTTP/1.1 request."
    if len(request.headers.getall("Origin", ())) > 1:
        return "Send at most one Origin header."
    return None
