"""A replica that finds Redis empty (restarted) inside its own refresh writes its grant back but
does not spend it: its grant may be older than another replica's, so it turns its lease into the
write-back hold and lets every replica offer what it holds first (a real redis-server, the strict
accounts service of tests/fakes/accounts.py, two replicas' token caches in one process)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from proxy.clock import Clock
from proxy.spotify.errors import StoreBusy
from proxy.spotify.redis_store import WRITE_BACK_HOLD, RedisGrantStore
from proxy.spotify.store import StoredToken
from proxy.spotify.tokens import AccessTokens
from tests.fakes.accounts import StrictAccounts
from tests.redis_server import redis_server

PREFIX = "test:"


async def test_a_refresh_that_finds_redis_empty_holds_the_lease_instead_of_spending(
    tmp_path: Path,
) -> None:
    async with StrictAccounts(access_token_lifetime=3600) as fake:
        with redis_server(tmp_path / "redis") as server:
            first = fake.issue_grant()
            authorized = datetime.now(UTC) - timedelta(days=1)
            grant = StoredToken(first, fake.client_id, fake.scopes, authorized)
            with server.client() as client:
                client.set(f"{PREFIX}grant", json.dumps(grant.to_json()))
            settings = fake.settings(
                token_store=tmp_path / "token.json", redis_url=server.url, redis_prefix=PREFIX
            )
            a, b = AccessTokens(settings, Clock()), AccessTokens(settings, Clock())
            async with aiohttp.ClientSession() as session:
                a.session = b.session = session
                await b.prepare()  # b read the grant at start-up, and never refreshed since
                await a.access_token()  # a rotated it: b's refresh token is spent now
                with server.client() as client:
                    client.flushall()  # Redis restarted empty

                with pytest.raises(StoreBusy):
                    await b.access_token()
                with server.client() as client:
                    holder = client.get(f"{PREFIX}lease:refresh")
                    hold_ms = client.pttl(f"{PREFIX}lease:refresh")
                a.store.version()  # a's periodic look at the store: it offers its newer grant
                with server.client() as client:
                    raw = client.get(f"{PREFIX}grant")
            for tokens in (a, b):
                assert isinstance(tokens.store, RedisGrantStore)
                await tokens.store.aclose()

    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert holder == b"write-back"
    assert 0 < hold_ms <= WRITE_BACK_HOLD * 1000
    live = fake.live_token(first)
    assert live is not None
    assert raw is not None
    assert json.loads(raw)["refresh_token"] == live  # a's rotation won, not b's spent token
