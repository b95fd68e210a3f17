"""What the widget shows as the player and the proxy change: track changes, idle modes, outages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.widget_pages import Answer, Tab, WidgetServer, now_playing, open_tab, track_item

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(tab: Tab) -> Tab:
    """The shared tab, with a page clock the test moves."""
    tab.page.clock.install()
    return tab


def network_noise(problem: str) -> bool:
    """The browser's own log line for a failed request: expected when the proxy is down."""
    return "Failed to load resource" in problem


def test_a_track_change_appears_and_is_announced_once(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(track_item("First Song")))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")
    live = tab.page.locator("spotify-now-playing [aria-live=polite]")
    assert live.inner_text() == ""  # the first paint is not announced

    server.answer = Answer(
        body=now_playing(
            track_item(
                "Second Song", artists=("Someone", "Else"), url="https://open.spotify.com/track/2"
            )
        )
    )
    tab.page.clock.run_for(31000)
    title = tab.page.locator("spotify-now-playing .snp-title")
    title.filter(has_text="Second Song").wait_for()
    assert live.inner_text() == "Now playing: Second Song (Someone, Else)"

    # Progress ticks and the same track again change nothing that is announced.
    tab.page.evaluate("document.querySelector('[aria-live]').textContent = ''")
    tab.page.clock.run_for(31000)
    tab.page.wait_for_timeout(200)
    assert live.inner_text() == ""
    assert tab.problems == []


def test_idle_shows_the_last_played_item(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(None, last_played=track_item("Yesterday's Song")))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("last")
    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp-label").inner_text() == "Last played"
    assert widget.locator(".snp-title").inner_text() == "Yesterday's Song"
    assert widget.locator("[role=progressbar]").count() == 0


def test_idle_hide_keeps_the_box_but_shows_nothing(server: WidgetServer, tab: Tab) -> None:
    server.attributes["idle"] = "hide"
    server.answer = Answer(body=now_playing(None))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("hidden")
    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp").is_hidden()
    box = widget.bounding_box()
    assert box is not None
    assert box["height"] > 40


def test_a_proxy_going_away_keeps_the_last_state_marked(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(track_item("Still Here")))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")

    server.answer = Answer(status=503)
    tab.page.clock.run_for(31000)
    tab.wait_for_state("offline")
    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp-label").inner_text() == "Spotify status unavailable"
    assert widget.locator(".snp-title").inner_text() == "Still Here"

    # The proxy vanishes completely: connection refused, still no page error.
    tab.page.route("**/api/v1/now-playing", lambda route: route.abort("connectionrefused"))
    tab.page.clock.run_for(60000)
    tab.page.wait_for_timeout(200)
    assert widget.get_attribute("data-state") == "offline"
    assert tab.page.locator("#below").is_visible()
    assert [p for p in tab.problems if not network_noise(p)] == []

    # ...and comes back.
    tab.page.unroute("**/api/v1/now-playing")
    server.answer = Answer(body=now_playing(track_item("Back Again")))
    tab.run_until_state("playing", 400)
    assert widget.locator(".snp-title").inner_text() == "Back Again"


def test_a_proxy_that_never_answers_leaves_an_empty_box(browser: Browser) -> None:
    with WidgetServer(attributes={"proxy-url": "http://127.0.0.1:9"}).running() as server:
        tab = open_tab(browser)
        tab.page.goto(server.url("/"))
        tab.page.wait_for_timeout(500)
        widget = tab.page.locator("spotify-now-playing")
        assert widget.get_attribute("data-state") is None
        assert widget.inner_text() == ""
        assert tab.page.locator("#below").is_visible()
        assert [p for p in tab.problems if not network_noise(p)] == []
        tab.page.context.close()


def test_odd_answers_and_attributes_never_throw(server: WidgetServer, tab: Tab) -> None:
    server.attributes.update(
        {"min-interval": "soon", "max-interval": "-3", "idle": "sometimes", "art": "maybe"}
    )
    server.answer = Answer(body={"status": "playing", "item": {"title": 42, "artists": "nobody"}})
    tab.page.goto(server.url("/"))
    tab.page.wait_for_timeout(300)
    server.answer = Answer(body=["not", "an", "object"])
    tab.page.clock.run_for(120000)
    server.answer = Answer(body=now_playing(track_item("Fine Again")))
    tab.run_until_state("playing", 400)
    assert tab.page.locator("spotify-now-playing .snp-art img").count() == 1  # art "maybe" -> on
    # The script loaded twice defines the element once and stays quiet.
    tab.page.add_script_tag(url="/assets/spotify/spotify-now-playing.js")
    tab.page.wait_for_timeout(100)
    assert tab.page.locator("spotify-now-playing").count() == 1
    assert tab.problems == []


def test_no_proxy_url_means_no_fetch_and_no_error(server: WidgetServer, tab: Tab) -> None:
    server.attributes = {"proxy-url": "javascript:alert(1)"}
    tab.page.goto(server.url("/"))
    tab.page.wait_for_timeout(300)
    assert server.hits == []
    assert tab.problems == []


def test_art_and_progress_can_be_turned_off(server: WidgetServer, tab: Tab) -> None:
    server.attributes.update({"art": "off", "progress": "off"})
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")
    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp-title").inner_text() == "Pyramid Song"
    assert widget.locator(".snp-art, img, [role=progressbar]").count() == 0
