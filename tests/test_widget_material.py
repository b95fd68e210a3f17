"""The widget in a real Material site (built by `mkdocs build`): instant navigation and palette.

The site is served by the test server under /site/ with `site_url` pointing there (Material only
intercepts links listed in the sitemap), and the plugin's `proxy_url: /api` sends the widget to the
test server's JSON endpoint on the same origin.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sites import build_site
from tests.test_widget_themes import CARD, tint
from tests.widget_pages import Answer, Tab, WidgetServer, now_playing, track_item

pytestmark = pytest.mark.browser

PALETTE = [
    {"scheme": "default", "toggle": {"icon": "material/weather-night", "name": "Dark mode"}},
    {"scheme": "slate", "toggle": {"icon": "material/weather-sunny", "name": "Light mode"}},
]


def material(features: list[str]) -> dict[str, Any]:
    # font: false keeps Material from calling Google Fonts (no internet in tests).
    return {"name": "material", "features": features, "palette": PALETTE, "font": False}


def served_site(root: Path, **options: Any) -> Iterator[WidgetServer]:
    """Start the server first (its port goes into site_url), then build the site into it."""
    site_dir = root / "site"
    site_dir.mkdir(parents=True)
    with WidgetServer(static_dir=site_dir).running() as server:
        build_site(root, site_url=server.url("/site/"), spotify={"proxy_url": "/api"}, **options)
        yield server


@pytest.fixture(scope="module")
def footer_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetServer]:
    root = tmp_path_factory.mktemp("material-footer")
    yield from served_site(root, theme=material(["navigation.instant"]))


def wait_for_streams(server: WidgetServer, tab: Tab, opened: int) -> None:
    """Wait until `opened` streams were opened so far and exactly one is open now."""
    deadline = time.monotonic() + 5
    while (server.streams_opened, server.streams_open) != (opened, 1):
        assert time.monotonic() < deadline, (server.streams_opened, server.streams_open)
        tab.page.wait_for_timeout(20)


def pushed_without_fetching(server: WidgetServer, tab: Tab) -> None:
    """A new answer reaches the page by the one open stream, with no fetch."""
    server.hits.clear()
    server.answer = Answer(body=now_playing(track_item("Pushed Song")))
    tab.page.locator("spotify-now-playing .snp-title", has_text="Pushed Song").wait_for()
    assert server.hits == []
    assert server.streams_open == 1


def test_instant_navigation_leaves_exactly_one_live_widget(
    footer_site: WidgetServer, tab: Tab
) -> None:
    footer_site.answer = Answer(body=now_playing(track_item(duration_ms=600000), progress_ms=0))
    tab.page.goto(footer_site.url("/site/"))
    tab.wait_for_state("playing")
    wait_for_streams(footer_site, tab, opened=1)
    tab.page.evaluate("window.__sameDocument = true")

    footer_site.answer = Answer(body=now_playing(track_item("After Navigation")))
    tab.page.locator(".md-nav__link", has_text="About").first.click()
    tab.page.wait_for_url("**/about/")
    tab.page.locator("spotify-now-playing .snp-title", has_text="After Navigation").wait_for()
    assert tab.page.evaluate("window.__sameDocument") is True  # Material swapped the page in place
    assert tab.page.locator("spotify-now-playing").count() == 1

    # The removed widget closed its stream: one stream per page, the new widget's.
    wait_for_streams(footer_site, tab, opened=2)
    pushed_without_fetching(footer_site, tab)
    assert tab.problems == []


# The computed colour of a CSS custom property, resolved in the widget's own context.
RESOLVE = """(el, name) => {
  const probe = document.createElement("i");
  probe.style.color = `var(${name})`;
  el.append(probe);
  const colour = getComputedStyle(probe).color;
  probe.remove();
  return colour;
}"""
COLOURS = "el => [getComputedStyle(el).color, getComputedStyle(el.firstChild).backgroundColor]"


def rgba(css: str) -> tuple[float, ...]:
    """`rgb(255, 255, 255)` and `rgba(255, 255, 255, 1)` are one colour: compare the numbers."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    return tuple([*numbers, 1.0][:4])


def settle_on(actual: Callable[[], list[str]], expected: Callable[[], list[str]]) -> None:
    """Wait until the widget's colours are the theme's: Material's links ease colour changes in."""
    deadline = time.monotonic() + 5
    while [rgba(c) for c in actual()] != [rgba(c) for c in expected()]:
        assert time.monotonic() < deadline, (actual(), expected())
        time.sleep(0.05)


def test_the_footer_widget_follows_materials_palette(footer_site: WidgetServer, tab: Tab) -> None:
    tab.page.goto(footer_site.url("/site/"))
    tab.wait_for_state("playing")
    widget = tab.page.locator(".md-footer spotify-now-playing")

    def colours() -> list[str]:
        title = widget.locator(".snp-title").evaluate("el => getComputedStyle(el).color")
        return [widget.evaluate("el => getComputedStyle(el).color"), title]

    def footer_colours() -> list[str]:
        return [
            widget.evaluate(RESOLVE, "--md-footer-fg-color--light"),
            widget.evaluate(RESOLVE, "--md-footer-fg-color"),
        ]

    def footer_background() -> str:
        return str(widget.evaluate(RESOLVE, "--md-footer-bg-color"))

    light_footer = footer_background()
    settle_on(colours, footer_colours)
    assert tint(widget.evaluate(CARD)) == "light"  # a light touch on the dark footer

    tab.page.locator("label[title='Dark mode']").click()
    tab.page.wait_for_selector("body[data-md-color-scheme=slate]")
    assert footer_background() != light_footer
    settle_on(colours, footer_colours)
    assert tint(widget.evaluate(CARD)) == "light"
    assert tab.problems == []


@pytest.fixture(scope="module")
def placed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetServer]:
    """`placement: .md-content`: the widget moves from the end of body into the content."""
    root = tmp_path_factory.mktemp("material-placed")
    site_dir = root / "site"
    site_dir.mkdir(parents=True)
    with WidgetServer(static_dir=site_dir).running() as server:
        options = {"proxy_url": "/api", "placement": ".md-content"}
        theme = material(["navigation.instant"])
        build_site(root, site_url=server.url("/site/"), spotify=options, theme=theme)
        yield server


def test_a_placed_widget_follows_the_palette_and_instant_navigation(
    placed_site: WidgetServer, tab: Tab
) -> None:
    placed_site.answer = Answer(body=now_playing(track_item(duration_ms=600000), progress_ms=0))
    tab.page.goto(placed_site.url("/site/"))
    tab.wait_for_state("playing")
    widget = tab.page.locator(".md-content > spotify-now-playing")
    light = widget.evaluate(COLOURS)

    tab.page.locator("label[title='Dark mode']").click()
    tab.page.wait_for_selector("body[data-md-color-scheme=slate]")
    assert widget.evaluate(COLOURS) != light  # in the content it takes the scheme's colours

    # Instant navigation replaces the content it sat in: it follows into the new page's content.
    tab.page.evaluate("window.__sameDocument = true")
    tab.page.locator(".md-nav__link", has_text="About").first.click()
    tab.page.wait_for_url("**/about/")
    tab.page.locator("h1", has_text="About").wait_for()
    assert tab.page.evaluate("window.__sameDocument") is True
    widget.wait_for(timeout=5000)
    assert tab.page.locator("spotify-now-playing").count() == 1
    tab.wait_for_state("playing")
    wait_for_streams(placed_site, tab, opened=placed_site.streams_opened)
    pushed_without_fetching(placed_site, tab)
    assert tab.problems == []
