"""`/v1/recently-played`, `/v1/top/tracks`, `/v1/top/artists`: strict parameters, then the same
headers, CORS, ETag/304, stale and 503 rules as `/v1/now-playing`.

One cache per endpoint and time range asks Spotify for 50 entries per TTL whatever the traffic
(shared by every replica when they share Redis); each visitor's `limit` is cut from it after
the privacy filter, which each replica applies itself, rendered once per answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiMapping

from proxy.answers.cache import AnswerCache
from proxy.answers.encoding import Answer, compact_json, render_json
from proxy.answers.list_fetch import ENDPOINTS, Endpoint, Get, ListAnswer, list_fetch
from proxy.answers.lists import TIME_RANGES, TimeRange
from proxy.answers.privacy import Rules
from proxy.answers.private_switch import PrivateSwitch
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.errors import Forbidden
from proxy.web.caches import answer_cache
from proxy.web.http import NO_STORE, answer_headers, cors_headers, etag_matches

if TYPE_CHECKING:
    from proxy.answers.redis_link import RedisLink

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
DEFAULT_RANGE: TimeRange = "short_term"
_RECENT_USAGE = (
    "Use only limit, a whole number from 1 to 50 (default 10), as in /v1/recently-played?limit=10."
)
_TOP_USAGE = (
    "Use only range (short_term, medium_term or long_term; default short_term) and limit (a "
    "whole number from 1 to 50; default 10), as in /v1/top/tracks?range=short_term&limit=10."
)
UNAVAILABLE = "Spotify lists are unavailable right now."


@dataclass(frozen=True)
class ListQuery:
    range: TimeRange
    limit: int


def parse_query(endpoint: Endpoint, query: MultiMapping[str]) -> ListQuery | str:
    """The validated parameters, or the one sentence a 400 answers with."""
    allowed = ("limit",) if endpoint == "recently-played" else ("range", "limit")
    usage = _RECENT_USAGE if endpoint == "recently-played" else _TOP_USAGE
    if any(key not in allowed or len(query.getall(key)) > 1 for key in query):
        return usage
    limit = query.get("limit", str(DEFAULT_LIMIT))
    # ASCII digits only: int() would also take " 7", "+7", other scripts' digits and "1_0".
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
        return usage
    if str(int(limit)) != limit:  # "07": one spelling per value keeps CDN caches small
        return usage
    time_range = query.get("range", DEFAULT_RANGE)
    for known in TIME_RANGES:
        if time_range == known:
            return ListQuery(known, int(limit))
    return usage


class ListEndpoint:
    """One endpoint: its caches per time range, the privacy rules and the kill switch."""

    def __init__(
        self,
        endpoint: Endpoint,
        caches: Mapping[TimeRange, AnswerCache[ListAnswer]],
        rules: Rules,
        private: PrivateSwitch,
        allowed: tuple[str, ...],
    ) -> None:
        self.endpoint = endpoint
        self.caches = caches
        self.rules = rules
        self.private = private
        self.allowed = allowed
        # (cache's ETag, private) -> limit -> rendered answer; renewed with each new answer.
        self._rendered: dict[TimeRange, tuple[tuple[str, bool], dict[int, Answer]]] = {}

    async def handle(self, request: web.Request) -> web.Response:
        cors = cors_headers(request.headers.get("Origin"), self.allowed)
        query = parse_query(self.endpoint, request.query)
        if isinstance(query, str):
            return _json({"error": query}, 400, {**cors, "Vary": "Origin"})
        cache = self.caches[query.range]
        await cache.get()
        served = cache.served()
        if served is None:
            failure = cache.failure
            error = str(failure) if isinstance(failure, Forbidden) else UNAVAILABLE
            headers = {**cors, "Vary": "Origin", "Retry-After": str(cache.retry_after())}
            return _json({"error": error}, 503, headers)
        answer = self._answer(query, served.answer.etag, served.value, served.stale)
        headers = {**answer_headers(answer.etag, cache.ttl), **cors}
        if etag_matches(request.headers.get("If-None-Match"), answer.etag):
            del headers["Content-Type"]
            return web.Response(status=304, headers=headers)
        return web.Response(body=answer.body, headers=headers)

    def _answer(self, query: ListQuery, etag: str, value: ListAnswer, stale: bool) -> Answer:
        key = (etag, self.private.on())
        known_key, by_limit = self._rendered.get(query.range, (None, {}))
        if known_key != key:
            by_limit = {}
            self._rendered[query.range] = (key, by_limit)
        answer = by_limit.get(query.limit)
        if answer is None:
            answer = render_json(self.rules.items(value, query.limit, key[1]), stale)
            by_limit[query.limit] = answer
        return answer


def _json(data: Any, status: int, headers: Mapping[str, str]) -> web.Response:
    return web.Response(
        body=compact_json(data),
        status=status,
        content_type="application/json",
        headers={**NO_STORE, **headers},
    )


def cache_name(endpoint: Endpoint, time_range: TimeRange) -> str:
    """The list's name in Redis' keys: `recently-played`, `top-tracks:short_term`, ..."""
    if endpoint == "recently-played":
        return endpoint
    return f"{endpoint.replace('/', '-')}:{time_range}"


def list_endpoints(
    settings: Settings,
    clock: Clock,
    get: Get,
    granted: Callable[[], tuple[str, ...]],
    private: PrivateSwitch,
    link: RedisLink | None = None,
) -> dict[str, ListEndpoint]:
    """Every list endpoint by path below /v1/, with its caches (one per time range), shared
    through Redis when there is a link."""
    rules = Rules(settings.privacy)
    endpoints: dict[str, ListEndpoint] = {}
    for endpoint in ENDPOINTS:
        recent = endpoint == "recently-played"
        ranges: tuple[TimeRange, ...] = (DEFAULT_RANGE,) if recent else TIME_RANGES
        caches = {
            time_range: answer_cache(
                list_fetch(get, endpoint, time_range, clock, granted),
                render_json,
                ttl=settings.recent_ttl if recent else settings.top_ttl,
                wait_timeout=settings.upstream_timeout,
                clock=clock,
                link=link,
                name=cache_name(endpoint, time_range),
            )
            for time_range in ranges
        }
        endpoints[endpoint] = ListEndpoint(
            endpoint, caches, rules, private, settings.allowed_origins
        )
    return endpoints
