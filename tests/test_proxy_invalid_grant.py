"""invalid_grant: back off for minutes, /readyz names the command, one log line, no storm."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.health import DEAD_GRANT_BACKOFF
from proxy.spotify.store import StoredToken, write_store
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify


async def test_a_dead_grant_backs_off_and_readyz_names_the_login_command(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "proxy")
    client = await start_proxy(owner_settings, clock)
    good = await (await client.get("/v1/now-playing")).json()
    assert (await client.get("/readyz")).status == 200
    fake_spotify.revoke_all()
    token_calls = fake_spotify.token_calls

    # Ten minutes of visitors and probes, every TTL.
    for _ in range(int(DEAD_GRANT_BACKOFF * 2 // owner_settings.cache_ttl)):
        clock.advance(owner_settings.cache_ttl)
        data = await (await client.get("/v1/now-playing")).json()
        assert data["stale"] is True
        assert data["item"] == good["item"]
        await client.get("/readyz")

    # One refresh on the 401, then one per back-off period: no storm.
    assert fake_spotify.token_calls - token_calls <= 3
    ready = await client.get("/readyz")
    assert ready.status == 503
    reason = (await ready.json())["reason"]
    assert "mkdocs-spotify login" in reason
    assert "invalid_grant" in reason
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "mkdocs-spotify login" in errors[0].getMessage()


async def test_the_store_is_read_again_before_giving_up(
    fake_spotify: FakeSpotify,
    owner_settings: Settings,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await start_proxy(owner_settings, clock)
    await client.get("/v1/now-playing")
    # The owner runs `mkdocs-spotify login` elsewhere: every old grant dies, a new store appears.
    fake_spotify.revoke_all()
    write_store(
        owner_settings.token_store,
        StoredToken(
            refresh_token=fake_spotify.issue_refresh_token(),
            client_id=fake_spotify.client_id,
            scopes=fake_spotify.scopes,
            authorized_at=datetime(2026, 11, 1, tzinfo=UTC),
        ),
    )
    clock.advance(owner_settings.cache_ttl)

    data = await (await client.get("/v1/now-playing")).json()

    assert data["stale"] is False
    assert (await client.get("/readyz")).status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_no_refresh_token_at_all_is_a_readyz_reason(
    fake_spotify: FakeSpotify, store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    settings = fake_spotify.settings(token_store=store_path)
    client = await start_proxy(settings, clock)

    assert (await client.get("/v1/now-playing")).status == 503
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "mkdocs-spotify login" in (await ready.json())["reason"]
    assert fake_spotify.token_calls == 0


@pytest.fixture
def damaged_store(store_path: Path) -> Path:
    store_path.parent.mkdir(parents=True)
    store_path.write_text("{damaged")
    return store_path


async def test_a_damaged_store_without_a_seed_is_a_readyz_reason_without_its_path(
    fake_spotify: FakeSpotify,
    damaged_store: Path,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await start_proxy(fake_spotify.settings(token_store=damaged_store), clock)

    assert (await client.get("/v1/now-playing")).status == 503
    ready = await client.get("/readyz")
    assert ready.status == 503
    body = await ready.text()
    # The public body says what kind of problem; the path (the owner's home) is in the log only.
    assert "token store cannot be used" in body
    assert "log" in body
    assert str(damaged_store.parent) not in body
    assert "config" not in body
    assert any(
        str(damaged_store) in r.getMessage() and "not a valid token store" in r.getMessage()
        for r in caplog.records
    )
    assert fake_spotify.token_calls == 0
