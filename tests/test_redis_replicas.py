"""Several proxy replicas on one real Redis: one grant, one Spotify call per TTL for all.

Real processes (three proxies, redis-server) against the strict accounts service of
tests/fakes/accounts.py, which revokes the whole grant when a spent refresh token comes back.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.spotify.store import StoredToken, write_store
from tests.fakes.accounts import StrictAccounts
from tests.grant_processes import Proxy, clean_env, proxy_process
from tests.redis_server import RedisServer, redis_server

TTL = 0.5
SOAK_SECONDS = 20.0


def owner_store(fake: StrictAccounts, folder: Path) -> tuple[Path, str]:
    store = folder / "config" / "token.json"
    token = fake.issue_grant()
    authorized = datetime.now(UTC) - timedelta(days=1)
    write_store(store, StoredToken(token, fake.client_id, fake.scopes, authorized))
    return store, token


def environment(fake: StrictAccounts, store: Path, server: RedisServer) -> dict[str, str]:
    return clean_env(
        **fake.env(store),
        SPOTIFY_PROXY_CACHE_TTL=str(TTL),
        SPOTIFY_PROXY_UPSTREAM_TIMEOUT="1",
        SPOTIFY_PROXY_REDIS_URL=server.url,
        SPOTIFY_PROXY_REDIS_PREFIX="test:",
    )


def test_three_replicas_make_one_spotify_call_per_ttl_and_never_spend_a_token_twice(
    tmp_path: Path,
) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, first = owner_store(fake, tmp_path)
        env = environment(fake, store, server)
        answers: Counter[tuple[int, object]] = Counter()
        ready: Counter[int] = Counter()
        with (
            proxy_process(env, tmp_path, "a") as a,
            proxy_process(env, tmp_path, "b") as b,
            proxy_process(env, tmp_path, "c") as c,
        ):
            a.get("/v1/now-playing")  # every replica has an answer before the window opens
            b.get("/v1/now-playing")
            c.get("/v1/now-playing")
            turns = itertools.cycle((a, b, c))
            calls_before = fake.api_calls
            opened = time.monotonic()
            deadline = opened + SOAK_SECONDS

            def visitor(proxies: list[Proxy]) -> None:
                for proxy in itertools.cycle(proxies):
                    if time.monotonic() >= deadline:
                        return
                    status, body = proxy.get("/v1/now-playing")
                    answers[status, body.get("stale")] += 1
                    # /readyz needs a working access token: every replica refreshes often.
                    ready[proxy.get("/readyz")[0]] += 1

            with ThreadPoolExecutor(3) as pool:
                futures = [pool.submit(visitor, [next(turns) for _ in range(3)]) for _ in range(3)]
                for future in futures:
                    future.result()
            window = time.monotonic() - opened
            calls = fake.api_calls - calls_before
            logs = a.log_text() + b.log_text() + c.log_text()
        with server.client() as client:
            stored = client.get("test:grant")

    assert calls <= math.ceil(window / TTL) + 1, (calls, window)
    assert calls >= window / TTL / 2, (calls, window)  # and the answers stayed live
    assert fake.reuses == 0 and fake.invalid_grants == 0 and not fake.revoked
    assert fake.refreshes >= 100, fake.refreshes
    live = fake.live_token(first)
    assert stored is not None and live is not None and live.encode() in stored
    assert set(answers) == {(200, False)}, answers
    assert set(ready) == {200}, ready
    assert "invalid_grant" not in logs and "Traceback" not in logs
    assert "seeded it from the token store" in logs
