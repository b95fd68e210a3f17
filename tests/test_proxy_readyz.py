"""/readyz reports the days until re-login; the proxy warns daily in the grant's last 30 days."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.grant_store import FileGrantStore
from proxy.web.app import TOKENS
from proxy.web.grant_watch import warn_if_expiring
from proxy.web.handlers import UNEXPECTED
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify

DAY = 86_400


def clock_at(moment: datetime) -> ManualClock:
    return ManualClock(wall_ms=int(moment.timestamp() * 1000))


async def test_readyz_reports_days_left_from_authorized_at(
    owner_settings: Settings, start_proxy: StartProxy
) -> None:
    settings = replace(owner_settings, authorized_at=datetime(2026, 6, 1, tzinfo=UTC))
    client = await start_proxy(settings, clock_at(datetime(2026, 11, 21, tzinfo=UTC)))

    response = await client.get("/readyz")
    body = await response.json()

    assert response.status == 200
    assert body["status"] == "ok"
    assert body["grant_days_left"] == 10
    assert body["grant_expires_at"] == "2026-12-01T00:00:00Z"


async def test_readyz_says_when_the_authorization_date_is_unknown(
    owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(replace(owner_settings, authorized_at=None), clock)
    body = await (await client.get("/readyz")).json()
    assert body["grant_days_left"] is None
    assert "unknown" in body["grant_note"]


async def test_demo_mode_is_ready_without_an_account(
    start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(Settings(demo=True), clock)
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["mode"] == "demo"


async def test_one_warning_a_day_in_the_last_30_days_then_an_error(
    owner_settings: Settings, start_proxy: StartProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "proxy")
    clock = clock_at(datetime(2026, 10, 1, 12, tzinfo=UTC))  # 61 days left
    client = await start_proxy(owner_settings, clock)
    tokens = client.app[TOKENS]
    warned: set[date] = set()

    assert not await warn_if_expiring(tokens, warned)
    clock.advance(40 * DAY)  # 20.5 days left
    assert await warn_if_expiring(tokens, warned)
    assert not await warn_if_expiring(tokens, warned)
    clock.advance(3600)
    assert not await warn_if_expiring(tokens, warned)
    clock.advance(DAY)
    assert await warn_if_expiring(tokens, warned)
    clock.advance(30 * DAY)  # expired
    assert await warn_if_expiring(tokens, warned)

    messages = [r for r in caplog.records if "grant" in r.getMessage()]
    assert [r.levelno for r in messages] == [logging.WARNING, logging.WARNING, logging.ERROR]
    assert "expires in 20 days" in messages[0].getMessage()
    assert all("mkdocs-spotify login" in r.getMessage() for r in messages)


async def test_the_warning_is_logged_at_start_up(
    owner_settings: Settings, start_proxy: StartProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "proxy")
    now = datetime.now(UTC)
    settings = replace(owner_settings, authorized_at=now - timedelta(days=170))
    await start_proxy(settings)  # the real clock
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("grant expires in" in w and "mkdocs-spotify login" in w for w in warnings)


async def test_probes_do_not_storm_a_failing_accounts_service(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner_settings, clock)
    good = await (await client.get("/v1/now-playing")).json()
    fake_spotify.token_error = (500, {"error": "server_error"})
    clock.advance(3600)  # the access token has expired: the next caller must refresh
    token_calls = fake_spotify.token_calls

    # /readyz is public: anyone may call it in a loop.
    for _ in range(30):
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert "accounts service" in (await ready.json())["reason"]
        data = await (await client.get("/v1/now-playing")).json()
        assert data["stale"] is True
        assert data["item"] == good["item"]
    assert fake_spotify.token_calls - token_calls == 1

    fake_spotify.token_error = None
    clock.advance(owner_settings.cache_ttl)
    assert (await client.get("/readyz")).status == 200
    assert (await (await client.get("/v1/now-playing")).json())["stale"] is False
    assert fake_spotify.token_calls - token_calls == 2


async def test_probes_queued_on_a_hanging_token_endpoint_do_not_each_wait_for_it(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    fake_spotify.token_delay = 30.0
    client = await start_proxy(replace(owner_settings, upstream_timeout=0.3), clock)

    responses = await asyncio.gather(*(client.get("/readyz") for _ in range(10)))

    assert [r.status for r in responses] == [503] * 10
    # One request timed out; the nine queued behind it were answered without asking again.
    assert fake_spotify.token_calls == 1


async def test_an_unexpected_error_stays_out_of_the_public_readyz_body(
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await start_proxy(owner_settings, clock)

    async def broken() -> str:
        raise RuntimeError("/home/owner/.config/private-detail")

    monkeypatch.setattr(client.app[TOKENS], "access_token", broken)
    response = await client.get("/readyz")

    assert response.status == 503
    body = await response.text()
    assert "private-detail" not in body
    assert "RuntimeError" not in body
    assert (await response.json())["reason"] == UNEXPECTED
    logged = [record.getMessage() for record in caplog.records]
    assert any("RuntimeError" in line for line in logged)
    assert not any("private-detail" in line for line in logged)


async def test_an_odd_error_code_from_the_accounts_service_stays_out_of_readyz(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    fake_spotify.token_error = (500, {"error": "<script>see https://evil.example</script>"})
    client = await start_proxy(owner_settings, ManualClock())

    response = await client.get("/readyz")

    assert response.status == 503
    body = await response.text()
    assert "evil" not in body
    assert "token refresh failed (unexpected answer)" in (await response.json())["reason"]


async def test_readyz_names_a_held_store_lock_not_the_accounts_service(
    owner_settings: Settings, start_proxy: StartProxy
) -> None:
    # Another process (a stuck doctor, say) holds the store's lock across the proxy's patience.
    lock_path = FileGrantStore(owner_settings.token_store).lock_path
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        # A short timeout keeps the proxy's patience for the lock (3 timeouts + 1 s) short.
        client = await start_proxy(replace(owner_settings, upstream_timeout=0.2))
        response = await client.get("/readyz")
        body = await response.json()
    assert response.status == 503
    assert body["reason"].startswith("Another process held the token store's lock for too long")
    assert str(owner_settings.token_store) not in body["reason"]
