"""The one pub/sub feed of a replica outlives whatever is published on its channels: a malformed
message is logged and skipped, and the next good answer still arrives (a real redis-server)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from proxy.answers.encoding import render_json
from proxy.answers.redis_link import RedisLink
from proxy.answers.shared import SharedAnswerCache
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.redis_store import RedisGrantStore
from tests.redis_server import feeding, redis_server

MALFORMED = [
    b"not json",
    b"[1, 2]",
    b'{"at": "soon"}',
    b'{"at": 5, "failure": "x"}',
    b'{"at": 6, "failure": 7}',
    b'"just a string"',
]


async def _never_called() -> dict[str, object]:
    raise AssertionError("no Spotify call in this test")


def idle_cache(link: RedisLink) -> SharedAnswerCache[dict[str, object]]:
    """Now playing on `link`, filled only by what the feed hears (it never fetches)."""
    return SharedAnswerCache(
        _never_called,
        render_json,
        ttl=60.0,
        wait_timeout=1.0,
        clock=Clock(),
        link=link,
        name="now-playing",
    )


async def test_malformed_messages_are_skipped_and_the_feed_keeps_listening(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with redis_server(tmp_path / "redis") as server:
        link = RedisLink(server.url, "test:")
        cache = idle_cache(link)
        good = {"origin": "another", "at": 10, "value": {"status": "idle"}, "failure": None}
        async with feeding(link, [cache]):
            for _ in range(100):  # until subscribed
                if await link.client.pubsub_numsub(cache.channel) != [(cache.channel.encode(), 0)]:
                    break
                await asyncio.sleep(0.02)
            for raw in [*MALFORMED, json.dumps(good).encode()]:
                await link.client.publish(cache.channel, raw)
            for _ in range(100):
                if cache.served() is not None:
                    break
                await asyncio.sleep(0.02)
    served = cache.served()
    assert served is not None
    assert served.value == {"status": "idle"}
    assert cache.failure is None
    assert caplog.text.count("Ignored a malformed answer in Redis") == len(MALFORMED)


async def test_a_quiet_channel_longer_than_the_socket_timeout_is_not_an_outage(
    tmp_path: Path,
) -> None:
    """The feed blocks on its subscription; nothing published for longer than the client's
    socket timeout (2 s) must not read as Redis being down (redis-py before 8.1 did)."""
    with redis_server(tmp_path / "redis") as server:
        link = RedisLink(server.url, "test:")
        cache = idle_cache(link)
        async with feeding(link, [cache]):
            await asyncio.sleep(2.5)
    assert link.errors == 0
    assert link.problem is None


async def test_a_redis_restart_does_not_fail_the_next_command_on_a_pooled_connection(
    tmp_path: Path,
) -> None:
    """After a restart the link's pooled connection is dead: the next command reconnects and
    succeeds instead of failing once more (a second "cannot be reached" right after "answers
    again", seen on a busy machine)."""
    with redis_server(tmp_path / "redis") as server:
        link = RedisLink(server.url, "test:")
        store = RedisGrantStore(Settings(redis_url=server.url, redis_prefix="test:"))
        try:
            # One connection each, back in its pool.
            await link.client.set("test:probe", b"1")
            assert store.load() is None
            assert await store.shared_access() is None
            server.stop()
            server.start()  # same port, empty
            assert await link.client.get("test:probe") is None
            assert store.load() is None  # SharedStateDown on the dead connection before
            assert store.redis_errors == 0
        finally:
            await link.close()
            await store.aclose()
