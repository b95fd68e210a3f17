"""A rotated refresh token is saved at once and used after a restart; the seed rule holds."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.grant import seed_fingerprint
from proxy.spotify.store import StoredToken, read_store, store_mode, write_store
from tests.conftest import StartProxy
from tests.fakes.spotify import FakeSpotify


async def rotating(start_proxy: StartProxy, clock: ManualClock, settings: Settings) -> int:
    client = await start_proxy(settings, clock)
    response = await client.get("/v1/now-playing")
    await response.read()
    await client.close()
    return response.status


async def test_rotation_is_persisted_and_reused_after_a_restart(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with FakeSpotify(rotate_refresh_tokens=True) as fake:
        seed = fake.issue_refresh_token()
        settings = fake.settings(refresh_token=seed, token_store=store_path)

        assert await rotating(start_proxy, clock, settings) == 200
        stored = read_store(store_path)
        assert stored is not None
        assert stored.refresh_token != seed
        assert stored.refresh_token in fake.refresh_tokens
        assert stored.seed_sha256 == seed_fingerprint(seed)  # the chain still descends from it
        assert store_mode(store_path) == 0o600

        # A new process with the same (now spent) seed in its environment uses the store.
        assert await rotating(start_proxy, clock, settings) == 200
        assert fake.last_token_form["refresh_token"] == stored.refresh_token
        again = read_store(store_path)
        assert again is not None
        assert again.refresh_token in fake.refresh_tokens


async def test_a_changed_seed_wins_over_the_store(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with FakeSpotify() as fake:
        old_seed = fake.issue_refresh_token()
        write_store(
            store_path,
            StoredToken(
                refresh_token="fake-refresh-rotated-from-old",
                client_id=fake.client_id,
                scopes=(),
                authorized_at=datetime(2026, 1, 1, tzinfo=UTC),
                seed_sha256=seed_fingerprint(old_seed),
            ),
        )
        new_seed = fake.issue_refresh_token()
        settings = fake.settings(refresh_token=new_seed, token_store=store_path)

        assert await rotating(start_proxy, clock, settings) == 200
        assert fake.last_token_form["refresh_token"] == new_seed


async def test_without_a_seed_the_store_is_used(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with FakeSpotify() as fake:
        token = fake.issue_refresh_token()
        write_store(
            store_path,
            StoredToken(token, fake.client_id, (), datetime(2026, 1, 1, tzinfo=UTC), None),
        )
        settings = replace(fake.settings(token_store=store_path), refresh_token=None)

        assert await rotating(start_proxy, clock, settings) == 200
        assert fake.last_token_form["refresh_token"] == token


async def test_an_unwritable_store_keeps_the_rotated_token_in_memory_and_says_so(
    tmp_path: Path,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    async with FakeSpotify(rotate_refresh_tokens=True, access_token_lifetime=100) as fake:
        settings = fake.settings(
            refresh_token=fake.issue_refresh_token(), token_store=blocker / "token.json"
        )
        client = await start_proxy(settings, clock)
        assert (await client.get("/v1/now-playing")).status == 200
        clock.advance(100)  # the access token expires: refresh with the rotated token
        data = await (await client.get("/v1/now-playing")).json()

    assert data["stale"] is False
    assert fake.token_calls == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2  # once per rotation, each one news
    assert "cannot be written" in errors[0]
    assert "mkdocs-spotify login" in errors[0]
