"""`GET /v1/demo/covers/<n>.svg`: the demo session's album covers, routed only in demo mode.

The covers never change, so browsers and CDNs may keep them for a year; an SVG opened on its own
runs nothing (a Content-Security-Policy allowing no resource at all).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from proxy.answers.demo_art import cover_svg
from proxy.web.http import SECURITY

COVERS_ROUTE = "/v1/demo/covers/{file}"
COVER_HEADERS = {
    **SECURITY,
    "Cache-Control": "public, max-age=31536000, immutable",
    "Content-Security-Policy": "default-src 'none'",
    # A page on another origin shows them even when it requires this (Cross-Origin-Embedder-Policy).
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def cover_handler(
    not_found: Callable[[web.Request], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The covers' GET and HEAD; `not_found` answers any file that is not a cover."""

    async def cover(request: web.Request) -> web.Response:
        number, _, suffix = request.match_info["file"].partition(".")
        svg = cover_svg(int(number)) if number.isdecimal() and suffix == "svg" else None
        if svg is None:
            return await not_found(request)
        return web.Response(body=svg, content_type="image/svg+xml", headers=COVER_HEADERS)

    return cover
