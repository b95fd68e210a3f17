"""The loopback listener of `mkdocs-spotify login`, in process."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from mkdocs_spotify.cli.callback import CallbackListener, PortInUse
from mkdocs_spotify.cli.oauth import Code, Refused
from tests.fakes.net import free_port


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

            async with session.get(f"{base}/callback?code=the-code&state=the-state") as resp:
                assert resp.status == 200
                assert "You can close this tab" in await resp.text()
            assert await asyncio.wait_for(listener.result, 1) == Code("the-code")
            async with session.get(f"{base}/callback?code=again&state=the-state") as resp:
                assert "finished" in await resp.text()
            assert listener.result.result() == Code("the-code")
    finally:
        await listener.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_a_refusal_ends_the_wait_too() -> None:
    port = free_port()
    listener = CallbackListener("s", port)
    await listener.start()
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
        with pytest.raises(OSError):
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
    assert f"Port {port}" in message and "--port" in message
    assert listener.bound_addresses() == []


async def test_the_port_can_be_used_again_at_once_after_a_login() -> None:
    """`login` says "run it again" after a refusal: the port must not stay blocked meanwhile."""
    port = free_port()
    first = CallbackListener("s", port)
    await first.start()
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
