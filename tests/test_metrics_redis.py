"""`mkdocs_spotify_redis_errors_total` on a real proxy process with a real redis-server: present
at 0 while Redis answers, rising for the grant and the answers while it is stopped, still again
once it is back (and the answers fresh); and each failed command counted once where it is caught
(the grant store; the pub/sub feed, however many caches one failure stales)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from proxy.answers.encoding import render_json
from proxy.answers.redis_link import RedisLink
from proxy.answers.shared import SharedAnswerCache
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.errors import SharedStateDown
from proxy.spotify.redis_store import REDIS_ERRORS, RedisGrantStore
from tests.fakes.accounts import StrictAccounts
from tests.fakes.net import free_port
from tests.grant_processes import Proxy, proxy_process
from tests.redis_server import RedisServer, feeding, redis_server
from tests.test_redis_replicas import environment, owner_store

PASSWORD = "redis-password-never-scraped"
# Seconds Redis may stay down before both parts counted an error: the grant store looks every
# 2 s (tokens.STORE_CHECK_INTERVAL), the answers fail at their first read after one TTL.
OUTAGE_DEADLINE = 10.0


def scrape(port: int) -> tuple[str, dict[tuple[str, str], float]]:
    """The exposition text, and the samples we follow by (name, the label that matters)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text: str = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "mkdocs_spotify_redis_errors_total":
                samples[sample.name, sample.labels["part"]] = sample.value
            elif sample.name == "mkdocs_spotify_answers_total":
                key = f"{sample.labels['endpoint']} {sample.labels['freshness']}"
                samples[sample.name, key] = sample.value
    return text, samples


def errors(samples: dict[tuple[str, str], float], part: str) -> float:
    return samples["mkdocs_spotify_redis_errors_total", part]


def answers(samples: dict[tuple[str, str], float], freshness: str) -> float:
    return samples.get(("mkdocs_spotify_answers_total", f"now-playing {freshness}"), 0.0)


def grant_looks(server: RedisServer) -> int:
    """The grant store's looks at Redis so far (each asks whether the grant EXISTS)."""
    with server.client() as client:
        stats = client.info("commandstats")
    return int(stats.get("cmdstat_exists", {}).get("calls", 0))


def visit(proxy: Proxy, seen: Counter[str]) -> str:
    status, body = proxy.get("/v1/now-playing")
    freshness = "503" if status == 503 else ("stale" if body["stale"] else "fresh")
    seen[freshness] += 1
    return freshness


@pytest.mark.slow(seconds=6)
def test_redis_errors_rise_while_redis_is_down_and_stop_when_it_is_back(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=3600)
    metrics_port = free_port()
    with fake.running(), redis_server(tmp_path / "redis", password=PASSWORD) as server:
        store, refresh_token = owner_store(fake, tmp_path)
        env = {
            **environment(fake, store, server),
            "SPOTIFY_PROXY_METRICS": f"127.0.0.1:{metrics_port}",
        }
        seen: Counter[str] = Counter()
        with proxy_process(env, tmp_path) as proxy:
            assert visit(proxy, seen) == "fresh"
            _, up = scrape(metrics_port)

            server.stop()
            stopped = time.monotonic()
            while True:  # until the grant store's look (every 2 s) and the answers have failed
                visit(proxy, seen)
                text_down, down = scrape(metrics_port)
                if errors(down, "grant") and errors(down, "answers") and seen["stale"]:
                    break
                assert time.monotonic() - stopped < OUTAGE_DEADLINE, down
                time.sleep(0.1)
            seen_down = Counter(seen)

            server.start()  # empty: the grant is written back
            restarted = time.monotonic()
            while visit(proxy, seen) != "fresh":
                assert time.monotonic() - restarted < 20, proxy.log_text()
                time.sleep(0.1)
            back_after = time.monotonic() - restarted
            _, back = scrape(metrics_port)
            calm = time.monotonic()
            looks, calls = grant_looks(server), fake.api_calls
            # Until the grant store looked at Redis once more and the answers were fetched again.
            while grant_looks(server) == looks or fake.api_calls == calls:
                visit(proxy, seen)  # fresh, unless Spotify (not Redis) is slow on a busy machine
                assert time.monotonic() - calm < OUTAGE_DEADLINE, proxy.log_text()
                time.sleep(0.1)
            _, later = scrape(metrics_port)
            logs = proxy.log_text()

    # Present at 0 while Redis answers.
    assert (errors(up, "grant"), errors(up, "answers")) == (0, 0)
    assert answers(up, "fresh") == 1
    # Stopped: the store watch (every 2 s) and the answers' lease and pub/sub fail and count.
    assert errors(down, "grant") >= 1, down
    assert errors(down, "answers") >= 1, down
    assert seen_down["stale"] > 0
    assert answers(down, "stale") == seen_down["stale"]
    assert answers(down, "fresh") == seen_down["fresh"]
    # Back: fresh answers again within the back-off, and no new errors while Redis answers.
    assert back_after < 20
    assert errors(later, "grant") == errors(back, "grant")
    assert errors(later, "answers") == errors(back, "answers")
    assert answers(later, "fresh") == seen["fresh"]
    assert answers(later, "stale") == seen["stale"]
    assert PASSWORD not in text_down
    assert refresh_token not in text_down
    assert PASSWORD not in logs
    print(  # the figures for the record (pytest -s)
        f"\nredis errors while down {errors(down, 'grant'):.0f} "
        f"grant, {errors(down, 'answers'):.0f} answers; after restart "
        f"{errors(later, 'grant'):.0f} grant, {errors(later, 'answers'):.0f} answers; "
        f"answers {dict(seen)}; fresh again {back_after:.2f} s after restart"
    )


async def test_each_failed_redis_command_of_the_grant_store_counts_once(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as server:
        settings = Settings(client_id="app", redis_url=server.url, token_store=tmp_path / "t.json")
        store = RedisGrantStore(settings)
        assert store.check() is None  # reached: nothing to count
        await store.share_access("access", 60)
        assert await store.shared_access() is not None
        assert store.version() is not None
        assert store.redis_errors == 0
        server.stop()

        with pytest.raises(SharedStateDown):
            await asyncio.to_thread(store.load)
        assert store.redis_errors == 1
        await asyncio.to_thread(store.version)  # the last version seen, and one error
        assert store.redis_errors == 2
        assert await store.shared_access() is None
        assert store.redis_errors == 3
        await store.share_access("access", 60)
        assert store.redis_errors == 4
        with pytest.raises(SharedStateDown):
            async with store.locked(patience=1):
                pass
        assert store.redis_errors == 5
        with contextlib.suppress(*REDIS_ERRORS):
            await store.aio.aclose()
        store.sync.close()


async def test_one_failed_subscription_counts_once_however_many_caches_it_stales(
    tmp_path: Path,
) -> None:
    with redis_server(tmp_path / "redis") as server:
        link = RedisLink(server.url, "test:")
        caches = [
            SharedAnswerCache(
                _never_called,
                render_json,
                ttl=60.0,
                wait_timeout=1.0,
                clock=Clock(),
                link=link,
                name=name,
            )
            for name in ("now-playing", "recently-played", "top-tracks:short_term")
        ]
        server.stop()
        async with feeding(link, caches):
            for _ in range(100):  # the first attempt fails at once; the next is 60 s away
                if link.errors:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
    assert link.errors == 1
    assert all(isinstance(cache.failure, SharedStateDown) for cache in caches)


async def _never_called() -> dict[str, object]:
    raise AssertionError("no Spotify call in this test")
