"""Shared fixtures: fake Spotify, a manual clock, proxies on 127.0.0.1, and Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.sync_api import Browser

from proxy.clock import Clock, ManualClock
from proxy.settings import Settings
from proxy.web.app import create_app
from tests.fakes.browser import SharedChromium
from tests.fakes.spotify import FakeSpotify
from tests.scheduling import spread
from tests.widget_pages import Tab, WidgetServer, open_tab

ProxyClient = TestClient[web.Request, web.Application]
StartProxy = Callable[..., Awaitable[ProxyClient]]


CHROMIUM = pytest.StashKey[SharedChromium]()


@pytest.fixture(scope="session")
def chromium_launcher(pytestconfig: pytest.Config) -> SharedChromium:
    """The test process's one Chromium (see SharedChromium): module fixtures ask it directly."""
    return pytestconfig.stash[CHROMIUM]


@pytest.fixture
def browser(chromium_launcher: SharedChromium) -> Browser:
    """Real Chromium, launched again if a test without it ran since (see SharedChromium)."""
    return chromium_launcher.browser()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A fresh browser context and page (see `open_tab`), closed after the test."""
    opened = open_tab(browser)
    yield opened
    opened.page.context.close()


@pytest.fixture
def server() -> Iterator[WidgetServer]:
    """The widget's test page with its assets and a JSON endpoint the test steers."""
    with WidgetServer().running() as running:
        yield running


@pytest.fixture
async def fake_spotify() -> AsyncIterator[FakeSpotify]:
    async with FakeSpotify() as fake:
        yield fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "token.json"


@pytest.fixture
def owner_settings(fake_spotify: FakeSpotify, store_path: Path) -> Settings:
    """The owner's proxy: the fake's app credentials and a fresh seed refresh token."""
    return fake_spotify.settings(
        refresh_token=fake_spotify.issue_refresh_token(),
        authorized_at=datetime(2026, 6, 1, tzinfo=UTC),
        token_store=store_path,
        upstream_timeout=1.0,
    )


class RunAppTestServer(TestServer):
    """A TestServer that, like `web.run_app`, does not cancel a handler when its client hangs
    up (aiohttp's test server does by default): the live stream must notice it by itself."""

    async def _make_runner(self, **kwargs: Any) -> web.BaseRunner:
        return await super()._make_runner(**{**kwargs, "handler_cancellation": False})


@pytest.fixture
async def start_proxy() -> AsyncIterator[StartProxy]:
    """`await start_proxy(settings, clock=...)` -> an aiohttp TestClient on a real socket."""
    clients: list[ProxyClient] = []

    async def start(settings: Settings, clock: Clock | None = None) -> ProxyClient:
        client = TestClient(RunAppTestServer(create_app(settings, clock=clock), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[CHROMIUM] = SharedChromium()


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[CHROMIUM].stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test that does not use Chromium (and its fixtures), stop it: the test may run an
    event loop, which Playwright's sync API does not allow beside its own."""
    if not uses_browser(item):
        item.config.stash[CHROMIUM].stop()


# What the `slow` marker stands for when it does not say (`@pytest.mark.slow(seconds=20)`).
SLOW_SECONDS = 5.0
SOAK_SECONDS = 30.0


def seconds(item: pytest.Item) -> float:
    """About how long a test runs: 0 for a quick one."""
    for name, default in (("soak", SOAK_SECONDS), ("slow", SLOW_SECONDS)):
        marker = item.get_closest_marker(name)
        if marker is not None:
            return float(marker.kwargs.get("seconds", default))
    return 0.0


def uses_browser(item: pytest.Item) -> bool:
    return "chromium_launcher" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests for the parallel workers of `make test` (see tests/scheduling.py)."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    items[:] = spread(items, workers, seconds, uses_browser)
