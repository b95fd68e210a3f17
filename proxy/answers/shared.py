"""The answer cache shared by several proxy replicas through Redis (SPOTIFY_PROXY_REDIS_URL).

`SharedAnswerCache` is an `AnswerCache` whose upstream call is taken by one replica for all. Each
answer has a name (`now-playing`, `recently-played`, `top-tracks:short_term`, ...):

- a fetch lease, `SET <prefix>lease:fetch:<name> <random> NX PX <ttl>`, left to expire: whoever
  gets it calls Spotify, and nobody else does for one TTL (in the same script as the lease, the
  429 deadline `<prefix>not-before:<name>`, whose remaining PTTL is the Retry-After left);
- the answer (after the steps) with its failure goes to `<prefix>answer:<name>` and is published
  on the channel `<prefix>answers:<name>`; every replica adopts what it hears there, so its live
  streams get the change and a warm GET answers from memory without asking Redis (one pub/sub
  connection per replica hears every channel: `shared_feed.SharedFeed`);
- a replica that did not get the lease reads the shared answer (and waits for the one in flight
  when it has none yet).

When Redis cannot be reached, each replica keeps serving its last answer as stale (the failure
says why, `/readyz` shows it) and asks Redis again with a back-off; it never calls Spotify
without the lease, so the calls per TTL stay one for all replicas. The caches of a replica share
one client (`redis_link.RedisLink`); `proxy.web.caches.answer_cache` picks this cache or the
embedded one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast

from proxy.answers.cache import AnswerCache, Fetch, Render, Step
from proxy.answers.redis_link import REDIS_ERRORS, RedisLink
from proxy.clock import Clock
from proxy.spotify import errors
from proxy.spotify.errors import RateLimited, SharedStateDown, UpstreamError

log = logging.getLogger(__name__)

T = TypeVar("T")

# {1, 0}: this replica calls Spotify now; {0, ms}: another replica did, its lease ends in ms;
# {-1, ms}: the 429 deadline ends in ms.
CLAIM = """
local wait = redis.call('PTTL', KEYS[2])
if wait > 0 then return {-1, wait} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, 0} end
return {0, math.max(0, redis.call('PTTL', KEYS[1]))}
"""
# Spotify content is kept no longer than needed (https://developer.spotify.com/terms): a day
# covers a replica started while Spotify is down.
ANSWER_SECONDS = 86_400
# Between attempts to reach Redis again: doubling from one TTL, so a Redis that is back is
# noticed within seconds, and a dead one costs a connection attempt every few seconds.
MAX_BACKOFF = 5.0
# Failures travel by class name; the readiness check tells some of them apart.
_FAILURES: dict[str, type[UpstreamError]] = {
    cls.__name__: cls
    for cls in (
        errors.UpstreamError,
        errors.Forbidden,
        errors.Unauthorized,
        errors.StoreBusy,
        errors.SharedStateDown,
        errors.GrantDead,
    )
}


def failure_from(kind: str, text: str) -> UpstreamError:
    return _FAILURES.get(kind, UpstreamError)(text)


def failure_kind(failure: UpstreamError) -> str:
    """The name a failure travels by: its own class or the nearest one `failure_from` knows (a
    list's MissingScope travels as Forbidden, so every replica answers with its sentence)."""
    return next(cls.__name__ for cls in type(failure).__mro__ if cls.__name__ in _FAILURES)


class SharedAnswerCache(AnswerCache[T], Generic[T]):
    def __init__(
        self,
        fetch: Fetch[T],
        render: Render[T],
        *,
        ttl: float,
        wait_timeout: float,
        clock: Clock,
        steps: Sequence[Step[T]] = (),
        link: RedisLink,
        name: str,
        decode: Callable[[Any], T] = lambda value: cast(T, value),
    ) -> None:
        super().__init__(
            fetch, render, ttl=ttl, wait_timeout=wait_timeout, clock=clock, steps=steps
        )
        self.link = link
        self.redis = link.client  # shared by the replica's caches; the link closes it
        prefix = link.prefix
        self.answer_key = f"{prefix}answer:{name}"
        self.lease_key = f"{prefix}lease:fetch:{name}"
        self.not_before_key = f"{prefix}not-before:{name}"
        self.channel = f"{prefix}answers:{name}"
        self._decode = decode
        self._me = secrets.token_hex(8)
        self._seen_at = -1  # epoch ms of the newest answer adopted or fetched here
        self._heard = asyncio.Event()
        self._backoff = 0.0

    async def _update(self) -> None:
        started = self.clock.epoch_ms()
        try:
            claim = await self.redis.eval(
                CLAIM, 2, self.lease_key, self.not_before_key, self._me, int(self.ttl * 1000)
            )
        except REDIS_ERRORS as error:
            self.link.errors += 1
            self.redis_down(error)
            self._done()
            return
        verdict, wait_ms = int(claim[0]), int(claim[1])
        if verdict == 1:
            await super()._update()  # the one Spotify call for every replica this TTL
            try:
                await self._share(started)
            except REDIS_ERRORS as error:
                self.link.errors += 1
                self.redis_down(error)
            else:
                self.redis_up()
            return
        try:
            await self._follow(verdict == -1, wait_ms / 1000)
        except REDIS_ERRORS as error:
            self.link.errors += 1
            self.redis_down(error)
        else:
            self.redis_up()
        finally:
            self._done()

    def _done(self) -> None:
        """What the base class does when its own call lands, for a read that made none."""
        self._in_flight = None
        self._overdue = False
        self._publish()

    async def _share(self, started: int) -> None:
        """Tell the other replicas what this fetch gave (or that it failed)."""
        state = self.state
        failure = state.failure
        if isinstance(failure, RateLimited):
            ms = int(failure.retry_after * 1000)
            await self.redis.set(self.not_before_key, b"1", px=max(1, ms))
        message = {
            "origin": self._me,
            "at": started,
            "value": state.value,
            "failure": None if failure is None else [failure_kind(failure), str(failure)],
        }
        body = json.dumps(message)
        self._seen_at = started
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.answer_key, body, ex=ANSWER_SECONDS)
            pipe.publish(self.channel, body)
            await pipe.execute()

    async def _follow(self, rate_limited: bool, wait: float) -> None:
        """Another replica fetches this TTL (or a 429 deadline holds): take the shared answer,
        and try again when the lease (or the deadline) ends."""
        now = self.clock.monotonic()
        if rate_limited:
            self.state.last_attempt = now
            self.state.not_before = now + wait
        else:
            self.state.last_attempt = now - self.ttl + wait
        raw = await self.redis.get(self.answer_key)
        if raw is not None:
            self.adopt(raw)
        if self.served() is None:
            # First answer of this replica: the fetch in flight elsewhere lands through pub/sub.
            self._heard.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.wait_timeout):  # see cache.py on wait_for
                    await self._heard.wait()

    def adopt(self, raw: bytes | str) -> bool:
        """Take in an answer another replica shared; True when it changed anything here."""
        try:  # whatever is in Redis: a bad message is skipped, never the end of the feed
            message = json.loads(raw)
            at = int(message["at"])
            origin, value, failure = (
                message.get("origin"),
                message.get("value"),
                message.get("failure"),
            )
            failed = None if failure is None else failure_from(str(failure[0]), str(failure[1]))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            log.warning("Ignored a malformed answer in Redis (%s).", self.answer_key)
            return False
        if origin == self._me or at <= self._seen_at:
            return False
        self._seen_at = at
        state = self.state
        state.last_attempt = max(state.last_attempt or float("-inf"), self.clock.monotonic())
        if value is not None:
            decoded = self._decode(value)
            self._rendered = self._render_both(decoded)
            state.value = decoded
        state.failure = failed
        self._heard.set()
        self._publish()
        return True

    def redis_down(self, error: BaseException) -> None:
        """Serve the last answer as stale and ask Redis again after a growing pause."""
        down = self.link.down(error)
        self._backoff = min(MAX_BACKOFF, max(self.ttl, 2 * self._backoff))
        self.state.not_before = self.clock.monotonic() + self._backoff
        if not isinstance(self.state.failure, SharedStateDown):
            self.state.failure = down
            self._publish()

    def redis_up(self) -> None:
        self.link.up()
        self._backoff = 0.0
        if isinstance(self.state.failure, SharedStateDown):
            # The next read takes the lease or the shared answer again.
            self.state.not_before = float("-inf")
