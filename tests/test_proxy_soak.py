"""A bounded soak: visitors keep asking while Spotify goes through every fault in turn.

Real time, a real proxy and a real fake Spotify on 127.0.0.1, Spotify rotating refresh tokens.
Faults may make answers stale, never an error once an answer exists; a healthy phase must be
live again within a grace period and stay so, and `/readyz` must end at 200. About 20 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

pytestmark = pytest.mark.soak(seconds=16)

TTL = 0.5
TIMEOUT = 0.5
VISITORS = 4
FAULT_SECONDS = 2.0
# On a machine busy with other tests a healthy call can still time out now and then, making a
# TTL's answers stale; a proxy stuck after a fault makes them all stale.
SETTLED_STALE_SHARE = 0.2
RETRY_AFTER = 1
# A healthy phase is live once the last fault's wait is over: a Retry-After, or a hanging call's
# timeout, then one TTL before the next call, then the call itself; plus a second for a machine
# busy with other tests.
GRACE = RETRY_AFTER + TTL + TIMEOUT + 1.0
# How long a healthy phase is judged once it is live again (its first fresh answer): answers in
# that window must stay fresh. The phase ends then, or at GRACE + SETTLED_SECONDS when it was not
# live within GRACE (which fails).
SETTLED_SECONDS = 1.0
HEALTHY_SECONDS = GRACE + SETTLED_SECONDS  # at most


@dataclass
class Seen:
    phase: str
    at: float  # seconds since the phase began
    status: int
    stale: bool | None
    title: str | None
    body: str


def track_reply(title: str) -> Reply:
    return Reply(200, payloads.currently_playing(payloads.track(title)))


def api_error(status: int, **headers: str) -> Reply:
    return Reply(status, {"error": {"status": status, "message": "fault"}}, headers=headers)


@dataclass
class Now:
    phase: str
    began: float


def fresh(seen: Seen) -> bool:
    """A live answer of a healthy phase: the phase's own track, not stale."""
    return seen.status == 200 and seen.stale is False and seen.title == seen.phase


@dataclass
class Phase:
    name: str
    seconds: float  # a healthy phase ends sooner: SETTLED_SECONDS after it is live again
    reply: Reply
    healthy: bool
    start: Callable[[FakeSpotify], None] | None = None  # e.g. expire the access token


def phases() -> list[Phase]:
    expire = FakeSpotify.expire_access_tokens
    hang = Reply(200, payloads.currently_playing(payloads.track("hang")), delay=30)
    return [
        Phase("normal", HEALTHY_SECONDS, track_reply("normal"), True),
        Phase("5xx", FAULT_SECONDS, api_error(500), False),
        Phase("after-5xx", HEALTHY_SECONDS, track_reply("after-5xx"), True),
        # An ordinary expiry: Spotify answers 401, the proxy refreshes (Spotify rotates the
        # refresh token) and retries at once, so visitors see nothing of it.
        Phase("expiry", HEALTHY_SECONDS, track_reply("expiry"), True, expire),
        Phase("429", FAULT_SECONDS, api_error(429, **{"Retry-After": str(RETRY_AFTER)}), False),
        Phase("after-429", HEALTHY_SECONDS, track_reply("after-429"), True),
        Phase("hang", FAULT_SECONDS, hang, False),
        Phase("after-hang", HEALTHY_SECONDS, track_reply("after-hang"), True),
        Phase("401", FAULT_SECONDS, api_error(401), False),
        Phase("after-401", HEALTHY_SECONDS, track_reply("after-401"), True),
        # Then an ordinary expiry again: a burst of 401s earlier must not stop this refresh.
        Phase("expiry-after-401", HEALTHY_SECONDS, track_reply("expiry-after-401"), True,
              expire),
    ]  # fmt: skip


async def test_the_proxy_stays_live_through_spotifys_faults(
    tmp_path: Path, start_proxy: StartProxy
) -> None:
    async with FakeSpotify(rotate_refresh_tokens=True) as fake:
        settings = fake.settings(
            refresh_token=fake.issue_refresh_token(),
            authorized_at=datetime.now(UTC) - timedelta(days=1),
            token_store=tmp_path / "token.json",
            cache_ttl=TTL,
            upstream_timeout=TIMEOUT,
        )
        plan = phases()
        fake.player = plan[0].reply
        client = await start_proxy(settings)
        seen: list[Seen] = []
        live_at: dict[str, float] = {}  # phase -> when its first fresh answer came
        became_live = asyncio.Event()  # in the current phase
        calls: dict[str, int] = {}
        lasted: dict[str, float] = {}
        current = Now(plan[0].name, time.monotonic())
        stop = asyncio.Event()

        async def visitor() -> None:
            while not stop.is_set():
                response = await client.get("/v1/now-playing")
                text = await response.text()
                data = await response.json() if response.status == 200 else {}
                item = data.get("item") or {}
                answer = Seen(
                    current.phase,
                    time.monotonic() - current.began,
                    response.status,
                    data.get("stale"),
                    item.get("title"),
                    text,
                )
                seen.append(answer)
                if fresh(answer) and answer.phase not in live_at:
                    live_at[answer.phase] = answer.at
                    became_live.set()
                await asyncio.sleep(0.02)

        visitors = [asyncio.create_task(visitor()) for _ in range(VISITORS)]
        try:
            for phase in plan:
                before = fake.api_calls
                fake.player = phase.reply
                if phase.start is not None:
                    phase.start(fake)
                current.phase, current.began = phase.name, time.monotonic()
                became_live.clear()
                if phase.healthy:
                    # Judged for SETTLED_SECONDS once live: no need to wait out the grace.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(became_live.wait(), GRACE)
                    end = live_at.get(phase.name, GRACE) + SETTLED_SECONDS
                    await asyncio.sleep(end - (time.monotonic() - current.began))
                else:
                    await asyncio.sleep(phase.seconds)
                lasted[phase.name] = time.monotonic() - current.began
                calls[phase.name] = fake.api_calls - before
        finally:
            stop.set()
            for task in visitors:
                with contextlib.suppress(Exception):
                    await task
        ready = await client.get("/readyz")
        ready_body = await ready.text()
        known_secrets = fake.secrets_in_play()

    assert seen
    assert seen[0].status == 200
    assert {s.status for s in seen} == {200}, "an error reached a visitor"
    for phase in plan:
        mine = [s for s in seen if s.phase == phase.name]
        # Enough answers to judge the phase (a hanging call makes each visitor wait up to the
        # timeout, so a 2 s hang on a busy machine yields only a dozen or so).
        assert len(mine) >= 8, phase.name
        if phase.healthy:
            live = live_at.get(phase.name)
            assert live is not None, f"{phase.name}: never live again"
            assert live <= GRACE, f"{phase.name}: live again only after {live:.2f} s"
            settled = [s for s in mine if s.at >= live]
            stale = [s for s in settled if s.stale or s.title != phase.name]
            assert len(stale) <= SETTLED_STALE_SHARE * len(settled), (
                f"{phase.name}: {len(stale)} of {len(settled)} answers stale or old, "
                f"first at {stale[0].at:.2f} s: {stale[0].title!r}"
            )
        # One call per TTL (a 401 costs a retry, a hang one call for the whole timeout).
        bound = 2 * (math.ceil(lasted[phase.name] / TTL) + 1)
        assert calls[phase.name] <= bound, (phase.name, calls[phase.name])
    assert ready.status == 200, ready_body
    for body in {s.body for s in seen} | {ready_body}:
        assert not any(secret in body for secret in known_secrets)
