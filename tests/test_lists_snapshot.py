"""Build-time snapshots: a real `mkdocs build` reads the owner's proxy once, caches, and never
fails because the proxy is down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.list_pages import ListServer, artist, played, track
from tests.sites import build, write_site

NOW = 1_780_000_000_000
LISTENING = (
    "# What I listen to\n\n"
    '<spotify-top-tracks range="medium_term" limit="2"></spotify-top-tracks>\n\n'
    '<spotify-recently-played limit="1"></spotify-recently-played>\n\n'
    '<spotify-top-artists range="long_term"></spotify-top-artists>\n'
)
PAGES = {"index.md": "# Home\n\nHello.\n", "listening.md": LISTENING}


@pytest.fixture
def proxy() -> Iterator[ListServer]:
    evil = track("<script>alert(1)</script>")
    evil["url"] = "javascript:alert(1)"
    answers = {
        "top/tracks": {"range": "medium_term", "items": [track("One"), evil], "stale": False},
        "recently-played": {"items": [played("Just now", NOW)], "stale": False},
        "top/artists": {"range": "long_term", "items": [artist("Band & Co")], "stale": False},
    }
    with ListServer(answers=answers).running() as server:
        yield server


def site_with(root: Path, proxy_url: str, **listening: object) -> Path:
    spotify: dict[str, object] = {"proxy_url": proxy_url}
    if listening:
        spotify["listening"] = listening
    write_site(root, spotify=spotify, pages=PAGES)
    return root


def test_a_build_fills_the_lists_from_the_proxy(tmp_path: Path, proxy: ListServer) -> None:
    site = write_site(tmp_path, spotify={"proxy_url": proxy.url("/api")}, pages=PAGES)
    result = build(site)
    assert result.returncode == 0, result.output
    page = site.html("listening/index.html")
    # The <p> Markdown wraps around an unknown tag is gone (an <ol> cannot sit inside a <p>).
    assert "<p><spotify" not in page
    tracks = re.search(r"<spotify-top-tracks .*?</spotify-top-tracks>", page, re.DOTALL)
    assert tracks is not None
    block = tracks.group(0)
    assert f'proxy-url="{proxy.url("/api")}"' in block
    assert '<ol class="spl-list" aria-label="Top tracks last 6 months">' in block
    assert block.count("<li") == 2
    assert (
        '<a class="spl-name" href="https://open.spotify.com/track/6ErMrfBK5DHrC9wI2bN9Ot"' in block
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "javascript:" not in block
    assert 'loading="lazy"' in block
    assert 'width="64" height="64"' in block
    assert "last 6 months" in block
    assert 'class="spl-asof">As of <time' in block
    assert "Band &amp; Co" in page
    assert "all time" in page
    assert re.search(r'<time class="spl-when" datetime="2026-05-28T', page)
    # Only the page with lists loads their script and stylesheet, with paths relative to it.
    assert '<script defer src="../assets/spotify/spotify-lists.js"></script>' in page
    assert '<link rel="stylesheet" href="../assets/spotify/spotify-lists.css">' in page
    assert "spotify-lists" not in site.html("index.html")
    assert (site.site_dir / "assets/spotify/spotify-lists.js").is_file()
    assert sorted(proxy.queries) == [
        "recently-played?limit=1",
        "top/artists?range=long_term&limit=10",
        "top/tracks?range=medium_term&limit=2",
    ]


def test_a_rebuild_within_the_cache_time_makes_no_request(
    tmp_path: Path, proxy: ListServer
) -> None:
    site = write_site(tmp_path, spotify={"proxy_url": proxy.url("/api")}, pages=PAGES)
    assert build(site).returncode == 0
    assert len(proxy.queries) == 3
    assert len(list((tmp_path / ".cache/plugin/spotify").glob("listening-*.json"))) == 3
    second = build(site)
    assert second.returncode == 0
    assert len(proxy.queries) == 3
    assert "Band &amp; Co" in site.html("listening/index.html")


@pytest.mark.parametrize(
    "options", [{"listening": {"cache": 0}}, {"listening_cache": 0, "listening": {"cache": 60}}]
)
def test_cache_zero_reads_the_proxy_on_every_build(
    tmp_path: Path, proxy: ListServer, options: dict[str, object]
) -> None:
    site = write_site(tmp_path, spotify={"proxy_url": proxy.url("/api"), **options}, pages=PAGES)
    assert build(site).returncode == 0
    assert build(site).returncode == 0
    assert len(proxy.queries) == 6


def test_an_unreachable_proxy_is_one_warning_and_the_build_succeeds(tmp_path: Path) -> None:
    site = write_site(tmp_path, spotify={"proxy_url": "http://127.0.0.1:9"}, pages=PAGES)
    result = build(site)
    assert result.returncode == 0, result.output
    assert result.output.count("WARNING") == 1
    assert "could not be read for the listening lists" in result.output
    page = site.html("listening/index.html")
    assert (
        '<spotify-top-tracks proxy-url="http://127.0.0.1:9" range="medium_term" limit="2">' in page
    )
    assert "<ol" not in page


def test_snapshots_off_leaves_the_lists_to_the_browser(tmp_path: Path, proxy: ListServer) -> None:
    site = write_site(
        tmp_path,
        spotify={"proxy_url": proxy.url("/api"), "listening": {"snapshots": False}},
        pages=PAGES,
    )
    result = build(site, strict=True)
    assert result.returncode == 0, result.output
    assert proxy.queries == []
    assert "spotify-lists.js" in site.html("listening/index.html")


def test_a_root_relative_proxy_url_is_read_against_site_url(
    tmp_path: Path, proxy: ListServer
) -> None:
    site = write_site(
        tmp_path, spotify={"proxy_url": "/api"}, pages=PAGES, site_url=proxy.url("/blog/")
    )
    assert build(site).returncode == 0
    assert len(proxy.queries) == 3
    assert 'proxy-url="/api"' in site.html("listening/index.html")


@pytest.mark.parametrize(
    ("listening", "words"),
    [({"cache": -1}, "minutes"), ({"timeout": "soon"}, "seconds"), ({"snapshot": True}, "")],
)
def test_bad_listening_options_are_one_sentence(
    tmp_path: Path, listening: dict[str, object], words: str
) -> None:
    site = write_site(
        tmp_path, spotify={"proxy_url": "https://p.example", "listening": listening}, pages=PAGES
    )
    result = build(site, strict=True)
    assert result.returncode != 0
    assert "Traceback" not in result.output
    assert words in result.output


def test_a_page_skipped_for_the_footer_widget_keeps_its_lists(
    tmp_path: Path, proxy: ListServer
) -> None:
    spotify = {"proxy_url": proxy.url("/api"), "skip": {"pages": ["listening.md"]}}
    site = write_site(tmp_path, spotify=spotify, pages=PAGES)
    assert build(site).returncode == 0
    page = site.html("listening/index.html")
    assert "<spotify-now-playing" not in page
    assert '<link rel="stylesheet" href="../assets/spotify/spotify-lists.css">' in page
    assert '<ol class="spl-list"' in page
