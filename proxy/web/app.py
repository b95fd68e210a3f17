"""`create_app(settings)`: routes, typed app keys, `cleanup_ctx` for the one ClientSession and
the grant watcher. Pure: only `proxy.__main__` knows the host and port and reads the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from proxy.answers.cache import AnswerCache
from proxy.answers.changes import matters
from proxy.answers.encoding import render_json
from proxy.answers.last_played import carry_last_played
from proxy.answers.nowplaying import NowPlaying
from proxy.answers.shared import SharedAnswerCache
from proxy.answers.upstream import demo_source, normalised
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.client import SpotifyClient
from proxy.spotify.tokens import AccessTokens
from proxy.web.admin import ADMIN_PATH, GrantHandOver
from proxy.web.grant_watch import watch_grant
from proxy.web.handlers import Handlers
from proxy.web.origins import RefusedOrigins
from proxy.web.protocol import refuse_malformed
from proxy.web.stream import StreamHandler, StreamHub

SETTINGS = web.AppKey("settings", Settings)
CACHE: web.AppKey[AnswerCache[NowPlaying]] = web.AppKey("cache")
STREAMS: web.AppKey[StreamHub[NowPlaying]] = web.AppKey("streams")
TOKENS = web.AppKey("tokens", AccessTokens)


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    clock = clock or Clock()
    app = web.Application(middlewares=[refuse_malformed])
    app[SETTINGS] = settings
    app.on_response_prepare.append(RefusedOrigins(settings.allowed_origins, clock))
    tokens: AccessTokens | None = None
    if settings.demo:
        source = demo_source(clock)
    else:
        tokens = AccessTokens(settings, clock)
        app[TOKENS] = tokens
        source = SpotifyClient(settings, tokens).currently_playing
        app.cleanup_ctx.append(_client_session)
        app.cleanup_ctx.append(_grant_watch)
        app.cleanup_ctx.append(_store_watch)
    cache: AnswerCache[NowPlaying]
    if settings.redis_url is not None and not settings.demo:
        cache = SharedAnswerCache(
            normalised(source, clock),
            render_json,
            ttl=settings.cache_ttl,
            wait_timeout=settings.upstream_timeout,
            clock=clock,
            steps=[carry_last_played],
            url=settings.redis_url,
            prefix=settings.redis_prefix,
            name="now-playing",
        )
        app.cleanup_ctx.append(_listen_to_replicas)
    else:
        cache = AnswerCache(
            normalised(source, clock),
            render_json,
            ttl=settings.cache_ttl,
            wait_timeout=settings.upstream_timeout,
            clock=clock,
            steps=[carry_last_played],
        )
    app[CACHE] = cache
    hub = StreamHub(cache, matters, limit=settings.max_streams)
    app[STREAMS] = hub
    app.cleanup_ctx.append(_drive_streams)
    app.on_shutdown.append(_close_streams)
    app.on_cleanup.append(_close_cache)
    stream = StreamHandler(
        hub,
        settings.allowed_origins,
        ping_interval=settings.stream_ping,
        send_timeout=settings.stream_send_timeout,
    )
    admin = None
    if tokens is not None and settings.admin_token is not None:
        admin = GrantHandOver(settings, tokens, clock)
    _add_routes(app.router, Handlers(settings.allowed_origins, cache, tokens), stream, admin)
    return app


def _add_routes(
    router: web.UrlDispatcher,
    h: Handlers,
    stream: StreamHandler[NowPlaying],
    admin: GrantHandOver | None,
) -> None:
    # Handlers answer 404/405 themselves so every error is JSON without an error middleware;
    # the one middleware (proxy.web.protocol) only refuses what the parser let through.
    for path, get, head in (
        ("/v1/now-playing", h.now_playing, h.now_playing),
        ("/v1/now-playing/stream", stream.stream, stream.head),
        ("/healthz", h.healthz, h.healthz),
        ("/readyz", h.readyz, h.readyz),
    ):
        resource = router.add_resource(path)
        resource.add_route("GET", get)
        resource.add_route("HEAD", head)
        resource.add_route("OPTIONS", h.preflight)
        resource.add_route("*", h.method_not_allowed)
    if admin is not None:  # without SPOTIFY_PROXY_ADMIN_TOKEN the path is unknown (404)
        resource = router.add_resource(ADMIN_PATH)
        resource.add_route("PUT", admin.put)
        resource.add_route("*", admin.method_not_allowed)
    router.add_route("*", "/{tail:.*}", h.not_found)


async def _listen_to_replicas(app: web.Application) -> AsyncIterator[None]:
    """Answers another replica fetched reach this one's cache and streams (pub/sub)."""
    cache = app[CACHE]
    assert isinstance(cache, SharedAnswerCache)
    task = asyncio.create_task(cache.listen())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_cache(app: web.Application) -> None:
    await app[CACHE].close()


async def _drive_streams(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[STREAMS].drive())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_streams(app: web.Application) -> None:
    """End the streams when the app stops; shutdown would otherwise wait on them."""
    app[STREAMS].close()


async def _client_session(app: web.Application) -> AsyncIterator[None]:
    """The one ClientSession for every upstream call, closed when the app stops."""
    tokens = app[TOKENS]
    # Every call passes its own timeout; the session's stops one that forgets from waiting
    # aiohttp's five-minute default.
    timeout = aiohttp.ClientTimeout(total=app[SETTINGS].upstream_timeout)
    async with aiohttp.ClientSession(raise_for_status=False, timeout=timeout) as session:
        tokens.session = session
        yield
        tokens.session = None


async def _store_watch(app: web.Application) -> AsyncIterator[None]:
    """Switch to a grant another process (a login, doctor, another proxy) writes, at once."""
    await app[TOKENS].prepare()
    task = asyncio.create_task(app[TOKENS].watch_store())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _grant_watch(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(watch_grant(app[TOKENS]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
