"""One replica's link to Redis for its shared answers (SPOTIFY_PROXY_REDIS_URL).

Every `SharedAnswerCache` of a replica (now playing and each list) talks to Redis through the
one `redis.asyncio.Redis` client held here (one connection pool, closed once when the app
stops), under one key prefix, and reports here whether Redis answers: a Redis that goes away is
logged once per replica, not once per cache.
"""

from __future__ import annotations

import contextlib
import logging

import redis
import redis.asyncio

from proxy.settings import redis_location
from proxy.spotify.errors import SharedStateDown
from proxy.spotify.redis_store import REDIS_ERRORS, client_options

log = logging.getLogger(__name__)

__all__ = ["REDIS_ERRORS", "RedisLink"]


class RedisLink:
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.client = redis.asyncio.Redis.from_url(url, **client_options(asynchronous=True))
        self.problem: str | None = None  # why Redis cannot be used now (None: it answers)
        # Failed commands, each counted once where it is caught (the caches, the feed): the
        # metrics read it.
        self.errors = 0

    def down(self, error: BaseException) -> SharedStateDown:
        """The failure a cache serves its last answer with while Redis cannot be reached."""
        down = SharedStateDown(
            f"Redis at {redis_location(self.url)} cannot be reached: start it or fix "
            "SPOTIFY_PROXY_REDIS_URL; answers are served as stale until it is back"
        )
        if self.problem is None:
            log.warning("%s (%s).", down, type(error).__name__)
        self.problem = str(down)
        return down

    def up(self) -> None:
        if self.problem is not None:
            log.info("Redis answers again at %s.", redis_location(self.url))
        self.problem = None

    async def close(self) -> None:
        with contextlib.suppress(*REDIS_ERRORS):
            await self.client.aclose()
