"""`/v1/recently-played` and `/v1/top/{tracks,artists}` against the fake Spotify."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from proxy.answers.demo import search_url
from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

PATHS = ("/v1/recently-played", "/v1/top/tracks", "/v1/top/artists")
SPOTIFY_PATHS = {
    "/v1/recently-played": "/v1/me/player/recently-played",
    "/v1/top/tracks": "/v1/me/top/tracks",
    "/v1/top/artists": "/v1/me/top/artists",
}


def many_tracks(count: int, **options: Any) -> list[dict[str, Any]]:
    return [payloads.track(f"Song {n}", **options) for n in range(count)]


def artists(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Artist {n}",
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{n:022d}"},
            "images": [{"url": "https://i.scdn.co/image/a", "width": 160, "height": 160}],
        }
        for n in range(count)
    ]


def spotify_queries(fake: FakeSpotify, path: str) -> list[str]:
    return [query for _, hit, query in fake.requests if hit == SPOTIFY_PATHS[path]]


@pytest.fixture
def lists_fake(fake_spotify: FakeSpotify) -> FakeSpotify:
    fake_spotify.recently_played = Reply(200, payloads.recently_played(*many_tracks(30)))
    fake_spotify.top = Reply(200, {"items": many_tracks(50), "total": 50, "limit": 50})
    return fake_spotify


async def test_recently_played_default_answer_and_headers(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    client = await start_proxy(owner_settings)
    response = await client.get("/v1/recently-played")
    assert response.status == 200
    data = await response.json()
    assert set(data) == {"items", "fetched_at", "stale"}
    assert len(data["items"]) == 10
    assert data["stale"] is False
    assert isinstance(data["items"][0]["played_at"], int)
    assert response.headers["Cache-Control"] == "public, max-age=30, stale-while-revalidate=30"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"].startswith('"')
    # Spotify was asked for its maximum, never for what the visitor wrote.
    assert spotify_queries(lists_fake, "/v1/recently-played") == ["limit=50"]


@pytest.mark.parametrize("kind", ["tracks", "artists"])
@pytest.mark.parametrize("time_range", ["short_term", "medium_term", "long_term"])
async def test_top_lists_per_range(
    lists_fake: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    kind: str,
    time_range: str,
) -> None:
    if kind == "artists":
        lists_fake.top = Reply(200, {"items": artists(20)})
    client = await start_proxy(owner_settings)
    response = await client.get(f"/v1/top/{kind}", params={"range": time_range, "limit": "5"})
    data = await response.json()
    assert response.status == 200
    assert data["range"] == time_range
    assert len(data["items"]) == 5
    assert response.headers["Cache-Control"].startswith("public, max-age=3600")
    assert spotify_queries(lists_fake, f"/v1/top/{kind}") == [f"limit=50&time_range={time_range}"]
    if kind == "artists":
        assert data["items"][0] == {
            "name": "Artist 0",
            "url": "https://open.spotify.com/artist/0000000000000000000000",
            "image": {"url": "https://i.scdn.co/image/a", "width": 160, "height": 160},
        }


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/recently-played", "limit=0"),
        ("/v1/recently-played", "limit=51"),
        ("/v1/recently-played", "limit=07"),
        ("/v1/recently-played", "limit=%2B7"),
        ("/v1/recently-played", "limit=ten"),
        ("/v1/recently-played", "limit="),
        ("/v1/recently-played", "range=short_term"),
        ("/v1/recently-played", "limit=5&limit=6"),
        ("/v1/recently-played", "before=1700000000000"),
        ("/v1/top/tracks", "range=forever"),
        ("/v1/top/tracks", "range=SHORT_TERM"),
        ("/v1/top/tracks", "range=short_term&range=long_term"),
        ("/v1/top/artists", "limit=50&offset=5"),
        ("/v1/top/artists", "time_range=long_term"),
    ],
)
async def test_bad_parameters_are_400_with_one_sentence_and_never_reach_spotify(
    lists_fake: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    path: str,
    query: str,
) -> None:
    client = await start_proxy(owner_settings)
    response = await client.get(f"{path}?{query}")
    assert response.status == 400
    body = await response.json()
    assert list(body) == ["error"]
    assert "1 to 50" in body["error"]
    assert body["error"].endswith(".")
    if path.startswith("/v1/top"):
        assert "short_term, medium_term or long_term" in body["error"]
    assert lists_fake.api_calls == 0


async def test_a_burst_of_300_visitors_makes_one_spotify_call_per_endpoint(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    lists_fake.recently_played.delay = 0.2
    lists_fake.top.delay = 0.2
    # Visitors wait for the one call up to the upstream timeout: 1 s let a busy machine, slow to
    # get through 300 requests in one event loop, turn some into 503s.
    client = await start_proxy(replace(owner_settings, upstream_timeout=5.0), clock)
    for path in PATHS:
        limits = [str(1 + n % 50) for n in range(300)]
        responses = await asyncio.gather(*(client.get(path, params={"limit": n}) for n in limits))
        assert [r.status for r in responses] == [200] * 300
        assert len(spotify_queries(lists_fake, path)) == 1


async def test_ttl_etag_and_cors(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    settings = replace(owner_settings, allowed_origins=("https://blog.example",), recent_ttl=30)
    client = await start_proxy(settings, clock)
    first = await client.get("/v1/recently-played", headers={"Origin": "https://blog.example"})
    assert first.headers["Access-Control-Allow-Origin"] == "https://blog.example"
    etag = first.headers["ETag"]
    again = await client.get("/v1/recently-played", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    other = await client.get("/v1/recently-played", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    clock.advance(29)
    await client.get("/v1/recently-played")
    assert len(spotify_queries(lists_fake, "/v1/recently-played")) == 1
    clock.advance(2)
    await client.get("/v1/recently-played")
    assert len(spotify_queries(lists_fake, "/v1/recently-played")) == 2
    preflight = await client.options(
        "/v1/top/tracks",
        headers={"Origin": "https://blog.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204
    assert (await client.post("/v1/top/tracks")).status == 405


@pytest.mark.parametrize("reply", [Reply(204), Reply(200, {"items": [], "total": 0})])
async def test_empty_lists(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, reply: Reply
) -> None:
    lists_fake.recently_played = reply
    lists_fake.top = reply
    client = await start_proxy(owner_settings)
    for path in PATHS:
        data = await (await client.get(path)).json()
        assert data["items"] == []


async def test_local_files_episodes_and_hostile_entries(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    hostile = payloads.track(
        "</script><img src=x onerror=alert(1)>", image_url="https://evil.test/a"
    )
    hostile["external_urls"]["spotify"] = "https://open.spotify.com@evil.test/track/1"
    lists_fake.recently_played = Reply(
        200, payloads.recently_played(payloads.local_track(), payloads.episode(), hostile)
    )
    client = await start_proxy(owner_settings)
    items = (await (await client.get("/v1/recently-played")).json())["items"]
    assert [item["type"] for item in items] == ["track", "episode", "track"]
    assert items[0]["is_local"] is True
    assert items[0]["url"] is None
    assert items[2]["title"] == "</script><img src=x onerror=alert(1)>"
    assert items[2]["url"] is None
    assert items[2]["image"] is None


async def test_missing_scopes_are_503_naming_login_and_readyz_stays_200(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    lists_fake.scopes = ("user-read-currently-playing",)
    client = await start_proxy(owner_settings)
    assert (await client.get("/v1/now-playing")).status == 200
    for path, scope in (
        ("/v1/recently-played", "user-read-recently-played"),
        ("/v1/top/tracks", "user-top-read"),
        ("/v1/top/artists", "user-top-read"),
    ):
        response = await client.get(path)
        assert response.status == 503
        error = (await response.json())["error"]
        assert scope in error
        assert "`mkdocs-spotify login`" in error
        assert spotify_queries(lists_fake, path) == []  # known missing: Spotify is not asked
    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 200
    assert body["missing_scopes"] == ["user-read-recently-played", "user-top-read"]
    assert "mkdocs-spotify login" in body["scope_note"]


async def test_a_403_from_spotify_on_a_list_names_the_scope(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    lists_fake.top = Reply(403, {"error": {"status": 403, "message": "Insufficient client scope"}})
    client = await start_proxy(owner_settings)
    response = await client.get("/v1/top/artists")
    assert response.status == 503
    assert "user-top-read" in (await response.json())["error"]


async def test_429_serves_stale_and_waits_for_retry_after(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    good = await (await client.get("/v1/recently-played")).json()
    lists_fake.recently_played = Reply(429, {"error": {"status": 429}}, {"Retry-After": "600"})
    clock.advance(31)
    stale = await (await client.get("/v1/recently-played")).json()
    assert stale["stale"] is True
    assert stale["items"] == good["items"]
    calls = len(spotify_queries(lists_fake, "/v1/recently-played"))
    for _ in range(10):
        clock.advance(55)
        assert (await (await client.get("/v1/recently-played")).json())["stale"] is True
    assert len(spotify_queries(lists_fake, "/v1/recently-played")) == calls


async def test_5xx_without_an_answer_is_503_then_stale_after_one(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    lists_fake.top = Reply(502, {"error": {"status": 502, "message": "Bad gateway"}})
    client = await start_proxy(owner_settings, clock)
    first = await client.get("/v1/top/tracks")
    assert first.status == 503
    assert "Retry-After" in first.headers
    assert await first.json() == {"error": "Spotify lists are unavailable right now."}
    lists_fake.top = Reply(200, {"items": many_tracks(3)})
    clock.advance(3601)
    assert len((await (await client.get("/v1/top/tracks")).json())["items"]) == 3
    lists_fake.top = Reply(500, None)
    clock.advance(3601)
    again = await (await client.get("/v1/top/tracks")).json()
    assert again["stale"] is True
    assert len(again["items"]) == 3


async def test_a_hanging_spotify_never_hangs_a_visitor(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    lists_fake.recently_played = Reply(200, payloads.recently_played(), delay=30)
    client = await start_proxy(owner_settings)
    started = asyncio.get_running_loop().time()
    response = await client.get("/v1/recently-played")
    assert response.status == 503
    assert asyncio.get_running_loop().time() - started < owner_settings.upstream_timeout + 1


async def test_filtered_lists_are_cut_after_filtering(
    lists_fake: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    tracks = [payloads.track(f"Song {n}", explicit=n % 3 != 0) for n in range(50)]
    lists_fake.top = Reply(200, {"items": tracks})
    settings = replace(owner_settings, privacy=replace(owner_settings.privacy, hide_explicit=True))
    client = await start_proxy(settings)
    data = await (await client.get("/v1/top/tracks?limit=10")).json()
    assert [item["title"] for item in data["items"]] == [f"Song {n}" for n in range(0, 30, 3)]
    assert all(item["explicit"] is False for item in data["items"])


async def test_the_demo_serves_believable_lists(start_proxy: StartProxy) -> None:
    client = await start_proxy(Settings(demo=True))
    recent = await (await client.get("/v1/recently-played?limit=5")).json()
    assert len(recent["items"]) == 5
    times = [item["played_at"] for item in recent["items"]]
    assert times == sorted(times, reverse=True)
    short = await (await client.get("/v1/top/tracks?range=short_term")).json()
    long = await (await client.get("/v1/top/tracks?range=long_term")).json()
    assert len(short["items"]) == 10
    assert short["items"] != long["items"]
    top_artists = await (await client.get("/v1/top/artists?limit=3")).json()
    assert len(top_artists["items"]) == 3
    # Made-up artists have no Spotify ids: their links search Spotify for the name.
    assert all(a["url"] == search_url(a["name"]) for a in top_artists["items"])
    assert "secret" not in json.dumps([recent, short, top_artists])
