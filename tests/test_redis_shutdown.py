"""A proxy that stops in Redis mode closes every connection it opened at Redis: the shared
answers' client and the grant store's two (a real redis-server, the app run in process)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp import web

from proxy.settings import load_settings
from proxy.spotify.redis_seed import reach_and_seed
from proxy.spotify.redis_store import RedisGrantStore
from proxy.spotify.store import read_store
from proxy.web.app import create_app
from tests.fakes.accounts import StrictAccounts
from tests.fakes.net import free_port
from tests.redis_server import RedisServer, redis_server
from tests.test_redis_replicas import environment, owner_store


def other_connections(server: RedisServer) -> int:
    """Clients connected to Redis, not counting the one asking."""
    with server.client() as client:
        return len(client.client_list()) - 1


async def test_a_stopped_proxy_leaves_no_connection_open_at_redis(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store, _ = owner_store(fake, tmp_path)
        settings = load_settings(environment(fake, store, server))
        seeding = RedisGrantStore(settings)
        reach_and_seed(seeding, settings.client_id, read_store(store))
        seeding.sync.close()
        assert other_connections(server) == 0

        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/v1/now-playing") as now_playing,
                session.get(f"http://127.0.0.1:{port}/readyz") as ready,
            ):
                assert now_playing.status == 200
                assert ready.status == 200
            assert other_connections(server) >= 3  # answers, feed, grant store (sync, async)
        finally:
            await runner.cleanup()
        assert other_connections(server) == 0
