"""No visitor path, query or header ever reaches Spotify: the proxy asks one fixed URL."""

from __future__ import annotations

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify

VISITS = [
    "/v1/now-playing?market=XX&additional_types=track&url=http://evil.example.com",
    "/v1/now-playing/../me/player/recently-played",
    "/v1/me/top/tracks",
    "/v1/me/player/currently-playing",
    "/me/player/currently-playing?x=1",
    "/api/token",
    "/v1/now-playing%3Fx=1",
    "/%2F%2Fevil.example.com/v1/now-playing",
]


async def test_visitor_paths_and_queries_never_reach_spotify(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    for visit in VISITS:
        clock.advance(owner_settings.cache_ttl)
        await (
            await client.get(visit, headers={"X-Forwarded-Host": "evil", "Authorization": "x"})
        ).read()
        await (await client.post(visit, data=b"grant_type=refresh_token")).read()

    api = [r for r in fake_spotify.requests if r[1].startswith("/v1")]
    assert api, "the proxy should have asked Spotify at least once"
    assert set(api) == {("GET", "/v1/me/player/currently-playing", "additional_types=episode")}
    assert {r for r in fake_spotify.requests if not r[1].startswith("/v1")} == {
        ("POST", "/api/token", "")
    }
    assert fake_spotify.token_calls == 1
