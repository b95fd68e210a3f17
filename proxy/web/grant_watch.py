"""The grant watcher: a log line a day in the grant's last weeks, and the owner's notices."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime

from aiohttp import web

from proxy.alerts.notifier import Notifier
from proxy.spotify.grant import WARN_DAYS, days_left
from proxy.spotify.tokens import LOGIN_HINT, AccessTokens

log = logging.getLogger(__name__)

GRANT_CHECK_INTERVAL = 3600.0


class GrantWatch:
    """One check: warn in the log once a day, send the notice due (each once)."""

    def __init__(self, tokens: AccessTokens, notifier: Notifier | None) -> None:
        self.tokens = tokens
        self.notifier = notifier
        self.warned: set[date] = set()

    async def check(self) -> None:
        await warn_if_expiring(self.tokens, self.warned)
        if self.notifier is not None:
            await self.notifier.check_expiry(await authorized_at(self.tokens))

    async def run(self, interval: float = GRANT_CHECK_INTERVAL) -> None:
        while True:
            try:
                await self.check()
            except Exception as error:  # the watcher outlives a bad day
                log.error("The grant check failed unexpectedly (%s).", type(error).__name__)
            await asyncio.sleep(interval)


GRANT_WATCH = web.AppKey("grant_watch", GrantWatch)


def grant_watch_context(
    tokens: AccessTokens, notifier: Notifier | None
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """A `cleanup_ctx` entry: the watcher runs while the app does; the notifier hears about
    invalid_grant from the token layer."""

    @contextlib.asynccontextmanager
    async def context(app: web.Application) -> AsyncIterator[None]:
        watch = app[GRANT_WATCH] = GrantWatch(tokens, notifier)
        if notifier is not None:
            tokens.events.listeners.append(notifier)
        task = asyncio.create_task(watch.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if notifier is not None:
            await notifier.close()

    return context


async def authorized_at(tokens: AccessTokens) -> datetime | None:
    """When the owner authorized the grant in use (from the store before the first refresh)."""
    authorized = tokens.status().authorized_at
    if authorized is None:
        with contextlib.suppress(Exception):
            # A file read: off the event loop, like every other token-store access.
            credential = await asyncio.to_thread(tokens.load_credential)
            authorized = credential.authorized_at if credential else None
    return authorized


async def warn_if_expiring(tokens: AccessTokens, warned: set[date]) -> bool:
    """One warning a day in the grant's last WARN_DAYS days; True when it warned."""
    authorized = await authorized_at(tokens)
    if authorized is None:
        return False
    now = tokens.clock.now()
    left = days_left(authorized, now)
    if left > WARN_DAYS or now.date() in warned:
        return False
    warned.add(now.date())
    if left < 0:
        log.error("The Spotify grant expired %d days ago: %s.", -left, LOGIN_HINT)
    else:
        log.warning(
            "The Spotify grant expires in %d days: %s.",
            left,
            LOGIN_HINT,
        )
    return True
