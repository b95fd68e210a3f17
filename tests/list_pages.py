"""A local server for the lists' browser tests: a page with the three elements, their real
assets, and the proxy's three list endpoints answering what the test sets.

    with ListServer().running() as server:
        server.answers["top/tracks"] = {"range": "short_term", "items": [...], ...}
        page.goto(server.url("/"))
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.widget_pages import ASSETS, serve_static, serving

LIST_ASSETS = ("spotify-lists.js", "spotify-lists.css")
PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="color-scheme" content="light dark">
<title>Lists test</title>
<link rel="stylesheet" href="/assets/spotify/spotify-lists.css">
<script defer src="/assets/spotify/spotify-lists.js"></script>
</head>
<body>
<main><h1>What I listen to</h1>
{elements}
</main>
</body>
</html>
"""


def played(title: str, played_at: int, **extra: Any) -> dict[str, Any]:
    """A recently-played entry in the proxy's shape."""
    return {**track(title), "played_at": played_at, **extra}


def track(
    title: str, *, artist: str = "Artist", track_id: str = "6ErMrfBK5DHrC9wI2bN9Ot"
) -> dict[str, Any]:
    return {
        "type": "track",
        "title": title,
        "url": f"https://open.spotify.com/track/{track_id}",
        "artists": [
            {"name": artist, "url": "https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb"}
        ],
        "album": {
            "name": f"{title} (album)",
            "url": "https://open.spotify.com/album/1HrMmB5useeZ0F5lHrMvl0",
        },
        "image": {"url": "https://i.scdn.co/image/ab67616d00004851", "width": 64, "height": 64},
        "duration_ms": 200_000,
        "explicit": False,
        "is_local": False,
    }


def artist(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "url": "https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb",
        "image": {"url": "https://i.scdn.co/image/artist160", "width": 160, "height": 160},
    }


@dataclass
class ListServer:
    elements: str = (
        '<spotify-recently-played proxy-url="/api" limit="3"></spotify-recently-played>\n'
        '<spotify-top-tracks proxy-url="/api" range="short_term" limit="3"></spotify-top-tracks>\n'
        '<spotify-top-artists proxy-url="/api" range="long_term" limit="3"></spotify-top-artists>'
    )
    lang: str = "en"
    csp: str | None = None
    static_dir: Path | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    queries: list[str] = field(default_factory=list)
    base: str = ""

    def url(self, path: str = "/") -> str:
        return self.base + path

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers])
        app.router.add_get("/", self._page)
        app.router.add_get("/assets/spotify/{name}", self._asset)
        app.router.add_get("/api/v1/{endpoint:.*}", self._answer)
        app.router.add_get("/site/{path:.*}", self._static)
        return app

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        if self.csp:
            response.headers["Content-Security-Policy"] = self.csp
        return response

    async def _page(self, request: web.Request) -> web.Response:
        text = PAGE.format(lang=html.escape(self.lang), elements=self.elements)
        return web.Response(text=text, content_type="text/html")

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in LIST_ASSETS:
            raise web.HTTPNotFound()
        return web.FileResponse(ASSETS / name)

    async def _answer(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        self.queries.append(f"{endpoint}?{request.query_string}")
        if self.status != 200 or endpoint not in self.answers:
            return web.json_response({"error": "unavailable"}, status=self.status or 503)
        return web.json_response(self.answers[endpoint])

    async def _static(self, request: web.Request) -> web.StreamResponse:
        return serve_static(self.static_dir, request)

    @contextmanager
    def running(self) -> Iterator[ListServer]:
        with serving(self.app()) as base:
            self.base = base
            yield self
