"""No secret or token in any response or log line, through refreshes, rotation and failures."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from proxy.clock import ManualClock
from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply
from tests.fakes.sse import EventReader


async def test_responses_and_logs_never_carry_a_secret(
    store_path: Path,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    secrets: set[str] = set()
    async with FakeSpotify(rotate_refresh_tokens=True, access_token_lifetime=120) as fake:
        settings = fake.settings(
            refresh_token=fake.issue_refresh_token(),
            token_store=store_path,
            allowed_origins=("https://blog.example.com",),
            upstream_timeout=0.5,
        )
        client = await start_proxy(settings, clock)

        async def visit() -> None:
            for path in ("/v1/now-playing", "/readyz", "/healthz", "/nope"):
                for method in ("GET", "OPTIONS", "POST"):
                    response = await client.request(
                        method, path, headers={"Origin": "https://blog.example.com"}
                    )
                    seen.append(str(response.status))
                    seen.append(str(dict(response.headers)))
                    seen.append(await response.text())
            stream = await client.get(
                "/v1/now-playing/stream", headers={"Origin": "https://blog.example.com"}
            )
            seen.append(str(dict(stream.headers)))
            if stream.status == 200:  # the snapshot; the stream itself never ends
                seen.append((await EventReader(stream).next()).data)
            else:
                seen.append(await stream.text())
            stream.close()
            secrets.update(fake.secrets_in_play())

        scenes = [
            Reply(200, payloads.currently_playing(payloads.track())),
            Reply(200, payloads.currently_playing(payloads.episode())),
            Reply(500, {"error": {"status": 500, "message": "oops"}}),
            Reply(200, raw=b"{bad"),
            Reply(429, {"error": {"status": 429, "message": "slow"}}, {"Retry-After": "1"}),
            Reply(403, {"error": {"status": 403, "message": "no"}}),
            Reply(200, payloads.currently_playing(payloads.track()), delay=1.0),
            Reply(204),
        ]
        for scene in scenes:
            fake.player = scene
            clock.advance(settings.cache_ttl)
            await visit()
        fake.expire_access_tokens()  # 401 -> refresh -> rotation
        clock.advance(200)
        fake.player = Reply(200, payloads.currently_playing(payloads.track()))
        await visit()
        fake.revoke_all()  # invalid_grant
        clock.advance(200)
        await visit()

        assert len(secrets) >= 6  # client secret, refresh tokens, access tokens
        assert fake.token_calls >= 3
        everything = "\n".join(seen) + "\n" + caplog.text
        everything += "\n".join(str(r.args) for r in caplog.records)
        for secret in secrets:
            assert secret not in everything
