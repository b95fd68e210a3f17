"""The proxy application: `create_app(settings)` builds it, `main()` serves it.

`create_app` is pure (routes, typed app keys, `cleanup_ctx` for the one ClientSession and the
background task); only `main` knows the host and port and reads the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
from aiohttp import web

from proxy.cache import NowPlayingCache
from proxy.clock import Clock
from proxy.grant import WARN_DAYS, days_left
from proxy.handlers import Handlers
from proxy.settings import Settings, SettingsError, load_settings, read_environment
from proxy.spotify import LOGIN_HINT, AccessTokens, SpotifyClient
from proxy.store import StoreError, read_store
from proxy.upstream import demo_source, normalised

log = logging.getLogger("mkdocs_spotify.proxy")

SETTINGS = web.AppKey("settings", Settings)
CACHE = web.AppKey("cache", NowPlayingCache)
TOKENS = web.AppKey("tokens", AccessTokens)

EXIT_SETTINGS = 2
EXIT_SERVE = 1
GRANT_CHECK_INTERVAL = 3600.0


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
        app.cleanup_ctx.append(_grant_watch)
    cache = NowPlayingCache(
        normalised(source, clock),
        ttl=settings.cache_ttl,
        wait_timeout=settings.upstream_timeout,
        clock=clock,
    )
    app[CACHE] = cache
    app.on_cleanup.append(_close_cache)
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
    async with aiohttp.ClientSession(raise_for_status=False, timeout=timeout) as session:
        tokens.session = session
        yield
        tokens.session = None


async def _grant_watch(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(watch_grant(app[TOKENS]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def watch_grant(tokens: AccessTokens, interval: float = GRANT_CHECK_INTERVAL) -> None:
    warned: set[date] = set()
    while True:
        await warn_if_expiring(tokens, warned)
        await asyncio.sleep(interval)


async def warn_if_expiring(tokens: AccessTokens, warned: set[date]) -> bool:
    """One warning a day in the grant's last WARN_DAYS days; True when it warned."""
    authorized_at = tokens.status().authorized_at
    if authorized_at is None:
        with contextlib.suppress(Exception):
            # A file read: off the event loop, like every other token-store access.
            credential = await asyncio.to_thread(tokens.load_credential)
            authorized_at = credential.authorized_at if credential else None
    if authorized_at is None:
        return False
    now = tokens.clock.now()
    left = days_left(authorized_at, now)
    if left > WARN_DAYS or now.date() in warned:
        return False
    warned.add(now.date())
    if left < 0:
        log.error("The Spotify grant expired %d days ago: %s.", -left, LOGIN_HINT)
    else:
        log.warning(
            "The Spotify grant expires in %d days: run `mkdocs-spotify login` before then and put "
            "the new token store where the proxy reads it (the proxy switches to it when the old "
            "token is refused; restart it to switch at once).",
            left,
        )
    return True


def main(host: str, port: int, demo: bool) -> int:
    """`mkdocs-spotify proxy`: validate everything first, then serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = load_settings(read_environment(), host=host, port=port, demo=demo)
        if not demo:
            check_credentials(settings)
    except SettingsError as error:
        for problem in error.problems:
            print(f"mkdocs-spotify proxy: {problem}", file=sys.stderr)
        return EXIT_SETTINGS
    mode = "the demo session" if demo else "Spotify"

    def listening(_banner: str) -> None:
        # run_app calls this once the socket is bound, so a busy port never reads "Serving".
        log.info("Serving %s on http://%s:%d/v1/now-playing", mode, host, port)

    try:
        web.run_app(
            create_app(settings),
            host=host,
            port=port,
            access_log=logging.getLogger("aiohttp.access") if settings.access_log else None,
            print=listening,
        )
    except OSError as error:
        print(
            f"mkdocs-spotify proxy: cannot listen on {host}:{port} ({error.strerror}): "
            "choose another --port or --host.",
            file=sys.stderr,
        )
        return EXIT_SERVE
    return 0


def check_credentials(settings: Settings) -> None:
    """Refuse to start without any refresh token, or with an unreadable store."""
    try:
        stored = read_store(settings.token_store)
    except StoreError as error:
        raise SettingsError([str(error)]) from None
    if stored is None and settings.refresh_token is None:
        raise SettingsError(
            [
                f"No Spotify refresh token: run `mkdocs-spotify login` to write the token store "
                f"{settings.token_store}, or set SPOTIFY_REFRESH_TOKEN."
            ]
        )
