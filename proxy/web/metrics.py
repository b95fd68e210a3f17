"""Metrics in the web layer: the second listener with `GET /metrics`, and the two places that
feed it without touching the handlers or the Spotify core: an aiohttp client trace on the one
ClientSession (every Spotify call) and the `on_response_prepare` signal (every answer served).

The listener is a separate `AppRunner` in the same process, on SPOTIFY_PROXY_METRICS only, so
`/metrics` never exists on the public listener.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from proxy.answers.cache import AnswerCache
from proxy.clock import Clock
from proxy.metrics import Metrics, call_outcome
from proxy.settings import Settings
from proxy.spotify.client import retry_after_seconds
from proxy.spotify.grant import grant_expires_at
from proxy.spotify.tokens import AccessTokens

log = logging.getLogger(__name__)

METRICS = web.AppKey("metrics", Metrics)
TRACES = web.AppKey("client_traces", list[aiohttp.TraceConfig])
ANSWER_PATH = "/v1/now-playing"
STALE = b'"stale":true'


class MetricsListenError(Exception):
    """The metrics listener cannot bind its address; the message says what to change."""


def install_metrics(
    app: web.Application,
    settings: Settings,
    clock: Clock,
    cache: AnswerCache[Any],
    tokens: AccessTokens | None,
    open_streams: Callable[[], int],
) -> Metrics | None:
    """Wire metrics into `app` when SPOTIFY_PROXY_METRICS is set; None (and no cost) otherwise."""
    if settings.metrics_listen is None:
        return None
    metrics = app[METRICS] = Metrics()
    app[TRACES] = [spotify_trace(metrics, settings, clock)]
    app.on_response_prepare.append(answer_counter(metrics, cache))
    metrics.track_streams(open_streams)
    if tokens is not None:
        tokens.events.listeners.append(metrics)
        metrics.track_grant(grant_remaining(tokens, clock))
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


def answer_counter(
    metrics: Metrics, cache: AnswerCache[Any]
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def count(request: web.Request, response: web.StreamResponse) -> None:
        if request.path != ANSWER_PATH or request.method not in ("GET", "HEAD"):
            return
        if response.status == 503:
            metrics.answer_served("503")
        elif response.status == 200 and isinstance(response, web.Response):
            body = response.body
            stale = isinstance(body, bytes) and STALE in body
            metrics.answer_served("stale" if stale else "fresh")
        elif response.status == 304:  # no body: the cache says which answer it serves
            metrics.answer_served("fresh" if cache.failure is None else "stale")

    return count


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
