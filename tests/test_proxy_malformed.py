"""Malformed HTTP: a 400, one DEBUG line without a traceback, never an ERROR on the owner's log."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from proxy.settings import Settings
from proxy.web.app import create_app
from proxy.web.protocol import server_args
from tests.fakes.net import free_port
from tests.processes import clean_env
from tests.test_proxy_cli import get_json, serving

# Each is refused by aiohttp's parser before the application sees it.
REFUSED_BY_THE_PARSER = {
    "9000-byte-header": b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
    "bad-version": b"GET /healthz HTTP/9.9\r\nHost: a\r\n\r\n",
    "te-and-content-length": b"GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Length: 3\r\n\r\n0\r\n\r\n",
    "te-unknown": b"GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
    "te-twice": b"GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: identity\r\n\r\n",
    "nul": b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
    "no-host": b"GET /healthz HTTP/1.1\r\n\r\n",
    "two-hosts": b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "bare-lf": b"GET /healthz HTTP/1.1\nHost: a\n\n",
    "obs-fold": b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    "bad-method": b"G@T /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
}
# The parser accepts these; the proxy refuses them itself, in its JSON shape.
REFUSED_BY_THE_PROXY = {
    "http-0.9": b"GET /healthz\r\n\r\n",
    "two-origins": b"GET /v1/now-playing HTTP/1.1\r\nHost: a\r\nOrigin: https://a.example\r\n"
    b"Origin: https://b.example\r\n\r\n",
}


def exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes, read until the proxy closes the connection (or 2 s pass)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(request)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def status_line(answer: bytes) -> bytes:
    return answer.split(b"\r\n", 1)[0]


@pytest.fixture
async def demo_port() -> AsyncIterator[int]:
    """A demo proxy on a real socket, with the server arguments `mkdocs-spotify proxy` uses."""
    runner = web.AppRunner(create_app(Settings(demo=True)), access_log=None, **server_args())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await runner.cleanup()


@pytest.mark.parametrize("request_bytes", REFUSED_BY_THE_PARSER.values(), ids=REFUSED_BY_THE_PARSER)
async def test_a_malformed_request_is_one_debug_line_without_traceback(
    demo_port: int, request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    answer = await asyncio.to_thread(exchange, demo_port, request_bytes)

    assert status_line(answer).endswith(b" 400 Bad Request")
    records = [r for r in caplog.records if r.name.startswith(("aiohttp", "proxy"))]
    assert [(r.name, r.levelno) for r in records] == [("proxy.web.protocol", logging.DEBUG)]
    line = records[0].getMessage()
    assert records[0].exc_info is None
    assert "\n" not in line
    assert len(line) < 200
    assert line.startswith("Refused a malformed request: ")


@pytest.mark.parametrize("request_bytes", REFUSED_BY_THE_PROXY.values(), ids=REFUSED_BY_THE_PROXY)
async def test_what_the_parser_lets_through_is_refused_in_json(
    demo_port: int, request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    answer = await asyncio.to_thread(exchange, demo_port, request_bytes)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_line(answer).endswith(b" 400 Bad Request")
    assert b"200" not in status_line(answer)
    assert b"\r\nX-Content-Type-Options: nosniff\r\n" in head
    assert b"\r\nContent-Type: application/json" in head
    error = json.loads(body)["error"]
    assert isinstance(error, str)
    assert error.endswith(".")
    assert [r.levelno for r in caplog.records if r.name.startswith("proxy")] == [logging.DEBUG]


async def test_one_origin_still_gets_its_answer(demo_port: int) -> None:
    request = b"GET /v1/now-playing HTTP/1.1\r\nHost: a\r\nOrigin: https://a.example\r\n\r\n"

    answer = await asyncio.to_thread(exchange, demo_port, request)

    assert status_line(answer) == b"HTTP/1.1 200 OK"


def test_the_owners_log_stays_quiet_under_malformed_requests(tmp_path: Path) -> None:
    port = free_port()
    cases = [*REFUSED_BY_THE_PARSER.values(), *REFUSED_BY_THE_PROXY.values()] * 20
    with serving(["--demo", "--port", str(port)], tmp_path, clean_env()) as process:
        get_json(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 20)

        answers = [exchange(port, request) for request in cases]

        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert all(status_line(a).endswith(b" 400 Bad Request") for a in answers)
    assert "Traceback" not in stderr
    assert "ERROR" not in stderr
    assert "WARNING" not in stderr
    assert len(stderr.splitlines()) == 1  # "Serving the demo session on ..."
