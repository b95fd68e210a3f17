"""The generic answer cache: its pipeline steps, its "new answer" listeners, its state object."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import replace

import pytest

from proxy.answers.cache import AnswerCache, CacheState, Fetch, Served, Step
from proxy.answers.encoding import render_json
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.errors import StoreBusy, UpstreamError
from proxy.web.app import CACHE
from proxy.web.handlers import OVERDUE
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

Value = dict[str, object]


def scripted_fetch(*replies: Value | Exception) -> Fetch[Value]:
    pending = list(replies)

    async def fetch() -> Value:
        reply = pending.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return fetch


def scripted(*replies: Value | Exception, steps: Sequence[Step[Value]] = ()) -> AnswerCache[Value]:
    return AnswerCache(
        scripted_fetch(*replies),
        render_json,
        ttl=5,
        wait_timeout=1,
        clock=ManualClock(),
        steps=steps,
    )


async def test_listeners_hear_every_change_of_what_visitors_get_and_nothing_else() -> None:
    cache = scripted({"n": 1}, {"n": 1}, UpstreamError("down"), {"n": 2})
    heard: list[Served[Value]] = []
    cache.subscribe(heard.append)

    for _ in range(4):
        await cache.get()
        assert isinstance(cache.clock, ManualClock)
        cache.clock.advance(5)

    assert [(s.value, s.stale) for s in heard] == [
        ({"n": 1}, False),
        ({"n": 1}, True),
        ({"n": 2}, False),
    ]
    assert [json.loads(s.answer.body)["stale"] for s in heard] == [False, True, False]


async def test_an_unsubscribed_or_broken_listener_hears_nothing_more() -> None:
    cache = scripted({"n": 1}, {"n": 2})
    heard: list[Served[Value]] = []

    def broken(_served: Served[Value]) -> None:
        raise RuntimeError("a bug in a listener")

    cache.subscribe(broken)
    unsubscribe = cache.subscribe(heard.append)
    await cache.get()
    unsubscribe()
    assert isinstance(cache.clock, ManualClock)
    cache.clock.advance(5)
    await cache.get()

    assert [s.value for s in heard] == [{"n": 1}]


async def test_steps_see_the_previous_good_answer_and_run_before_anything_is_kept() -> None:
    seen: list[tuple[Value | None, Value]] = []

    def step(previous: Value | None, new: Value) -> Value:
        seen.append((previous, new))
        return {**new, "before": None if previous is None else previous["n"]}

    cache = scripted({"n": 1}, UpstreamError("down"), {"n": 2}, steps=[step])
    for _ in range(3):
        await cache.get()
        assert isinstance(cache.clock, ManualClock)
        cache.clock.advance(5)

    assert seen == [(None, {"n": 1}), ({"n": 1, "before": None}, {"n": 2})]
    assert cache.state.value == {"n": 2, "before": 1}


async def test_a_cache_built_on_a_saved_state_serves_it_without_asking_upstream() -> None:
    clock = ManualClock()

    async def fetch() -> Value:
        raise AssertionError("the saved answer is still fresh")

    saved: CacheState[Value] = CacheState(value={"n": 7}, last_attempt=clock.monotonic(), calls=3)
    cache = AnswerCache(fetch, render_json, ttl=5, wait_timeout=1, clock=clock, state=saved)

    answer = await cache.get()

    assert answer is not None
    assert json.loads(answer.body) == {"n": 7, "stale": False}
    assert cache.calls == 3


async def test_a_call_that_outlasts_a_visitors_patience_makes_answers_stale_until_it_lands() -> (
    None
):
    release = asyncio.Event()
    replies: list[Value] = [{"n": 1}, {"n": 2}]

    async def fetch() -> Value:
        if len(replies) == 1:
            await release.wait()
        return replies.pop(0)

    clock = ManualClock()
    cache = AnswerCache(fetch, render_json, ttl=5, wait_timeout=0.1, clock=clock)
    heard: list[Served[Value]] = []
    cache.subscribe(heard.append)
    await cache.get()
    clock.advance(5)

    waited = await cache.get()

    assert waited is not None
    assert json.loads(waited.body) == {"n": 1, "stale": True}
    assert cache.overdue
    assert cache.in_flight
    release.set()
    await cache.settled()
    assert not cache.overdue
    assert [(s.value, s.stale) for s in heard] == [
        ({"n": 1}, False),
        ({"n": 1}, True),
        ({"n": 2}, False),
    ]


async def test_readyz_says_stale_while_a_call_is_overdue(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(replace(owner_settings, upstream_timeout=8.0), clock)
    await client.get("/v1/now-playing")
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Slow")), delay=2.0)
    clock.advance(owner_settings.cache_ttl)

    stale = await (await client.get("/v1/now-playing")).json()
    during = await client.get("/readyz")
    await client.app[CACHE].settled()
    after = await (await client.get("/readyz")).json()

    assert stale["stale"] is True
    assert during.status == 200  # the token works: a slow Spotify is not a reason to leave
    assert (await during.json())["upstream"] == "stale"
    assert (await during.json())["upstream_problem"] == OVERDUE
    assert after["upstream"] == "live"
    assert "upstream_problem" not in after


async def test_a_failure_that_is_a_sentence_is_logged_with_one_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    busy = StoreBusy("Another proxy replica held the refresh lease in Redis for too long.")
    fetch = scripted_fetch({"n": 1}, busy)
    cache = AnswerCache(fetch, render_json, ttl=5, wait_timeout=1, clock=clock)
    await cache.get()
    clock.advance(6)
    with caplog.at_level(logging.WARNING, logger="proxy.answers.cache"):
        await cache.get()
        await asyncio.sleep(0)
    assert caplog.messages == [
        "Another proxy replica held the refresh lease in Redis for too long; "
        "serving the last answer as stale."
    ]


async def test_a_visitor_cancelled_just_as_the_call_lands_stays_cancelled() -> None:
    """Python 3.11's wait_for returns the result when a cancellation meets a finished call
    (https://github.com/python/cpython/issues/86296): a background loop such as the live
    streams' driver then lost its cancellation and the app's shutdown waited for it forever."""

    async def fetch() -> Value:
        call = asyncio.current_task()
        assert call is not None
        # Runs once the call has landed, before the waiting visitor has been woken.
        call.add_done_callback(lambda _: visitor.cancel())
        return {"n": 1}

    cache = AnswerCache(fetch, render_json, ttl=5, wait_timeout=1, clock=ManualClock())
    visitor = asyncio.create_task(cache.get())
    with pytest.raises(asyncio.CancelledError):
        await visitor
    assert cache.current() is not None  # the call itself landed and updated the cache
