"""The loopback listener of `mkdocs-spotify login`, in process."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest

from mkdocs_spotify.cli.callback import CallbackListener, PortInUse, Verdict
from mkdocs_spotify.cli.oauth import Code, Refused
from tests.fakes.net import free_port


def conclude_when_answered(listener: CallbackListener, verdict: Verdict) -> None:
    """Play the login's part: once a callback arrives, tell the page how the exchange went."""
    listener.result.add_done_callback(lambda _: listener.conclude(verdict))


async def test_only_callback_with_the_right_state_ends_the_wait() -> None:
    port = free_port()
    listener = CallbackListener("the-state", port)
    await listener.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/", "/favicon.ico", "/callback/", "/other?code=c&state=the-state"):
                async with session.get(base + path) as resp:
                    assert resp.status == 404, path
            for query in ("code=c", "code=c&state=wrong", "state=the-state", ""):
                async with session.get(f"{base}/callback?{query}") as resp:
                    assert resp.status == 400, query
                    assert "still waiting" in await resp.text()
            async with session.post(f"{base}/callback?code=c&state=the-state") as resp:
                assert resp.status == 405
            assert not listener.result.done()

            conclude_when_answered(listener, Verdict(True, "Saved. You can close this tab."))
            async with session.get(f"{base}/callback?code=the-code&state=the-state") as resp:
                assert resp.status == 200
                assert "You can close this tab" in await resp.text()
            assert await asyncio.wait_for(listener.result, 1) == Code("the-code")
            async with session.get(f"{base}/callback?code=again&state=the-state") as resp:
                assert "already has its answer" in await resp.text()
            assert listener.result.result() == Code("the-code")
    finally:
        await listener.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_a_refusal_ends_the_wait_too() -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    conclude_when_answered(listener, Verdict(False, "You pressed Cancel (access_denied)."))
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/callback?error=access_denied&state=s") as resp,
        ):
            assert resp.status == 200
            assert "access_denied" in await resp.text()
        assert listener.result.result() == Refused("access_denied")
    finally:
        await listener.stop()


async def test_listens_on_loopback_127_0_0_1_only() -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    try:
        assert listener.bound_addresses() == [("127.0.0.1", port)]
        # 127.0.0.2 is another address of this machine's loopback; a wildcard bind would answer.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=1).close()
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        await listener.stop()


async def test_port_in_use_says_to_pick_another() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        listener = CallbackListener("s", port)
        with pytest.raises(PortInUse) as raised:
            await listener.start()
    message = str(raised.value)
    assert f"Port {port}" in message
    assert "--port" in message
    assert listener.bound_addresses() == []


async def test_the_port_can_be_used_again_at_once_after_a_login() -> None:
    """`login` says "run it again" after a refusal: the port must not stay blocked meanwhile."""
    port = free_port()
    first = CallbackListener("s", port)
    await first.start()
    conclude_when_answered(first, Verdict(False, "access_denied"))
    try:
        # Served and then closed by the listener's side, as a browser's keep-alive connection is
        # when the login ends: that side's socket lingers in TIME_WAIT.
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/callback?error=access_denied&state=s") as resp,
        ):
            assert resp.status == 200
            await first.stop()
    finally:
        await first.stop()
    second = CallbackListener("t", port)
    await second.start()
    await second.stop()


async def test_the_page_tells_the_outcome_of_the_exchange_not_just_that_a_code_came() -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    try:
        async with aiohttp.ClientSession() as session:
            page = asyncio.ensure_future(
                session.get(f"http://127.0.0.1:{port}/callback?code=c&state=s")
            )
            await asyncio.wait_for(asyncio.shield(listener.result), 5)
            await asyncio.sleep(0.2)
            assert not page.done()  # the browser waits while the code is exchanged
            listener.conclude(Verdict(False, "Spotify's accounts service cannot be reached."))
            async with await page as resp:
                assert resp.status == 500
                text = await resp.text()
        assert "cannot be reached" in text
        assert "connected" not in text
    finally:
        await listener.stop()


async def test_a_page_still_waiting_when_the_login_stops_gets_an_answer() -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    async with aiohttp.ClientSession() as session:
        page = asyncio.ensure_future(
            session.get(f"http://127.0.0.1:{port}/callback?code=c&state=s")
        )
        await asyncio.wait_for(asyncio.shield(listener.result), 5)
        await asyncio.wait_for(listener.stop(), 5)
        async with await page as resp:
            assert resp.status == 500
            assert "terminal says why" in await resp.text()


@pytest.mark.parametrize(
    "host",
    [
        None,
        "localhost:{port}",
        "evil.example:{port}",
        "127.0.0.1",
        "127.0.0.1:1",
        "127.0.0.1.evil.example:{port}",
        "[::1]",
    ],
)
async def test_only_a_loopback_host_header_is_answered(host: str | None) -> None:
    """DNS rebinding: a site whose name now points at 127.0.0.1 sends its own name as Host."""
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    try:
        lines = ["GET /callback?code=c&state=s HTTP/1.1"]
        if host is not None:
            lines.append("Host: " + host.format(port=port))
        status, head = await raw_request(port, "\r\n".join([*lines, "Connection: close", "", ""]))
        assert status == 400
        if host is not None:  # without Host aiohttp's parser refuses the request itself
            assert "cache-control: no-store" in head
        assert not listener.result.done()
    finally:
        await listener.stop()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "[::1]:{port}"])
async def test_loopback_host_headers_are_answered_with_private_headers(host: str) -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    try:
        request = f"GET /callback?state=s HTTP/1.1\r\nHost: {host.format(port=port)}\r\n"
        status, head = await raw_request(port, request + "Connection: close\r\n\r\n")
        assert status == 400  # neither code nor error, but past the Host check
        assert "still waiting" not in head
        for header in ("cache-control: no-store", "referrer-policy: no-referrer"):
            assert header in head
        conclude_when_answered(listener, Verdict(True, "Saved."))
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/callback?code=c&state=s") as resp,
        ):
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            assert resp.headers["Referrer-Policy"] == "no-referrer"
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/elsewhere") as resp,
        ):
            assert resp.status == 404
            assert resp.headers["Referrer-Policy"] == "no-referrer"
    finally:
        await listener.stop()


async def test_a_malformed_request_is_one_debug_line_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
    caplog.set_level(logging.DEBUG)
    try:
        huge = "x" * 100_000
        request = f"GET /callback?code={huge}&state=s HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        status, _ = await raw_request(port, request)
        assert status == 400
        assert not listener.result.done()
    finally:
        await listener.stop()
    records = [r for r in caplog.records if r.name.startswith("mkdocs_spotify")]
    assert records, "the malformed request was not logged at all"
    assert all(r.levelno == logging.DEBUG and r.exc_info is None for r in records)
    assert all(huge[:100] not in r.getMessage() for r in records)
    assert "Traceback" not in caplog.text


async def raw_request(port: int, request: str) -> tuple[int, str]:
    """Send bytes as they are (aiohttp's client would fix the Host); (status, lower-case head)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request.encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    finally:
        writer.close()
    text = head.decode("latin-1").lower()
    return int(text.split()[1]), text
