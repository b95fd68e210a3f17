"""The live stream through Debian's real nginx, configured with the blocks docs/proxy.md shows."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp

from proxy.settings import Settings
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.net import free_port
from tests.fakes.spotify import FakeSpotify, Reply
from tests.fakes.sse import Event, EventReader
from tests.nginx_server import running_nginx

DOC = Path(__file__).resolve().parent.parent / "docs" / "proxy.md"
TTL = 0.5


def documented_locations(upstream_port: int) -> str:
    """The nginx block of docs/proxy.md that carries the stream, aimed at the test's proxy."""
    blocks: list[str] = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), re.DOTALL)
    (block,) = [block for block in blocks if "now-playing/stream" in block]
    return block.replace("127.0.0.1:8787", f"127.0.0.1:{upstream_port}")


@contextmanager
def nginx(folder: Path, upstream_port: int) -> Iterator[str]:
    port = free_port()
    body = f"""
    # What a blog's nginx often has; the stream's location must switch it off.
    gzip on;
    gzip_min_length 1;
    gzip_types application/json text/event-stream;
    server {{
        listen 127.0.0.1:{port};
{documented_locations(upstream_port)}
    }}"""
    with running_nginx(folder, body, [port]):
        yield f"http://127.0.0.1:{port}"


async def timed(reader: EventReader) -> tuple[Event, float]:
    event = await reader.next(within=TTL + 2.0)
    return event, time.monotonic()


async def test_events_come_through_nginx_at_once(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, tmp_path: Path
) -> None:
    fake_spotify.player = Reply(
        200, payloads.currently_playing(payloads.track("Before"), is_playing=False)
    )
    client = await start_proxy(replace(owner_settings, cache_ttl=TTL))
    assert client.port is not None
    with nginx(tmp_path, client.port) as front:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            started = time.monotonic()
            response = await session.get(
                f"{front}/spotify/v1/now-playing/stream", headers={"Accept-Encoding": "gzip"}
            )
            through = EventReader(response)
            snapshot = await through.next(within=1.0)
            assert time.monotonic() - started < 1.0
            direct = EventReader(await client.get("/v1/now-playing/stream"))
            await direct.next()

            fake_spotify.player = Reply(
                200, payloads.currently_playing(payloads.track("After"), is_playing=False)
            )
            changed = time.monotonic()
            (at_proxy, at_proxy_time), (event, arrived) = await asyncio.gather(
                timed(direct), timed(through)
            )

            assert response.status == 200
            assert "Content-Encoding" not in response.headers
            assert response.headers["Content-Type"] == "text/event-stream"
            assert snapshot.json()["item"]["title"] == "Before"
            assert event.json()["item"]["title"] == "After"
            assert event.id == at_proxy.id
            assert arrived - at_proxy_time < 1.0  # what nginx adds
            assert arrived - changed < TTL + 1.0
            # The same nginx does compress the plain answer: the stream's `gzip off` is what
            # kept the events uncompressed.
            plain = await session.get(
                f"{front}/spotify/v1/now-playing", headers={"Accept-Encoding": "gzip"}
            )
            assert plain.headers["Content-Encoding"] == "gzip"
            assert json.loads(gzip.decompress(await plain.read()))["item"]["title"] == "After"
            response.close()
