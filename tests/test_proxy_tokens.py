"""One access token at a time: reused, refreshed ahead of expiry, and a 401 refreshes once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.client import REFUSED_TOKEN_BACKOFF
from proxy.web.app import TOKENS
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply


async def test_the_access_token_is_reused_until_shortly_before_it_expires(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.access_token_lifetime = 600
    client = await start_proxy(owner_settings, clock)
    for _ in range(10):
        assert (await client.get("/v1/now-playing")).status == 200
        clock.advance(50)  # 500 s: still inside the token's life minus the margin
    assert fake_spotify.token_calls == 1
    assert fake_spotify.api_calls == 10

    clock.advance(60)  # 560 s > 600 - 60: refreshed ahead of Spotify's expiry
    assert (await client.get("/v1/now-playing")).status == 200
    assert fake_spotify.token_calls == 2


async def test_a_401_refreshes_once_and_retries_once(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Before")))
    client = await start_proxy(owner_settings, clock)
    await client.get("/v1/now-playing")
    fake_spotify.expire_access_tokens()
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("After")))
    clock.advance(owner_settings.cache_ttl)

    data = await (await client.get("/v1/now-playing")).json()

    assert data["item"]["title"] == "After"
    assert data["stale"] is False
    assert fake_spotify.token_calls == 2
    assert fake_spotify.api_calls == 3  # the first call, the 401, the retry


async def test_a_401_that_persists_is_not_retried_in_a_loop(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    await client.get("/v1/now-playing")
    fake_spotify.player = Reply(401, {"error": {"status": 401, "message": "Bad token"}})
    clock.advance(owner_settings.cache_ttl)

    data = await (await client.get("/v1/now-playing")).json()

    assert data["stale"] is True
    assert fake_spotify.api_calls == 3
    assert fake_spotify.token_calls == 2


async def test_a_401_that_survives_a_fresh_token_stops_refreshing_for_minutes(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await start_proxy(owner_settings, clock)
    await client.get("/v1/now-playing")
    fake_spotify.player = Reply(401, {"error": {"status": 401, "message": "Bad token"}})
    clock.advance(owner_settings.cache_ttl)
    await client.get("/v1/now-playing")  # refreshed once, retried once, refused again
    assert (fake_spotify.token_calls, fake_spotify.api_calls) == (2, 3)

    for _ in range(10):
        clock.advance(owner_settings.cache_ttl)
        data = await (await client.get("/v1/now-playing")).json()
        assert data["stale"] is True
    assert fake_spotify.token_calls == 2  # no refresh on 401 meanwhile
    assert fake_spotify.api_calls == 13  # one call per TTL, not two
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "401" in (await ready.json())["reason"]
    assert sum("401" in record.getMessage() for record in caplog.records) == 1

    clock.advance(REFUSED_TOKEN_BACKOFF)  # then one more try with a fresh token
    await client.get("/v1/now-playing")
    assert (fake_spotify.token_calls, fake_spotify.api_calls) == (3, 15)

    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Back")))
    clock.advance(owner_settings.cache_ttl)
    data = await (await client.get("/v1/now-playing")).json()
    assert data["stale"] is False
    assert (await client.get("/readyz")).status == 200


async def test_concurrent_token_requests_share_one_refresh(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.token_delay = 0.2
    client = await start_proxy(owner_settings, clock)
    tokens = client.app[TOKENS]

    got = await asyncio.gather(*(tokens.access_token() for _ in range(50)))

    assert len(set(got)) == 1
    assert fake_spotify.token_calls == 1


async def test_a_public_client_refreshes_with_its_client_id_in_the_body(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with FakeSpotify(client_secret=None) as fake:
        settings = replace(
            fake.settings(client_secret=None, refresh_token=fake.issue_refresh_token()),
            token_store=store_path,
        )
        client = await start_proxy(settings, clock)
        assert (await client.get("/v1/now-playing")).status == 200
        assert fake.last_token_form["client_id"] == fake.client_id
        assert fake.token_calls == 1
