"""However many visitors ask at once, one Spotify call is in flight; a leaver cancels nothing."""

from __future__ import annotations

import asyncio

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.web.app import CACHE
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply


async def test_hundreds_of_simultaneous_visitors_make_one_spotify_call(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track()), delay=0.2)
    client = await start_proxy(owner_settings, clock)

    responses = await asyncio.gather(*(client.get("/v1/now-playing") for _ in range(300)))

    bodies = {await r.read() for r in responses}
    assert [r.status for r in responses] == [200] * 300
    assert len(bodies) == 1
    assert fake_spotify.api_calls == 1
    assert fake_spotify.token_calls == 1


async def test_a_visitor_who_leaves_does_not_cancel_the_call_for_the_others(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Kept")), delay=0.3)
    client = await start_proxy(owner_settings, clock)
    cache = client.app[CACHE]

    leaver = asyncio.create_task(cache.get())
    stayers = [asyncio.create_task(cache.get()) for _ in range(20)]
    await asyncio.sleep(0.05)
    leaver.cancel()
    answers = await asyncio.gather(*stayers)

    assert all(a is not None and b'"title":"Kept"' in a.body for a in answers)
    assert fake_spotify.api_calls == 1
