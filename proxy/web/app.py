"""`create_app(settings)`: routes, typed app keys, `cleanup_ctx` for the one ClientSession, the
grant and store watchers and the live streams' driver. Pure: only `proxy.__main__` knows the host
and port and reads the environment.

The now-playing answer is built in one pipeline: fetch (Spotify or the demo, then the
normaliser) -> steps (`last_played`) -> the cache (TTL, single flight, stale-if-error) -> its
listeners (the live streams) and the GET handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from proxy.alerts.notifier import Notifier
from proxy.answers.cache import AnswerCache
from proxy.answers.changes import matters
from proxy.answers.demo import with_demo_cover
from proxy.answers.encoding import render_json
from proxy.answers.last_played import carry_last_played
from proxy.answers.list_fetch import Get, demo_get
from proxy.answers.nowplaying import NowPlaying
from proxy.answers.privacy import DelayBuffer, NowPlayingStep, Rules, delay_step, privacy_step
from proxy.answers.private_switch import PrivateSwitch
from proxy.answers.upstream import demo_source, normalised
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.client import SpotifyClient
from proxy.spotify.grant_store import ClosableStore
from proxy.spotify.tokens import AccessTokens
from proxy.web.admin import ADMIN_PATH, GrantHandOver
from proxy.web.caches import answer_cache
from proxy.web.covers import COVERS_ROUTE, cover_handler
from proxy.web.grant_watch import grant_watch_context
from proxy.web.handlers import Handlers
from proxy.web.lists import ListEndpoint, list_endpoints
from proxy.web.metrics import client_traces, install_metrics
from proxy.web.origins import RefusedOrigins
from proxy.web.private import private_aware
from proxy.web.protocol import Handler, screened
from proxy.web.stream import StreamHandler
from proxy.web.stream_hub import StreamHub

if TYPE_CHECKING:  # redis-py loads only with SPOTIFY_PROXY_REDIS_URL (proxy.web.caches)
    from proxy.answers.redis_link import RedisLink
    from proxy.answers.shared import SharedAnswerCache
    from proxy.answers.shared_feed import SharedFeed

SETTINGS = web.AppKey("settings", Settings)
CACHE: web.AppKey[AnswerCache[NowPlaying]] = web.AppKey("cache")
STREAMS: web.AppKey[StreamHub[NowPlaying]] = web.AppKey("streams")
TOKENS = web.AppKey("tokens", AccessTokens)
LISTS: web.AppKey[dict[str, ListEndpoint]] = web.AppKey("lists")
REDIS: web.AppKey[RedisLink] = web.AppKey("redis")
FEED: web.AppKey[SharedFeed] = web.AppKey("feed")


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    clock = clock or Clock()
    app = web.Application()
    app[SETTINGS] = settings
    tokens: AccessTokens | None = None
    get: Get
    if settings.demo:
        source = demo_source(clock)
        get = demo_get(clock)
    else:
        tokens = AccessTokens(settings, clock)
        app[TOKENS] = tokens
        client = SpotifyClient(settings, tokens)
        source, get = client.currently_playing, client.get
        app.cleanup_ctx.append(_client_session)
        app.cleanup_ctx.append(_store_watch)
    private = PrivateSwitch(settings.privacy.private, settings.private_file, clock)
    # Privacy first: what it hides never enters the delay buffer or last_played.
    steps: list[NowPlayingStep] = [privacy_step(Rules(settings.privacy), clock, private.on)]
    if settings.demo:  # the demo's covers, which the normaliser (Spotify's hosts only) would drop
        steps.insert(0, with_demo_cover)
    if settings.privacy.delay_minutes:
        steps.append(delay_step(DelayBuffer(round(settings.privacy.delay_minutes * 60_000))))
    steps.append(carry_last_played)
    link = None
    if settings.redis_url is not None and not settings.demo:
        from proxy.answers.redis_link import RedisLink

        link = RedisLink(settings.redis_url, settings.redis_prefix)
        app[REDIS] = link
    # With Redis, the fetching replica runs the steps; the others take its answer as it is.
    cache = answer_cache(
        normalised(source, clock),
        render_json,
        ttl=settings.cache_ttl,
        wait_timeout=settings.upstream_timeout,
        clock=clock,
        steps=steps,
        link=link,
        name="now-playing",
    )
    app[CACHE] = cache
    hub = StreamHub(cache, matters, limit=settings.max_streams)
    app[STREAMS] = hub
    app.cleanup_ctx.append(_in_background(_drive_streams))
    app.cleanup_ctx.append(_in_background(_sweep_streams))
    app.on_shutdown.append(_close_streams)
    granted = (lambda: tokens.scopes) if tokens is not None else tuple
    lists = list_endpoints(settings, clock, get, granted, private, link)
    app[LISTS] = lists
    if link is not None:
        from proxy.answers.shared_feed import SharedFeed

        app[FEED] = SharedFeed(link, _shared_caches(cache, lists))
        app.cleanup_ctx.append(_in_background(_listen_to_replicas))
    app.on_cleanup.append(_close_cache)
    metrics = install_metrics(app, settings, clock, cache, lists, tokens, lambda: hub.count, link)
    if tokens is not None:
        failed = metrics.notifier_failed if metrics else None
        notifier = Notifier(settings, clock, failed) if settings.notify_urls else None
        app.cleanup_ctx.append(grant_watch_context(tokens, notifier))
    stream = StreamHandler(
        hub,
        settings.allowed_origins,
        ping_interval=settings.stream_ping,
        send_timeout=settings.stream_send_timeout,
    )
    admin = None
    if tokens is not None and settings.admin_token is not None:
        admin = GrantHandOver(settings, tokens, clock)
    handlers = Handlers(settings.allowed_origins, cache, tokens)
    now_playing = private_aware(
        handlers.now_playing, private, clock, settings.allowed_origins, settings.cache_ttl
    )
    refused = RefusedOrigins(settings.allowed_origins, clock)
    router = ScreenedRouter(app.router, refused)
    _add_routes(router, handlers, now_playing, stream, lists, admin, demo=settings.demo)
    return app


class ScreenedRouter:
    """Adds every route behind `screened` (see proxy.web.protocol), so none can miss it."""

    def __init__(self, router: web.UrlDispatcher, refused: RefusedOrigins) -> None:
        self.router = router
        self.refused = refused

    def add(self, path: str, routes: Mapping[str, Handler]) -> None:
        resource = self.router.add_resource(path)
        for method, handler in routes.items():
            resource.add_route(method, screened(handler, self.refused))


def _add_routes(
    router: ScreenedRouter,
    h: Handlers,
    now_playing: Callable[[web.Request], Awaitable[web.Response]],
    stream: StreamHandler[NowPlaying],
    lists: Mapping[str, ListEndpoint],
    admin: GrantHandOver | None,
    *,
    demo: bool,
) -> None:
    # Handlers answer 404/405 themselves so every error is JSON without an error middleware.
    for path, get, head in (
        ("/v1/now-playing", now_playing, now_playing),
        ("/v1/now-playing/stream", stream.stream, stream.head),
        *((f"/v1/{name}", endpoint.handle, endpoint.handle) for name, endpoint in lists.items()),
        ("/healthz", h.healthz, h.healthz),
        ("/readyz", h.readyz, h.readyz),
    ):
        router.add(
            path, {"GET": get, "HEAD": head, "OPTIONS": h.preflight, "*": h.method_not_allowed}
        )
    if admin is not None:  # without SPOTIFY_PROXY_ADMIN_TOKEN the path is unknown (404)
        router.add(ADMIN_PATH, {"PUT": admin.put, "*": admin.method_not_allowed})
    if demo:  # the demo's album covers, from the proxy's own origin; elsewhere unknown (404)
        cover = cover_handler(h.not_found)
        router.add(COVERS_ROUTE, {"GET": cover, "HEAD": cover, "*": h.method_not_allowed})
    router.add("/{tail:.*}", {"*": h.not_found})


def _shared_caches(
    cache: AnswerCache[NowPlaying], lists: Mapping[str, ListEndpoint]
) -> list[SharedAnswerCache[Any]]:
    from proxy.answers.shared import SharedAnswerCache

    every = [cache, *(each for endpoint in lists.values() for each in endpoint.caches.values())]
    return [each for each in every if isinstance(each, SharedAnswerCache)]


def _listen_to_replicas(app: web.Application) -> Coroutine[Any, Any, None]:
    """Answers another replica fetched reach this one's caches and streams (pub/sub)."""
    return app[FEED].listen()


async def _close_cache(app: web.Application) -> None:
    await app[CACHE].close()
    for endpoint in app[LISTS].values():
        for cache in endpoint.caches.values():
            await cache.close()
    if REDIS in app:  # after the caches: the client is theirs to the end
        await app[REDIS].close()


async def _close_streams(app: web.Application) -> None:
    """End the streams when the app stops; shutdown would otherwise wait on them."""
    app[STREAMS].close()


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


def _in_background(
    job: Callable[[web.Application], Coroutine[Any, Any, None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running `job(app)` as a task while the app runs, cancelled at cleanup."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(job(app))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return run


def _drive_streams(app: web.Application) -> Coroutine[Any, Any, None]:
    return app[STREAMS].drive()


def _sweep_streams(app: web.Application) -> Coroutine[Any, Any, None]:
    return app[STREAMS].sweep()


async def _store_watch(app: web.Application) -> AsyncIterator[None]:
    """Switch to a grant another process (a login, doctor, another proxy) writes, at once."""
    await app[TOKENS].prepare()
    # The watcher runs from here until cleanup, as `_in_background` runs any job.
    async for _ in _in_background(_watch_store)(app):
        yield
    store = app[TOKENS].store
    if isinstance(store, ClosableStore):  # Redis: its connections end with the app
        await store.aclose()


def _watch_store(app: web.Application) -> Coroutine[Any, Any, None]:
    return app[TOKENS].watch_store()
