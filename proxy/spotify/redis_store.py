"""The grant in Redis, shared by several proxy replicas (SPOTIFY_PROXY_REDIS_URL).

Same contract as `FileGrantStore` (`grant_store.GrantStore`), with Redis' own tools:

- the lock is a lease, `SET <prefix>lease:refresh <random> NX PX <ms>`, released only by its
  holder with a check-and-delete script (https://redis.io/docs/latest/commands/set/#patterns):
  a replica killed mid-refresh blocks the others for one lease at most;
- `save` is a compare-and-swap: a script writes the grant only while this process still holds
  the lease, and bumps `<prefix>grant:version`, which `version()` reads;
- the access token with its lifetime as `<prefix>access`, so replicas share one;
- a Redis restarted empty never loses the grant: the store remembers the last grant it read or
  wrote and writes it back (SET NX) as soon as it finds the key gone.

The protocol's synchronous methods run in a thread (the chain calls them with
`asyncio.to_thread`) on redis-py's blocking client; the lease is taken on `redis.asyncio`.
Every failed Redis command is counted once, where it is caught, in `redis_errors` (read by the
metrics, when they are on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.retry
from redis.backoff import NoBackoff

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
# Offer this process's grant of generation ARGV[2]: written when Redis holds none, or an older
# generation (restarted empty, or from an older snapshot). A write-back also holds the refresh
# lease for ARGV[3] ms, so every replica offers what it holds before anyone spends a token; a
# lease this process holds (ARGV[4], mid-refresh) becomes that hold, and the answer is 2.
OFFER = """
local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
if redis.call('EXISTS', KEYS[1]) == 1 and current >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
if tonumber(ARGV[3]) <= 0 then return 1 end
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then
  redis.call('SET', KEYS[3], 'write-back', 'PX', ARGV[3])
  return 2
end
redis.call('SET', KEYS[3], 'write-back', 'NX', 'PX', ARGV[3])
return 1
"""
# Longer than the interval at which every replica looks at the store (tokens.STORE_CHECK_INTERVAL,
# 2 s), twice: each has offered its grant before the lease lets a refresh through.
WRITE_BACK_HOLD = 5.0

REDIS_ERRORS = (redis.RedisError, OSError)


def client_options(*, asynchronous: bool) -> dict[str, Any]:
    """How every client of the proxy talks to Redis: 2 s timeouts, and after a Redis restart
    (its pooled connections dead) the next command reconnects once at once instead of failing
    as a new outage. Not on a timeout, which would double the wait on a Redis that does not
    answer."""
    retry_class = redis.asyncio.retry.Retry if asynchronous else redis.retry.Retry
    return {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": SOCKET_TIMEOUT,
        "retry": retry_class(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    }


def unreachable(url: str) -> SharedStateDown:
    return SharedStateDown(
        f"Redis at {redis_location(url)} cannot be reached: start it or fix "
        "SPOTIFY_PROXY_REDIS_URL."
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
        self.access_key = f"{prefix}access"
        self.lease_ms = int((2 * settings.upstream_timeout + LEASE_MARGIN) * 1000)
        self.sync = redis.Redis.from_url(url, **client_options(asynchronous=False))
        self.aio = redis.asyncio.Redis.from_url(url, **client_options(asynchronous=True))
        self._holding: str | None = None  # this process's lease value while it holds the lease
        # The lease value of this process's refresh that became the write-back hold.
        self._held_back: str | None = None
        self._known: StoredToken | None = None  # the last grant read or written
        self._generation = -1  # the generation of `_known` (Redis' version counter)
        self._version: object = None
        self.redis_errors = 0  # failed commands so far; the sync ones run in threads
        self._errors_lock = threading.Lock()

    def load(self) -> StoredToken | None:
        try:
            raw, generation = self.sync.mget(self.grant_key, self.version_key)
        except REDIS_ERRORS:
            self._failed()
            raise unreachable(self.url) from None
        if raw is None:
            self._offer()
            return self._unless_held_back(self._known)
        try:
            token = parse_store(raw if isinstance(raw, bytes) else raw.encode())
        except (ValueError, TypeError, KeyError, RecursionError):
            raise StoreError(
                f"The grant in Redis ({self.grant_key}) is not a valid token store: run "
                "`mkdocs-spotify login` to write a new one."
            ) from None
        if self._offer_if_older(generation):
            return self._unless_held_back(self._known)
        self._known, self._generation = token, _number(generation)
        return self._unless_held_back(token)

    def _unless_held_back(self, token: StoredToken | None) -> StoredToken | None:
        """StoreBusy when this refresh wrote its grant back (here or in a look at the version):
        another replica may hold a newer one, so nobody refreshes until the hold ends."""
        if self._holding is not None and self._held_back == self._holding:
            raise StoreBusy(
                "Redis held no grant or an older one (restarted?): the replicas write back "
                "theirs before the next refresh."
            )
        return token

    def version(self) -> object:
        """The generation counter; the last one seen while Redis cannot be reached."""
        try:
            pipe = self.sync.pipeline(transaction=False)
            pipe.get(self.version_key)
            pipe.exists(self.grant_key)
            generation, present = pipe.execute()
            if not present:
                self._offer()
            else:
                self._offer_if_older(generation)
        except REDIS_ERRORS:
            self._failed()
            return self._version
        except SharedStateDown:  # the write-back failed (counted there)
            return self._version
        self._version = (generation, present)
        return self._version

    def save(self, token: StoredToken) -> None:
        """Write under the lease (compare-and-swap); OSError when the lease was lost."""
        # Whatever happens to the write, this is the grant this process holds now: offered
        # back if Redis turns up empty; newer than any generation Redis held.
        self._known = token
        self._generation += 1
        holding = self._holding
        if holding is None:
            raise OSError(0, "the refresh lease is not held")
        body = json.dumps(token.to_json())
        try:
            generation = self.sync.eval(
                SAVE, 3, self.lease_key, self.grant_key, self.version_key, holding, body
            )
        except REDIS_ERRORS as error:
            self._failed()
            raise OSError(0, f"Redis cannot be reached ({type(error).__name__})") from None
        if not generation:
            raise OSError(0, "the refresh lease expired before the rotated token was saved")
        self._generation = _number(generation)

    def leftovers(self) -> list[StoredToken]:
        return []  # a write is one command: nothing half-written to recover

    async def shared_access(self) -> tuple[str, float] | None:
        """The access token another replica got, with its seconds left; None when there is none
        (or Redis cannot be reached: then this replica refreshes under the lease, or waits)."""
        try:
            pipe = self.aio.pipeline(transaction=False)
            pipe.get(self.access_key)
            pipe.pttl(self.access_key)
            raw, left_ms = await pipe.execute()
        except REDIS_ERRORS:
            self._failed()
            return None
        if raw is None or left_ms <= 0:
            return None
        token = raw.decode() if isinstance(raw, bytes) else str(raw)
        return token, left_ms / 1000

    async def share_access(self, token: str, seconds: float) -> None:
        """Offer a fresh access token to the other replicas for `seconds`."""
        try:
            await self.aio.set(self.access_key, token, px=max(1, int(seconds * 1000)))
        except REDIS_ERRORS:
            self._failed()

    def check(self) -> StoredToken | None:
        """At start-up: reach Redis (SettingsError-worthy RedisError otherwise), read the grant."""
        self.sync.ping()
        return self.load()

    def seed(self, token: StoredToken, hold: float = 0.0) -> bool:
        """Write `token` when Redis holds no grant yet (start-up); True when it did. With `hold`
        (seconds) the seed also holds the refresh lease that long, as a write-back does: running
        replicas then offer a newer grant (Redis lost its data) before anyone spends this one."""
        body = json.dumps(token.to_json())
        keys = (self.grant_key, self.version_key, self.lease_key)
        return bool(self.sync.eval(OFFER, 3, *keys, body, 0, int(hold * 1000), ""))

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

    async def aclose(self) -> None:
        """Close both clients' connections (a short-lived user such as doctor, when done)."""
        self.sync.close()
        with contextlib.suppress(*REDIS_ERRORS):
            await self.aio.aclose()

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
            self._failed()
            raise unreachable(self.url) from None
        self._holding = value
        try:
            yield
        finally:
            self._holding = None
            try:
                await self.aio.eval(RELEASE, 1, self.lease_key, value)
            except REDIS_ERRORS:
                self._failed()  # the lease expires by itself

    def _offer_if_older(self, generation: bytes | str | None) -> bool:
        if self._known is None or _number(generation) >= self._generation:
            return False
        return self._offer()

    def _offer(self) -> bool:
        """Redis lost the grant or went back in time (restarted empty, an older snapshot):
        write back the one this process holds, unless another replica's is newer."""
        known = self._known
        if known is None:
            return False
        body = json.dumps(known.to_json())
        keys = (self.grant_key, self.version_key, self.lease_key)
        hold = int(WRITE_BACK_HOLD * 1000)
        holding = self._holding
        try:
            done = self.sync.eval(OFFER, 3, *keys, body, self._generation, hold, holding or "")
        except REDIS_ERRORS:
            self._failed()
            raise unreachable(self.url) from None
        if done == 2:
            self._held_back = holding
        if done:
            log.warning(
                "Redis held no grant or an older one (restarted?): wrote back the one this "
                "proxy holds."
            )
        return bool(done)

    def _failed(self) -> None:
        with self._errors_lock:
            self.redis_errors += 1


def _number(raw: bytes | str | int | None) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0
