"""Spotify calls per window D stay at most ceil(D / TTL) + 1, whatever the load."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import replace

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify


async def test_within_the_ttl_every_visitor_gets_the_cached_answer(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    first = await (await client.get("/v1/now-playing")).read()
    for _ in range(20):
        clock.advance(owner_settings.cache_ttl / 25)
        assert await (await client.get("/v1/now-playing")).read() == first
    assert fake_spotify.api_calls == 1

    clock.advance(owner_settings.cache_ttl)
    await client.get("/v1/now-playing")
    assert fake_spotify.api_calls == 2


async def test_sustained_load_on_a_real_clock_respects_the_bound(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    ttl = 0.5
    client = await start_proxy(replace(owner_settings, cache_ttl=ttl))
    started = time.monotonic()

    async def visitor() -> None:
        while time.monotonic() - started < 2.0:
            response = await client.get("/v1/now-playing")
            assert response.status == 200
            await response.read()

    await asyncio.gather(*(visitor() for _ in range(20)))
    window = time.monotonic() - started

    assert 2 <= fake_spotify.api_calls <= math.ceil(window / ttl) + 1
