"""The widget is harmless wherever a theme puts it: hidden footers, scripts without `defer`, and a
proxy that refuses the page's origin says so once in the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from proxy.settings import Settings
from proxy.web.app import create_app
from tests.fakes.spotify import FakeSpotify
from tests.widget_pages import Tab, WidgetServer, open_tab, serving, until

pytestmark = pytest.mark.browser

HIDDEN_FOOTER = "<style>footer { display: none }</style>"
SHOW_FOOTER = "document.head.append(Object.assign(document.createElement('style'), "
SHOW_FOOTER += "{textContent: 'footer { display: block !important }'}))"


def test_a_hidden_footer_fetches_nothing_until_it_shows(server: WidgetServer, tab: Tab) -> None:
    server.head = HIDDEN_FOOTER
    tab.page.goto(server.url("/"))
    tab.page.wait_for_timeout(500)
    assert server.hits == []
    assert tab.page.locator("spotify-now-playing").get_attribute("data-state") is None

    tab.page.evaluate(SHOW_FOOTER)
    tab.wait_for_state("playing")
    assert len(server.hits) == 1
    assert tab.problems == []


def test_a_footer_hidden_later_stops_its_stream_and_fetches(server: WidgetServer, tab: Tab) -> None:
    server.attributes.pop("live")
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")
    until(lambda: server.streams_open == 1, tab)
    tab.page.evaluate("document.querySelector('footer').style.display = 'none'")
    until(lambda: server.streams_open == 0, tab)
    tab.page.evaluate("document.querySelector('footer').style.display = ''")
    tab.page.wait_for_timeout(500)
    assert len(server.hits) == 2
    assert tab.problems == []


def test_a_script_without_defer_waits_for_the_page(server: WidgetServer, tab: Tab) -> None:
    # The script runs in <head> before the element and its placement target are parsed.
    server.defer = False
    server.attributes["placement"] = "#later"
    server.body = '<aside id="later"></aside>'
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")
    assert tab.page.locator("#later > spotify-now-playing").count() == 1
    assert tab.problems == []


def test_a_refused_origin_gets_one_console_warning_naming_the_fix(
    browser: Browser, server: WidgetServer, tmp_path: Path
) -> None:
    with FakeSpotify().running() as fake:
        settings: Settings = fake.settings(
            refresh_token=fake.issue_refresh_token(),
            token_store=tmp_path / "t.json",
            allowed_origins=("https://blog.example",),
        )
        with serving(create_app(settings)) as proxy:
            server.attributes = {"proxy-url": proxy, "min-interval": "2", "live": "off"}
            tab = open_tab(browser)
            tab.pause_clock()
            tab.page.goto(server.url("/"))

            def warnings() -> list[str]:
                return [p for p in tab.problems if p.startswith("console warning")]

            until(lambda: warnings() != [], tab)
            # A few refused retries (2-4 s, then 4-8 s and 8-16 s later), each failing as the
            # first did: still one warning. Steps, not one jump: a jump would also fire each
            # retry's 10 s timeout, and an aborted fetch is no refusal.
            failures = tab.finished
            tab.advance(30)
            assert tab.finished >= failures + 3
            tab.page.wait_for_timeout(500)  # time for any further warning to show
            assert warnings() == [
                f"console warning: spotify-now-playing: add {server.origin} to "
                f"SPOTIFY_PROXY_ALLOWED_ORIGINS of {proxy}/v1/now-playing"
            ]
            tab.page.context.close()
