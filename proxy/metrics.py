"""The proxy's Prometheus metrics: one registry per app, names after Prometheus' conventions
(https://prometheus.io/docs/practices/naming/: `_total` counters, base units such as seconds).

`Metrics` is what the rest of the proxy touches: plain methods, so no other module imports
prometheus_client. It listens to the token layer like any `TokenListener`; numbers the proxy
already keeps (open streams, the grant's remaining time, the Redis errors the grant store and the
shared caches count in plain ints) are read at each scrape. The web layer keeps it under
`proxy.web.metrics.METRICS` only when SPOTIFY_PROXY_METRICS is set (`request.app.get(METRICS)` is
None otherwise).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from proxy.spotify.events import TokenListener

PREFIX = "mkdocs_spotify"


def call_outcome(status: int) -> str:
    """A Spotify answer's status as a label: ok, 204, 401, 403, 429, 5xx or other."""
    if status == 200:
        return "ok"
    if status in (204, 401, 403, 429):
        return str(status)
    return "5xx" if status >= 500 else "other"


class Metrics(TokenListener):
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.spotify_calls = Counter(
            f"{PREFIX}_spotify_calls",
            "HTTP calls to Spotify by endpoint (Web API path, or token) and outcome "
            "(ok, 204, 401, 403, 429, 5xx, other, timeout, error).",
            ["endpoint", "outcome"],
            registry=registry,
        )
        self.answers = Counter(
            f"{PREFIX}_answers",
            "Answers served to visitors by endpoint (now-playing, recently-played, top/tracks, "
            "top/artists) and freshness (fresh, stale, 503).",
            ["endpoint", "freshness"],
            registry=registry,
        )
        self.token_refreshes = Counter(
            f"{PREFIX}_token_refreshes",
            "Access tokens Spotify issued to the proxy.",
            registry=registry,
        )
        self.token_rotations = Counter(
            f"{PREFIX}_token_rotations",
            "Refreshes that also brought a new refresh token (saved to the token store).",
            registry=registry,
        )
        self.grant_refusals = Counter(
            f"{PREFIX}_grant_refusals",
            "Times Spotify refused the refresh token (invalid_grant): run mkdocs-spotify login.",
            registry=registry,
        )
        self.rate_limit_deadline = Gauge(
            f"{PREFIX}_rate_limit_deadline_timestamp_seconds",
            "Unix time before which the proxy does not call Spotify after a 429 (0: none yet).",
            registry=registry,
        )
        self.grant_remaining = Gauge(
            f"{PREFIX}_grant_remaining_seconds",
            "Seconds until the owner's grant expires (6 months after the login); NaN if unknown.",
            registry=registry,
        )
        self.notifier_failures = Counter(
            f"{PREFIX}_notifier_failures",
            "Notification URLs that did not accept a message.",
            registry=registry,
        )
        self.live_streams = Gauge(
            f"{PREFIX}_live_streams",
            "Live now-playing streams (Server-Sent Events) open right now.",
            registry=registry,
        )
        self.grant_remaining.set(math.nan)
        self.redis_errors = RedisErrors()

    def spotify_call(self, endpoint: str, outcome: str) -> None:
        self.spotify_calls.labels(endpoint, outcome).inc()

    def answer_served(self, endpoint: str, freshness: str) -> None:
        self.answers.labels(endpoint, freshness).inc()

    def rate_limited_until(self, unix_seconds: float) -> None:
        self.rate_limit_deadline.set(unix_seconds)

    def track_streams(self, open_streams: Callable[[], int]) -> None:
        """Read the number of open live streams at each scrape."""
        self.live_streams.set_function(lambda: float(open_streams()))

    def notifier_failed(self) -> None:
        self.notifier_failures.inc()

    def track_grant(self, remaining_seconds: Callable[[], float | None]) -> None:
        """Read the grant's remaining time at each scrape (None: unknown)."""

        def value() -> float:
            remaining = remaining_seconds()
            return math.nan if remaining is None else remaining

        self.grant_remaining.set_function(value)

    def track_redis_errors(self, part: str, count: Callable[[], int]) -> None:
        """Add `count()` (a running total) to the Redis errors of `part` at each scrape; the
        counter appears, at 0, with the first part tracked."""
        if not self.redis_errors.parts:
            self.registry.register(self.redis_errors)
        self.redis_errors.parts.setdefault(part, []).append(count)

    def refreshed(self, rotated: bool) -> None:
        self.token_refreshes.inc()
        if rotated:
            self.token_rotations.inc()

    def grant_refused(self, authorized_at: object) -> None:
        self.grant_refusals.inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class RedisErrors(Collector):
    """`mkdocs_spotify_redis_errors_total{part}`: the running totals the Redis-backed parts keep
    themselves, summed per part at each scrape
    (https://prometheus.github.io/client_python/collector/custom/)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[Callable[[], int]]] = {}
        self.created = time.time()  # `_created`, as for the other counters

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            f"{PREFIX}_redis_errors",
            "Redis commands that failed (unreachable, timeout, refused), by the part that "
            "sent them (grant, answers).",
            labels=["part"],
        )
        for part, counts in self.parts.items():
            family.add_metric([part], sum(count() for count in counts), created=self.created)
        yield family
