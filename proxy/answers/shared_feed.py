"""One pub/sub connection per replica for every shared answer (now playing and each list).

`SharedFeed.listen` subscribes to every `SharedAnswerCache`'s channel on one connection and
hands each message to its cache, so a replica holds one subscriber connection however many
answers it shares. After each (re)subscription it reads every answer key in one `MGET`: what
was published while it was not subscribed. When Redis cannot be reached, every cache serves its
last answer as stale and the feed subscribes again after a growing pause (one TTL, doubling up
to `MAX_BACKOFF`), never in a busy loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from proxy.answers.redis_link import REDIS_ERRORS, RedisLink
from proxy.answers.shared import MAX_BACKOFF, SharedAnswerCache


class SharedFeed:
    def __init__(self, link: RedisLink, caches: Sequence[SharedAnswerCache[Any]]) -> None:
        if not caches:
            raise ValueError("SharedFeed needs at least one cache")
        self.link = link
        self.caches = tuple(caches)
        self.by_channel = {cache.channel.encode(): cache for cache in self.caches}
        self._first_pause = min(cache.ttl for cache in self.caches)
        self._backoff = 0.0

    async def listen(self) -> None:
        """Adopt every answer published on the channels (a background task; reconnects)."""
        client = self.link.client
        while True:
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(*self.by_channel)
                    raws = await client.mget([cache.answer_key for cache in self.caches])
                    for cache, raw in zip(self.caches, raws, strict=True):
                        if raw is not None:
                            cache.adopt(raw)
                        cache.redis_up()
                    self._backoff = 0.0
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        heard = self.by_channel.get(message["channel"])
                        if heard is not None:
                            heard.adopt(message["data"])
            except REDIS_ERRORS as error:
                self.link.errors += 1  # one failed command, however many caches it stales
                for cache in self.caches:
                    cache.redis_down(error)
                self._backoff = min(MAX_BACKOFF, max(self._first_pause, 2 * self._backoff))
                await asyncio.sleep(self._backoff)
