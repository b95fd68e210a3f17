"""`placement: <selector>` in a real browser: the widget moves from the end of body into it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.sites import build_site


@pytest.mark.browser
def test_the_widget_moves_into_the_selected_element(tmp_path: Path, browser: Browser) -> None:
    pages = {
        "index.md": '# Home\n\n<div id="now" markdown>Listening:</div>\n',
        "other.md": "# Other\n\nNo target here.\n",
    }
    options = {"proxy_url": "http://127.0.0.1:9", "placement": "#now"}
    site = build_site(tmp_path, theme="mkdocs", pages=pages, spotify=options)

    with browser.new_context() as context:
        page = context.new_page()
        page.goto((site.site_dir / "index.html").as_uri())
        page.wait_for_selector("#now > spotify-now-playing", state="attached", timeout=10_000)
        assert page.locator("spotify-now-playing").count() == 1

        # Without a match it stays where the plugin put it, at the end of the page.
        page.goto((site.site_dir / "other" / "index.html").as_uri())
        page.wait_for_load_state("load")
        assert page.locator("body > spotify-now-playing").count() == 1
