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
from tests.fakes.browser import chromium
from tests.fakes.spotify import FakeSpotify
from tests.widget_pages import Tab, WidgetServer, open_tab

ProxyClient = TestClient[web.Request, web.Application]
StartProxy = Callable[..., Awaitable[ProxyClient]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Real Chromium, one per test module (its sync API stays out of the async tests)."""
    with chromium() as launched:
        yield launched


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests (and the soak) first: on parallel workers (`make test`), a long test
    handed out last would run alone at the end while the other workers wait."""
    items.sort(
        key=lambda item: not (item.get_closest_marker("slow") or item.get_closest_marker("soak"))
    )
