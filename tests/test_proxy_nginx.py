"""The live stream through Debian's real nginx, configured with the blocks docs/proxy.md shows."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import socket
import subprocess
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

NGINX = "/usr/sbin/nginx"  # installed by `make system`
DOC = Path(__file__).resolve().parent.parent / "docs" / "proxy.md"
TTL = 0.5


def documented_locations(upstream_port: int) -> str:
    """The nginx block of docs/proxy.md that carries the stream, aimed at the test's proxy."""
    blocks: list[str] = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), re.DOTALL)
    (block,) = [block for block in blocks if "now-playing/stream" in block]
    return block.replace("127.0.0.1:8787", f"127.0.0.1:{upstream_port}")


def nginx_conf(folder: Path, port: int, upstream_port: int) -> str:
    # Every path nginx writes lives in the test's folder, so it runs without root.
    return f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    # What a blog's nginx often has; the stream's location must switch it off.
    gzip on;
    gzip_min_length 1;
    gzip_types application/json text/event-stream;
    server {{
        listen 127.0.0.1:{port};
{documented_locations(upstream_port)}
    }}
}}
"""


@contextmanager
def nginx(folder: Path, upstream_port: int) -> Iterator[str]:
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, port, upstream_port))
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "error.log").read_text()
                    raise AssertionError(f"nginx did not start: {log}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


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
