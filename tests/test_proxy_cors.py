"""CORS: an exact-match allow-list echoed with Vary: Origin, never credentials, never `null`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy

BLOG = "https://blog.example.com"


@pytest.fixture
def settings(owner_settings: Settings) -> Settings:
    return replace(owner_settings, allowed_origins=(BLOG, "http://127.0.0.1:8000"))


@pytest.mark.parametrize("path", ["/v1/now-playing", "/healthz", "/readyz"])
async def test_an_allowed_origin_is_echoed(
    settings: Settings, start_proxy: StartProxy, clock: ManualClock, path: str
) -> None:
    client = await start_proxy(settings, clock)
    response = await client.get(path, headers={"Origin": BLOG})
    assert response.headers["Access-Control-Allow-Origin"] == BLOG
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "https://blog.example.com.evil.com",
        "http://blog.example.com",
        "https://BLOG.example.com:443/",
        "null",
        "*",
    ],
)
async def test_other_origins_get_no_cors_header(
    settings: Settings, start_proxy: StartProxy, clock: ManualClock, origin: str
) -> None:
    client = await start_proxy(settings, clock)
    response = await client.get("/v1/now-playing", headers={"Origin": origin})
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers["Vary"]


async def test_an_allowed_preflight_is_answered(
    settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(settings, clock)
    response = await client.options(
        "/v1/now-playing",
        headers={"Origin": BLOG, "Access-Control-Request-Method": "GET"},
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == BLOG
    assert set(response.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
    }
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    ("origin", "method", "hint"),
    [
        ("https://evil.example.com", "GET", "SPOTIFY_PROXY_ALLOWED_ORIGINS"),
        ("null", "GET", "SPOTIFY_PROXY_ALLOWED_ORIGINS"),
        # The origin is listed already: the sentence names the method, not the allow-list.
        (BLOG, "POST", "Only GET and HEAD"),
        (BLOG, "DELETE", "Only GET and HEAD"),
    ],
)
async def test_a_refused_preflight_says_so_without_cors_headers(
    settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    origin: str,
    method: str,
    hint: str,
) -> None:
    client = await start_proxy(settings, clock)
    response = await client.options(
        "/v1/now-playing",
        headers={"Origin": origin, "Access-Control-Request-Method": method},
    )
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    error = (await response.json())["error"]
    assert hint in error
    if origin == BLOG:
        assert "SPOTIFY_PROXY_ALLOWED_ORIGINS" not in error


async def test_without_an_allow_list_no_origin_is_allowed(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    response = await client.get("/v1/now-playing", headers={"Origin": BLOG})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_plain_options_lists_the_methods(
    settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(settings, clock)
    response = await client.options("/v1/now-playing")
    assert response.status == 204
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "Access-Control-Allow-Origin" not in response.headers
