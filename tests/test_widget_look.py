"""The widget looks native in each theme's footer: aligned with the footer's text, in its font
size and colours, and readable (WCAG AA contrast for the title and the artists, from computed
colours), in light and dark, on desktop and at 390 px. `make screenshots` shows the same pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.sites import build_site
from tests.widget_pages import WidgetServer, open_tab, open_themed

pytestmark = pytest.mark.browser

MATERIAL_PALETTE = [
    {"media": "(prefers-color-scheme: light)", "scheme": "default"},
    {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
]
THEMES: dict[str, Any] = {
    # font: false keeps Material from calling Google Fonts (no internet in tests).
    "material": {"name": "material", "palette": MATERIAL_PALETTE, "font": False},
    "mkdocs": {"name": "mkdocs", "color_mode": "auto", "user_color_mode_toggle": False},
    "readthedocs": {"name": "readthedocs"},
}
# The footer's own text, which the card lines up with.
FOOTER_TEXT = {
    "material": ".md-copyright",
    "mkdocs": "footer > p",
    "readthedocs": ".rst-content footer",  # its text is a bare text node
}
ALIGNMENT = {"material": "start", "mkdocs": "centre", "readthedocs": "start"}
AA = 4.5

# Colours as the browser computes them, composited over everything behind them (the page's
# canvas first), then WCAG 2's contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
MEASURE = """([footerText]) => {
  const rgba = (css) => {
    const n = css.match(/[\\d.]+/g).map(Number);
    const [r, g, b, a = 1] = n;
    return css.startsWith("color(") ? [r * 255, g * 255, b * 255, a] : [r, g, b, a];
  };
  const over = ([r, g, b, a], below) => [r, g, b].map((v, i) => v * a + below[i] * (1 - a));
  const probe = document.createElement("i");
  probe.style.background = "Canvas";
  document.body.append(probe);
  const canvas = rgba(getComputedStyle(probe).backgroundColor);
  probe.remove();
  const behind = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      layers.unshift(getComputedStyle(e).backgroundColor);
    }
    return layers.reduce((below, css) => over(rgba(css), below), canvas.slice(0, 3));
  };
  const luminance = (rgb) => {
    const linear = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const [r, g, b] = rgb.map((v) => linear(v / 255));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (element) => {
    const background = behind(element);
    const text = over(rgba(getComputedStyle(element).color), background);
    const [hi, lo] = [luminance(text), luminance(background)].sort((a, b) => b - a);
    return (hi + 0.05) / (lo + 0.05);
  };
  const widget = document.querySelector("spotify-now-playing");
  const card = widget.querySelector(".snp").getBoundingClientRect();
  const text = document.querySelector(footerText);
  const range = document.createRange();
  range.selectNodeContents(text);
  const words = range.getBoundingClientRect();
  const footer = widget.closest("footer").getBoundingClientRect();
  return {
    title: contrast(widget.querySelector(".snp-title")),
    artists: contrast(widget.querySelector(".snp-by a")),
    cardLeft: card.left, cardCentre: card.left + card.width / 2, cardRight: card.right,
    textLeft: words.left, footerCentre: footer.left + footer.width / 2,
    viewport: innerWidth,
    widgetFont: getComputedStyle(widget).fontSize, textFont: getComputedStyle(text).fontSize,
    cardAlpha: rgba(getComputedStyle(widget.querySelector(".snp")).backgroundColor)[3],
  };
}"""


@pytest.fixture(scope="module", params=list(THEMES))
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, WidgetServer]]:
    theme: str = request.param
    root: Path = tmp_path_factory.mktemp(f"look-{theme}")
    site_dir = root / "site"
    site_dir.mkdir(parents=True)
    with WidgetServer(static_dir=site_dir).running() as server:
        build_site(
            root, site_url=server.url("/site/"), spotify={"proxy_url": "/api"}, theme=THEMES[theme]
        )
        yield theme, server


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_widget_sits_in_the_footer_like_the_themes_own_text(
    browser: Browser, site: tuple[str, WidgetServer], scheme: str, width: int
) -> None:
    theme, server = site
    tab = open_themed(browser, viewport={"width": width, "height": 800}, color_scheme=scheme)
    tab.page.goto(server.url("/site/about/"))
    tab.wait_for_state("playing")
    found = tab.page.evaluate(MEASURE, [FOOTER_TEXT[theme]])
    tab.page.context.close()

    assert found["title"] >= AA, found
    assert found["artists"] >= AA, found
    assert found["widgetFont"] == found["textFont"], found
    # Not edge to edge.
    assert found["cardLeft"] > 0, found
    assert found["cardRight"] < found["viewport"], found
    if ALIGNMENT[theme] == "start":
        assert abs(found["cardLeft"] - found["textLeft"]) <= 1, found
    else:
        assert abs(found["cardCentre"] - found["footerCentre"]) <= 1, found
    assert found["cardAlpha"] < 0.2, found  # a light tint of the footer, not a heavy card
    assert tab.problems == []


def test_outside_a_footer_it_keeps_its_own_size(browser: Browser) -> None:
    # A page whose body text is 10 px (Material's home pages without a footer look so).
    with WidgetServer().running() as server:
        server.head = "<style>body { font-size: 10px }</style>"
        server.body = '<main id="content"></main>'
        server.attributes["placement"] = "#content"
        tab = open_tab(browser)
        tab.page.goto(server.url("/"))
        tab.wait_for_state("playing")
        widget = tab.page.locator("#content > spotify-now-playing")
        assert widget.evaluate("el => getComputedStyle(el).fontSize") == "14px"
        tab.page.context.close()
