"""`create_app(settings)`: routes, typed app keys, `cleanup_ctx` for the one ClientSession and
the grant watcher. Pure: only `proxy.__main__` knows the host and port and reads the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from proxy.alerts.notifier import Notifier
from proxy.answers.cache import NowPlayingCache
from proxy.answers.upstream import demo_source, normalised
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.client import SpotifyClient
from proxy.spotify.tokens import AccessTokens
from proxy.web.grant_watch import grant_watch_context
from proxy.web.handlers import Handlers
from proxy.web.metrics import client_traces, install_metrics

SETTINGS = web.AppKey("settings", Settings)
CACHE = web.AppKey("cache", NowPlayingCache)
TOKENS = web.AppKey("tokens", AccessTokens)


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    clock = clock or Clock()
    app = web.Application()
    app[SETTINGS] = settings
    tokens: AccessTokens | None = None
    if settings.demo:
        source = demo_source(clock)
    else:
        tokens = AccessTokens(settings, clock)
        app[TOKENS] = tokens
        source = SpotifyClient(settings, tokens).currently_playing
        app.cleanup_ctx.append(_client_session)
        app.cleanup_ctx.append(_store_watch)
    cache = NowPlayingCache(
        normalised(source, clock),
        ttl=settings.cache_ttl,
        wait_timeout=settings.upstream_timeout,
        clock=clock,
    )
    app[CACHE] = cache
    app.on_cleanup.append(_close_cache)
    metrics = install_metrics(app, settings, clock, cache, tokens)
    if tokens is not None:
        failed = metrics.notifier_failed if metrics else None
        notifier = Notifier(settings, clock, failed) if settings.notify_urls else None
        app.cleanup_ctx.append(grant_watch_context(tokens, notifier))
    _add_routes(app.router, Handlers(settings.allowed_origins, cache, tokens))
    return app


def _add_routes(router: web.UrlDispatcher, h: Handlers) -> None:
    # Handlers answer 404/405 themselves so every error is JSON without a middleware on the
    # hot path.
    for path, handler in (
        ("/v1/now-playing", h.now_playing),
        ("/healthz", h.healthz),
        ("/readyz", h.readyz),
    ):
        resource = router.add_resource(path)
        resource.add_route("GET", handler)
        resource.add_route("HEAD", handler)
        resource.add_route("OPTIONS", h.preflight)
        resource.add_route("*", h.method_not_allowed)
    router.add_route("*", "/{tail:.*}", h.not_found)


async def _close_cache(app: web.Application) -> None:
    await app[CACHE].close()


async def _client_session(app: web.Application) -> AsyncIterator[None]:
    """The one ClientSession for every upstream call, closed when the app stops."""
    tokens = app[TOKENS]
    # Every call passes its own timeout; the session's stops one that forgets from waiting
    # aiohttp's five-minute default.
    timeout = aiohttp.ClientTimeout(total=app[SETTINGS].upstream_timeout)
    async with aiohttp.ClientSession(
        raise_for_status=False, timeout=timeout, trace_configs=client_traces(app)
    ) as session:
        tokens.session = session
        yield
        tokens.session = None


async def _store_watch(app: web.Application) -> AsyncIterator[None]:
    """Switch to a grant another process (a login, doctor, another proxy) writes, at once."""
    task = asyncio.create_task(app[TOKENS].watch_store())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
