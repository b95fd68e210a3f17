"""Demo mode runs the simulated session through the same normaliser and cache as Spotify."""

from __future__ import annotations

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.web.app import CACHE
from tests.conftest import StartProxy


async def test_demo_answers_advance_and_are_cached_like_spotify_answers(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True, cache_ttl=5.0), clock)
    cache = client.app[CACHE]

    first = await (await client.get("/v1/now-playing")).json()
    assert first["status"] == "playing"
    assert first["item"]["title"]
    assert first["stale"] is False
    cached = await (await client.get("/v1/now-playing")).json()
    assert cached == first
    assert cache.calls == 1

    seen = {(first["status"], first["item"]["title"], first["progress_ms"])}
    statuses = {first["status"]}
    for _ in range(120):  # ten minutes of the simulated session, one answer per 5 s
        clock.advance(5)
        data = await (await client.get("/v1/now-playing")).json()
        item = data["item"]
        seen.add((data["status"], item["title"] if item else None, data["progress_ms"]))
        statuses.add(data["status"])
        if item is not None:
            assert item["url"] is None or item["url"].startswith("https://open.spotify.com/")
    assert cache.calls == 121
    assert len(seen) > 20
    assert {"playing", "paused", "idle"} <= statuses


async def test_a_minute_of_the_demo_proxy_shows_playing_paused_and_idle(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True, cache_ttl=5.0), clock)

    statuses = set()
    for _ in range(12):  # one minute, an answer every cache TTL (as the live stream sends them)
        statuses.add((await (await client.get("/v1/now-playing")).json())["status"])
        clock.advance(5)

    assert statuses == {"playing", "paused", "idle"}
