"""Every shape of reply Spotify has really sent, through the fake Spotify and the real proxy:
each is a live answer with its item, never "the previous track, stale"."""

from __future__ import annotations

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply


async def test_real_reply_shapes_are_live_answers(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    for name, reply in payloads.real_world_replies().items():
        fake_spotify.player = Reply(200, reply)
        clock.advance(owner_settings.cache_ttl)

        answer = await (await client.get("/v1/now-playing")).json()

        assert answer["stale"] is False, name
        assert answer["item"] is not None, name
        assert answer["item"]["title"] == reply["item"]["name"], name
        assert isinstance(answer["item"]["duration_ms"], int), name
