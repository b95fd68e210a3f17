"""429: one shared deadline from Retry-After (30 s without one), zero Spotify calls before it."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime

import pytest

from proxy.clock import ManualClock
from proxy.settings import DEFAULT_CACHE_TTL, Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

LIMITED = {"error": {"status": 429, "message": "API rate limit exceeded"}}
# The 429 comes one TTL after the start of the manual clock.
IN_TWO_MINUTES = format_datetime(
    ManualClock().now() + timedelta(seconds=DEFAULT_CACHE_TTL + 120), usegmt=True
)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({}, 30.0),
        ({"Retry-After": "soon"}, 30.0),
        ({"Retry-After": IN_TWO_MINUTES}, 120.0),
    ],
    ids=["seconds", "absent", "unreadable", "http-date"],
)
async def test_no_call_before_retry_after_and_stale_answers_meanwhile(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    wait: float,
) -> None:
    caplog.set_level(logging.INFO, "proxy")
    client = await start_proxy(owner_settings, clock)
    good = await (await client.get("/v1/now-playing")).json()
    fake_spotify.player_queue = [Reply(429, LIMITED, headers=headers)]
    clock.advance(owner_settings.cache_ttl)
    await client.get("/v1/now-playing")
    calls = fake_spotify.api_calls

    while clock.monotonic() < 1000 + owner_settings.cache_ttl + wait - 1:
        clock.advance(0.7)
        data = await (await client.get("/v1/now-playing")).json()
        assert data["stale"] is True
        assert data["item"] == good["item"]
    assert fake_spotify.api_calls == calls

    clock.advance(1.5)
    data = await (await client.get("/v1/now-playing")).json()
    assert data["stale"] is False
    assert fake_spotify.api_calls == calls + 1
    limits = [r.getMessage() for r in caplog.records if "429" in r.getMessage()]
    assert len(limits) == 1
    assert f"{wait:g} s" in limits[0]


async def test_a_429_on_an_empty_cache_answers_503_json(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(429, LIMITED, headers={"Retry-After": "5"})
    client = await start_proxy(owner_settings, clock)

    response = await client.get("/v1/now-playing")

    assert response.status == 503
    assert "error" in await response.json()
    assert fake_spotify.api_calls == 1


async def test_a_503_asks_visitors_to_come_back_when_the_429_deadline_ends(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(429, LIMITED, headers={"Retry-After": "120"})
    client = await start_proxy(owner_settings, clock)
    assert (await client.get("/v1/now-playing")).headers["Retry-After"] == "120"

    clock.advance(20.5)
    response = await client.get("/v1/now-playing")

    assert response.status == 503
    assert response.headers["Retry-After"] == "100"  # 99.5 s left, rounded up
    assert fake_spotify.api_calls == 1


async def test_without_a_429_a_503_asks_visitors_to_come_back_after_one_ttl(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(500, {"error": {"status": 500, "message": "Server error"}})
    client = await start_proxy(replace(owner_settings, cache_ttl=7.5), clock)

    response = await client.get("/v1/now-playing")

    assert response.status == 503
    assert response.headers["Retry-After"] == "8"


async def test_recovery_is_served_fresh(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player_queue = [Reply(429, LIMITED, headers={"Retry-After": "2"})]
    client = await start_proxy(owner_settings, clock)
    assert (await client.get("/v1/now-playing")).status == 503
    clock.advance(owner_settings.cache_ttl)
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Back")))
    data = await (await client.get("/v1/now-playing")).json()
    assert data["item"]["title"] == "Back"
