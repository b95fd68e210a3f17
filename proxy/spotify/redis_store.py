"""The grant in Redis, shared by several proxy replicas (SPOTIFY_PROXY_REDIS_URL).

Same contract as `FileGrantStore` (`grant_store.GrantStore`), with Redis' own tools:

- the lock is a lease, `SET <prefix>lease:refresh <random> NX PX <ms>`, released only by its
  holder with a check-and-delete script (https://redis.io/docs/latest/commands/set/#patterns):
  a replica killed mid-refresh blocks the others for one lease at most;
- `save` is a compare-and-swap: a script writes the grant only while this process still holds
  the lease, and bumps `<prefix>grant:version`, which `version()` reads;
- a Redis restarted empty never loses the grant: the store remembers the last grant it read or
  wrote and writes it back (SET NX) as soon as it finds the key gone.

The protocol's synchronous methods run in a thread (the chain calls them with
`asyncio.to_thread`) on redis-py's blocking client; the lease is taken on `redis.asyncio`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import redis
import redis.asyncio

from proxy.settings import Settings, redis_location
from proxy.spotify.errors import SharedStateDown, StoreBusy, StoreError
from proxy.spotify.store import StoredToken, parse_store

log = logging.getLogger(__name__)

LEASE_POLL = 0.02
# Holding the lease past the holder's death blocks the others; holding it shorter than one
# token request lets a second refresher in. One request takes at most the upstream timeout.
LEASE_MARGIN = 1.0
SOCKET_TIMEOUT = 2.0

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
SAVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('INCR', KEYS[3])
"""
RESTORE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return redis.call('INCR', KEYS[2]) end
return 0
"""

REDIS_ERRORS = (redis.RedisError, OSError)


def unreachable(url: str) -> SharedStateDown:
    return SharedStateDown(
        f"Redis at {redis_location(url)} cannot be reached: start it or fix "
        "SPOTIFY_PROXY_REDIS_URL; answers are served as stale until it is back."
    )


class RedisGrantStore:
    """The grant under `<prefix>grant`, its version, the refresh lease."""

    def __init__(self, settings: Settings) -> None:
        url = settings.redis_url
        if url is None:
            raise ValueError("RedisGrantStore needs SPOTIFY_PROXY_REDIS_URL")
        self.url = url
        prefix = settings.redis_prefix
        self.grant_key = f"{prefix}grant"
        self.version_key = f"{prefix}grant:version"
        self.lease_key = f"{prefix}lease:refresh"
        self.lease_ms = int((2 * settings.upstream_timeout + LEASE_MARGIN) * 1000)
        options: dict[str, Any] = {
            "socket_timeout": SOCKET_TIMEOUT,
            "socket_connect_timeout": SOCKET_TIMEOUT,
        }
        self.sync = redis.Redis.from_url(url, **options)
        self.aio = redis.asyncio.Redis.from_url(url, **options)
        self._holding: str | None = None  # this process's lease value while it holds the lease
        self._known: StoredToken | None = None  # the last grant read or written
        self._version: object = None
        self._restored_once = False

    def load(self) -> StoredToken | None:
        try:
            raw = self.sync.get(self.grant_key)
        except REDIS_ERRORS:
            raise unreachable(self.url) from None
        if raw is None:
            return self._restore()
        try:
            token = parse_store(raw if isinstance(raw, bytes) else raw.encode())
        except (ValueError, TypeError, KeyError, RecursionError):
            raise StoreError(
                f"The grant in Redis ({self.grant_key}) is not a valid token store: run "
                "`mkdocs-spotify login` to write a new one."
            ) from None
        self._known = token
        return token

    def version(self) -> object:
        """The version counter; the last one seen while Redis cannot be reached."""
        try:
            pipe = self.sync.pipeline(transaction=False)
            pipe.get(self.version_key)
            pipe.exists(self.grant_key)
            version, present = pipe.execute()
        except REDIS_ERRORS:
            return self._version
        if not present and self._known is not None:
            self._restore()
            return self._version
        self._version = (version, present)
        return self._version

    def save(self, token: StoredToken) -> None:
        """Write under the lease (compare-and-swap); OSError when the lease was lost."""
        # Whatever happens to the write, this is the grant this process holds now: written back
        # if Redis turns up empty.
        self._known = token
        holding = self._holding
        if holding is None:
            raise OSError("the refresh lease is not held")
        body = json.dumps(token.to_json())
        try:
            done = self.sync.eval(
                SAVE, 3, self.lease_key, self.grant_key, self.version_key, holding, body
            )
        except REDIS_ERRORS as error:
            raise OSError(f"Redis cannot be reached ({type(error).__name__})") from None
        if not done:
            raise OSError("the refresh lease expired before the rotated token was saved")

    def leftovers(self) -> list[StoredToken]:
        return []  # a write is one command: nothing half-written to recover

    def check(self) -> StoredToken | None:
        """At start-up: reach Redis (SettingsError-worthy RedisError otherwise), read the grant."""
        self.sync.ping()
        return self.load()

    def seed(self, token: StoredToken) -> bool:
        """Write `token` when Redis holds no grant yet (start-up); True when it did."""
        self._known = token
        body = json.dumps(token.to_json())
        return bool(self.sync.eval(RESTORE, 2, self.grant_key, self.version_key, body))

    async def put(self, token: StoredToken, patience: float = 30.0) -> None:
        """A login's new grant, written under the lease so no refresh in flight overwrites it.

        SharedStateDown or StoreBusy when it cannot be written; closes the connections.
        """
        try:
            async with self.locked(patience):
                try:
                    await asyncio.to_thread(self.save, token)
                except OSError:
                    raise unreachable(self.url) from None
        finally:
            with contextlib.suppress(*REDIS_ERRORS):
                await self.aio.aclose()
            self.sync.close()

    @contextlib.asynccontextmanager
    async def locked(self, patience: float) -> AsyncIterator[None]:
        value = secrets.token_hex(16)
        deadline = time.monotonic() + patience
        try:
            while not await self.aio.set(self.lease_key, value, nx=True, px=self.lease_ms):
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        "Another proxy replica held the refresh lease in Redis for too long."
                    )
                await asyncio.sleep(LEASE_POLL)
        except REDIS_ERRORS:
            raise unreachable(self.url) from None
        self._holding = value
        try:
            yield
        finally:
            self._holding = None
            with contextlib.suppress(*REDIS_ERRORS):
                await self.aio.eval(RELEASE, 1, self.lease_key, value)

    def _restore(self) -> StoredToken | None:
        """Redis lost the grant (restarted empty): write back the one this process holds."""
        known = self._known
        if known is None:
            return None
        try:
            version = self.sync.eval(
                RESTORE, 2, self.grant_key, self.version_key, json.dumps(known.to_json())
            )
        except REDIS_ERRORS:
            raise unreachable(self.url) from None
        if version:
            log.warning(
                "Redis held no grant (restarted empty?): wrote back the one this proxy holds."
            )
            self._version = (str(version).encode(), 1)
        return self.load() if not version else known
