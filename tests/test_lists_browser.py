"""The listening lists in real Chromium: numbered links, art, relative times, labels, safety."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.list_pages import ListServer, artist, played, track
from tests.widget_pages import STRICT_CSP, Tab, open_tab

pytestmark = pytest.mark.browser

NOW = 1_780_000_000_000  # the page's fake clock


def answers() -> dict[str, object]:
    return {
        "recently-played": {
            "items": [
                played("Newest", NOW - 6 * 60_000),
                played("Older", NOW - 3 * 3600_000),
                played("Oldest", NOW - 2 * 86400_000),
            ],
            "fetched_at": NOW,
            "stale": False,
        },
        "top/tracks": {
            "range": "short_term",
            "items": [track("One"), track("Two")],
            "fetched_at": NOW,
            "stale": False,
        },
        "top/artists": {
            "range": "long_term",
            "items": [artist("Band A"), artist("Band B")],
            "fetched_at": NOW,
            "stale": False,
        },
    }


@pytest.fixture
def server() -> Iterator[ListServer]:
    with ListServer(csp=STRICT_CSP, answers=answers()).running() as running:
        yield running


def words(text: str) -> str:
    return " ".join(text.split())


def open_page(browser: Browser, url: str, **context: object) -> Tab:
    tab = open_tab(browser, **context)
    tab.page.clock.install(time=NOW / 1000)
    tab.page.goto(url)
    return tab


def test_three_numbered_lists_with_links_art_and_attribution(
    browser: Browser, server: ListServer
) -> None:
    tab = open_page(browser, server.url("/"))
    page = tab.page
    page.wait_for_selector("spotify-top-artists ol li")
    recent = page.locator("spotify-recently-played")
    assert recent.locator("ol > li").count() == 3
    assert recent.locator(".spl-name").all_inner_texts() == ["Newest", "Older", "Oldest"]
    tracks = page.locator("spotify-top-tracks")
    assert words(tracks.locator(".spl-head").inner_text()) == "Top tracks last 4 weeks"
    assert page.locator("spotify-top-artists .spl-range").inner_text() == "all time"
    assert tracks.locator("ol").get_attribute("aria-label") == "Top tracks last 4 weeks"
    assert recent.locator("ol").get_attribute("aria-label") == "Recently played"
    first = tracks.locator("li").first
    assert first.locator("a.spl-name").get_attribute("href") == (
        "https://open.spotify.com/track/6ErMrfBK5DHrC9wI2bN9Ot"
    )
    image = first.locator("img")
    assert image.get_attribute("loading") == "lazy"
    box = image.bounding_box()
    assert box is not None
    assert box["width"] == box["height"]
    assert box["width"] > 30
    # Spotify's logo links back on every block.
    assert page.locator(".spl-logo[href='https://open.spotify.com/']").count() == 3
    # Only the validated parameters were asked for.
    assert sorted(set(server.queries)) == [
        "recently-played?limit=3",
        "top/artists?range=long_term&limit=3",
        "top/tracks?range=short_term&limit=3",
    ]
    assert tab.problems == []


def test_relative_times_in_the_page_language_move_on(browser: Browser, server: ListServer) -> None:
    tab = open_page(browser, server.url("/"))
    when = tab.page.locator("spotify-recently-played time.spl-when")
    tab.page.wait_for_selector("spotify-recently-played li")
    assert when.all_inner_texts() == ["6 minutes ago", "3 hours ago", "2 days ago"]
    assert re.search(r"\d", when.first.get_attribute("title") or "")  # the exact time
    tab.page.clock.run_for(60 * 60_000)
    assert when.first.inner_text() == "1 hour ago"
    server.lang = "de"
    german = open_page(browser, server.url("/"))
    german.page.wait_for_selector("spotify-recently-played li")
    first = german.page.locator("spotify-recently-played time.spl-when").first
    assert first.inner_text() == "vor 6 Minuten"


def test_labels_and_bad_attributes(browser: Browser, server: ListServer) -> None:
    server.elements = (
        '<spotify-top-tracks proxy-url="/api" range="forever" limit="999" label="Meine Hits" '
        'label-short-term="letzte 4 Wochen" label-open="Auf Spotify"></spotify-top-tracks>'
    )
    tab = open_page(browser, server.url("/"))
    tab.page.wait_for_selector("spotify-top-tracks li")
    head = tab.page.locator("spotify-top-tracks .spl-head")
    assert words(head.inner_text()) == "Meine Hits letzte 4 Wochen"
    assert head.locator(".spl-logo").get_attribute("aria-label") == "Auf Spotify"
    assert server.queries == ["top/tracks?range=short_term&limit=10"]


def test_hostile_json_never_reaches_the_page(browser: Browser, server: ListServer) -> None:
    evil = track("<img src=x onerror=alert(1)>")
    evil["url"] = "javascript:alert(1)"
    evil["image"] = {"url": "https://evil.example/pixel.png"}
    evil["artists"] = [{"name": "<b>bold</b>", "url": "https://open.spotify.com.evil.example/"}]
    server.answers["top/tracks"] = {
        "range": "short_term",
        "items": [evil, None, 5, {"title": 7}, {"played_at": "x"}],
    }
    server.answers["top/artists"] = {"items": "not a list"}
    server.answers["recently-played"] = []
    tab = open_page(browser, server.url("/"))
    tab.page.wait_for_selector("spotify-top-tracks li")
    entry = tab.page.locator("spotify-top-tracks li")
    assert entry.count() == 1
    assert entry.locator(".spl-name").inner_text() == "<img src=x onerror=alert(1)>"
    # Only the album's own (good) link survives.
    hrefs = [link.get_attribute("href") for link in entry.locator("a").all()]
    assert hrefs == ["https://open.spotify.com/album/1HrMmB5useeZ0F5lHrMvl0"]
    assert entry.locator("img").count() == 0
    assert tab.page.locator("spotify-top-artists").inner_text() == ""
    assert tab.problems == []


def test_a_proxy_that_fails_keeps_the_snapshot(browser: Browser, server: ListServer) -> None:
    server.elements = (
        '<spotify-top-artists proxy-url="/api"><div class="spl"><ol class="spl-list">'
        '<li class="spl-item"><span class="spl-name">From the build</span></li></ol></div>'
        "</spotify-top-artists>"
    )
    server.status = 503
    tab = open_page(browser, server.url("/"))
    tab.page.wait_for_timeout(300)
    tab.page.clock.run_for(20 * 60_000)
    assert tab.page.locator("spotify-top-artists .spl-name").inner_text() == "From the build"
    assert not [p for p in tab.problems if "pageerror" in p]


def test_an_empty_list_says_so(browser: Browser, server: ListServer) -> None:
    server.answers["recently-played"] = {"items": [], "fetched_at": NOW, "stale": False}
    server.elements = '<spotify-recently-played proxy-url="/api"></spotify-recently-played>'
    tab = open_page(browser, server.url("/"))
    tab.page.wait_for_selector("spotify-recently-played .spl-empty")
    assert tab.page.locator(".spl-empty").inner_text() == "Nothing to show yet."


def test_dark_scheme_tints_follow_the_text_colour(browser: Browser, server: ListServer) -> None:
    def tint(scheme: str) -> float:
        tab = open_page(browser, server.url("/"), color_scheme=scheme)
        tab.page.wait_for_selector("spotify-top-tracks li")
        css = tab.page.locator("spotify-top-tracks .spl").evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        numbers = [float(n) for n in re.findall(r"[\d.]+", css)][:3]
        return sum(numbers) / 3

    assert tint("dark") > tint("light")


def test_keyboard_reaches_every_link(browser: Browser, server: ListServer) -> None:
    server.elements = '<spotify-top-artists proxy-url="/api" limit="2"></spotify-top-artists>'
    tab = open_page(browser, server.url("/"))
    tab.page.wait_for_selector("spotify-top-artists li")
    focused = []
    for _ in range(5):
        tab.page.keyboard.press("Tab")
        focused.append(tab.page.evaluate("document.activeElement.className"))
    assert focused[:5] == ["spl-logo", "spl-art", "spl-name", "spl-art", "spl-name"]
