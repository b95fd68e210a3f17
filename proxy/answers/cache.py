"""The now-playing answer cache: TTL freshness, one shared upstream call, stale-if-error, 429.

Every visitor request goes through `NowPlayingCache.get()`. At most one upstream call runs at a
time and calls start at least one TTL apart, so Spotify sees at most ceil(D / TTL) + 1 calls in
any window D whatever the traffic. The decision is the pure function `decide`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from proxy.answers.encoding import compact_json, strong_etag
from proxy.clock import Clock
from proxy.spotify.errors import GrantDead, RateLimited, UpstreamError

log = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[dict[str, Any]]]

# How long a visitor waits for the call in flight when a previous answer exists. A slow (not
# dead) Spotify would otherwise cost every visitor at a TTL boundary the whole upstream timeout;
# a second of a slightly older song beats seconds of nothing. Never more than the timeout.
STALE_PATIENCE = 1.0


class Action(enum.Enum):
    SERVE = "serve"  # the cached answer (fresh, or stale while Spotify may not be asked)
    JOIN = "join"  # wait for the call already in flight
    START = "start"  # start the one upstream call


def decide(
    now: float, last_attempt: float | None, ttl: float, not_before: float, in_flight: bool
) -> Action:
    if in_flight:
        return Action.JOIN
    if last_attempt is not None and now - last_attempt < ttl:
        return Action.SERVE
    if now < not_before:
        return Action.SERVE
    return Action.START


@dataclass(frozen=True)
class Answer:
    """One rendered answer: compact JSON bytes and their ETag, computed once."""

    body: bytes = field(repr=False)
    etag: str


def render(data: dict[str, Any], *, stale: bool, last_played: Any) -> Answer:
    body = compact_json({**data, "stale": stale, "last_played": last_played})
    return Answer(body, strong_etag(body))


class NowPlayingCache:
    def __init__(self, fetch: Fetch, *, ttl: float, wait_timeout: float, clock: Clock) -> None:
        self._fetch = fetch
        self.ttl = ttl
        # A visitor never waits longer than this for an upstream call, however long it hangs.
        self.wait_timeout = wait_timeout
        self.clock = clock
        self._fresh: Answer | None = None
        self._stale: Answer | None = None
        self._failure: UpstreamError | None = None
        self._last_attempt: float | None = None
        self._not_before = float("-inf")
        self._in_flight: asyncio.Task[None] | None = None
        self.last_played: Any = None
        self.calls = 0

    @property
    def failure(self) -> UpstreamError | None:
        """Why the last upstream call failed (None after a success)."""
        return self._failure

    def retry_after(self) -> int:
        """Whole seconds a visitor should wait after a 503: what is left of the 429 deadline,
        else one TTL (the earliest the next upstream call may start)."""
        left = self._not_before - self.clock.monotonic()
        return max(1, math.ceil(left if left > 0 else self.ttl))

    def current(self) -> Answer | None:
        return self._stale if self._failure is not None else self._fresh

    async def get(self) -> Answer | None:
        action = decide(
            self.clock.monotonic(),
            self._last_attempt,
            self.ttl,
            self._not_before,
            self._in_flight is not None,
        )
        if action is Action.SERVE:
            return self.current()
        if self._in_flight is None:
            self._in_flight = asyncio.create_task(self._update())
        patience = self.wait_timeout
        if self._stale is not None:
            patience = min(STALE_PATIENCE, patience)
        try:
            # shield: a visitor who stops waiting (or goes away) must not cancel the call the
            # others wait on; it lands later and updates the cache.
            await asyncio.wait_for(asyncio.shield(self._in_flight), patience)
        except TimeoutError:
            return self._stale
        return self.current()

    async def close(self) -> None:
        """Stop the call in flight, if any, when the app shuts down."""
        task = self._in_flight
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _update(self) -> None:
        self._last_attempt = self.clock.monotonic()
        self.calls += 1
        try:
            self._succeed(await self._fetch())
        except RateLimited as error:
            self._not_before = self.clock.monotonic() + error.retry_after
            # Every 429 is news (at most one per deadline), so each one is logged.
            log.warning(
                "Spotify rate limit (429): no call for %g s (Retry-After); %s.",
                error.retry_after,
                self._fallback(),
            )
            self._fail(error, quiet=True)
        except GrantDead as error:
            self._fail(error, quiet=True)  # AccessTokens has said what to do, once
        except UpstreamError as error:
            self._fail(error)
        except Exception as error:  # a bug must not take the cache down with it
            log.error("Reading Spotify's answer failed unexpectedly (%s).", type(error).__name__)
            self._fail(UpstreamError(type(error).__name__), quiet=True)
        finally:
            self._in_flight = None

    def _fail(self, error: UpstreamError, *, quiet: bool = False) -> None:
        if not quiet and (self._failure is None or str(self._failure) != str(error)):
            log.warning("%s; %s.", error, self._fallback())
        self._failure = error

    def _fallback(self) -> str:
        """What visitors get while Spotify fails, for the log line that says so."""
        if self._stale is None:
            return "no answer to serve yet"
        return "serving the last answer as stale"

    def _succeed(self, data: dict[str, Any]) -> None:
        # Render first: if that fails, nothing (last_played included) has changed yet.
        item = data.get("item")
        last_played = self.last_played if item is None else item
        fresh = render(data, stale=False, last_played=last_played)
        stale = render(data, stale=True, last_played=last_played)
        if self._failure is not None:
            log.info("Spotify answers again; serving live answers.")
        self._failure = None
        self.last_played = last_played
        self._fresh, self._stale = fresh, stale
