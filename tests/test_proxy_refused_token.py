"""The refused-token back-off holds back only the token refused right after its own refresh;
API calls follow no redirects; a tiny `expires_in` does not turn /readyz into token calls."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

REFUSED = Reply(401, {"error": {"status": 401, "message": "Bad token"}})


async def test_an_expiry_after_a_burst_of_401s_refreshes_once(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    await client.get("/v1/now-playing")
    fake_spotify.player = REFUSED  # a burst of 401s, even for a fresh token
    for _ in range(3):
        clock.advance(owner_settings.cache_ttl)
        assert (await (await client.get("/v1/now-playing")).json())["stale"] is True

    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Healthy")))
    clock.advance(owner_settings.cache_ttl)
    assert (await (await client.get("/v1/now-playing")).json())["stale"] is False

    fake_spotify.expire_access_tokens()  # an ordinary expiry of the token that now works
    calls = fake_spotify.token_calls
    clock.advance(owner_settings.cache_ttl)
    data = await (await client.get("/v1/now-playing")).json()

    assert data["stale"] is False
    assert data["item"]["title"] == "Healthy"
    assert fake_spotify.token_calls == calls + 1
    assert (await client.get("/readyz")).status == 200


@pytest.fixture
async def redirecting() -> AsyncIterator[tuple[str, list[str]]]:
    """An API URL that answers 307 towards a second server recording what reaches it."""
    reached: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        reached.append(request.headers.get("Authorization", ""))
        return web.json_response(payloads.currently_playing(payloads.track()))

    target = web.Application()
    target.router.add_get("/{tail:.*}", elsewhere)
    async with TestServer(target, host="127.0.0.1") as other:

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(str(other.make_url(request.path)))

        source = web.Application()
        source.router.add_get("/{tail:.*}", redirect)
        async with TestServer(source, host="127.0.0.1") as api:
            yield str(api.make_url("/v1")), reached


async def test_an_api_redirect_is_not_followed(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    redirecting: tuple[str, list[str]],
) -> None:
    api_url, reached = redirecting
    settings = Settings(**{**owner_settings.__dict__, "api_url": api_url})
    client = await start_proxy(settings, clock)

    response = await client.get("/v1/now-playing")
    ready = await (await client.get("/readyz")).json()

    assert response.status == 503  # no answer at all yet
    assert reached == []  # the access token never went to the other server
    problem = ready["upstream_problem"]
    assert "redirect" in problem
    assert "SPOTIFY_API_URL" in problem


async def test_a_zero_expires_in_does_not_make_readyz_a_token_call(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.access_token_lifetime = 0
    client = await start_proxy(owner_settings, clock)
    for _ in range(100):
        assert (await client.get("/readyz")).status == 200
    assert fake_spotify.token_calls == 1

    clock.advance(owner_settings.cache_ttl)  # at most one refresh per TTL
    for _ in range(100):
        assert (await client.get("/readyz")).status == 200
    assert fake_spotify.token_calls == 2
