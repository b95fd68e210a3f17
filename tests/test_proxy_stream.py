"""`GET /v1/now-playing/stream`: the answer at once, then on every change that matters."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import aiohttp
import pytest

from proxy.answers import nowplaying
from proxy.settings import Settings
from proxy.web.app import STREAMS
from tests.conftest import ProxyClient, StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply
from tests.fakes.sse import EventReader

TTL = 0.5
ORIGIN = "https://blog.example.com"
OpenStream = Callable[..., Awaitable[EventReader]]


@pytest.fixture
def settings(owner_settings: Settings) -> Settings:
    # A real clock and a short TTL: the streams are driven by time passing.
    return replace(owner_settings, cache_ttl=TTL, allowed_origins=(ORIGIN,), stream_ping=60.0)


@pytest.fixture
async def open_stream() -> AsyncIterator[OpenStream]:
    responses: list[aiohttp.ClientResponse] = []

    async def open_(client: ProxyClient, **headers: str) -> EventReader:
        response = await client.get("/v1/now-playing/stream", headers=headers)
        responses.append(response)
        assert response.status == 200, await response.text()
        return EventReader(response)

    yield open_
    for response in responses:
        response.close()


async def until_no_streams(client: ProxyClient, within: float = 3.0) -> None:
    """Wait until the proxy has noticed that every reader went away (it looks every second)."""
    hub = client.app[STREAMS]
    for _ in range(int(within / 0.05)):
        if not hub.count:
            return
        await asyncio.sleep(0.05)


async def test_a_reader_gets_the_whole_answer_at_once_with_the_stream_headers(
    fake_spotify: FakeSpotify, settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track("Now")))
    client = await start_proxy(settings)

    started = time.monotonic()
    stream = await open_stream(client, Origin=ORIGIN)
    event = await stream.next()
    got = await client.get("/v1/now-playing")

    assert time.monotonic() - started < 1.0
    headers = stream.response.headers
    assert headers["Content-Type"] == "text/event-stream"
    assert headers["Cache-Control"] == "no-cache, no-transform"
    assert headers["X-Accel-Buffering"] == "no"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Vary"] == "Origin"
    assert "Content-Encoding" not in headers
    assert event.event == "now-playing"
    assert event.json() == await got.json()
    assert event.id == got.headers["ETag"]
    assert event.retry is not None
    assert 1000 <= event.retry <= 10_000


async def test_cors_on_the_stream_is_the_same_as_on_the_get(
    settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    client = await start_proxy(settings)

    stranger = await open_stream(client, Origin="https://evil.example")
    preflight = await client.options(
        "/v1/now-playing/stream",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    post = await client.post("/v1/now-playing/stream")
    head = await client.head("/v1/now-playing/stream", headers={"Origin": ORIGIN})

    assert "Access-Control-Allow-Origin" not in stranger.response.headers
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert post.status == 405
    assert head.status == 200
    assert head.headers["Content-Type"] == "text/event-stream"
    assert head.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert await head.read() == b""
    assert (await post.json())["error"]


async def test_a_track_change_reaches_every_stream_within_a_ttl_and_a_second(
    fake_spotify: FakeSpotify, settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    # Paused: the progress stands still, so only the track change is news.
    fake_spotify.player = Reply(
        200, payloads.currently_playing(payloads.track("First"), is_playing=False)
    )
    client = await start_proxy(settings)
    streams = [await open_stream(client) for _ in range(20)]
    for stream in streams:
        assert (await stream.next()).json()["item"]["title"] == "First"

    fake_spotify.player = Reply(
        200, payloads.currently_playing(payloads.track("Second"), is_playing=False)
    )
    changed = time.monotonic()
    events = await asyncio.gather(*(stream.next(within=TTL + 1.0) for stream in streams))

    assert time.monotonic() - changed < TTL + 1.0
    assert {event.json()["item"]["title"] for event in events} == {"Second"}
    assert len({event.id for event in events}) == 1


async def test_progress_alone_sends_nothing_but_a_seek_does(
    fake_spotify: FakeSpotify, settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    track = payloads.track("Long", duration_ms=600_000)
    origin = time.monotonic()
    offset = {"ms": 10_000}

    async def play() -> None:  # Spotify's progress moves with the clock, like a real player
        while True:
            progress = offset["ms"] + int((time.monotonic() - origin) * 1000)
            fake_spotify.player = Reply(
                200, payloads.currently_playing(track, progress_ms=progress)
            )
            await asyncio.sleep(0.05)

    player = asyncio.create_task(play())
    try:
        await asyncio.sleep(0.1)
        client = await start_proxy(settings)
        stream = await open_stream(client)
        await stream.next()
        calls = fake_spotify.api_calls

        with pytest.raises(TimeoutError):
            await stream.next(within=5 * TTL)
        assert fake_spotify.api_calls >= calls + 3  # the answers did change, but only in progress

        offset["ms"] += 120_000  # the owner skips two minutes ahead
        seek = await stream.next(within=TTL + 1.0)
        assert seek.json()["progress_ms"] > 120_000
    finally:
        player.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await player


async def test_a_pause_and_a_failure_are_changes(
    fake_spotify: FakeSpotify, settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    track = payloads.track("Held")
    fake_spotify.player = Reply(200, payloads.currently_playing(track, is_playing=False))
    client = await start_proxy(settings)
    stream = await open_stream(client)
    assert (await stream.next()).json()["status"] == "paused"

    fake_spotify.player = Reply(200, payloads.currently_playing(track))
    assert (await stream.next(within=TTL + 1.0)).json()["status"] == "playing"
    fake_spotify.player = Reply(503, {"error": {"status": 503, "message": "Service unavailable"}})
    stale = (await stream.next(within=TTL + 1.0)).json()
    assert stale["stale"] is True
    assert stale["item"]["title"] == "Held"
    fake_spotify.player = Reply(204)
    idle = (await stream.next(within=TTL + 1.0)).json()
    assert (idle["status"], idle["stale"], idle["last_played"]["title"]) == ("idle", False, "Held")


async def test_idle_streams_get_a_comment_ping(
    settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    client = await start_proxy(replace(settings, stream_ping=0.2))
    stream = await open_stream(client)
    await stream.next()

    with pytest.raises(TimeoutError):
        await stream.next(within=1.0)

    assert stream.comments >= 3


async def test_beyond_the_cap_a_reader_gets_503_with_retry_after(
    settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    client = await start_proxy(replace(settings, max_streams=2))
    for _ in range(2):
        await (await open_stream(client)).next()

    refused = await client.get("/v1/now-playing/stream", headers={"Origin": ORIGIN})

    assert refused.status == 503
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "/v1/now-playing" in (await refused.json())["error"]
    assert (await client.get("/v1/now-playing")).status == 200  # polling still works


async def test_a_reader_that_goes_away_frees_its_slot(
    fake_spotify: FakeSpotify, settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    # No ping (60 s) and nothing to send (paused): the proxy sees the hang-up by itself.
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track(), is_playing=False))
    client = await start_proxy(replace(settings, max_streams=1))
    first = await open_stream(client)
    await first.next()
    hub = client.app[STREAMS]
    assert hub.count == 1

    first.response.close()
    await until_no_streams(client)

    assert hub.count == 0
    await (await open_stream(client)).next()


async def test_shutdown_closes_the_streams_at_once(
    settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    client = await start_proxy(settings)
    streams = [await open_stream(client) for _ in range(3)]
    for stream in streams:
        await stream.next()

    started = time.monotonic()
    await client.server.close()

    for stream in streams:
        with pytest.raises((EOFError, aiohttp.ClientPayloadError)):
            await stream.next(within=5.0)
    assert time.monotonic() - started < 3.0


async def test_spotify_calls_stay_within_the_bound_however_many_read_and_none_once_nobody_does(
    fake_spotify: FakeSpotify, settings: Settings, start_proxy: StartProxy, open_stream: OpenStream
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track(), is_playing=False))
    client = await start_proxy(settings)
    started = time.monotonic()
    streams = [await open_stream(client) for _ in range(30)]
    for _ in range(10):  # visitors polling at the same time
        await asyncio.gather(*(client.get("/v1/now-playing") for _ in range(10)))
        await asyncio.sleep(0.15)
    window = time.monotonic() - started

    assert fake_spotify.api_calls <= math.ceil(window / TTL) + 1
    assert fake_spotify.api_calls >= 2  # the streams alone keep the answer fresh

    for stream in streams:
        stream.response.close()
    await until_no_streams(client)
    calls = fake_spotify.api_calls
    await asyncio.sleep(4 * TTL)
    assert fake_spotify.api_calls == calls


async def test_a_stalled_reader_is_dropped_after_the_send_timeout_without_holding_up_others(
    fake_spotify: FakeSpotify,
    settings: Settings,
    start_proxy: StartProxy,
    open_stream: OpenStream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Titles are capped at 300 characters; lift the cap here so each change is big enough to
    # fill a stalled reader's socket buffers within a few changes (this tests the transport).
    monkeypatch.setattr(nowplaying, "MAX_TEXT", 300_000)
    client = await start_proxy(replace(settings, stream_send_timeout=1.0))
    assert client.port is not None
    # A reader that stops reading, with a tiny receive window so its buffers fill quickly.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect(("127.0.0.1", client.port))
    sock.setblocking(False)
    stalled, writer = await asyncio.open_connection(sock=sock)
    writer.write(b"GET /v1/now-playing/stream HTTP/1.1\r\nHost: test\r\n\r\n")
    await stalled.readuntil(b"event: now-playing")
    healthy = await open_stream(client)
    await healthy.next()
    hub = client.app[STREAMS]
    assert hub.count == 2

    try:
        for n in range(40):  # big answers: each change is 200 KB the stalled reader never takes
            title = f"{n} " + "x" * 200_000
            fake_spotify.player = Reply(
                200, payloads.currently_playing(payloads.track(title), is_playing=False)
            )
            event = await healthy.next(within=TTL + 2.0)
            assert event.json()["item"]["title"] == title
            if hub.count == 1:
                break
        assert hub.count == 1
    finally:
        writer.close()
