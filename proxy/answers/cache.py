"""The answer cache: TTL freshness, one shared upstream call, stale-if-error, 429. Generic.

One `AnswerCache` serves one endpoint with one set of parameters (now playing today; recently
played and top lists next), whatever its fetch returns. At most one upstream call runs at a time
and calls start at least one TTL apart, so Spotify sees at most ceil(D / TTL) + 1 calls in any
window D whatever the traffic. The decision is the pure function `decide`.

What an answer means is not the cache's business: the endpoint hands it

- `fetch`: one upstream call, already normalised to the typed answer;
- `steps`: the answer pipeline, run on each new answer with the previous good one (privacy
  filters, then e.g. the now-playing `last_played`), before anything is kept;
- `render`: the answer, and whether it is stale, as the bytes visitors get.

Every change of what visitors get (a new answer, stale or live again) reaches the listeners
given to `subscribe`: the live stream publishes from there. Everything the cache knows sits in
one `CacheState`, which a shared backend could load and save; only the call in flight and the
rendered bytes belong to this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from proxy.answers.encoding import Answer
from proxy.clock import Clock
from proxy.spotify.errors import GrantDead, RateLimited, UpstreamError

__all__ = [
    "STALE_PATIENCE",
    "Action",
    "Answer",
    "AnswerCache",
    "CacheState",
    "Fetch",
    "Listener",
    "Render",
    "Served",
    "Step",
    "decide",
    "next_start_in",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

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


def next_start_in(now: float, last_attempt: float | None, ttl: float, not_before: float) -> float:
    """Seconds until `decide` (with no call in flight) says START; 0 when it says so now."""
    wait = not_before - now
    if last_attempt is not None:
        wait = max(wait, last_attempt + ttl - now)
    return max(0.0, wait)


@dataclass
class CacheState(Generic[T]):
    """Everything one cache knows: what a backend shared by several processes would hold.

    Times are the clock's monotonic seconds of this process; a shared backend keeps them as
    wall-clock deadlines instead.
    """

    value: T | None = None  # the last good answer, after the steps
    failure: UpstreamError | None = None  # why the last call failed; None after a success
    last_attempt: float | None = None  # when the last upstream call started
    not_before: float = float("-inf")  # no upstream call before this (a 429's Retry-After)
    calls: int = 0  # upstream calls started, for tests and the benchmark


@dataclass(frozen=True)
class Served(Generic[T]):
    """What visitors get now: the answer, whether it is stale, and its bytes."""

    value: T = field(repr=False)
    stale: bool
    answer: Answer


Fetch = Callable[[], Awaitable[T]]
Step = Callable[[T | None, T], T]  # (previous good answer, new answer) -> the answer to keep
Render = Callable[[T, bool], Answer]  # (answer, stale) -> bytes and ETag
Listener = Callable[[Served[T]], None]


class AnswerCache(Generic[T]):
    def __init__(
        self,
        fetch: Fetch[T],
        render: Render[T],
        *,
        ttl: float,
        wait_timeout: float,
        clock: Clock,
        steps: Sequence[Step[T]] = (),
        state: CacheState[T] | None = None,
    ) -> None:
        self._fetch = fetch
        self._render = render
        self._steps = tuple(steps)
        self.ttl = ttl
        # A visitor never waits longer than this for an upstream call, however long it hangs.
        self.wait_timeout = wait_timeout
        self.clock = clock
        self.state: CacheState[T] = state if state is not None else CacheState()
        # The state's value rendered live and stale, computed once when it lands.
        self._rendered: tuple[Served[T], Served[T]] | None = None
        if self.state.value is not None:
            self._rendered = self._render_both(self.state.value)
        self._in_flight: asyncio.Task[None] | None = None
        # A visitor gave up waiting on the call in flight: until it lands, answers are stale.
        self._overdue = False
        self._listeners: list[Listener[T]] = []
        self._published: str | None = None

    @property
    def failure(self) -> UpstreamError | None:
        """Why the last upstream call failed (None after a success)."""
        return self.state.failure

    @property
    def overdue(self) -> bool:
        """True while the call in flight has outlasted a visitor's patience."""
        return self._overdue

    @property
    def in_flight(self) -> bool:
        return self._in_flight is not None

    @property
    def calls(self) -> int:
        return self.state.calls

    def retry_after(self) -> int:
        """Whole seconds a visitor should wait after a 503: what is left of the 429 deadline,
        else one TTL (the earliest the next upstream call may start)."""
        left = self.state.not_before - self.clock.monotonic()
        return max(1, math.ceil(left if left > 0 else self.ttl))

    def served(self) -> Served[T] | None:
        """What visitors get right now, without asking Spotify."""
        if self._rendered is None:
            return None
        live, stale = self._rendered
        return stale if self.state.failure is not None or self._overdue else live

    def current(self) -> Answer | None:
        served = self.served()
        return None if served is None else served.answer

    def subscribe(self, listener: Listener[T]) -> Callable[[], None]:
        """Call `listener` on every change of what visitors get; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def next_start_in(self) -> float:
        """Seconds until a read would start the next upstream call (0: it would now)."""
        state = self.state
        return next_start_in(self.clock.monotonic(), state.last_attempt, self.ttl, state.not_before)

    async def get(self) -> Answer | None:
        """The bytes visitors get, asking upstream first when the answer is due."""
        state = self.state
        now = self.clock.monotonic()
        action = decide(now, state.last_attempt, self.ttl, state.not_before, self.in_flight)
        if action is not Action.SERVE:
            await self._join_or_start()
        return self.current()

    async def get_served(self) -> Served[T] | None:
        """`get()` with the answer itself and its stale flag, for the live streams."""
        await self.get()
        return self.served()

    async def _join_or_start(self) -> None:
        if self._in_flight is None:
            self._in_flight = asyncio.create_task(self._update())
        patience = self.wait_timeout
        if self._rendered is not None:
            patience = min(STALE_PATIENCE, patience)
        try:
            # shield: a visitor who stops waiting (or goes away) must not cancel the call the
            # others wait on; it lands later and updates the cache. asyncio.timeout, not
            # wait_for: on Python 3.11 wait_for loses a cancellation that meets a finished call
            # (https://github.com/python/cpython/issues/86296).
            async with asyncio.timeout(patience):
                await asyncio.shield(self._in_flight)
        except TimeoutError:
            if self._in_flight is not None and not self._overdue:
                self._overdue = True
                self._publish()

    async def settled(self) -> None:
        """Wait until the call in flight, if any, has landed (without ever cancelling it)."""
        task = self._in_flight
        if task is not None:
            await asyncio.wait({task})

    async def close(self) -> None:
        """Stop the call in flight, if any, when the app shuts down."""
        task = self._in_flight
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _update(self) -> None:
        state = self.state
        state.last_attempt = self.clock.monotonic()
        state.calls += 1
        try:
            self._succeed(await self._fetch())
        except RateLimited as error:
            state.not_before = self.clock.monotonic() + error.retry_after
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
            self._overdue = False
            self._publish()

    def _fail(self, error: UpstreamError, *, quiet: bool = False) -> None:
        failure = self.state.failure
        if not quiet and (failure is None or str(failure) != str(error)):
            # Errors that are whole sentences end with a period: one period per line.
            log.warning("%s; %s.", str(error).rstrip("."), self._fallback())
        self.state.failure = error

    def _fallback(self) -> str:
        """What visitors get while Spotify fails, for the log line that says so."""
        if self._rendered is None:
            return "no answer to serve yet"
        return "serving the last answer as stale"

    def _succeed(self, value: T) -> None:
        # Steps and rendering first: if either fails, nothing has changed yet.
        for step in self._steps:
            value = step(self.state.value, value)
        rendered = self._render_both(value)
        if self.state.failure is not None:
            log.info("Spotify answers again; serving live answers.")
        self.state.failure = None
        self.state.value = value
        self._rendered = rendered

    def _render_both(self, value: T) -> tuple[Served[T], Served[T]]:
        return Served(value, False, self._render(value, False)), Served(
            value, True, self._render(value, True)
        )

    def _publish(self) -> None:
        served = self.served()
        if served is None or served.answer.etag == self._published:
            return
        self._published = served.answer.etag
        for listener in tuple(self._listeners):
            try:
                listener(served)
            except Exception as error:  # one broken listener must not starve the others
                log.error("A listener of new answers failed (%s).", type(error).__name__)
