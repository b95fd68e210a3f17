"""Several proxy replicas on one real Redis: one grant, one Spotify call per TTL for all.

Real processes (three proxies, redis-server) against the strict accounts service of
tests/fakes/accounts.py, which revokes the whole grant when a spent refresh token comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from proxy.spotify.store import StoredToken, write_store
from tests.fakes import payloads
from tests.fakes.accounts import StrictAccounts
from tests.fakes.spotify import Reply
from tests.fakes.sse import EventReader
from tests.grant_processes import Proxy, get_json, proxy_processes
from tests.processes import clean_env
from tests.redis_server import RedisServer, redis_server

TTL = 0.5
# The soak runs until the replicas made REFRESHES refreshes (at least MIN_SOAK_SECONDS, at
# most SOAK_SECONDS): a count of refreshes, not a time, is what the test is about, and a busy
# machine makes fewer per second. The visitors ask all replicas at once, so refreshes meet at
# the lease: with the lease not exclusive (SET without NX) a token was spent twice in the first
# round in each of 8 runs (visitors asking at random moments met there after 5 to 58 refreshes).
REFRESHES = 30
MIN_SOAK_SECONDS = 5.0
SOAK_SECONDS = 40.0
# A visitor waits this long for the others to finish their round.
ROUND_PATIENCE = 30.0


def owner_store(fake: StrictAccounts, folder: Path) -> tuple[Path, str]:
    store = folder / "config" / "token.json"
    token = fake.issue_grant()
    authorized = datetime.now(UTC) - timedelta(days=1)
    write_store(store, StoredToken(token, fake.client_id, fake.scopes, authorized))
    return store, token


def environment(fake: StrictAccounts, store: Path, server: RedisServer) -> dict[str, str]:
    return clean_env(
        {
            **fake.env(store),
            "SPOTIFY_PROXY_CACHE_TTL": str(TTL),
            "SPOTIFY_PROXY_UPSTREAM_TIMEOUT": "1",
            "SPOTIFY_PROXY_REDIS_URL": server.url,
            "SPOTIFY_PROXY_REDIS_PREFIX": "test:",
        }
    )


@pytest.mark.slow(seconds=8)
def test_three_replicas_make_one_spotify_call_per_ttl_and_never_spend_a_token_twice(
    tmp_path: Path,
) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, first = owner_store(fake, tmp_path)
        env = environment(fake, store, server)
        answers: Counter[tuple[int, object]] = Counter()
        ready: Counter[int] = Counter()
        with proxy_processes(env, tmp_path, "a", "b", "c") as (a, b, c):
            a.get("/v1/now-playing")  # every replica has an answer before the window opens
            b.get("/v1/now-playing")
            c.get("/v1/now-playing")
            replicas = (a, b, c)
            calls_before = fake.api_calls
            opened = time.monotonic()
            deadline = opened + SOAK_SECONDS
            enough = threading.Event()

            def end_of_round() -> None:
                now = time.monotonic()
                counted = fake.refreshes >= REFRESHES and now >= opened + MIN_SOAK_SECONDS
                if counted or now >= deadline or fake.reuses or fake.invalid_grants:
                    enough.set()

            # Each round the three visitors ask the three replicas at once, each a different
            # one: replicas whose access tokens expired refresh at the same moment.
            rounds = threading.Barrier(len(replicas), action=end_of_round)

            def visitor(first: int) -> None:
                try:
                    for turn in itertools.count(first):
                        rounds.wait(ROUND_PATIENCE)
                        if enough.is_set():
                            return
                        proxy = replicas[turn % len(replicas)]
                        status, body = proxy.get("/v1/now-playing")
                        answers[status, body.get("stale")] += 1
                        # /readyz needs a working access token: every replica refreshes often.
                        ready[proxy.get("/readyz")[0]] += 1
                except BaseException:
                    rounds.abort()  # the other visitors stop instead of waiting for this one
                    raise

            with ThreadPoolExecutor(len(replicas)) as pool:
                futures = [pool.submit(visitor, first) for first in range(len(replicas))]
            failures = [future.exception() for future in futures]
            for failure in failures:  # the visitor that broke the rounds, not those it stopped
                if failure is not None and not isinstance(failure, threading.BrokenBarrierError):
                    raise failure
            assert failures == [None] * len(replicas), failures
            window = time.monotonic() - opened
            calls = fake.api_calls - calls_before
            logs = a.log_text() + b.log_text() + c.log_text()
        with server.client() as client:
            stored = client.get("test:grant")

    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert not fake.revoked
    assert fake.refreshes >= REFRESHES, (fake.refreshes, window)
    assert calls <= math.ceil(window / TTL) + 1, (calls, window)
    assert calls >= window / TTL / 2, (calls, window)  # and the answers stayed live
    live = fake.live_token(first)
    assert stored is not None
    assert live is not None
    assert live.encode() in stored
    assert {status for status, _ in answers} == {200}, answers
    # A visitor waits at most STALE_PATIENCE (1 s) for a call in flight before getting the last
    # answer as stale: on a busy machine a refresh and a call may now and then take that long.
    assert answers[200, False] >= 0.98 * answers.total(), answers
    assert set(ready) == {200}, ready
    assert "invalid_grant" not in logs
    assert "Traceback" not in logs
    assert "seeded it from the token store" in logs


class BlackHole:
    """An accounts service that accepts connections and never answers (unreachable for one
    replica): its refresh hangs while it holds the lease."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.server.accept()
                self.held.append(connection)
                self.connected.set()

    def close(self) -> None:
        for connection in self.held:
            connection.close()
        self.server.close()


@pytest.mark.slow(seconds=5)
def test_sigkill_of_the_replica_holding_the_refresh_lease_lets_another_take_over(
    tmp_path: Path,
) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    hole = BlackHole()
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, first = owner_store(fake, tmp_path)
        env = environment(fake, store, server)  # a lease: twice the upstream timeout (1 s) + 1 s
        doomed = {"a": {"SPOTIFY_ACCOUNTS_URL": hole.url}}
        with proxy_processes(env, tmp_path, "b", "a", overrides=doomed) as (b, a):
            assert b.get("/readyz")[0] == 200
            threading.Thread(target=_ignore_errors, args=(a, "/readyz"), daemon=True).start()
            assert hole.connected.wait(10), "the doomed replica never asked for a token"
            # At once (within milliseconds on a busy machine): after the upstream timeout its
            # token request would give up, and the lease with it.
            a.process.kill()
            a.process.wait(10)
            with server.client() as client:
                assert client.get("test:lease:refresh") is not None  # it held the lease
                left = client.pttl("test:lease:refresh") / 1000
            killed = time.monotonic()
            calls_at_kill = fake.token_calls
            first_call_after = None
            while time.monotonic() - killed < left + 5:
                # /readyz waits for the lease (up to one lease), longer than urllib's default.
                status, _ = get_json(b.url + "/readyz", timeout=15)
                if first_call_after is None and fake.token_calls > calls_at_kill:
                    first_call_after = time.monotonic() - killed
                if status == 200 and first_call_after is not None:
                    break
                time.sleep(0.05)
            assert b.get("/v1/now-playing")[0] == 200
            logs = b.log_text()
        with server.client() as client:
            stored = client.get("test:grant")
    hole.close()

    assert first_call_after is not None, "no replica refreshed after the kill"
    assert status == 200
    assert first_call_after >= left - 0.3, (first_call_after, left)  # not while leased
    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert not fake.revoked
    live = fake.live_token(first)
    assert stored is not None
    assert live is not None
    assert live.encode() in stored
    assert "Traceback" not in logs


def _ignore_errors(proxy: Proxy, path: str) -> None:
    with contextlib.suppress(OSError):
        proxy.get(path)


# Redis stays down this long after the answers' last TTL: with the TTL before it, longer than
# one look at the grant by each replica (tokens.STORE_CHECK_INTERVAL, 2 s) and than two of the
# answers' attempts to reach Redis again (after one TTL, then two).
OUTAGE_SECONDS = 2.0
# Once Redis is back, Spotify calls are counted over this many seconds (4 TTLs): two replicas
# each calling every TTL (no fetch lease, pub/sub answers not followed) made 8, over the bound.
SETTLED_SECONDS = 2.0


@pytest.mark.slow(seconds=13)
def test_redis_restarted_empty_keeps_answers_flowing_and_gets_the_grant_back(
    tmp_path: Path,
) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, first = owner_store(fake, tmp_path)
        env = environment(fake, store, server)
        with proxy_processes(env, tmp_path, "a", "b") as (a, b):
            for proxy in (a, b):
                assert proxy.get("/v1/now-playing")[0] == 200
            server.stop()
            time.sleep(TTL)  # an answer younger than one TTL is still fresh
            down: Counter[tuple[int, object]] = Counter()
            until = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < until:
                for proxy in (a, b):
                    status, body = proxy.get("/v1/now-playing")
                    down[status, body.get("stale")] += 1
                time.sleep(0.05)
            ready_status, ready = a.get("/readyz")
            server.start()  # empty: no persistence
            back = time.monotonic()
            with server.client() as client:
                while client.get("test:grant") is None:
                    assert time.monotonic() - back < 20, "the grant was not written back"
                    time.sleep(0.1)
            while a.get("/v1/now-playing")[1]["stale"] or b.get("/v1/now-playing")[1]["stale"]:
                # Within the back-off (5 s at most) and the write-back hold of the lease (5 s).
                assert time.monotonic() - back < 20, a.log_text() + b.log_text()
                time.sleep(0.1)
            calls_before = fake.api_calls
            opened = time.monotonic()
            while time.monotonic() - opened < SETTLED_SECONDS:
                for proxy in (a, b):
                    assert proxy.get("/v1/now-playing")[0] == 200
            window = time.monotonic() - opened
            calls = fake.api_calls - calls_before
            logs = a.log_text() + b.log_text()
        with server.client() as client:
            stored = client.get("test:grant")

    assert set(down) == {(200, True)}, down
    assert ready_status == 503
    assert "Redis at redis://127.0.0.1" in ready["reason"]
    assert calls <= math.ceil(window / TTL) + 1, (calls, window)
    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert not fake.revoked
    live = fake.live_token(first)
    assert stored is not None
    assert live is not None
    assert live.encode() in stored
    assert "wrote back the one this proxy holds" in logs
    assert "Traceback" not in logs


async def _first_two_events(url: str, within: float, listening: threading.Event) -> tuple[Any, Any]:
    """The stream's first two events; `listening` is set once the first one arrived."""
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/v1/now-playing/stream") as response:
            reader = EventReader(response)
            first = (await reader.next()).json()
            listening.set()
            second = (await reader.next(within)).json()
            return first, second


def test_a_stream_on_one_replica_hears_a_track_change_another_fetched(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=3600)
    fake.player = Reply(200, payloads.currently_playing(payloads.track("Before")))
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, _ = owner_store(fake, tmp_path)
        env = {**environment(fake, store, server), "SPOTIFY_PROXY_CACHE_TTL": "1"}
        with proxy_processes(env, tmp_path, "a", "b") as (a, b):
            assert b.get("/v1/now-playing")[0] == 200
            listening = threading.Event()  # the stream on a has its first answer
            heard = threading.Event()  # and its second

            def change_and_poll_b() -> float:
                # The track changes only once the stream has its first answer, so the next event
                # can only be the change; b polls (and fetches it once b's answer is a TTL old)
                # until a's stream has it.
                assert listening.wait(10), "the stream on a sent no first event"
                fake.player = Reply(200, payloads.currently_playing(payloads.track("After")))
                at = time.monotonic()
                while not heard.is_set() and time.monotonic() - at < 3:
                    b.get("/v1/now-playing")
                    time.sleep(0.05)
                return at

            with ThreadPoolExecutor(1) as pool:
                poller = pool.submit(change_and_poll_b)
                try:
                    first, second = asyncio.run(_first_two_events(a.url, 5, listening))
                finally:
                    heard_at = time.monotonic()
                    heard.set()
                changed_at = poller.result()
            a_log = a.log_text()

    assert first["item"]["title"] == "Before"
    assert second["item"]["title"] == "After"
    assert heard_at - changed_at <= 1 + 1, heard_at - changed_at
    assert "Traceback" not in a_log


def test_replicas_share_one_access_token(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=3600)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, _ = owner_store(fake, tmp_path)
        env = environment(fake, store, server)
        with proxy_processes(env, tmp_path, "a", "b", "c") as (a, b, c):
            statuses = [proxy.get("/readyz")[0] for proxy in (a, b, c)]
            fake.expire_access_tokens()  # Spotify refuses it (401): one new token for all
            a.get("/v1/now-playing")
            time.sleep(TTL)
            b.get("/v1/now-playing")
            statuses += [proxy.get("/readyz")[0] for proxy in (a, b, c)]

    assert statuses == [200] * 6
    assert fake.refreshes == 2, fake.refreshes
