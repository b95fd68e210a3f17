"""Each bad option stops `mkdocs build` with one sentence saying what to change, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mkdocs_spotify.plugin.config import SpotifyConfig
from tests.sites import build, write_site

URL = "https://proxy.example.com"

BAD = [
    ({"proxy_url": "ftp://proxy.example.com"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"proxy_url": "proxy.example.com"}, "proxy_url", "or to a root-relative path like /spotify"),
    ({"proxy_url": "//proxy.example.com"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"proxy_url": "https://p.example/?a=1"}, "proxy_url", "Set it to the proxy's base URL"),
    ({"proxy_url": 42}, "proxy_url", "(got 42)"),
    ({"proxy_url": "https://me:pw@p.example"}, "proxy_url", "Remove the user name and password"),
    ({"proxy_url": "/"}, "proxy_url", "or to a root-relative path like /spotify (got '/')."),
    ({"enabled": "no"}, "enabled", "Set it to true or false (got 'no')."),
    ({"when_idle": "sometimes"}, "when_idle", "Expected one of: ('last', 'message', 'hide')"),
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
    assert config.labels == {"open": "Écouter"}
    assert (config.min_interval, config.max_interval, config.dev_proxy_port) == (5, 60, 0)


# The same sentences through the real command line: exit code 1, MkDocs' framing, no traceback.
CLI_CASES = [
    next(case for case in BAD if case[1] == key) for key in ("proxy_url", "max_interval", "labels")
]


@pytest.mark.parametrize(
    ("options", "key", "sentence"), CLI_CASES, ids=["url", "interval", "label"]
)
def test_mkdocs_build_stops_with_the_sentence(
    tmp_path: Path, options: dict[str, Any], key: str, sentence: str
) -> None:
    result = build(write_site(tmp_path, spotify={"proxy_url": URL, **options}))

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
    assert '`proxy_url: !ENV [SPOTIFY_PROXY_URL, "https://' in result.output
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
