"""`mkdocs-spotify login` with SPOTIFY_PROXY_REDIS_URL writes the grant the replicas share."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.spotify.store import StoredToken, write_store
from tests.fakes.accounts import StrictAccounts
from tests.fakes.net import free_port
from tests.grant_processes import proxy_process
from tests.login_process import CliProcess, consent, get
from tests.processes import clean_env
from tests.redis_server import redis_server


def test_a_login_reaches_every_replica_through_redis(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        store = tmp_path / "token.json"
        old_day = datetime.now(UTC) - timedelta(days=170)
        old = fake.issue_grant()
        write_store(store, StoredToken(old, fake.client_id, fake.scopes, old_day))
        env = clean_env(
            {
                **fake.env(store),
                "SPOTIFY_PROXY_CACHE_TTL": "0.5",
                "SPOTIFY_PROXY_REDIS_URL": server.url,
            }
        )
        with proxy_process(env, tmp_path, "a") as a:
            old_expiry = a.get("/readyz")[1]["grant_expires_at"]
            login = CliProcess(
                ["login", "--no-browser", "--port", str(free_port()), "--timeout", "30"],
                env,
                tmp_path,
            )
            get(consent(login.wait_for_line(f"{fake.url}/authorize?")))
            assert login.finish() == 0, login.output
            written = time.monotonic()
            while a.get("/readyz")[1]["grant_expires_at"] == old_expiry:
                assert time.monotonic() - written < 5, "the proxy did not switch within 5 s"
                time.sleep(0.1)
            fake.revoke_grant(old)
            status, body = a.get("/v1/now-playing")
        with server.client() as client:
            shared = json.loads(client.get("mkdocs-spotify:grant") or b"null")

    assert "Saved the grant to Redis at redis://127.0.0.1:" in login.stdout
    assert status == 200
    assert body["stale"] is False
    assert shared["authorized_at"] > old_day.isoformat()
    assert shared["refresh_token"] in fake.refresh_tokens
    assert fake.reuses == 0
