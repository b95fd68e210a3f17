"""403 from Spotify: no retry, stale answers, and /readyz explains what to change."""

from __future__ import annotations

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify, Reply

FORBIDDEN = Reply(403, {"error": {"status": 403, "message": "User not registered"}})


async def test_a_403_is_not_retried_and_readyz_explains(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    good = await (await client.get("/v1/now-playing")).json()
    fake_spotify.player = FORBIDDEN
    clock.advance(owner_settings.cache_ttl)
    calls = fake_spotify.api_calls

    data = await (await client.get("/v1/now-playing")).json()

    assert data["stale"] is True
    assert data["item"] == good["item"]
    assert fake_spotify.api_calls == calls + 1  # one call, no retry
    assert fake_spotify.token_calls == 1  # a 403 is not a token problem
    ready = await client.get("/readyz")
    assert ready.status == 503
    reason = (await ready.json())["reason"]
    assert "403" in reason
    assert "User Management" in reason
