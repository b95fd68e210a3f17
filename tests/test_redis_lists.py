"""The listening lists shared by several proxy replicas on one real Redis: one Spotify call per
list and TTL for all of them, the same answer from every replica, stale answers while Redis is
away. Real processes (proxies, redis-server) against the fake Spotify of tests/fakes/.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.accounts import StrictAccounts
from tests.grant_processes import Proxy, proxy_processes
from tests.redis_server import RedisServer, redis_server
from tests.test_redis_replicas import environment, owner_store

TOP = "/v1/top/tracks?range=short_term"
RECENT = "/v1/recently-played"
# Where each list's calls land on the fake Spotify.
SPOTIFY_PATHS = {TOP: "/v1/me/top/tracks", RECENT: "/v1/me/player/recently-played"}
TTL = 0.5
# The replicas are visited for at least MIN_WINDOW (6 TTLs) and until some answer of each list
# was served by all three, for at most WINDOW.
MIN_WINDOW = 3.0
WINDOW = 6.0
# Stale lists are read this long after 2 s without visitors, so Redis is back before the
# replicas' third attempt to reach it (after one TTL, two more, four more: 3.5 s after it went
# away) instead of the fourth, 4 s later; the lists turn live again at that attempt.
STALE_READS_SECONDS = 1.0


def get_list(proxy: Proxy, path: str) -> tuple[int, str | None, dict[str, Any]]:
    """Status, ETag and JSON body of one list request."""
    try:
        with urllib.request.urlopen(proxy.url + path, timeout=5) as response:
            return response.status, response.headers.get("ETag"), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("ETag"), json.loads(error.read())


def list_calls(fake: StrictAccounts, path: str, since: int = 0) -> int:
    """Calls the fake Spotify got for the list behind `path` (from request number `since`)."""
    wanted = SPOTIFY_PATHS[path]
    return sum(
        1
        for _, called, query in fake.requests[since:]
        if called == wanted and (path != TOP or "time_range=short_term" in query)
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (Linux' /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def replicas(
    tmp_path: Path, count: int, list_ttl: float, fake: StrictAccounts | None = None
) -> Iterator[tuple[StrictAccounts, RedisServer, list[Proxy]]]:
    """`count` proxy processes on one fresh Redis, the lists' TTLs `list_ttl`."""
    fake = fake or StrictAccounts(access_token_lifetime=3600)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, _ = owner_store(fake, tmp_path)
        env = environment(fake, store, server)
        env |= {"SPOTIFY_PROXY_TOP_TTL": str(list_ttl), "SPOTIFY_PROXY_RECENT_TTL": str(list_ttl)}
        with proxy_processes(env, tmp_path, *"abc"[:count]) as proxies:
            yield fake, server, proxies


@pytest.mark.slow(seconds=6)
def test_three_replicas_share_one_spotify_call_per_list_and_ttl(tmp_path: Path) -> None:
    # (path, fetched_at) -> replicas that served it, and the ETags they served it with.
    served_by: dict[tuple[str, int], set[str]] = defaultdict(set)
    etags: dict[tuple[str, int], set[str | None]] = defaultdict(set)
    outcomes: set[tuple[int, bool]] = set()
    with replicas(tmp_path, 3, TTL) as (fake, _, (a, b, c)):
        names = {a.url: "a", b.url: "b", c.url: "c"}
        for proxy in (a, b, c):
            for path in (TOP, RECENT):
                assert get_list(proxy, path)[0] == 200
        since = len(fake.requests)
        opened = time.monotonic()
        deadline = opened + WINDOW

        def served_everywhere(path: str) -> bool:
            return any(key[0] == path and len(by) == 3 for key, by in list(served_by.items()))

        def visitor(first: int) -> None:
            proxies = itertools.islice(itertools.cycle((a, b, c)), first, None)
            for proxy in proxies:
                now = time.monotonic()
                seen = now >= opened + MIN_WINDOW and all(map(served_everywhere, (TOP, RECENT)))
                if seen or now >= deadline:
                    return
                for path in (TOP, RECENT):
                    status, etag, body = get_list(proxy, path)
                    outcomes.add((status, body.get("stale", True)))
                    served_by[path, body.get("fetched_at", -1)].add(names[proxy.url])
                    etags[path, body.get("fetched_at", -1)].add(etag)

        with ThreadPoolExecutor(3) as pool:
            for future in [pool.submit(visitor, first) for first in range(3)]:
                future.result()
        window = time.monotonic() - opened
        calls = {path: list_calls(fake, path, since) for path in (TOP, RECENT)}
        logs = a.log_text() + b.log_text() + c.log_text()

    assert outcomes == {(200, False)}, outcomes
    for path in (TOP, RECENT):
        assert calls[path] <= math.ceil(window / TTL) + 1, (path, calls, window)
        assert calls[path] >= window / TTL / 2, (path, calls, window)  # and stayed live
        answers = [key for key in served_by if key[0] == path]
        # Every answer served came from one of those calls (or the one before the window) ...
        assert len(answers) <= calls[path] + 1, (path, len(answers), calls)
        # ... and reached the other replicas (most at least two, some all three), each with
        # the same ETag. (How many depends on how fast a busy machine answers within a TTL.)
        shared = [key for key in answers if len(served_by[key]) >= 2]
        everywhere = [key for key in answers if served_by[key] == {"a", "b", "c"}]
        assert len(shared) >= len(answers) / 2, (path, served_by)
        assert everywhere, (path, served_by)
        assert all(len(etags[key]) == 1 for key in answers), etags
    assert "Traceback" not in logs


def test_a_replica_that_never_asked_answers_from_redis_without_calling_spotify(
    tmp_path: Path,
) -> None:
    with replicas(tmp_path, 3, 60) as (fake, server, (a, b, c)):
        first = {path: get_list(a, path) for path in (TOP, RECENT)}
        calls_after_a = {path: list_calls(fake, path) for path in (TOP, RECENT)}
        later = {(p.url, path): get_list(p, path) for p in (b, c) for path in (TOP, RECENT)}
        calls_after_all = {path: list_calls(fake, path) for path in (TOP, RECENT)}
        # Another time range is another list: its first read calls Spotify once.
        medium_before = len(fake.requests)
        assert get_list(b, "/v1/top/tracks?range=medium_term")[0] == 200
        medium = sum(1 for _, _, query in fake.requests[medium_before:] if "medium_term" in query)
        with server.client() as client:
            subscribers = client.execute_command("CLIENT LIST TYPE pubsub").splitlines()
            channels = dict(
                client.pubsub_numsub(
                    "test:answers:now-playing",
                    "test:answers:recently-played",
                    "test:answers:top-tracks:short_term",
                    "test:answers:top-artists:long_term",
                )
            )
            keys = sorted(key.decode() for key in client.keys("test:answer:*"))
        logs = a.log_text() + b.log_text() + c.log_text()

    assert calls_after_a == {TOP: 1, RECENT: 1}
    assert calls_after_all == calls_after_a
    for (_, path), (status, etag, body) in later.items():
        assert status == 200
        assert etag == first[path][1]
        assert body == first[path][2]
    assert medium == 1
    # One subscriber connection per replica, hearing every answer's channel.
    assert len(subscribers) == 3, subscribers
    assert set(channels.values()) == {3}, channels
    assert keys == [
        "test:answer:recently-played",
        "test:answer:top-tracks:medium_term",
        "test:answer:top-tracks:short_term",
    ]
    assert "Traceback" not in logs


@pytest.mark.slow(seconds=6)
def test_lists_stay_stale_while_redis_is_down_and_live_again_when_it_returns(
    tmp_path: Path,
) -> None:
    with replicas(tmp_path, 2, TTL) as (fake, server, (a, b)):
        for proxy in (a, b):
            for path in (TOP, RECENT):
                assert get_list(proxy, path)[0] == 200
        server.stop()
        down_since = len(fake.requests)
        # Nobody asks for 2 s: the replicas must not spin retrying Redis meanwhile. (Every
        # answer is older than one TTL afterwards: one younger than that is still fresh.)
        cpu_before = [cpu_seconds(p.process.pid) for p in (a, b)]
        time.sleep(2)
        idle_cpu = [cpu_seconds(p.process.pid) - t for p, t in zip((a, b), cpu_before, strict=True)]
        down: set[tuple[int, object]] = set()
        until = time.monotonic() + STALE_READS_SECONDS
        while time.monotonic() < until:
            for proxy in (a, b):
                for path in (TOP, RECENT):
                    status, _, body = get_list(proxy, path)
                    down.add((status, body.get("stale")))
            time.sleep(0.05)
        calls_while_down = sum(list_calls(fake, path, down_since) for path in (TOP, RECENT))
        server.start()  # empty: no persistence
        back = time.monotonic()
        while True:
            stale = [get_list(p, path)[2].get("stale") for p in (a, b) for path in (TOP, RECENT)]
            if stale == [False] * 4:
                break
            # Within the back-off (5 s at most) and the grant's write-back hold (5 s).
            assert time.monotonic() - back < 20, a.log_text() + b.log_text()
            time.sleep(0.1)
        logs = a.log_text() + b.log_text()

    assert down == {(200, True)}, down
    assert calls_while_down == 0
    assert max(idle_cpu) < 0.5, idle_cpu
    # Once per replica and outage, not once per list.
    assert logs.count("answers are served as stale until it is back") == 2, logs
    assert "Traceback" not in logs


def test_every_replica_names_the_missing_scope_another_replica_met(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=3600)
    fake.scopes = ("user-read-currently-playing", "user-read-recently-played")
    with replicas(tmp_path, 2, 60, fake) as (_, _, (a, b)):
        fetched = get_list(a, TOP)
        followed = get_list(b, TOP)
        recent = get_list(b, RECENT)

    assert fetched[0] == followed[0] == 503
    assert "user-top-read" in fetched[2]["error"]
    assert followed[2] == fetched[2]
    assert recent[0] == 200
