"""Private sessions: with `user-read-playback-state` the proxy reads `GET /me/player`, whose
`device.is_private_session` hides the track; grants without that scope keep currently-playing."""

from __future__ import annotations

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

PLAYBACK_STATE_SCOPE = "user-read-playback-state"


def api_paths(fake: FakeSpotify) -> list[str]:
    return [path for _, path, _ in fake.requests if path.startswith("/v1/")]


async def test_a_private_session_is_idle_with_one_call_per_ttl(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.scopes = (*fake_spotify.scopes, PLAYBACK_STATE_SCOPE)
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Secret")))
    fake_spotify.playback = Reply(
        200, payloads.player(payloads.track("Secret"), private_session=True)
    )
    client = await start_proxy(owner_settings, clock)

    private = await (await client.get("/v1/now-playing")).json()
    fake_spotify.playback = Reply(200, payloads.player(payloads.track("Shared")))
    clock.advance(owner_settings.cache_ttl)
    shared = await (await client.get("/v1/now-playing")).json()

    assert private["status"] == "idle"
    assert private["item"] is None
    assert private["last_played"] is None
    assert shared["item"]["title"] == "Shared"
    assert shared["last_played"]["title"] == "Shared"
    assert api_paths(fake_spotify) == ["/v1/me/player", "/v1/me/player"]
    assert {q for _, p, q in fake_spotify.requests if p.startswith("/v1/")} == {
        "additional_types=episode"
    }


async def test_the_playback_state_still_shows_episodes(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.scopes = (*fake_spotify.scopes, PLAYBACK_STATE_SCOPE)
    fake_spotify.playback = Reply(200, payloads.player(payloads.episode("Talk")))
    client = await start_proxy(owner_settings, clock)

    answer = await (await client.get("/v1/now-playing")).json()

    assert answer["item"]["type"] == "episode"
    assert answer["item"]["title"] == "Talk"


@pytest.mark.parametrize("playback", [Reply(204), Reply(200, payloads.player(None, kind="ad"))])
async def test_nothing_or_an_ad_in_the_playback_state_is_itemless(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    playback: Reply,
) -> None:
    fake_spotify.scopes = (*fake_spotify.scopes, PLAYBACK_STATE_SCOPE)
    fake_spotify.playback = playback
    client = await start_proxy(owner_settings, clock)

    answer = await (await client.get("/v1/now-playing")).json()

    assert answer["item"] is None


async def test_grants_without_the_scope_keep_currently_playing(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    assert PLAYBACK_STATE_SCOPE not in fake_spotify.scopes
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Public")))
    client = await start_proxy(owner_settings, clock)

    answer = await (await client.get("/v1/now-playing")).json()

    assert answer["item"]["title"] == "Public"
    assert api_paths(fake_spotify) == ["/v1/me/player/currently-playing"]
