"""The `mkdocs_spotify.markdown` extension: a one-line block becomes one of the elements."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest

from tests.sites import PROXY_URL, build_site
from tests.test_plugin_build import parse


def convert(text: str, **config: str) -> str:
    md = markdown.Markdown(
        extensions=["mkdocs_spotify.markdown"],
        extension_configs={"mkdocs_spotify.markdown": config},
    )
    return md.convert(text)


def test_a_block_becomes_the_element_with_the_default_proxy_url() -> None:
    html = convert("[spotify-top-tracks range=short_term limit='10']", proxy_url="/spotify/")

    assert parse(html).widgets == []  # not the now-playing element
    # Python-Markdown writes attributes in name order.
    assert html == (
        '<spotify-top-tracks limit="10" proxy-url="/spotify" range="short_term">'
        "</spotify-top-tracks>"
    )


def test_attribute_values_are_escaped_and_a_block_proxy_url_wins() -> None:
    html = convert(
        "[spotify-now-playing proxy-url=/mine label-playing=\"Now <b>&amp; 'then'\"]",
        proxy_url="https://p.test",
    )

    found = parse(html).widgets
    assert [w.attributes for w in found] == [
        {"proxy-url": "/mine", "label-playing": "Now <b>& 'then'"}
    ]
    assert "<b>" not in html


@pytest.mark.parametrize(
    "text",
    [
        "Text [spotify-top-tracks] inline.",
        "    [spotify-top-tracks]",
        "[spotify-top-albums]",
        "[spotify-top-tracks limit=10",
    ],
    ids=["inline", "code", "unknown-tag", "unclosed"],
)
def test_anything_else_stays_text(text: str) -> None:
    assert "<spotify-" not in convert(text, proxy_url="/p")


@pytest.mark.parametrize("config", [{}, {"proxy_url": None}], ids=["unset", "env-unset"])
def test_without_any_proxy_url_it_says_how_to_give_one(
    caplog: pytest.LogCaptureFixture, config: dict[str, None]
) -> None:
    md = markdown.Markdown(
        extensions=["mkdocs_spotify.markdown"],
        extension_configs={"mkdocs_spotify.markdown": config},
    )
    html = md.convert("[spotify-recently-played limit=5]")

    assert html == '<spotify-recently-played limit="5"></spotify-recently-played>'
    assert "[spotify-recently-played] has no proxy-url: add proxy-url=... to it" in caplog.text


def test_in_an_mkdocs_site_with_the_plugin_a_page_keeps_one_now_playing(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Home\n\n[spotify-now-playing]\n\n[spotify-top-artists range=long_term]\n",
        "about.md": "# About\n",
    }
    extensions = [{"mkdocs_spotify.markdown": {"proxy_url": PROXY_URL}}]

    site = build_site(tmp_path, pages=pages, extra_config={"markdown_extensions": extensions})

    home = site.html("index.html")
    assert len(parse(home).widgets) == 1
    assert f'<spotify-top-artists proxy-url="{PROXY_URL}" range="long_term">' in home
    assert len(parse(site.html("about/index.html")).widgets) == 1
