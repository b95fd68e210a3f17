"""Spotify calls per 10,000 visitor requests at 100 requests/s: the proxy vs the tutorials.

Both run against the same fake Spotify. The proxy runs on a manual clock advanced 10 ms per
request, so 100 s of traffic at 100 requests/s takes a few seconds; the tutorials' handler
(refresh the token, then call Spotify, on every request) needs no clock: its count does not
depend on time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from proxy.clock import ManualClock
from proxy.web.app import create_app
from tests.fakes.spotify import FakeSpotify

RATE = 100  # visitor requests per second


@dataclass(frozen=True)
class Calls:
    requests: int
    token_calls: int
    api_calls: int

    @property
    def total(self) -> int:
        return self.token_calls + self.api_calls

    def per(self, visitors: int) -> float:
        return self.total * visitors / self.requests


async def proxy_calls(requests: int, ttl: float = 5.0) -> Calls:
    async with FakeSpotify() as fake:
        settings = fake.settings(refresh_token=fake.issue_refresh_token(), cache_ttl=ttl)
        clock = ManualClock()
        async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
            for _ in range(requests):
                clock.advance(1 / RATE)
                response = await client.get("/v1/now-playing")
                await response.read()
                assert response.status == 200
        return Calls(requests, fake.token_calls, fake.api_calls)


def tutorial_app(fake: FakeSpotify, refresh_token: str) -> web.Application:
    """What the blog tutorials do: a new access token and a Spotify call per page view."""
    settings = fake.settings()
    sessions: list[aiohttp.ClientSession] = []

    async def handler(request: web.Request) -> web.Response:
        session = sessions[0]
        auth = aiohttp.BasicAuth(settings.client_id or "", settings.client_secret or "")
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        async with session.post(f"{fake.url}/api/token", data=form, auth=auth) as resp:
            token = (await resp.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{fake.url}/v1/me/player/currently-playing"
        async with session.get(url, headers=headers) as resp:
            return web.Response(body=await resp.read(), content_type="application/json")

    async def client_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            sessions.append(session)
            yield

    app = web.Application()
    app.router.add_get("/now-playing", handler)
    app.cleanup_ctx.append(client_session)
    return app


async def tutorial_calls(requests: int) -> Calls:
    async with FakeSpotify() as fake:
        app = tutorial_app(fake, fake.issue_refresh_token())
        async with TestClient(TestServer(app)) as client:
            for _ in range(requests):
                response = await client.get("/now-playing")
                await response.read()
                assert response.status == 200
        return Calls(requests, fake.token_calls, fake.api_calls)
