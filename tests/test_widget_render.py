"""The widget renders the proxy's JSON as text, with links and images only from Spotify's hosts."""

from __future__ import annotations

import pytest

from tests.widget_pages import Answer, Tab, WidgetServer, now_playing, track_item

pytestmark = pytest.mark.browser


def test_a_track_renders_with_links_art_and_attribution(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(track_item(title="Pyramid Song")))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")

    widget = tab.page.locator("spotify-now-playing")
    assert "Now playing" in widget.inner_text()
    title = widget.locator(".snp-title")
    assert title.inner_text() == "Pyramid Song"
    assert title.get_attribute("title") == "Pyramid Song"
    assert title.get_attribute("href") == "https://open.spotify.com/track/6ErMrfBK5DHrC9wI2bN9Ot"
    assert title.get_attribute("rel") == "noopener noreferrer"
    assert title.get_attribute("target") == "_blank"
    assert widget.locator(".snp-by a").inner_text() == "Radiohead"
    album = widget.locator("a.snp-art")
    assert album.get_attribute("href") == "https://open.spotify.com/album/1HrMmB5useeZ0F5lHrMvl0"
    image = album.locator("img")
    assert image.get_attribute("src") == "https://i.scdn.co/image/ab67616d0000b273amnesiac"
    assert image.get_attribute("alt") == "Amnesiac"
    logo = widget.locator("a.snp-logo")
    assert logo.get_attribute("aria-label") == "Listen on Spotify"
    assert logo.locator("svg path").count() == 1
    bar = widget.locator("[role=progressbar]")
    assert 15 <= int(bar.get_attribute("aria-valuenow") or "-1") <= 30  # 60 s of 289 s
    assert tab.problems == []


def test_a_title_full_of_html_stays_text(server: WidgetServer, tab: Tab) -> None:
    nasty = (
        '<img src=x onerror="window.pwned=1"><b id="injected">bold</b>'
        "<script>window.pwned=2</script>"
    )
    item = track_item(title=nasty, artists=(nasty,), album=nasty)
    server.answer = Answer(body=now_playing(item))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")

    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp-title").inner_text() == nasty
    assert widget.locator("#injected, script, img:not([src^='https://i.scdn.co/'])").count() == 0
    assert tab.page.evaluate("window.pwned") is None
    assert tab.problems == []


def test_foreign_links_and_images_are_never_used(server: WidgetServer, tab: Tab) -> None:
    item = track_item(
        url="javascript:alert(1)",
        album_url="https://open.spotify.com.evil.example/album/1",
        image="https://evil.example/cover.png",
    )
    item["artists"][0]["url"] = "http://open.spotify.com/artist/plain-http"
    server.answer = Answer(body=now_playing(item))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")

    widget = tab.page.locator("spotify-now-playing")
    hrefs = widget.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://open.spotify.com/"]  # only the Spotify logo links back home
    assert widget.locator("img").count() == 0
    assert widget.locator(".snp-art:not(:has(img))").count() == 1  # placeholder art
    assert widget.locator(".snp-title").inner_text() == "Pyramid Song"
    assert tab.problems == []


def test_an_episode_shows_its_show(server: WidgetServer, tab: Tab) -> None:
    episode = track_item(
        "Episode 42: Lasers", artists=("Science Hour",), album="Science Hour", kind="episode"
    )
    server.answer = Answer(body=now_playing(episode))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")

    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp-title").inner_text() == "Episode 42: Lasers"
    assert widget.locator(".snp-by").inner_text() == "Science Hour"


def test_a_local_file_shows_without_art_or_link(server: WidgetServer, tab: Tab) -> None:
    local = track_item("Snomads Island", artists=("David Wise",), is_local=True)
    server.answer = Answer(body=now_playing(local))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")

    widget = tab.page.locator("spotify-now-playing")
    assert widget.locator(".snp-title").inner_text() == "Snomads Island"
    assert widget.locator("img").count() == 0
    hrefs = widget.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://open.spotify.com/"]


def test_paused_shows_the_paused_label(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(track_item(), status="paused"))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("paused")
    assert tab.page.locator("spotify-now-playing .snp-label").inner_text() == "Paused"
