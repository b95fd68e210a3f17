"""A hanging Spotify never hangs a visitor: the answer comes within the upstream timeout."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from proxy.answers.cache import STALE_PATIENCE
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.web.app import TOKENS
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

TIMEOUT = 0.5
# Generous for a loaded 2-core machine, yet far below the 30-second hang.
MARGIN = 5.0


async def test_visitors_get_stale_answers_while_spotify_hangs(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(replace(owner_settings, upstream_timeout=TIMEOUT), clock)
    good = await (await client.get("/v1/now-playing")).json()
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track()), delay=30.0)
    clock.advance(owner_settings.cache_ttl)

    started = time.monotonic()
    responses = await asyncio.gather(*(client.get("/v1/now-playing") for _ in range(10)))
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT + MARGIN
    for response in responses:
        data = await response.json()
        assert data["stale"] is True
        assert data["item"] == good["item"]
    assert fake_spotify.api_calls == 2


async def test_a_hanging_token_endpoint_gives_503_in_time_on_an_empty_cache(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.token_delay = 30.0
    client = await start_proxy(replace(owner_settings, upstream_timeout=TIMEOUT), clock)

    started = time.monotonic()
    response = await client.get("/v1/now-playing")

    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert response.status == 503
    assert fake_spotify.api_calls == 0


async def test_the_client_session_itself_has_the_upstream_timeout(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(replace(owner_settings, upstream_timeout=TIMEOUT), clock)
    session = client.app[TOKENS].session
    assert session is not None
    assert session.timeout.total == TIMEOUT


async def test_a_slow_spotify_costs_visitors_only_the_patience_when_an_answer_exists(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    # Slow, not dead: the call lands well within the upstream timeout, yet after the patience.
    client = await start_proxy(replace(owner_settings, upstream_timeout=8.0), clock)
    good = await (await client.get("/v1/now-playing")).json()
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("New")), delay=3.0)
    clock.advance(owner_settings.cache_ttl)

    started = time.monotonic()
    responses = await asyncio.gather(*(client.get("/v1/now-playing") for _ in range(10)))
    elapsed = time.monotonic() - started

    assert elapsed < STALE_PATIENCE + 1.5  # the call itself takes 3 s
    for response in responses:
        data = await response.json()
        assert data["stale"] is True
        assert data["item"] == good["item"]

    deadline = time.monotonic() + 3.0 + MARGIN
    fresh = good
    while fresh["item"] == good["item"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        fresh = await (await client.get("/v1/now-playing")).json()
    assert fresh["item"]["title"] == "New"
    assert fresh["stale"] is False
    assert fake_spotify.api_calls == 2


async def test_with_no_answer_yet_a_visitor_waits_for_a_slow_spotify(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track()), delay=1.5)
    client = await start_proxy(replace(owner_settings, upstream_timeout=8.0), clock)

    response = await client.get("/v1/now-playing")

    assert response.status == 200
    assert (await response.json())["stale"] is False
