"""A local web server for the widget's browser tests.

It serves a plain test page (one stylesheet, one script, the element), the widget's real asset
files, a `now-playing` JSON endpoint that the test steers (`server.answer = Answer(...)`), its
server-sent events stream (`now-playing/stream`: the answer on connect and whenever the test sets a
new one), and optionally a folder such as a built MkDocs site. It runs on 127.0.0.1 in a
background thread so synchronous Playwright tests can use it:

    with WidgetServer().running() as server:
        server.answer = Answer(body=now_playing(track_item(title="Song")))
        page.goto(server.url("/"))
"""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.sync_api import Browser, Page

ASSETS = Path(__file__).resolve().parent.parent / "mkdocs_spotify" / "assets"
ASSET_NAMES = ("spotify-now-playing.js", "spotify-now-playing.css")
# The page-clock step of `Tab.advance`, in milliseconds.
CLOCK_STEP_MS = 1000
# True once the widget has no request in flight, i.e. it has handled the last answer and timed
# its next fetch (the one white-box peek in the timing tests: nothing visible says so on errors).
IDLE_WIDGET = "!document.querySelector('spotify-now-playing')._request"
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https://i.scdn.co; "
    "connect-src 'self'"
)

# What a test page needs to load the widget, as a standalone (non-MkDocs) user would write it.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="color-scheme" content="light dark">
<title>Widget test</title>
<link rel="stylesheet" href="/assets/spotify/spotify-now-playing.css">
<script {defer}src="/assets/spotify/spotify-now-playing.js"></script>
{head}
</head>
<body>
<main><h1>Widget test</h1><p>Some text above the footer.</p></main>
<footer>
<spotify-now-playing {attributes}></spotify-now-playing>
<p id="below">Text below the widget.</p>
</footer>
{body}
</body>
</html>
"""


# The longest an answer waits for its gate, so a test that fails before opening it still ends.
GATE_LIMIT = 30.0


@dataclass
class Answer:
    """What the JSON endpoint says next: a status, a JSON body, and optionally a gate the test
    opens (`gate.set()`) when the answer may go out."""

    status: int = 200
    body: Any = None
    gate: threading.Event | None = None


# --- the proxy's JSON shape (docs/json-api.md), for steering the widget ---------------------------


def track_item(
    title: str = "Pyramid Song",
    *,
    artists: tuple[str, ...] = ("Radiohead",),
    album: str = "Amnesiac",
    url: str | None = "https://open.spotify.com/track/6ErMrfBK5DHrC9wI2bN9Ot",
    album_url: str | None = "https://open.spotify.com/album/1HrMmB5useeZ0F5lHrMvl0",
    image: str | None = "https://i.scdn.co/image/ab67616d0000b273amnesiac",
    duration_ms: int = 289000,
    explicit: bool = False,
    kind: str = "track",
    is_local: bool = False,
) -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "url": url,
        "artists": [
            {"name": name, "url": f"https://open.spotify.com/artist/{index}"}
            for index, name in enumerate(artists)
        ],
        "album": {"name": album, "url": album_url},
        "image": {"url": image, "width": 640, "height": 640} if image else None,
        "duration_ms": duration_ms,
        "explicit": explicit,
        "is_local": is_local,
    }


def now_playing(
    item: dict[str, Any] | None = None,
    *,
    status: str = "playing",
    progress_ms: int | None = 60000,
    last_played: dict[str, Any] | None = None,
    fetched_at: int | None = None,
    stale: bool = False,
) -> dict[str, Any]:
    if item is None:
        status, progress_ms = "idle", None
    return {
        "status": status,
        "item": item,
        "progress_ms": progress_ms,
        "fetched_at": int(time.time() * 1000) if fetched_at is None else fetched_at,
        "stale": stale,
        "last_played": last_played,
    }


def page_html(
    attributes: Mapping[str, str], *, defer: bool = True, head: str = "", body: str = ""
) -> str:
    """The test page; `head` and `body` are extra markup for the end of each."""
    rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    return PAGE.format(attributes=rendered, defer="defer " if defer else "", head=head, body=body)


@dataclass
class WidgetServer:
    """Test page + assets + steerable JSON endpoint (+ an optional static folder)."""

    static_dir: Path | None = None
    csp: str | None = None
    # Polling only unless a test asks for the stream: most tests time fetches with the page clock.
    attributes: dict[str, str] = field(default_factory=lambda: {"proxy-url": "/api", "live": "off"})
    answer: Answer = field(default_factory=lambda: Answer(body=now_playing(track_item())))
    # Monotonic times of the endpoint's hits, so tests can count fetches over a period.
    hits: list[float] = field(default_factory=list)
    # Streams opened so far, and how many are open now.
    streams_opened: int = 0
    streams_open: int = 0
    # Set by a test to end every open stream (as a proxy going away would).
    stream_generation: int = 0
    # The stream's HTTP status when opened (503: the proxy's stream cap), and whether open
    # streams stop passing changes on (a buffering reverse proxy).
    stream_status: int = 200
    stream_frozen: bool = False
    # Variants of the page: the script without `defer` (themes that drop it), extra markup.
    defer: bool = True
    head: str = ""
    body: str = ""
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        return self.url("")

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers])
        app.router.add_get("/", self._page)
        app.router.add_get("/assets/spotify/{name}", self._asset)
        app.router.add_get("/api/v1/now-playing", self._now_playing)
        app.router.add_get("/api/v1/now-playing/stream", self._stream)
        app.router.add_get("/site/{path:.*}", self._static)
        return app

    async def _static(self, request: web.Request) -> web.StreamResponse:
        return serve_static(self.static_dir, request)

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        if self.csp:
            response.headers["Content-Security-Policy"] = self.csp
        return response

    async def _page(self, request: web.Request) -> web.Response:
        page = page_html(self.attributes, defer=self.defer, head=self.head, body=self.body)
        return web.Response(text=page, content_type="text/html")

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in ASSET_NAMES:
            raise web.HTTPNotFound()
        return web.FileResponse(ASSETS / name)

    async def _now_playing(self, request: web.Request) -> web.Response:
        self.hits.append(time.monotonic())
        answer = self.answer
        if answer.gate:
            await asyncio.to_thread(answer.gate.wait, GATE_LIMIT)
        if answer.status != 200:
            return web.json_response({"error": "unavailable"}, status=answer.status)
        return web.json_response(answer.body)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """The answer as `event: now-playing` on connect and on every change, as the proxy does."""
        status = self.answer.status if self.answer.status != 200 else self.stream_status
        if status != 200:
            return web.json_response({"error": "unavailable"}, status=status)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.streams_opened += 1
        self.streams_open += 1
        generation = self.stream_generation
        sent: Answer | None = None
        try:
            while generation == self.stream_generation and not _gone(request):
                if self.answer is not sent and not (sent and self.stream_frozen):
                    sent = self.answer
                    if sent.status != 200:
                        break
                    data = json.dumps(sent.body)
                    await response.write(f"event: now-playing\ndata: {data}\n\n".encode())
                await asyncio.sleep(0.02)
        finally:
            self.streams_open -= 1
        return response

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        assert server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @contextmanager
    def running(self) -> Iterator[WidgetServer]:
        with background_loop() as loop:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(10)
            try:
                yield self
            finally:
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)


def _gone(request: web.Request) -> bool:
    """The browser closed the stream (aiohttp does not cancel the handler by itself)."""
    return request.transport is None or request.transport.is_closing()


@contextmanager
def background_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a daemon thread, for aiohttp servers used by synchronous tests."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- the browser side -------------------------------------------------------------------------

# A 1x1 PNG served in place of Spotify's image CDN (there is no internet in tests).
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f0005000201a5f1c9e70000000049454e44ae426082"
)


@dataclass
class Tab:
    """A page plus everything that went wrong in it: page errors, console errors, CSP reports."""

    page: Page
    problems: list[str] = field(default_factory=list)
    # now-playing requests the browser has finished (answered or failed), to sync with timers.
    finished: int = 0

    def widget_text(self) -> str:
        return self.page.locator("spotify-now-playing").inner_text()

    def wait_for_state(self, state: str, timeout: float = 5000) -> None:
        self.page.wait_for_selector(f'spotify-now-playing[data-state="{state}"]', timeout=timeout)

    def pause_clock(self) -> None:
        """Install the page clock, paused: only the test moves the widget's timers (its polls
        and back-offs), while the network, a stream included, runs in real time."""
        self.page.clock.install()
        self.page.clock.pause_at(time.time() * 1000)

    def advance(self, seconds: float) -> None:
        """Move a paused page clock on in 1 s steps, each fetch a step starts answered before
        the next step (1 s is shorter than any poll, and than the 10 s fetch timeout)."""
        for _ in range(round(seconds * 1000 / CLOCK_STEP_MS)):
            self.page.clock.run_for(CLOCK_STEP_MS)
            self.page.wait_for_function(IDLE_WIDGET, timeout=10_000)

    def advance_until(self, condition: Callable[[], bool], seconds: float) -> None:
        """Move a paused page clock on until `condition` holds, within `seconds` of page time."""
        passed = 0.0
        while not condition():
            assert passed < seconds, f"not within {seconds} s of page time"
            self.advance(CLOCK_STEP_MS / 1000)
            passed += CLOCK_STEP_MS / 1000

    def run_until_state(self, state: str, seconds: int) -> None:
        """Advance an installed page clock in 5 s steps, letting real requests land in between.

        One big jump would also fire the widget's 10 s request timeout before a real response
        can arrive, which no real visitor ever sees.
        """
        widget = self.page.locator("spotify-now-playing")
        for _ in range(0, seconds, 5):
            if widget.get_attribute("data-state") == state:
                return
            self.page.clock.run_for(5000)
            # A fetch the step started is answered before the clock moves on (on a busy
            # machine a fixed pause let two steps, the 10 s timeout, pass while it was in flight).
            self.page.wait_for_function(IDLE_WIDGET, timeout=10_000)
        self.wait_for_state(state)


def until(condition: Callable[[], bool], tab: Tab, seconds: float = 10) -> float:
    """Wait (real time) until `condition` holds; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, "timed out"
        tab.page.wait_for_timeout(20)
    return time.monotonic() - start


def open_tab(browser: Browser, **context_options: Any) -> Tab:
    """A fresh context and page that fakes Spotify's image CDN and records every problem."""
    context = browser.new_context(**context_options)
    context.route(
        "https://*.scdn.co/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=PIXEL),
    )
    page = context.new_page()
    tab = Tab(page)
    page.on("pageerror", lambda error: tab.problems.append(f"pageerror: {error}"))

    def count(url: str) -> None:
        if url.endswith("/v1/now-playing"):
            tab.finished += 1

    page.on("response", lambda response: count(response.url))
    page.on("requestfailed", lambda request: count(request.url))
    page.on(
        "console",
        lambda message: (
            tab.problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    return tab


@contextmanager
def serving(app: web.Application) -> Iterator[str]:
    """Serve an aiohttp app (e.g. the real proxy) on 127.0.0.1; yields its base URL."""
    with background_loop() as loop:
        runner = web.AppRunner(app)

        async def start() -> str:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            assert server.sockets  # type: ignore[attr-defined]
            return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"  # type: ignore[attr-defined]

        base = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        try:
            yield base
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)


def serve_static(static_dir: Path | None, request: web.Request) -> web.StreamResponse:
    """A built site under /site/, with directory URLs served by their index.html."""
    if static_dir is None:
        raise web.HTTPNotFound()
    root = static_dir.resolve()
    path = (root / request.match_info["path"]).resolve()
    if path.is_dir():
        path = path / "index.html"
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


# The built-in themes load highlight.js from a CDN; there is no internet in tests, so a stub
# stands in (turning highlightjs off instead trips a bug in the mkdocs theme's darkmode.js).
HLJS_STUB = "window.hljs = {highlightAll() {}, highlightElement() {}, initHighlightingOnLoad() {}};"


def open_themed(browser: Browser, **context: Any) -> Tab:
    """A tab whose requests to the themes' CDN get the highlight.js stub."""
    tab = open_tab(browser, **context)
    tab.page.route(
        "https://cdnjs.cloudflare.com/**",
        lambda route: route.fulfill(
            body=HLJS_STUB if route.request.url.endswith(".js") else "",
            content_type="text/javascript" if route.request.url.endswith(".js") else "text/css",
        ),
    )
    return tab
