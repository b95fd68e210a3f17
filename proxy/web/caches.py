"""Which answer cache an endpoint gets: shared through Redis when the replica has a link
(SPOTIFY_PROXY_REDIS_URL), else kept in memory. redis-py is imported only in the first case,
so a proxy without Redis (and `mkdocs serve`'s dev proxy) starts without loading it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from proxy.answers.cache import AnswerCache, Fetch, Render, Step
from proxy.clock import Clock

if TYPE_CHECKING:
    from proxy.answers.redis_link import RedisLink

T = TypeVar("T")


def answer_cache(
    fetch: Fetch[T],
    render: Render[T],
    *,
    ttl: float,
    wait_timeout: float,
    clock: Clock,
    steps: Sequence[Step[T]] = (),
    link: RedisLink | None,
    name: str,
) -> AnswerCache[T]:
    """The answer `name` shared through Redis when there is a link, else kept in memory."""
    if link is None:
        return AnswerCache(
            fetch, render, ttl=ttl, wait_timeout=wait_timeout, clock=clock, steps=steps
        )
    from proxy.answers.shared import SharedAnswerCache

    return SharedAnswerCache(
        fetch,
        render,
        ttl=ttl,
        wait_timeout=wait_timeout,
        clock=clock,
        steps=steps,
        link=link,
        name=name,
    )
