"""Demo mode runs the simulated session through the same normaliser and cache as Spotify."""

from __future__ import annotations

from xml.etree import ElementTree

from proxy.answers.demo import CYCLE_MS
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.web.app import CACHE
from tests.conftest import StartProxy


async def test_demo_answers_advance_and_are_cached_like_spotify_answers(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True, cache_ttl=5.0), clock)
    cache = client.app[CACHE]

    first = await (await client.get("/v1/now-playing")).json()
    assert first["status"] == "playing"
    assert first["item"]["title"]
    assert first["stale"] is False
    cached = await (await client.get("/v1/now-playing")).json()
    assert cached == first
    assert cache.calls == 1

    seen = {(first["status"], first["item"]["title"], first["progress_ms"])}
    statuses = {first["status"]}
    for _ in range(120):  # ten minutes of the simulated session, one answer per 5 s
        clock.advance(5)
        data = await (await client.get("/v1/now-playing")).json()
        item = data["item"]
        seen.add((data["status"], item["title"] if item else None, data["progress_ms"]))
        statuses.add(data["status"])
        if item is not None:
            assert item["url"] is None or item["url"].startswith("https://open.spotify.com/")
    assert cache.calls == 121
    assert len(seen) > 20
    assert {"playing", "paused", "idle"} <= statuses


async def test_a_minute_of_the_demo_proxy_shows_playing_paused_and_idle(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True, cache_ttl=5.0), clock)

    statuses = set()
    for _ in range(12):  # one minute, an answer every cache TTL (as the live stream sends them)
        statuses.add((await (await client.get("/v1/now-playing")).json())["status"])
        clock.advance(5)

    assert statuses == {"playing", "paused", "idle"}


async def test_the_demo_serves_its_own_covers_and_points_its_items_at_them(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True, cache_ttl=5.0), clock)

    covers = set()
    for _ in range(CYCLE_MS // 4_000):  # the whole loop, an answer every 4 s
        item = (await (await client.get("/v1/now-playing")).json())["item"]
        clock.advance(4)
        if item is None:
            continue
        assert item["image"] is not None, item["title"]
        assert item["image"]["width"] == item["image"]["height"]
        covers.add(item["image"]["url"])
    assert len(covers) == 4

    for url in sorted(covers):
        # A path on the proxy's own origin: the widget resolves it against the proxy's URL.
        assert url.startswith("/v1/demo/covers/")
        response = await client.get(url)
        assert response.status == 200
        assert response.content_type == "image/svg+xml"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.headers["Content-Security-Policy"] == "default-src 'none'"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        svg = ElementTree.fromstring(await response.read())  # noqa: S314 (our own bytes)
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert svg.get("width") == svg.get("height")
        assert 64 <= int(svg.get("width", "0")) <= 640
        assert "DEMO" in "".join(svg.itertext())
        # Straight edges only: no circle or arc that could pass for Spotify's logo.
        shapes = {element.tag.rsplit("}", 1)[1] for element in svg.iter()}
        assert shapes <= {"svg", "g", "rect", "polygon", "text"}
    assert (await client.head("/v1/demo/covers/1.svg")).status == 200


async def test_only_the_demos_covers_are_served(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True), clock)

    for path in ("/v1/demo/covers/0.svg", "/v1/demo/covers/5.svg", "/v1/demo/covers/1.png"):
        response = await client.get(path)
        assert response.status == 404, path
        assert response.content_type == "application/json"
    assert (await client.post("/v1/demo/covers/1.svg")).status == 405


async def test_outside_demo_mode_there_are_no_covers(
    start_proxy: StartProxy, owner_settings: Settings
) -> None:
    client = await start_proxy(owner_settings)

    response = await client.get("/v1/demo/covers/1.svg")

    assert response.status == 404
    assert response.content_type == "application/json"
