"""Whatever Spotify sends, the normaliser answers in the documented shape or raises NormaliseError.

Arbitrary JSON and random damage to valid replies go through `normalise`; the answer's links and
images must pass the allow-lists and its types must match docs/json-api.md.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.answers.nowplaying import NormaliseError, normalise, safe_image_url, safe_spotify_url
from tests.fakes import payloads

FETCHED_AT = 1_718_000_001_234
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# URL-ish strings that come close to the allowed ones, so the allow-lists are really exercised.
url_like = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(
        [
            "https://open.spotify.com",
            "https://open.spotify.com/",
            "https://i.scdn.co/",
            "https://mosaic.scdn.co",
            "https://x.spotifycdn.com",
            "http://open.spotify.com/",
            "https://open.spotify.com.evil.com/",
            "https://evil.com/",
            "javascript:",
            "//",
        ]
    ),
    st.text(max_size=20),
)
statuses = st.sampled_from([200, 200, 200, 204, 401, 403, 429, 500, 503]) | st.integers(100, 599)
valid_replies = st.sampled_from(
    [
        payloads.currently_playing(payloads.track()),
        payloads.currently_playing(payloads.track(), is_playing=False),
        payloads.currently_playing(payloads.episode()),
        payloads.currently_playing(payloads.local_track()),
        payloads.ad(),
        *payloads.real_world_replies().values(),
    ]
)


def assert_allowed_link(url: object) -> None:
    assert url is None or (
        isinstance(url, str)
        and url.startswith("https://open.spotify.com")
        and urlsplit(url).netloc == "open.spotify.com"
        and safe_spotify_url(url) == url
    )


def assert_item_shape(item: object) -> int:
    """Checks one item against docs/json-api.md and returns its duration."""
    assert isinstance(item, dict)
    assert set(item) == {
        "type",
        "title",
        "url",
        "artists",
        "album",
        "image",
        "duration_ms",
        "explicit",
        "is_local",
    }
    assert item["type"] in ("track", "episode")
    assert type(item["title"]) is str
    assert_allowed_link(item["url"])
    assert isinstance(item["artists"], list)
    for artist in item["artists"]:
        assert set(artist) == {"name", "url"}
        assert type(artist["name"]) is str
        assert_allowed_link(artist["url"])
    album = item["album"]
    assert album is None or (set(album) == {"name", "url"} and type(album["name"]) is str)
    if album is not None:
        assert_allowed_link(album["url"])
    image = item["image"]
    if image is not None:
        assert set(image) == {"url", "width", "height"}
        host = urlsplit(image["url"]).netloc
        assert image["url"].startswith("https://")
        assert host.endswith((".scdn.co", ".spotifycdn.com"))
        assert safe_image_url(image["url"]) == image["url"]
        for size in (image["width"], image["height"]):
            assert size is None or (type(size) is int and size > 0)
    assert type(item["duration_ms"]) is int
    assert item["duration_ms"] >= 0
    assert type(item["explicit"]) is bool
    assert type(item["is_local"]) is bool
    if item["is_local"]:
        assert item["url"] is None
        assert item["image"] is None
    return item["duration_ms"]


def assert_answer_shape(answer: object) -> None:
    assert isinstance(answer, dict)
    assert set(answer) == {"status", "item", "progress_ms", "fetched_at", "stale", "last_played"}
    assert answer["status"] in ("playing", "paused", "idle")
    assert answer["fetched_at"] == FETCHED_AT
    assert answer["stale"] is False
    assert answer["last_played"] is None
    progress = answer["progress_ms"]
    if answer["item"] is None:
        assert progress is None
    else:
        assert answer["status"] != "idle"
        duration = assert_item_shape(answer["item"])
        assert progress is None or (type(progress) is int and 0 <= progress <= duration)
    # The service sends it as JSON as it is.
    assert json.loads(json.dumps(answer)) == answer


def check(status: int, payload: object) -> None:
    try:
        answer = normalise(status, payload, FETCHED_AT)
    except NormaliseError:
        return
    assert_answer_shape(answer)


@PROPERTY_SETTINGS
@given(statuses, json_values)
def test_arbitrary_json_answers_or_raises_normalise_error(status: int, payload: object) -> None:
    check(status, payload)


@PROPERTY_SETTINGS
@given(json_values)
def test_arbitrary_json_as_the_item_answers_or_raises_normalise_error(item: object) -> None:
    check(200, payloads.currently_playing(None) | {"item": item})


def _mutate(data: st.DataObject, reply: dict[str, Any]) -> None:
    """Replace or delete one value somewhere in the reply (a dict or list anywhere in it)."""
    target: Any = reply
    while True:
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        child = target[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            target = child
            continue
        if isinstance(target, dict) and data.draw(st.booleans()):
            del target[key]
        else:
            target[key] = data.draw(json_values | url_like)
        return


@PROPERTY_SETTINGS
@given(statuses, valid_replies, st.data())
@pytest.mark.slow
def test_damaged_replies_answer_or_raise_normalise_error(
    status: int, reply: dict[str, Any], data: st.DataObject
) -> None:
    reply = json.loads(json.dumps(reply))  # a fresh copy: the sampled reply is shared
    for _ in range(data.draw(st.integers(1, 4))):
        _mutate(data, reply)
    check(status, reply)


@PROPERTY_SETTINGS
@given(valid_replies)
def test_undamaged_replies_always_answer(reply: dict[str, Any]) -> None:
    answer = normalise(200, reply, FETCHED_AT)

    assert_answer_shape(answer)


@PROPERTY_SETTINGS
@given(json_values | url_like)
def test_allow_lists_pass_only_spotify_urls(value: object) -> None:
    link = safe_spotify_url(value)
    image = safe_image_url(value)

    assert link is None or link == value
    assert_allowed_link(link)
    if image is not None:
        assert image == value
        assert urlsplit(image).netloc.endswith((".scdn.co", ".spotifycdn.com"))


URL_SLOTS = [
    ("item", "external_urls", "spotify"),
    ("item", "artists", 0, "external_urls", "spotify"),
    ("item", "album", "external_urls", "spotify"),
    ("item", "album", "images", 0, "url"),
    ("item", "album", "images", 2, "url"),
    ("item", "images", 0, "url"),
    ("item", "show", "external_urls", "spotify"),
    ("item", "show", "images", 0, "url"),
]


@PROPERTY_SETTINGS
@given(valid_replies, st.lists(url_like, min_size=len(URL_SLOTS), max_size=len(URL_SLOTS)))
def test_near_miss_urls_in_every_slot_are_filtered(reply: dict[str, Any], urls: list[str]) -> None:
    reply = json.loads(json.dumps(reply))
    for path, url in zip(URL_SLOTS, urls, strict=True):
        target: Any = reply
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = url
        except (KeyError, IndexError, TypeError):
            continue  # this kind of item has no such slot

    assert_answer_shape(normalise(200, reply, FETCHED_AT))
