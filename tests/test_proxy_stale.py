"""Stale-if-error: when Spotify fails, visitors get the last good answer marked stale."""

from __future__ import annotations

import asyncio
import json

import pytest

from proxy.answers.cache import AnswerCache
from proxy.answers.encoding import render_json
from proxy.answers.last_played import carry_last_played
from proxy.answers.nowplaying import NowPlaying, normalise
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.web.app import CACHE
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

FAILURES = {
    "500": Reply(500, {"error": {"status": 500, "message": "Server error"}}),
    "502 html": Reply(502, raw=b"<html>Bad gateway</html>"),
    "503": Reply(503, {"error": {"status": 503, "message": "Service unavailable"}}),
    "bad json": Reply(200, raw=b'{"is_playing": tru'),
    "json that is not an object": Reply(200, raw=b"[1, 2, 3]"),
    "mistyped fields": Reply(200, {"is_playing": True, "item": {"type": "track", "name": 7}}),
    "timeout": Reply(200, payloads.currently_playing(payloads.track()), delay=2.0),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_a_failure_serves_the_last_good_answer_as_stale(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    failure: Reply,
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Good")))
    client = await start_proxy(owner_settings, clock)
    good = await (await client.get("/v1/now-playing")).json()
    assert good["stale"] is False

    fake_spotify.player = failure
    clock.advance(owner_settings.cache_ttl)
    response = await client.get("/v1/now-playing")
    stale = await response.json()

    assert response.status == 200
    assert stale["stale"] is True
    assert stale["item"] == good["item"]
    assert stale["fetched_at"] == good["fetched_at"]
    ready = await (await client.get("/readyz")).json()
    assert ready["upstream"] == "stale"
    assert ready["upstream_problem"]

    # A timed-out call may still be in flight (its deadline and the visitor's patience are both
    # 1 s): the next call can start only once it has failed.
    await asyncio.wait_for(client.app[CACHE].settled(), 5)
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Good again")))
    clock.advance(owner_settings.cache_ttl)
    fresh = await (await client.get("/v1/now-playing")).json()
    assert fresh["stale"] is False
    assert (await (await client.get("/readyz")).json())["upstream"] == "live"


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_with_no_answer_at_all_the_visitor_gets_503_json(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    failure: Reply,
) -> None:
    fake_spotify.player = failure
    client = await start_proxy(owner_settings, clock)

    response = await client.get("/v1/now-playing")

    assert response.status == 503
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(await response.json()) == {"error"}


async def test_a_lone_surrogate_in_a_title_is_served_not_a_500(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    # Valid JSON that Python cannot encode as UTF-8 (half an emoji, e.g. a title cut by length).
    title = "Cut \\ud83c"
    payload = json.dumps(payloads.currently_playing(payloads.track("Cut"))).replace(
        '"Cut"', '"' + title + '"', 1
    )
    fake_spotify.player = Reply(200, raw=payload.encode())
    client = await start_proxy(owner_settings, clock)

    response = await client.get("/v1/now-playing")

    assert response.status == 200
    assert (await response.json())["item"]["title"] == "Cut \ud83c"
    fake_spotify.player = Reply(204)  # idle: the title lives on in last_played
    clock.advance(owner_settings.cache_ttl)
    idle = await client.get("/v1/now-playing")
    assert idle.status == 200
    assert (await idle.json())["last_played"]["title"] == "Cut \ud83c"


async def test_a_bug_while_rendering_an_answer_serves_stale_and_keeps_last_played(
    clock: ManualClock,
) -> None:
    good = normalise(200, payloads.currently_playing(payloads.track("Good")), 1)
    broken: NowPlaying = {**good, "progress_ms": object()}  # type: ignore[typeddict-item]
    replies = [good, broken]

    async def fetch() -> NowPlaying:
        return replies.pop(0)

    cache = AnswerCache(
        fetch, render_json, ttl=5, wait_timeout=1, clock=clock, steps=[carry_last_played]
    )
    assert await cache.get() is not None
    clock.advance(5)

    answer = await cache.get()

    assert answer is not None
    assert json.loads(answer.body)["stale"] is True
    assert json.loads(answer.body)["item"] == good["item"]
    assert cache.state.value is not None
    assert cache.state.value["last_played"] == good["item"]
