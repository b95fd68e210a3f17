"""Redis mode in the benchmark: one replica's warm-cache throughput against the embedded mode
(same run, same fake Spotify), and Spotify calls per 10,000 requests spread over three replicas
(now playing, and a listening list).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bench.load import Load, server, wrk
from proxy.web.app import create_app
from tests.fakes.spotify import FakeSpotify
from tests.redis_server import redis_server

MODES = ("spotify", "redis")
LABELS = {"spotify": "embedded (memory, token store file)", "redis": "Redis mode, one replica"}
REPLICA_TTL = 0.5  # short, so 10,000 requests as fast as they go span many TTLs
REPLICAS = 3
NOW_PLAYING = "/v1/now-playing"
TOP_TRACKS = "/v1/top/tracks?range=short_term"


@dataclass(frozen=True)
class RedisThroughput:
    runs: dict[str, list[Load]]
    ratios: list[float]  # redis / embedded requests/s, per round

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def median(self, mode: str) -> Load:
        runs = sorted(self.runs[mode], key=lambda run: run.requests_per_s)
        return runs[len(runs) // 2]


@dataclass(frozen=True)
class SpreadCalls:
    path: str
    processes: int
    requests: int
    api_calls: int
    seconds: float

    @property
    def bound(self) -> int:
        return math.ceil(self.seconds / REPLICA_TTL) + 1


def measure_redis_mode(rounds: int, warm_up: int, seconds: int) -> RedisThroughput:
    """Rounds of one run per mode, the order alternating, against a real redis-server."""
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp) / "redis") as redis:
        body = Path(tmp) / "unused"
        runs: dict[str, list[Load]] = {mode: [] for mode in MODES}
        ratios = []
        for round_ in range(rounds):
            got = {}
            for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
                with server(mode, body, "/v1/now-playing", redis.url) as running:
                    wrk(running, warm_up)
                    got[mode] = wrk(running, seconds)
                runs[mode].append(got[mode])
            ratios.append(got["redis"].requests_per_s / got["spotify"].requests_per_s)
        return RedisThroughput(runs, ratios)


async def spread_calls(
    requests: int, processes: int, redis_url: str | None, path: str = NOW_PLAYING
) -> SpreadCalls:
    """`requests` for `path` round-robin over `processes` proxy apps (sharing Redis when a URL
    is given), every answer's TTL `REPLICA_TTL`."""
    async with FakeSpotify() as fake:
        seed = fake.issue_refresh_token()
        prefix = f"bench-{time.monotonic_ns()}:"  # a fresh grant and answer for each run
        with tempfile.TemporaryDirectory() as tmp:
            apps = [
                create_app(
                    fake.settings(
                        refresh_token=seed,
                        cache_ttl=REPLICA_TTL,
                        recent_ttl=REPLICA_TTL,
                        top_ttl=REPLICA_TTL,
                        token_store=Path(tmp) / f"token-{number}.json",
                        redis_url=redis_url,
                        redis_prefix=prefix,
                    )
                )
                for number in range(processes)
            ]
            started = [TestClient(TestServer(app)) for app in apps]
            for client in started:
                await client.start_server()
            try:
                calls_before = fake.api_calls
                opened = time.monotonic()
                for number in range(requests):
                    response = await started[number % processes].get(path)
                    await response.read()
                    assert response.status == 200
                seconds = time.monotonic() - opened
                calls = fake.api_calls - calls_before
            finally:
                for client in started:
                    await client.close()
        return SpreadCalls(path, processes, requests, calls, seconds)


def table(load: RedisThroughput, goal: float, spread: list[SpreadCalls]) -> str:
    verdict = "meets" if load.ratio >= goal else "misses"
    rounds = ", ".join(f"{r:.2f}" for r in load.ratios)
    rows = []
    for mode in MODES:
        run = load.median(mode)
        rows.append(
            f"| {LABELS[mode]} | {run.requests_per_s:,.0f} | {run.p50_ms:.2f} ms | "
            f"{run.p99_ms:.2f} ms |"
        )
    calls = [
        f"| `{s.path}` "
        f"| {'one process, embedded' if s.processes == 1 else f'{s.processes} replicas on Redis'} "
        f"| {s.requests:,} | {s.seconds:.1f} s | {s.api_calls} | {s.bound} |"
        for s in spread
    ]
    return "\n".join(
        [
            "Redis mode (`SPOTIFY_PROXY_REDIS_URL`), warm cache against a fake Spotify, same "
            "wrk settings, median of the runs:",
            "",
            "| mode | requests/s | p50 latency | p99 latency |",
            "|---|---:|---:|---:|",
            *rows,
            f"| **ratio Redis / embedded** | **{load.ratio:.2f}** ({verdict} the goal of "
            f"{goal}) | | |",
            "",
            f"Ratio in each round: {rounds}.",
            "",
            f"Spotify calls for requests spread round-robin over the processes as fast as they "
            f"go (cache TTL {REPLICA_TTL} s; the bound is ceil(D / TTL) + 1 for the window D):",
            "",
            "| answer | processes | requests | window D | Spotify API calls | bound |",
            "|---|---|---:|---:|---:|---:|",
            *calls,
        ]
    )
