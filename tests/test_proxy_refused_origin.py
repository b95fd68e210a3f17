"""A refused CORS origin is said in the proxy's log, once per origin per hour."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.web.origins import refusal
from tests.conftest import StartProxy

BLOG = "https://blog.example.org"


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused")]


async def test_a_refused_origin_is_logged_once_an_hour(
    owner_settings: Settings, start_proxy: StartProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "proxy")
    clock = ManualClock()
    client = await start_proxy(replace(owner_settings, allowed_origins=(BLOG,)), clock)

    for _ in range(3):
        await client.get("/v1/now-playing", headers={"Origin": "https://other.example.org"})
    await client.get("/v1/now-playing", headers={"Origin": BLOG})
    await client.get("/healthz")  # same-origin or a tool: no Origin, nothing to say

    assert refusals(caplog) == [
        "Refused the browser origin https://other.example.org: it is not in "
        "SPOTIFY_PROXY_ALLOWED_ORIGINS; add it there if the blog is served from it."
    ]
    clock.advance(3601)
    await client.get("/readyz", headers={"Origin": "https://other.example.org"})
    assert len(refusals(caplog)) == 2


def test_localhost_and_127_0_0_1_are_named_as_different_origins() -> None:
    line = refusal("http://localhost:8000", ("http://127.0.0.1:8000",))
    assert "http://127.0.0.1:8000 is listed, but to a browser localhost, 127.0.0.1" in line
    assert "is listed" not in refusal("http://localhost:8000", ("http://127.0.0.1:9000",))


def test_a_hostile_origin_is_escaped_and_cut_short() -> None:
    line = refusal("https://x.test\n" + "a" * 500, ())
    assert "\n" not in line
    assert "a" * 200 not in line
