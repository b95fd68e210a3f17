"""Each bad option stops `mkdocs build` with one sentence saying what to change, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mkdocs_spotify.plugin.config import SpotifyConfig
from tests.sites import build, build_cli, write_site

URL = "https://proxy.blog.test"

BAD = [
    ({"proxy_url": "ftp://proxy.blog.test"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"proxy_url": "proxy.blog.test"}, "proxy_url", "or to a root-relative path like /spotify"),
    ({"proxy_url": "//proxy.blog.test"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"proxy_url": "https://p.example/?a=1"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"proxy_url": 42}, "proxy_url", "(got 42)"),
    ({"proxy_url": "https://me:pw@p.example"}, "proxy_url", "Remove the user name and password"),
    ({"proxy_url": "/"}, "proxy_url", "or to a root-relative path like /spotify (got '/')."),
    ({"enabled": "no"}, "enabled", "Set it to true or false (got 'no')."),
    ({"when_idle": "never"}, "when_idle", "Set it to one of last, message, hide (got 'never')."),
    ({"album_art": "yes"}, "album_art", "Set it to true or false (got 'yes')."),
    ({"progress_bar": 1}, "progress_bar", "Set it to true or false (got 1)."),
    ({"min_interval": 1}, "min_interval", "a whole number of seconds from 2 to 3600 (got 1)."),
    ({"min_interval": "5"}, "min_interval", "Set it to a whole number of seconds (got '5')."),
    ({"min_interval": True}, "min_interval", "Set it to a whole number of seconds (got True)."),
    (
        {"min_interval": 30, "max_interval": 10},
        "max_interval",
        "Set it to at least min_interval (30), or lower min_interval (got 10).",
    ),
    ({"labels": {"nowplaying": "x"}}, "labels", "Unknown label 'nowplaying': use only playing,"),
    ({"labels": "Now playing"}, "labels", "Write it as a mapping with keys among playing,"),
    ({"labels": {"idle": ""}}, "labels", "Label 'idle' must be a non-empty text"),
    ({"placement": ""}, "placement", "Set it to footer or to a CSS selector"),
    (
        {"placement": "#nope >>> ["},
        "placement",
        "Set it to footer or to a valid CSS selector such as '.md-sidebar--secondary' "
        "('#nope >>> [' is not one).",
    ),
    ({"live": "yes"}, "live", "Set it to true or false (got 'yes')."),
    ({"labels": {"fr": {"opn": "x"}}}, "labels", "Unknown label 'opn' under 'fr': use only"),
    ({"labels": {"fr": "En écoute"}}, "labels", "or a language code such as fr holding those"),
    ({"skip": {"pages": [1]}}, "skip", "Sub-option 'pages': Write each entry as a glob"),
    ({"proxy_url": "/v1/now-playing"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"dev_proxy_port": 70000}, "dev_proxy_port", "a port number (0: any free port) from 0 to"),
]


def validate(options: dict[str, Any]) -> list[tuple[str, str]]:
    config = SpotifyConfig()
    config.load_dict(options)
    failed, _ = config.validate()
    return [(key, str(error)) for key, error in failed]


@pytest.mark.parametrize(("options", "key", "sentence"), BAD, ids=[str(b[0]) for b in BAD])
def test_a_bad_option_gives_its_sentence(options: dict[str, Any], key: str, sentence: str) -> None:
    failed = validate({"proxy_url": URL, **options})

    assert len(failed) == 1
    assert failed[0][0] == key
    assert sentence in failed[0][1]


def test_good_options_pass_and_are_normalised() -> None:
    config = SpotifyConfig()
    config.load_dict({"proxy_url": " https://p.example/base/ ", "labels": {"open": " Écouter "}})

    assert config.validate() == ([], [])
    assert config.proxy_url == "https://p.example/base"
    assert config.labels.every == {"open": "Écouter"}
    assert (config.min_interval, config.max_interval, config.dev_proxy_port) == (5, 60, 0)
    assert (config.live, config.skip.pages, config.skip.templates) == (None, [], [])


@pytest.mark.parametrize(
    "given",
    [
        "https://p.example/base/v1/now-playing",
        "https://p.example/base/v1/now-playing/",
        "https://p.example/base/v1/now-playing/stream",
    ],
)
def test_an_endpoint_as_proxy_url_is_cut_to_the_base_with_a_warning(given: str) -> None:
    config = SpotifyConfig()
    config.load_dict({"proxy_url": given})

    failed, warnings = config.validate()

    assert failed == []
    assert config.proxy_url == "https://p.example/base"
    assert len(warnings) == 1
    assert warnings[0][0] == "proxy_url"
    assert "proxy_url is the proxy's base URL" in warnings[0][1]
    assert "so 'https://p.example/base' is used." in warnings[0][1]


@pytest.mark.parametrize(
    "url",
    [
        "https://spotify-proxy.example.com",
        "https://example.org/spotify",
        "http://a.b.example.net:8787",
    ],
)
def test_a_proxy_url_on_an_example_domain_is_a_warning(url: str) -> None:
    config = SpotifyConfig()
    config.load_dict({"proxy_url": url})

    failed, warnings = config.validate()

    assert failed == []
    assert [key for key, _ in warnings] == ["proxy_url"]
    assert "is a documentation example, not your proxy" in warnings[0][1]


def test_lookalikes_of_example_domains_are_not_warned_about() -> None:
    config = SpotifyConfig()
    config.load_dict({"proxy_url": "https://myexample.com"})

    assert config.validate() == ([], [])


def test_a_strict_build_with_the_example_proxy_url_fails(tmp_path: Path) -> None:
    site = write_site(tmp_path, spotify={"proxy_url": "https://spotify-proxy.example.com"})

    result = build_cli(site, strict=True)

    assert result.returncode == 1
    assert "spotify-proxy.example.com is a documentation example, not your proxy" in result.output
    assert "Traceback" not in result.output


# The same sentences through the real command line: exit code 1, MkDocs' framing, no traceback.
CLI_CASES = [next(case for case in BAD if case[1] == key) for key in ("proxy_url", "placement")]


@pytest.mark.parametrize(("options", "key", "sentence"), CLI_CASES, ids=["url", "placement"])
def test_mkdocs_build_stops_with_the_sentence(
    tmp_path: Path, options: dict[str, Any], key: str, sentence: str
) -> None:
    result = build_cli(write_site(tmp_path, spotify={"proxy_url": URL, **options}))

    assert result.returncode == 1
    assert f"Plugin 'spotify' option '{key}': " in result.output
    assert sentence in result.output
    assert "Aborted with a configuration error!" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


def test_a_build_without_proxy_url_says_how_to_fix_it(tmp_path: Path) -> None:
    result = build(write_site(tmp_path, spotify={}))

    assert result.returncode == 1
    assert "The spotify plugin needs proxy_url to build" in result.output
    assert "`proxy_url: !ENV SPOTIFY_PROXY_URL`" in result.output
    assert "`enabled: false`" in result.output
    assert "Traceback" not in result.output


def test_a_build_without_proxy_url_but_disabled_is_fine(tmp_path: Path) -> None:
    result = build(write_site(tmp_path, spotify={"enabled": False}))

    assert result.returncode == 0, result.output


def test_an_unknown_option_is_a_warning_and_fails_strict(tmp_path: Path) -> None:
    site = write_site(tmp_path, spotify={"proxy_url": URL, "proxyurl": URL})

    result = build(site, strict=True)

    assert result.returncode == 1
    assert "Plugin 'spotify' option 'proxyurl': Unrecognised configuration name" in result.output


def test_the_readme_snippet_without_its_variable_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPOTIFY_PROXY_URL", raising=False)
    site = write_site(
        tmp_path,
        plugins=["search"],
        # Appended right after the dumped `plugins:` list, the last key: README's snippet.
        extra_yaml="- spotify:\n    proxy_url: !ENV SPOTIFY_PROXY_URL\n",
    )

    result = build(site)

    assert result.returncode == 1
    assert "The spotify plugin needs proxy_url to build" in result.output
