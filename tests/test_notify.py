"""Notifications: 30, 7 and 1 days before the grant dies and on invalid_grant, each once across a
restart, through a real Apprise `json://` receiver; a dead receiver disturbs no visitor."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from proxy.alerts.sent import read_sent, sent_record_path
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.grant import grant_expires_at
from proxy.web.grant_watch import GRANT_WATCH
from tests.conftest import ProxyClient, StartProxy
from tests.fakes.net import free_port
from tests.fakes.receiver import Receiver
from tests.fakes.spotify import FakeSpotify

SITE = "blog.example.test"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


@pytest.fixture
def notify_settings(owner_settings: Settings, receiver: Receiver) -> Settings:
    return replace(owner_settings, notify_urls=(receiver.apprise_url,), site_name=SITE)


def set_days_left(clock: ManualClock, settings: Settings, days: float) -> None:
    assert settings.authorized_at is not None
    moment = grant_expires_at(settings.authorized_at) - timedelta(days=days)
    clock.wall_ms = int(moment.timestamp() * 1000)


async def check(client: ProxyClient) -> None:
    await client.app[GRANT_WATCH].check()


async def test_30_7_and_1_days_before_expiry_each_once_across_restarts(
    notify_settings: Settings,
    receiver: Receiver,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    set_days_left(clock, notify_settings, 31.5)
    first = await start_proxy(notify_settings, clock)
    await check(first)
    assert receiver.messages == []

    set_days_left(clock, notify_settings, 29.5)
    await check(first)
    await check(first)
    assert len(receiver.messages) == 1
    assert "expires in 29 days" in receiver.messages[0]["title"]

    set_days_left(clock, notify_settings, 6.5)
    await check(first)
    await first.close()
    # A restart on the same files: nothing goes out again.
    second = await start_proxy(notify_settings, clock)
    await check(second)
    assert len(receiver.messages) == 2

    set_days_left(clock, notify_settings, 0.5)
    await check(second)
    await second.close()
    third = await start_proxy(notify_settings, clock)
    await check(third)

    titles = [message["title"] for message in receiver.messages]
    assert titles == [
        f"Spotify widget on {SITE}: the grant expires in 29 days",
        f"Spotify widget on {SITE}: the grant expires in 6 days",
        f"Spotify widget on {SITE}: the grant expires in less than a day",
    ]
    for message in receiver.messages:
        assert "mkdocs-spotify login" in message["message"]
        assert SITE in message["message"]
    record = sent_record_path(notify_settings.token_store)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert len(read_sent(record)) == 3
    assert receiver.secret not in caplog.text


async def test_a_proxy_started_in_the_last_week_sends_only_the_7_day_notice(
    notify_settings: Settings, receiver: Receiver, start_proxy: StartProxy, clock: ManualClock
) -> None:
    set_days_left(clock, notify_settings, 5.5)
    client = await start_proxy(notify_settings, clock)
    await check(client)  # the watcher's own first check may have sent it already
    assert [m["title"] for m in receiver.messages] == [
        f"Spotify widget on {SITE}: the grant expires in 5 days"
    ]


async def test_invalid_grant_is_notified_once_across_a_restart(
    fake_spotify: FakeSpotify,
    notify_settings: Settings,
    receiver: Receiver,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    client = await start_proxy(notify_settings, clock)
    good = await (await client.get("/v1/now-playing")).json()
    fake_spotify.revoke_all()
    clock.advance(notify_settings.cache_ttl)

    data = await (await client.get("/v1/now-playing")).json()
    await receiver.wait(1)

    assert data["stale"] is True
    assert data["item"] == good["item"]
    assert receiver.messages[0]["title"] == f"Spotify widget on {SITE}: Spotify refused the grant"
    assert "invalid_grant" in receiver.messages[0]["message"]
    assert "mkdocs-spotify login" in receiver.messages[0]["message"]
    await client.close()

    restarted = await start_proxy(notify_settings, clock)
    assert (await restarted.get("/v1/now-playing")).status == 503
    assert (await restarted.get("/readyz")).status == 503
    await restarted.close()  # waits for any notice still being sent
    assert len(receiver.messages) == 1
    assert receiver.secret not in caplog.text


async def test_a_dead_receiver_changes_no_answer_and_is_logged_once(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # Apprise's debug lines quote the whole URL
    dead = Receiver()
    dead.port = free_port()  # nothing listens there (yet)
    settings = replace(owner_settings, notify_urls=(dead.apprise_url,), site_name=SITE)
    set_days_left(clock, settings, 20)
    client = await start_proxy(settings, clock)

    for _ in range(3):
        await check(client)
        clock.advance(settings.cache_ttl)
        answer = await client.get("/v1/now-playing")
        assert answer.status == 200
        data = await answer.json()
        assert data["stale"] is False
        assert data["item"]["title"]
    fake_spotify.revoke_all()
    clock.advance(settings.cache_ttl)
    assert (await (await client.get("/v1/now-playing")).json())["stale"] is True

    failures = [r for r in caplog.records if r.name.startswith("proxy.alerts")]
    assert [r.levelno for r in failures] == [logging.ERROR]
    assert "doctor --notify-test" in failures[0].getMessage()
    assert dead.secret not in caplog.text
    assert read_sent(sent_record_path(settings.token_store)) == set()

    # The receiver comes back: the next check delivers what was missed (the invalid_grant
    # notice too, if its background send was still waiting for its turn).
    await dead.start()
    try:
        await check(client)
        titles = [m["title"] for m in dead.messages]
        assert f"Spotify widget on {SITE}: the grant expires in 19 days" in titles
        assert len(titles) == len(set(titles))
    finally:
        await dead.stop()


async def test_two_proxies_on_one_store_send_a_notice_once(
    notify_settings: Settings, receiver: Receiver, start_proxy: StartProxy, clock: ManualClock
) -> None:
    set_days_left(clock, notify_settings, 40)  # nothing due while they start
    first = await start_proxy(notify_settings, clock)
    second = await start_proxy(notify_settings, clock)
    set_days_left(clock, notify_settings, 3)
    await asyncio.gather(*(check(client) for client in (first, second, first, second)))
    assert [m["title"] for m in receiver.messages] == [
        f"Spotify widget on {SITE}: the grant expires in 3 days"
    ]
