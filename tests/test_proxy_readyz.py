"""/readyz reports the days until re-login; the proxy warns daily in the grant's last 30 days."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from proxy.app import TOKENS, warn_if_expiring
from proxy.clock import ManualClock
from proxy.settings import Settings
from tests.conftest import StartProxy

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
    caplog.set_level(logging.INFO, "mkdocs_spotify.proxy")
    clock = clock_at(datetime(2026, 10, 1, 12, tzinfo=UTC))  # 61 days left
    client = await start_proxy(owner_settings, clock)
    tokens = client.app[TOKENS]
    warned: set[date] = set()

    assert not warn_if_expiring(tokens, warned)
    clock.advance(40 * DAY)  # 20.5 days left
    assert warn_if_expiring(tokens, warned)
    assert not warn_if_expiring(tokens, warned)
    clock.advance(3600)
    assert not warn_if_expiring(tokens, warned)
    clock.advance(DAY)
    assert warn_if_expiring(tokens, warned)
    clock.advance(30 * DAY)  # expired
    assert warn_if_expiring(tokens, warned)

    messages = [r for r in caplog.records if "grant" in r.getMessage()]
    assert [r.levelno for r in messages] == [logging.WARNING, logging.WARNING, logging.ERROR]
    assert "expires in 20 days" in messages[0].getMessage()
    assert all("mkdocs-spotify login" in r.getMessage() for r in messages)


async def test_the_warning_is_logged_at_start_up(
    owner_settings: Settings, start_proxy: StartProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "mkdocs_spotify.proxy")
    now = datetime.now(UTC)
    settings = replace(owner_settings, authorized_at=now - timedelta(days=170))
    await start_proxy(settings)  # the real clock
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("grant expires in" in w and "mkdocs-spotify login" in w for w in warnings)
