"""The widget's colours follow each theme's light/dark switch (built sites and a plain page)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.sites import build_site
from tests.widget_pages import WidgetServer, open_themed

pytestmark = pytest.mark.browser

CARD = "el => getComputedStyle(el.querySelector('.snp')).backgroundColor"


def tint(css: str) -> str:
    """'dark' or 'light': what a translucent card colour like `color(srgb 1 1 1 / 0.07)` adds."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    red, green, blue, alpha = [*numbers, 1.0][:4]
    scale = 1.0 if css.startswith("color(") else 255.0
    assert 0 < alpha < 0.2, css  # a light touch over the theme's own background
    return "light" if (red + green + blue) / (3 * scale) > 0.5 else "dark"


def built(root: Path, **options: Any) -> Iterator[WidgetServer]:
    site_dir = root / "site"
    site_dir.mkdir(parents=True)
    with WidgetServer(static_dir=site_dir).running() as server:
        build_site(root, site_url=server.url("/site/"), spotify={"proxy_url": "/api"}, **options)
        yield server


def card_tint(browser: Browser, url: str, **context: Any) -> str:
    tab = open_themed(browser, **context)
    try:
        tab.page.goto(url)
        tab.wait_for_state("playing")
        assert tab.problems == []
        return tint(tab.page.locator("spotify-now-playing").evaluate(CARD))
    finally:
        tab.page.context.close()


def test_a_plain_page_follows_prefers_color_scheme(browser: Browser) -> None:
    with WidgetServer().running() as server:
        # A dark page is tinted light, a light page dark.
        assert card_tint(browser, server.url("/"), color_scheme="light") == "dark"
        assert card_tint(browser, server.url("/"), color_scheme="dark") == "light"


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_the_mkdocs_theme_colour_mode_wins_over_the_system(
    browser: Browser, tmp_path: Path, mode: str
) -> None:
    other = "dark" if mode == "light" else "light"
    for server in built(tmp_path, theme={"name": "mkdocs", "color_mode": mode}):
        assert card_tint(browser, server.url("/site/about/"), color_scheme=other) == other


def test_the_readthedocs_theme_shows_the_widget_in_its_footer(
    browser: Browser, tmp_path: Path
) -> None:
    for server in built(tmp_path, theme="readthedocs"):
        tab = open_themed(browser)
        tab.page.goto(server.url("/site/posts/2026/listening/"))
        tab.wait_for_state("playing")
        assert tab.page.locator("footer spotify-now-playing .snp-title").is_visible()
        widget = tab.page.locator("spotify-now-playing")
        tint(widget.evaluate(CARD))  # translucent over the page
        colour = "el => getComputedStyle(el).color"
        assert widget.evaluate(colour) == tab.page.locator("footer").evaluate(colour)
        assert tab.problems == []
        tab.page.context.close()
