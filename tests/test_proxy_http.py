"""The HTTP surface: methods, 404/405 as JSON, caching headers, ETag/304, compact bodies."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

PATHS = ["/v1/now-playing", "/healthz", "/readyz"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", PATHS)
async def test_other_methods_get_405_json(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock, method: str, path: str
) -> None:
    client = await start_proxy(owner_settings, clock)
    response = await client.request(method, path, data=b"x")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert "error" in await response.json()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v1/now-playing/x", "/v1/me/player", "/favicon.ico", "/%2e%2e/etc"]
)
async def test_unknown_paths_get_404_json(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock, path: str
) -> None:
    client = await start_proxy(owner_settings, clock)
    for method in ("GET", "POST"):
        response = await client.request(method, path)
        assert response.status == 404
        assert "error" in await response.json()


async def test_now_playing_headers_and_compact_body(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    response = await client.get("/v1/now-playing")
    body = await response.read()

    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("public, max-age=5")
    assert "Origin" in response.headers["Vary"]
    assert b": " not in body
    assert b", " not in body
    assert b"\n" not in body
    data = json.loads(body)
    assert set(data) == {"status", "item", "progress_ms", "fetched_at", "stale", "last_played"}
    assert data["status"] == "playing"


@pytest.mark.parametrize(("ttl", "max_age"), [(0.5, 1), (2.9, 2), (60.0, 60)])
async def test_max_age_follows_the_ttl(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock, ttl: float, max_age: int
) -> None:
    client = await start_proxy(replace(owner_settings, cache_ttl=ttl), clock)
    response = await client.get("/v1/now-playing")
    assert f"max-age={max_age}," in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_health_endpoints_are_never_cached(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock, path: str
) -> None:
    client = await start_proxy(owner_settings, clock)
    response = await client.get(path)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_etag_and_304(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    first = await client.get("/v1/now-playing")
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")

    again = await client.get("/v1/now-playing", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag
    assert "max-age" in again.headers["Cache-Control"]
    listed = await client.get("/v1/now-playing", headers={"If-None-Match": f'"x", W/{etag}'})
    assert listed.status == 304

    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Next song")))
    clock.advance(owner_settings.cache_ttl)
    changed = await client.get("/v1/now-playing", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["ETag"] != etag


async def test_head_answers_headers_without_a_body(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    get = await client.get("/v1/now-playing")
    head = await client.head("/v1/now-playing")
    assert head.status == 200
    assert await head.read() == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert (await client.head("/healthz")).status == 200
