"""The widget in front of the real proxy (`create_app`) in front of the fake Spotify.

The page and the proxy are on different origins, as in production, so CORS is exercised too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.settings import Settings
from proxy.web.app import create_app
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply
from tests.widget_pages import Tab, WidgetServer, serving

pytestmark = pytest.mark.browser


@pytest.fixture
def fake() -> Iterator[FakeSpotify]:
    with FakeSpotify().running() as fake:
        yield fake


@pytest.fixture
def page_server() -> Iterator[WidgetServer]:
    with WidgetServer().running() as server:
        yield server


def owner_settings(fake: FakeSpotify, page_server: WidgetServer, store: Path) -> Settings:
    return fake.settings(
        refresh_token=fake.issue_refresh_token(),
        token_store=store,
        allowed_origins=(page_server.origin,),
        cache_ttl=0.2,
    )


# A playing track is polled every 2 s (the proxy's cache_ttl is shorter): half of max-interval.
POLL = 2


def point_at(page_server: WidgetServer, proxy_url: str) -> None:
    page_server.attributes = {
        "proxy-url": proxy_url,
        "min-interval": "2",
        "max-interval": "4",
        "live": "off",
    }


def test_a_spotify_track_renders_through_the_proxy(
    fake: FakeSpotify, page_server: WidgetServer, tab: Tab, tmp_path: Path
) -> None:
    fake.player = Reply(200, payloads.currently_playing(payloads.track("Karma Police")))
    settings = owner_settings(fake, page_server, tmp_path / "t.json")
    tab.pause_clock()
    with serving(create_app(settings)) as proxy:
        point_at(page_server, proxy)
        tab.page.goto(page_server.url("/"))
        tab.wait_for_state("playing")
        widget = tab.page.locator("spotify-now-playing")
        assert widget.locator(".snp-title").inner_text() == "Karma Police"
        assert widget.locator(".snp-by").inner_text() == "Artist"
        album = widget.locator("a.snp-art")
        assert album.get_attribute("href") == (
            "https://open.spotify.com/album/1DFixLWuPkv3KT3TnV35m3"
        )
        assert (album.locator("img").get_attribute("src") or "").startswith("https://i.scdn.co/")
        assert tab.problems == []

        # A track change on Spotify appears in the page and is announced.
        fake.player = Reply(
            200, payloads.currently_playing(payloads.track("Lucky", track_id="1" * 22))
        )
        time.sleep(settings.cache_ttl)  # the proxy's cached answer (real time) expires
        title = widget.locator(".snp-title")
        tab.advance_until(lambda: title.inner_text() == "Lucky", seconds=POLL)
        assert "Lucky" in widget.locator("[aria-live=polite]").inner_text()
    # The proxy is gone (connection refused): the last state stays, marked, without page errors.
    tab.advance_until(lambda: widget.get_attribute("data-state") == "offline", seconds=POLL)
    assert widget.locator(".snp-title").inner_text() == "Lucky"
    assert widget.locator(".snp-label").inner_text() == "Spotify status unavailable"
    assert [p for p in tab.problems if "Failed to load resource" not in p] == []


def test_hostile_spotify_metadata_stays_text_and_links_stay_on_spotify(
    fake: FakeSpotify, page_server: WidgetServer, tab: Tab, tmp_path: Path
) -> None:
    nasty = '<img src=x onerror="window.pwned=1"><a id="injected" href="javascript:alert(1)">x</a>'
    track = payloads.track(nasty, artist=nasty, image_url="https://evil.example/cover.png")
    track["external_urls"]["spotify"] = "javascript:alert(1)"
    track["album"]["external_urls"]["spotify"] = "https://evil.example/album"
    fake.player = Reply(200, payloads.currently_playing(track))
    with serving(create_app(owner_settings(fake, page_server, tmp_path / "t.json"))) as proxy:
        point_at(page_server, proxy)
        tab.page.goto(page_server.url("/"))
        tab.wait_for_state("playing")
        widget = tab.page.locator("spotify-now-playing")
        assert widget.locator(".snp-title").inner_text() == nasty
        assert widget.locator("#injected").count() == 0
        assert widget.locator("img").count() == 0
        hrefs = widget.locator("a").evaluate_all("links => links.map(a => a.href)")
        assert hrefs
        assert all(href.startswith("https://open.spotify.com/") for href in hrefs)
        assert tab.page.evaluate("window.pwned") is None
        assert tab.problems == []


def test_the_demo_proxy_feeds_the_widget(page_server: WidgetServer, tab: Tab) -> None:
    settings = Settings(demo=True, allowed_origins=(page_server.origin,))
    with serving(create_app(settings)) as proxy:
        point_at(page_server, proxy)
        tab.page.goto(page_server.url("/"))
        tab.page.wait_for_selector("spotify-now-playing[data-state]")
        state = tab.page.locator("spotify-now-playing").get_attribute("data-state")
        assert state in ("playing", "paused", "last", "idle")
        # The session starts with a track, whose cover the demo proxy draws and serves itself.
        cover = tab.page.locator("spotify-now-playing .snp-art img")
        cover.wait_for()
        tab.page.wait_for_function(
            "document.querySelector('spotify-now-playing .snp-art img').naturalWidth > 0"
        )
        src = cover.get_attribute("src") or ""
        assert src.startswith(f"{proxy}/v1/demo/covers/")
        assert tab.problems == []


def test_the_widget_listens_to_the_real_proxys_stream(
    fake: FakeSpotify, page_server: WidgetServer, tab: Tab, tmp_path: Path
) -> None:
    fake.player = Reply(200, payloads.currently_playing(payloads.track("Karma Police")))
    requests: list[str] = []
    tab.page.on("request", lambda request: requests.append(request.url))
    settings = owner_settings(fake, page_server, tmp_path / "t.json")
    with serving(create_app(settings)) as proxy:
        page_server.attributes = {"proxy-url": proxy}  # live: the stream after the first fetch
        tab.page.goto(page_server.url("/"))
        tab.wait_for_state("playing")
        stream = f"{proxy}/v1/now-playing/stream"
        # The one white-box peek: nothing visible says that the stream is open.
        tab.page.wait_for_function(
            "document.querySelector('spotify-now-playing')._stream?.readyState === EventSource.OPEN"
        )

        # A skip on Spotify reaches the page by the stream, within the cache TTL and a second.
        fake.player = Reply(
            200, payloads.currently_playing(payloads.track("Lucky", track_id="1" * 22))
        )
        started = time.monotonic()
        widget = tab.page.locator("spotify-now-playing")
        widget.locator(".snp-title", has_text="Lucky").wait_for(timeout=5000)
        took = time.monotonic() - started
        print(f"a skip at the fake Spotify showed in the page after {took:.2f} s")
        assert took < settings.cache_ttl + 1
        assert requests.count(f"{proxy}/v1/now-playing") == 1
        assert requests.count(stream) == 1
        assert tab.problems == []
