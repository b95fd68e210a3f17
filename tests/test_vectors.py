"""The Python side of tests/vectors.json: what the proxy and the plugin's config accept.

The widget runs against the same file in tests/test_widget_vectors.py, so the two sides cannot
drift apart: a vector changed for one side fails on the other until both agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mkdocs_spotify.plugin.config import IDLE_CHOICES, SpotifyConfig
from mkdocs_spotify.plugin.labels import LABEL_KEYS, SHIPPED
from proxy.answers.nowplaying import normalise, safe_image_url, safe_spotify_url
from tests.fakes import payloads

VECTORS_PATH = Path(__file__).with_name("vectors.json")
# Stands for a URL longer than either side accepts (written out, it would drown the file).
LONG = "a" * 2100


def load_vectors() -> dict[str, Any]:
    vectors: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return vectors


def expand(value: object) -> object:
    return value.replace("LONG", LONG) if isinstance(value, str) else value


VECTORS = load_vectors()


@pytest.mark.parametrize("url", VECTORS["links"]["allowed"])
def test_allowed_links_are_kept(url: str) -> None:
    assert safe_spotify_url(expand(url)) == url


@pytest.mark.parametrize("url", VECTORS["links"]["refused"])
def test_refused_links_become_null(url: object) -> None:
    assert safe_spotify_url(expand(url)) is None


@pytest.mark.parametrize("url", VECTORS["images"]["allowed"])
def test_allowed_images_are_kept(url: str) -> None:
    assert safe_image_url(expand(url)) == url


@pytest.mark.parametrize("url", VECTORS["images"]["refused"])
def test_refused_images_become_null(url: object) -> None:
    assert safe_image_url(expand(url)) is None


def config_errors(options: dict[str, Any]) -> list[str]:
    config = SpotifyConfig()
    config.load_dict({"proxy_url": "https://spotify-proxy.test", **options})
    failed, _ = config.validate()
    return [key for key, _ in failed]


def test_label_keys_are_the_widgets() -> None:
    assert list(LABEL_KEYS) == list(VECTORS["labels"])
    # English ships in the widget itself; the plugin's translations cover the same keys.
    for language, texts in SHIPPED.items():
        assert set(texts) <= set(VECTORS["labels"]), language
    assert config_errors({"labels": {key: "x" for key in LABEL_KEYS}}) == []


def test_interval_bounds_and_defaults_are_the_widgets() -> None:
    intervals = VECTORS["intervals"]
    config = SpotifyConfig()
    config.load_dict({"proxy_url": "https://spotify-proxy.test"})
    assert config.validate() == ([], [])
    assert (config.min_interval, config.max_interval) == (
        intervals["min_default"],
        intervals["max_default"],
    )
    for seconds in (intervals["shortest"], intervals["longest"], *intervals["allowed"]):
        assert config_errors({"min_interval": seconds, "max_interval": 3600}) == [], seconds
        assert config_errors({"min_interval": 2, "max_interval": seconds}) == [], seconds
    for seconds in intervals["refused"]:
        assert config_errors({"min_interval": seconds}) == ["min_interval"], seconds
        assert config_errors({"max_interval": seconds}) == ["max_interval"], seconds


def test_idle_choices_are_the_widgets() -> None:
    idle = VECTORS["idle"]
    assert list(IDLE_CHOICES) == idle["choices"]
    config = SpotifyConfig()
    config.load_dict({"proxy_url": "https://spotify-proxy.test"})
    config.validate()
    assert config.when_idle == idle["default"]
    for choice in idle["refused"]:
        assert config_errors({"when_idle": choice}) == ["when_idle"], choice


def test_caps_on_untrusted_text_are_the_widgets() -> None:
    caps = VECTORS["caps"]
    track = payloads.track("x" * 400, artist="y" * 400)
    track["artists"] = track["artists"] * 15
    item = normalise(200, payloads.currently_playing(track), 0)["item"]
    assert item is not None
    assert (len(item["title"]), item["title"][-1]) == (caps["text"], "\u2026")
    assert len(item["artists"]) == caps["artists"]
    assert len(item["artists"][0]["name"]) == caps["text"]
