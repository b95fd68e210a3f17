"""The lists in built sites: mkdocs, readthedocs and Material (dark palette, instant navigation)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.list_pages import ListServer, artist, played, track
from tests.sites import build_site
from tests.widget_pages import open_themed

pytestmark = pytest.mark.browser

PAGES = {
    "index.md": "# Home\n\n[What I listen to](listening.md)\n",
    "listening.md": "# What I listen to\n\n"
    '<spotify-top-tracks limit="2"></spotify-top-tracks>\n\n'
    '<spotify-recently-played limit="1"></spotify-recently-played>\n\n'
    '<spotify-top-artists range="long_term" limit="1"></spotify-top-artists>\n',
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ListServer]:
    answers = {
        "top/tracks": {"range": "short_term", "items": [track("One"), track("Two")]},
        "recently-played": {"items": [played("Lately", 1_780_000_000_000)]},
        "top/artists": {"range": "long_term", "items": [artist("Band")]},
    }
    (tmp_path / "site").mkdir()
    with ListServer(answers=answers, static_dir=tmp_path / "site").running() as running:
        yield running


def build(root: Path, server: ListServer, theme: Any) -> None:
    build_site(
        root,
        theme=theme,
        pages=PAGES,
        site_url=server.url("/site/"),
        spotify={"proxy_url": "/api"},
    )


def tint(css: str) -> float:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)][:3]
    return sum(numbers) / 3


@pytest.mark.parametrize("theme", ["mkdocs", "readthedocs"])
def test_builtin_themes_show_the_snapshot_then_the_live_list(
    browser: Browser, server: ListServer, tmp_path: Path, theme: str
) -> None:
    build(tmp_path, server, theme)
    snapshot = (tmp_path / "site/listening/index.html").read_text(encoding="utf-8")
    assert snapshot.count('<ol class="spl-list"') == 3  # filled at build time
    server.answers["top/tracks"] = {"range": "short_term", "items": [track("Live")]}
    tab = open_themed(browser)
    tab.page.goto(server.url("/site/listening/"))
    tab.page.wait_for_selector("spotify-top-tracks .spl-name >> text=Live")
    assert tab.page.locator("spotify-top-tracks li").count() == 1
    assert tab.page.locator("spotify-top-artists .spl-name").inner_text() == "Band"
    assert not [p for p in tab.problems if "pageerror" in p]


def test_material_dark_palette_and_instant_navigation(
    browser: Browser, server: ListServer, tmp_path: Path
) -> None:
    theme = {
        "name": "material",
        "features": ["navigation.instant"],
        "palette": {"scheme": "slate"},
    }
    build(tmp_path, server, theme)
    server.answers["top/tracks"] = {"range": "short_term", "items": [track("Live")]}
    tab = open_themed(browser)
    tab.page.goto(server.url("/site/"))
    tab.page.wait_for_function("() => window.document$ !== undefined")
    tab.page.click("article a[href*='listening']")
    # Reached through instant navigation: the lists' script came with the new content.
    tab.page.wait_for_selector("spotify-top-tracks .spl-name >> text=Live")
    assert tab.page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    assert tab.page.url.endswith("/site/listening/")
    card = tab.page.locator("spotify-top-tracks .spl").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert tint(card) > 0.5  # a light tint over Material's slate background
    assert not [p for p in tab.problems if "pageerror" in p]
