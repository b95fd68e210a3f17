"""`GET /metrics` on the SPOTIFY_PROXY_METRICS listener: counters move as scenarios run against
the fake Spotify, and the public listener has no /metrics."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.grant import grant_expires_at
from tests.conftest import ProxyClient, StartProxy
from tests.fakes import payloads
from tests.fakes.net import free_port
from tests.fakes.receiver import Receiver
from tests.fakes.spotify import FakeSpotify, Reply
from tests.fakes.sse import EventReader

PLAYING = "/me/player/currently-playing"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def metrics_settings(owner_settings: Settings) -> Settings:
    return replace(owner_settings, metrics_listen=("127.0.0.1", free_port()))


async def scrape(settings: Settings) -> Samples:
    assert settings.metrics_listen is not None
    host, port = settings.metrics_listen
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def calls(samples: Samples, endpoint: str, outcome: str) -> float:
    key = ("mkdocs_spotify_spotify_calls_total", (("endpoint", endpoint), ("outcome", outcome)))
    return samples.get(key, 0.0)


def answers(samples: Samples, freshness: str, endpoint: str = "now-playing") -> float:
    key = ("endpoint", endpoint), ("freshness", freshness)
    return samples.get(("mkdocs_spotify_answers_total", key), 0.0)


def value(samples: Samples, name: str) -> float:
    return samples[(name, ())]


async def visit(client: ProxyClient, clock: ManualClock, ttl: float) -> dict[str, object]:
    clock.advance(ttl)
    response = await client.get("/v1/now-playing")
    data: dict[str, object] = await response.json() if response.status == 200 else {}
    return data


async def test_counters_follow_spotify_outcomes_and_answers(
    fake_spotify: FakeSpotify,
    metrics_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
) -> None:
    ttl = metrics_settings.cache_ttl
    client = await start_proxy(metrics_settings, clock)
    assert (await client.get("/metrics")).status == 404  # never on the public listener

    assert (await visit(client, clock, ttl))["stale"] is False
    etag = (await client.get("/v1/now-playing")).headers["ETag"]
    assert (await client.get("/v1/now-playing", headers={"If-None-Match": etag})).status == 304
    samples = await scrape(metrics_settings)
    assert calls(samples, PLAYING, "ok") == 1
    assert calls(samples, "token", "ok") == 1
    assert value(samples, "mkdocs_spotify_token_refreshes_total") == 1
    assert value(samples, "mkdocs_spotify_token_rotations_total") == 0
    assert answers(samples, "fresh") == 3
    assert value(samples, "mkdocs_spotify_rate_limit_deadline_timestamp_seconds") == 0
    assert metrics_settings.authorized_at is not None
    expected_left = grant_expires_at(metrics_settings.authorized_at) - clock.now()
    assert value(samples, "mkdocs_spotify_grant_remaining_seconds") == pytest.approx(
        expected_left.total_seconds()
    )

    fake_spotify.player_queue = [Reply(204), Reply(403), Reply(502)]
    for _ in range(3):
        await visit(client, clock, ttl)
    fake_spotify.player = Reply(429, headers={"Retry-After": "120"})
    assert (await visit(client, clock, ttl))["stale"] is True
    samples = await scrape(metrics_settings)
    for outcome in ("204", "403", "5xx", "429"):
        assert calls(samples, PLAYING, outcome) == 1, outcome
    assert answers(samples, "stale") == 3  # after 403, 502 and 429 (the 204 is a fresh "idle")
    deadline = clock.now() + timedelta(seconds=120)
    assert value(samples, "mkdocs_spotify_rate_limit_deadline_timestamp_seconds") == pytest.approx(
        deadline.timestamp()
    )

    # After the deadline, a refused access token: 401, one refresh, one retry.
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track()))
    fake_spotify.expire_access_tokens()
    clock.advance(120)
    assert (await visit(client, clock, ttl))["stale"] is False
    samples = await scrape(metrics_settings)
    assert calls(samples, PLAYING, "401") == 1
    assert calls(samples, PLAYING, "ok") == 2
    assert calls(samples, "token", "ok") == 2
    assert value(samples, "mkdocs_spotify_token_refreshes_total") == 2
    assert answers(samples, "fresh") == 5  # 3 before, the idle 204, this one


async def test_list_answers_are_counted_by_endpoint_and_freshness(
    fake_spotify: FakeSpotify,
    metrics_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
) -> None:
    ttl = metrics_settings.top_ttl
    fake_spotify.top = Reply(502, {"error": {"status": 502, "message": "Bad gateway"}})
    client = await start_proxy(metrics_settings, clock)
    assert (await client.get("/v1/top/tracks")).status == 503

    fake_spotify.top = Reply(200, {"items": [payloads.track()], "total": 1})
    clock.advance(ttl + 1)
    assert (await client.get("/v1/top/tracks")).status == 200
    assert (await client.get("/v1/top/tracks?range=long_term")).status == 200
    assert (await client.get("/v1/top/artists")).status == 200
    recent = await client.get("/v1/recently-played")
    assert (await recent.json())["stale"] is False
    etag = recent.headers["ETag"]
    assert (await client.get("/v1/recently-played", headers={"If-None-Match": etag})).status == 304
    assert (await client.get("/v1/top/tracks?limit=0")).status == 400  # not an answer

    # Spotify fails: the long-term list goes stale; a 304 for it counts by its own cache, while
    # the short-term cache (no call since) still holds a live answer.
    fake_spotify.top = Reply(500, None)
    clock.advance(ttl + 1)
    stale = await client.get("/v1/top/tracks?range=long_term")
    assert (await stale.json())["stale"] is True
    again = await client.get(
        "/v1/top/tracks?range=long_term", headers={"If-None-Match": stale.headers["ETag"]}
    )
    assert again.status == 304

    samples = await scrape(metrics_settings)
    counts = {
        (endpoint, freshness): answers(samples, freshness, endpoint)
        for endpoint in ("now-playing", "recently-played", "top/tracks", "top/artists")
        for freshness in ("fresh", "stale", "503")
    }
    assert {key: n for key, n in counts.items() if n} == {
        ("top/tracks", "503"): 1,
        ("top/tracks", "fresh"): 2,
        ("top/tracks", "stale"): 2,
        ("top/artists", "fresh"): 1,
        ("recently-played", "fresh"): 2,
    }
    labels = {dict(key).get("endpoint") for name, key in samples if "answers" in name}
    assert labels == {"recently-played", "top/tracks", "top/artists"}  # never a visitor's path


async def eventually(settings: Settings, check: Callable[[Samples], bool]) -> Samples:
    """Scrape until `check` holds (work finishing in the background), for at most 5 s."""
    for _ in range(100):
        samples = await scrape(settings)
        if check(samples):
            return samples
        await asyncio.sleep(0.05)
    raise AssertionError(f"never held; last scrape: {samples}")


async def test_a_hanging_spotify_counts_as_timeout(
    fake_spotify: FakeSpotify,
    metrics_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
) -> None:
    client = await start_proxy(metrics_settings, clock)
    await visit(client, clock, metrics_settings.cache_ttl)
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track()), delay=3.0)
    assert (await visit(client, clock, metrics_settings.cache_ttl))["stale"] is True
    await eventually(metrics_settings, lambda s: calls(s, PLAYING, "timeout") == 1)


async def test_rotations_are_counted(store_path: Path, start_proxy: StartProxy) -> None:
    async with FakeSpotify(rotate_refresh_tokens=True) as fake:
        settings = fake.settings(
            refresh_token=fake.issue_refresh_token(),
            token_store=store_path,
            metrics_listen=("127.0.0.1", free_port()),
        )
        client = await start_proxy(settings, ManualClock())
        assert (await client.get("/v1/now-playing")).status == 200
        samples = await scrape(settings)
    assert value(samples, "mkdocs_spotify_token_refreshes_total") == 1
    assert value(samples, "mkdocs_spotify_token_rotations_total") == 1
    assert math.isnan(value(samples, "mkdocs_spotify_grant_remaining_seconds"))  # no date known
    assert value(samples, "mkdocs_spotify_live_streams") == 0
    # Without SPOTIFY_PROXY_REDIS_URL there is no Redis to fail: the counter is absent.
    assert not [name for name, _ in samples if name.startswith("mkdocs_spotify_redis_")]


async def test_a_refused_grant_a_503_and_a_failing_notifier(
    fake_spotify: FakeSpotify,
    metrics_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
) -> None:
    dead = Receiver()
    dead.port = free_port()
    settings = replace(metrics_settings, notify_urls=(dead.apprise_url,))
    fake_spotify.revoke_all()
    client = await start_proxy(settings, clock)

    assert (await client.get("/v1/now-playing")).status == 503

    samples = await eventually(
        settings, lambda s: value(s, "mkdocs_spotify_notifier_failures_total") == 1
    )
    assert answers(samples, "503") == 1
    assert value(samples, "mkdocs_spotify_grant_refusals_total") == 1
    assert calls(samples, "token", "other") == 1  # 400 invalid_grant
    assert value(samples, "mkdocs_spotify_token_refreshes_total") == 0
    assert dead.secret not in str(samples)


async def test_the_live_streams_gauge_counts_open_streams(
    metrics_settings: Settings, start_proxy: StartProxy
) -> None:
    # A real clock drives the streams; a short ping notices a reader that left.
    client = await start_proxy(replace(metrics_settings, cache_ttl=0.5, stream_ping=0.2))
    response = await client.get("/v1/now-playing/stream")
    try:
        assert response.status == 200
        await EventReader(response).next()  # the stream is open
        samples = await scrape(metrics_settings)
        assert value(samples, "mkdocs_spotify_live_streams") == 1
    finally:
        response.close()
    await eventually(metrics_settings, lambda s: value(s, "mkdocs_spotify_live_streams") == 0)
