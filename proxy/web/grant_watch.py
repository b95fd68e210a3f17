"""The grant-expiry watcher: one log line a day in the grant's last weeks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date

from proxy.spotify.grant import WARN_DAYS, days_left
from proxy.spotify.tokens import LOGIN_HINT, AccessTokens

log = logging.getLogger(__name__)

GRANT_CHECK_INTERVAL = 3600.0


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
            "The Spotify grant expires in %d days: %s.",
            left,
            LOGIN_HINT,
        )
    return True
