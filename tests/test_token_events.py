"""The token layer's listeners: each is told in turn, and one that fails stops neither the
others nor the refresh that told them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.events import TokenEvents, TokenListener
from proxy.web.app import TOKENS
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify


class Broken(TokenListener):
    def refreshed(self, rotated: bool) -> None:
        raise RuntimeError("secret-detail")

    def grant_refused(self, authorized_at: datetime | None) -> None:
        raise RuntimeError("secret-detail")


class Recorder(TokenListener):
    def __init__(self) -> None:
        self.heard: list[str] = []

    def refreshed(self, rotated: bool) -> None:
        self.heard.append(f"refreshed rotated={rotated}")

    def grant_refused(self, authorized_at: datetime | None) -> None:
        self.heard.append("refused")


def test_a_failing_listener_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    events, recorder = TokenEvents(), Recorder()
    events.listeners += [Broken(), recorder]
    events.refreshed(rotated=True)
    events.grant_refused(None)
    assert recorder.heard == ["refreshed rotated=True", "refused"]
    assert [r.getMessage() for r in caplog.records] == [
        "A token listener failed (RuntimeError)."
    ] * 2
    assert "secret-detail" not in caplog.text


async def test_the_proxy_tells_its_listeners_and_survives_a_broken_one(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    clock = ManualClock()
    client = await start_proxy(replace(owner_settings, cache_ttl=5.0), clock)
    recorder = Recorder()
    client.app[TOKENS].events.listeners += [Broken(), recorder]
    assert (await client.get("/v1/now-playing")).status == 200
    fake_spotify.revoke_all()
    clock.advance(5.0)
    assert (await (await client.get("/v1/now-playing")).json())["stale"] is True
    assert recorder.heard == ["refreshed rotated=False", "refused"]
