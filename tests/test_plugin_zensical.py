"""docs/zensical.md followed to the letter: a real `zensical build` with the widget in the footer,
live in Chromium, and the Markdown extension's blocks in the page."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser

from mkdocs_spotify.plugin.plugin import ASSETS
from tests.test_plugin_build import in_footer, parse
from tests.widget_pages import WidgetServer, open_tab

DOC = Path(__file__).parents[1] / "docs" / "zensical.md"
DOC_PROXY_URL = "https://spotify-proxy.your-domain.org"
PAGES = {
    "index.md": "# Home\n\nWhat I play most:\n\n[spotify-top-tracks range=short_term limit=10]\n",
    "about.md": "# About\n\nWho writes here.\n",
}


def code_block(language: str) -> str:
    """The first ```language block of docs/zensical.md."""
    found = re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, f"no {language} block in {DOC.name}"
    return found.group(1)


def zensical_site(root: Path, proxy_url: str) -> Path:
    """The documented setup, with `proxy_url` in place of the documentation's example."""
    assets = root / "docs" / "assets" / "spotify"
    assets.mkdir(parents=True)
    for asset in ASSETS.glob("spotify-now-playing.*"):
        shutil.copy(asset, assets)
    for name, text in PAGES.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    config = yaml.safe_load(code_block("yaml").replace(DOC_PROXY_URL, proxy_url))
    config = {"site_name": "Zensical test", "copyright": "© Ada", **config}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    partial = root / "overrides" / "partials" / "copyright.html"
    partial.parent.mkdir(parents=True)
    partial.write_text(code_block("html"), encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "-f", "mkdocs.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "site"


def test_the_built_pages_have_the_widget_in_the_footer_and_the_blocks(tmp_path: Path) -> None:
    site_dir = zensical_site(tmp_path, "https://proxy.blog.test")

    pages = sorted(site_dir.rglob("*.html"))
    assert {p.relative_to(site_dir).as_posix() for p in pages} >= {
        "index.html",
        "about/index.html",
        "404.html",
    }
    for path in pages:
        page = parse(path.read_text(encoding="utf-8"))
        assert len(page.widgets) == 1, path
        assert page.widgets[0].attributes == {"proxy-url": "https://proxy.blog.test"}
        assert in_footer(page.widgets[0], "material"), page.widgets[0].ancestors
        scripts = [s for s in page.scripts if (s["src"] or "").endswith("spotify-now-playing.js")]
        assert len(scripts) == 1, path
        assert "defer" in scripts[0], path
    home = (site_dir / "index.html").read_text(encoding="utf-8")
    assert (
        '<spotify-top-tracks limit="10" proxy-url="https://proxy.blog.test" range="short_term">'
        in home
    )


@pytest.mark.browser
def test_the_widget_plays_in_a_zensical_site(browser: Browser, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    with WidgetServer(static_dir=site_dir).running() as server:
        zensical_site(tmp_path, "/api")
        tab = open_tab(browser)
        # The theme links Google Fonts; there is no internet in tests.
        tab.page.context.route(
            "https://fonts.googleapis.com/**",
            lambda route: route.fulfill(body="", content_type="text/css"),
        )
        try:
            tab.page.goto(server.url("/site/about/"))
            tab.wait_for_state("playing", timeout=10_000)
            assert tab.page.locator("footer spotify-now-playing").count() == 1
            assert tab.widget_text() != ""
            assert tab.problems == []
        finally:
            tab.page.context.close()
