"""`last_played`: the last item the proxy has seen, kept in memory for the idle widget."""

from __future__ import annotations

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply


async def test_last_played_is_null_until_something_plays_then_survives_idle(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(204)
    client = await start_proxy(owner_settings, clock)

    idle = await (await client.get("/v1/now-playing")).json()
    assert idle["status"] == "idle"
    assert idle["last_played"] is None

    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("One")))
    clock.advance(owner_settings.cache_ttl)
    playing = await (await client.get("/v1/now-playing")).json()
    assert playing["last_played"] == playing["item"]

    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.episode("Two")))
    clock.advance(owner_settings.cache_ttl)
    episode = await (await client.get("/v1/now-playing")).json()
    assert episode["item"]["type"] == "episode"

    fake_spotify.player = Reply(200, payloads.ad())
    clock.advance(owner_settings.cache_ttl)
    ad = await (await client.get("/v1/now-playing")).json()
    assert ad["item"] is None
    assert ad["last_played"]["title"] == "Two"

    fake_spotify.player = Reply(204)
    clock.advance(owner_settings.cache_ttl)
    after = await (await client.get("/v1/now-playing")).json()
    assert after["status"] == "idle"
    assert after["item"] is None
    assert after["last_played"] == episode["item"]
