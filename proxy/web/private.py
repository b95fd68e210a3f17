"""Now playing under the kill switch: while it is on, every visitor gets idle at once.

The privacy step keeps what Spotify answers meanwhile out of the cache (and `last_played`); this
wrapper covers the answer already cached, so switching on takes effect within a second, not a
TTL (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from proxy.answers.encoding import render_json
from proxy.answers.private_switch import PrivateSwitch
from proxy.clock import Clock
from proxy.web.http import answer_headers, cors_headers, etag_matches

Handler = Callable[[web.Request], Awaitable[web.Response]]


def private_aware(
    handler: Handler, switch: PrivateSwitch, clock: Clock, allowed: tuple[str, ...], ttl: float
) -> Handler:
    async def now_playing(request: web.Request) -> web.Response:
        if not switch.on():
            return await handler(request)
        idle = {
            "status": "idle",
            "item": None,
            "progress_ms": None,
            # Whole seconds: the answer (and its ETag) stays the same for a second at least.
            "fetched_at": clock.epoch_ms() // 1000 * 1000,
            "last_played": None,
        }
        answer = render_json(idle, False)
        headers = {
            **answer_headers(answer.etag, ttl),
            **cors_headers(request.headers.get("Origin"), allowed),
        }
        if etag_matches(request.headers.get("If-None-Match"), answer.etag):
            del headers["Content-Type"]
            return web.Response(status=304, headers=headers)
        return web.Response(body=answer.body, headers=headers)

    return now_playing
