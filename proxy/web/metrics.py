"""Metrics in the web layer: the second listener with `GET /metrics`, and the places that feed
it without touching the handlers or the Spotify core: an aiohttp client trace on the one
ClientSession (every Spotify call), the `on_response_prepare` signal (every answer served, by
endpoint), and the Redis error counts the grant store and the shared caches keep (read at scrape).

The listener is a separate `AppRunner` in the same process, on SPOTIFY_PROXY_METRICS only, so
`/metrics` never exists on the public listener.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from proxy.answers.cache import AnswerCache
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.client import retry_after_seconds
from proxy.spotify.grant import grant_expires_at
from proxy.spotify.tokens import AccessTokens
from proxy.web.lists import ListEndpoint, parse_query

if TYPE_CHECKING:  # prometheus_client and redis-py load only when they are used
    from proxy.answers.redis_link import RedisLink
    from proxy.metrics import Metrics

log = logging.getLogger(__name__)

METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
TRACES = web.AppKey("client_traces", list[aiohttp.TraceConfig])
NOW_PLAYING = "now-playing"
STALE = b'"stale":true'
# Which cache a 304 (no body) was served from, for its freshness.
CacheOf = Callable[[web.Request], AnswerCache[Any] | None]


class MetricsListenError(Exception):
    """The metrics listener cannot bind its address; the message says what to change."""


def install_metrics(
    app: web.Application,
    settings: Settings,
    clock: Clock,
    cache: AnswerCache[Any],
    lists: Mapping[str, ListEndpoint],
    tokens: AccessTokens | None,
    open_streams: Callable[[], int],
    link: RedisLink | None,
) -> Metrics | None:
    """Wire metrics into `app` when SPOTIFY_PROXY_METRICS is set; None (and no cost, not even
    importing prometheus_client) otherwise."""
    if settings.metrics_listen is None:
        return None
    from proxy.metrics import Metrics

    metrics = app[METRICS] = Metrics()
    app[TRACES] = [spotify_trace(metrics, settings, clock)]
    app.on_response_prepare.append(answer_counter(metrics, answer_routes(cache, lists)))
    metrics.track_streams(open_streams)
    if tokens is not None:
        tokens.events.listeners.append(metrics)
        metrics.track_grant(grant_remaining(tokens, clock))
    if link is not None:
        track_redis_errors(metrics, link, tokens)
    app.cleanup_ctx.append(metrics_listener(metrics, *settings.metrics_listen))
    return metrics


def client_traces(app: web.Application) -> list[aiohttp.TraceConfig] | None:
    """The trace configs for the app's ClientSession (none without metrics)."""
    return app.get(TRACES)


def endpoint_label(url: str, settings: Settings) -> str:
    """A Web API path such as /me/player/currently-playing, `token`, or `other`: the project's
    own constants, never a visitor's input, so the label set stays small."""
    if url.startswith(settings.api_url + "/"):
        return url[len(settings.api_url) :].split("?", 1)[0]
    if url.startswith(settings.accounts_url + "/"):
        return "token"
    return "other"


def spotify_trace(metrics: Metrics, settings: Settings, clock: Clock) -> aiohttp.TraceConfig:
    """Counts every HTTP call the proxy makes to Spotify and records the 429 deadline
    (https://docs.aiohttp.org/en/stable/client_advanced.html#client-tracing)."""
    from proxy.metrics import call_outcome

    trace = aiohttp.TraceConfig()

    async def on_end(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        status = params.response.status
        metrics.spotify_call(endpoint_label(str(params.url), settings), call_outcome(status))
        if status == 429:
            now = clock.now()
            wait = retry_after_seconds(params.response.headers.get("Retry-After"), now)
            metrics.rate_limited_until(now.timestamp() + wait)

    async def on_exception(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        outcome = "timeout" if isinstance(params.exception, TimeoutError) else "error"
        metrics.spotify_call(endpoint_label(str(params.url), settings), outcome)

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return trace


def answer_routes(
    now_playing: AnswerCache[Any], lists: Mapping[str, ListEndpoint]
) -> dict[str, tuple[str, CacheOf]]:
    """Each answer's path -> its `endpoint` label (the project's names, never a visitor's path)
    and the cache a 304 on it came from (a list's per time range, as its handler picks it)."""

    def list_cache(endpoint: ListEndpoint) -> CacheOf:
        def cache_of(request: web.Request) -> AnswerCache[Any] | None:
            query = parse_query(endpoint.endpoint, request.query)
            return None if isinstance(query, str) else endpoint.caches[query.range]

        return cache_of

    routes: dict[str, tuple[str, CacheOf]] = {
        f"/v1/{NOW_PLAYING}": (NOW_PLAYING, lambda _request: now_playing)
    }
    for name, endpoint in lists.items():
        routes[f"/v1/{name}"] = (endpoint.endpoint, list_cache(endpoint))
    return routes


def answer_counter(
    metrics: Metrics, routes: Mapping[str, tuple[str, CacheOf]]
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def count(request: web.Request, response: web.StreamResponse) -> None:
        route = routes.get(request.path)
        if route is None or request.method not in ("GET", "HEAD"):
            return
        endpoint, cache_of = route
        if response.status == 503:
            metrics.answer_served(endpoint, "503")
        elif response.status == 200 and isinstance(response, web.Response):
            body = response.body
            stale = isinstance(body, bytes) and STALE in body
            metrics.answer_served(endpoint, "stale" if stale else "fresh")
        elif response.status == 304:  # no body: the cache says which answer it serves
            cache = cache_of(request)
            served = cache.served() if cache is not None else None
            stale = served is not None and served.stale
            metrics.answer_served(endpoint, "stale" if stale else "fresh")

    return count


def track_redis_errors(metrics: Metrics, link: RedisLink, tokens: AccessTokens | None) -> None:
    """`mkdocs_spotify_redis_errors_total{part}` in Redis mode: `grant` (the grant store) and
    `answers` (the replica's one link, shared by its caches and its feed)."""
    from proxy.spotify.redis_store import RedisGrantStore

    if tokens is not None:
        store = tokens.store
        if isinstance(store, RedisGrantStore):
            metrics.track_redis_errors("grant", lambda: store.redis_errors)
    metrics.track_redis_errors("answers", lambda: link.errors)


def grant_remaining(tokens: AccessTokens, clock: Clock) -> Callable[[], float | None]:
    def remaining() -> float | None:
        authorized_at = tokens.status().authorized_at
        if authorized_at is None:
            return None
        return (grant_expires_at(authorized_at) - clock.now()).total_seconds()

    return remaining


def metrics_listener(
    metrics: Metrics, host: str, port: int
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """A `cleanup_ctx` entry: `GET /metrics` on host:port while the main app runs."""

    from prometheus_client import CONTENT_TYPE_LATEST

    async def scrape(_request: web.Request) -> web.Response:
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    @contextlib.asynccontextmanager
    async def context(_app: web.Application) -> AsyncIterator[None]:
        listener = web.Application()
        listener.router.add_get("/metrics", scrape)
        runner = web.AppRunner(listener, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            await runner.cleanup()
            raise MetricsListenError(
                f"SPOTIFY_PROXY_METRICS: cannot listen on {host}:{port} ({error.strerror}): "
                "choose a free port, or an address of this machine."
            ) from None
        log.info("Serving metrics on http://%s:%d/metrics", host, port)
        try:
            yield
        finally:
            await runner.cleanup()

    return context
