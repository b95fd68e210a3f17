"""Spotify's currently-playing replies -> the now-playing JSON, case by case."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from proxy.answers.nowplaying import (
    MAX_ARTISTS,
    MAX_TEXT,
    NormaliseError,
    normalise,
    pick_image,
    safe_image_url,
    safe_spotify_url,
)
from tests.fakes import payloads
from tests.test_nowplaying_properties import assert_item_shape

FETCHED_AT = 1_718_000_001_234
SHOW_URL = "https://open.spotify.com/show/38bS44xjbVVZ3No3ByF1dJ"


def test_a_playing_track_becomes_the_full_answer() -> None:
    reply = payloads.currently_playing(
        payloads.track("Song", artist="Artist", album="Album", explicit=True)
    )

    assert normalise(200, reply, FETCHED_AT) == {
        "status": "playing",
        "item": {
            "type": "track",
            "title": "Song",
            "url": "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
            "artists": [
                {"name": "Artist", "url": "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"}
            ],
            "album": {
                "name": "Album",
                "url": "https://open.spotify.com/album/1DFixLWuPkv3KT3TnV35m3",
            },
            "image": {
                "url": "https://i.scdn.co/image/ab67616d0000b273aaaa64",
                "width": 64,
                "height": 58,
            },
            "duration_ms": 215_000,
            "explicit": True,
            "is_local": False,
        },
        "progress_ms": 42_000,
        "fetched_at": FETCHED_AT,
        "stale": False,
        "last_played": None,
    }


def test_a_paused_track_keeps_its_item_and_progress() -> None:
    answer = normalise(
        200, payloads.currently_playing(payloads.track(), is_playing=False), FETCHED_AT
    )

    assert answer["status"] == "paused"
    assert answer["item"] is not None
    assert answer["item"]["title"] == "Song"
    assert answer["progress_ms"] == 42_000


@pytest.mark.parametrize("payload", [None, {}, {"unexpected": True}], ids=["none", "empty", "odd"])
def test_204_is_idle_whatever_the_body(payload: object) -> None:
    assert normalise(204, payload, FETCHED_AT) == {
        "status": "idle",
        "item": None,
        "progress_ms": None,
        "fetched_at": FETCHED_AT,
        "stale": False,
        "last_played": None,
    }


def test_200_with_an_empty_body_is_idle() -> None:
    assert normalise(200, None, FETCHED_AT)["status"] == "idle"


@pytest.mark.parametrize(
    ("show", "publisher", "expected_byline", "expected_album"),
    [
        ("The Show", "Publisher", "The Show", {"name": "The Show", "url": SHOW_URL}),
        ("", "Publisher", "Publisher", None),
    ],
    ids=["with-show-name", "publisher-only"],
)
def test_an_episode_is_credited_to_its_show(
    show: str, publisher: str, expected_byline: str, expected_album: object
) -> None:
    reply = payloads.currently_playing(payloads.episode(show=show, publisher=publisher))

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert item is not None
    assert item["type"] == "episode"
    assert item["title"] == "Episode 12: Caches"
    assert item["url"] == "https://open.spotify.com/episode/512ojhOuo1ktJprKbVcKyQ"
    assert item["artists"] == [{"name": expected_byline, "url": SHOW_URL}]
    assert item["album"] == expected_album
    assert item["image"] == {"url": "https://i.scdn.co/image/ep640", "width": 640, "height": 640}
    assert item["duration_ms"] == 1_800_000
    assert item["is_local"] is False


def test_an_episode_without_images_uses_the_shows() -> None:
    episode = payloads.episode()
    episode["images"] = []

    item = normalise(200, payloads.currently_playing(episode), FETCHED_AT)["item"]

    assert item is not None
    assert item["image"] == {"url": "https://i.scdn.co/image/show640", "width": 640, "height": 640}


def test_an_episode_without_show_or_publisher_has_no_artists() -> None:
    episode = payloads.episode()
    del episode["show"]

    item = normalise(200, payloads.currently_playing(episode), FETCHED_AT)["item"]

    assert item is not None
    assert item["artists"] == []
    assert item["album"] is None


def test_a_local_file_has_names_but_no_links_or_art() -> None:
    local = payloads.local_track()
    # Even if a local file carried links or art, they would not belong to it.
    local["external_urls"] = {"spotify": "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"}
    local["album"]["images"] = [{"url": "https://i.scdn.co/image/x", "width": 64, "height": 64}]

    item = normalise(200, payloads.currently_playing(local), FETCHED_AT)["item"]

    assert item == {
        "type": "track",
        "title": "Snomads Island",
        "url": None,
        "artists": [{"name": "David Wise", "url": None}],
        "album": {"name": "Donkey Kong Country: Tropical Freeze", "url": None},
        "image": None,
        "duration_ms": 127_000,
        "explicit": False,
        "is_local": True,
    }


@pytest.mark.parametrize(
    ("reply", "expected_status"),
    [
        (payloads.ad(), "playing"),
        (payloads.currently_playing(None, kind="unknown"), "playing"),
        # An ad with an item: the item is not something to credit.
        (payloads.currently_playing(payloads.track(), kind="ad"), "playing"),
        # Private session: item null.
        (payloads.currently_playing(None, kind="track", is_playing=False), "paused"),
        # An episode fetched without additional_types=episode.
        (payloads.currently_playing(None, kind="episode"), "playing"),
        # A kind of item Spotify might add later.
        (payloads.currently_playing({"type": "chapter", "name": "One"}), "playing"),
    ],
    ids=["ad", "unknown", "ad-with-item", "private-session", "episode-hidden", "new-kind"],
)
def test_items_we_cannot_describe_become_null(reply: dict[str, Any], expected_status: str) -> None:
    answer = normalise(200, reply, FETCHED_AT)

    assert answer["status"] == expected_status
    assert answer["item"] is None
    assert answer["progress_ms"] is None


def test_titles_and_names_with_html_pass_unchanged() -> None:
    hostile = '<img src=x onerror="alert(1)">&amp; </script>'
    reply = payloads.currently_playing(payloads.track(hostile, artist=hostile, album=hostile))

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert item is not None
    assert item["title"] == hostile
    assert item["artists"][0]["name"] == hostile
    assert item["album"] is not None
    assert item["album"]["name"] == hostile


@pytest.mark.parametrize(
    ("progress", "expected"),
    [(42_000, 42_000), (-5, 0), (999_999, 215_000), (0, 0), (215_000, 215_000), (None, None)],
)
def test_progress_is_clamped_to_the_item(progress: int | None, expected: int | None) -> None:
    reply = payloads.currently_playing(payloads.track(duration_ms=215_000), progress_ms=progress)

    assert normalise(200, reply, FETCHED_AT)["progress_ms"] == expected


@pytest.mark.parametrize("progress", ["42000", 42_000.5, True, [1]])
def test_mistyped_progress_is_null(progress: object) -> None:
    reply = payloads.currently_playing(payloads.track())
    reply["progress_ms"] = progress

    assert normalise(200, reply, FETCHED_AT)["progress_ms"] is None


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """Set (or with value ..., delete) a dotted path of a currently-playing reply."""

    def edit(reply: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = reply
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value

    return edit


@pytest.mark.parametrize(
    ("status", "edit"),
    [
        (401, None),
        (429, None),
        (500, None),
        (200, _set("is_playing", ...)),
        (200, _set("is_playing", "true")),
        (200, _set("item", "a song")),
        (200, _set("item", ["a song"])),
        (200, _set("item.name", ...)),
        (200, _set("item.name", 7)),
        (200, _set("item.name", None)),
        (200, _set("item.type", ...)),
        (200, _set("item.type", 3)),
    ],
)
def test_unusable_replies_raise_normalise_error(
    status: int, edit: Callable[[dict[str, Any]], None] | None
) -> None:
    reply = payloads.currently_playing(payloads.track())
    if edit is not None:
        edit(reply)

    with pytest.raises(NormaliseError):
        normalise(status, reply, FETCHED_AT)


@pytest.mark.parametrize("payload", ["text", 204, [1, 2], True, {"error": {"status": 500}}])
def test_a_200_body_that_is_not_a_player_state_raises(payload: object) -> None:
    with pytest.raises(NormaliseError):
        normalise(200, payload, FETCHED_AT)


@pytest.mark.parametrize(
    ("edit", "field", "expected"),
    [
        (_set("item.explicit", "yes"), "explicit", False),
        (_set("item.explicit", ...), "explicit", False),
        (_set("item.is_local", None), "is_local", False),
        (_set("item.external_urls", ...), "url", None),
        (_set("item.external_urls", "https://open.spotify.com/track/x"), "url", None),
        (_set("item.artists", "Artist"), "artists", []),
        (
            _set("item.artists", [{"name": 5}, "x", {"name": "Kept"}]),
            "artists",
            [{"name": "Kept", "url": None}],
        ),
        (_set("item.album", None), "album", None),
        (_set("item.album.name", None), "album", None),
        (_set("item.album.images", {"url": "https://i.scdn.co/image/x"}), "image", None),
        (_set("item.album.images", [None, 5, {"width": 64}]), "image", None),
        (_set("currently_playing_type", []), "title", "Song"),
        (_set("currently_playing_type", {"ad": 1}), "title", "Song"),
    ],
)
def test_mistyped_optional_fields_fall_back(
    edit: Callable[[dict[str, Any]], None], field: str, expected: object
) -> None:
    reply = payloads.currently_playing(payloads.track())
    edit(reply)

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert item is not None
    assert dict(item)[field] == expected


HOSTILE_LINKS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "//evil.example/track/1",
    "//open.spotify.com/track/1",
    "http://open.spotify.com/track/1",
    "HTTPS://open.spotify.com/track/1",
    "https://open.spotify.com.evil.com/track/1",
    "https://evil.com/open.spotify.com",
    "https://evil.com/?https://open.spotify.com/",
    "https://open.spotify.com@evil.com/track/1",
    "https://user:pw@open.spotify.com/track/1",
    "https://open.spotify.com:8443/track/1",
    "https://open.spotify.com:443/track/1",
    "https://open.spotify.com\\@evil.com/",
    "https://open.spotify.com/track/1\nSet-Cookie: x",
    "https://open.spotify.com/track/ 1",
    'https://open.spotify.com/track/1"onmouseover="x',
    "https://[open.spotify.com/track/1",
    "https://OPEN.SPOTIFY.COM/track/1",
    "https://xopen.spotify.com/track/1",
    "data:text/html,<script>alert(1)</script>",
    "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
    "",
    "https://open.spotify.com/" + "a" * 3000,
]


@pytest.mark.parametrize("url", HOSTILE_LINKS)
def test_hostile_links_become_null(url: str) -> None:
    reply = payloads.currently_playing(payloads.track())
    reply["item"]["external_urls"]["spotify"] = url
    reply["item"]["artists"][0]["external_urls"]["spotify"] = url
    reply["item"]["album"]["external_urls"]["spotify"] = url

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert safe_spotify_url(url) is None
    assert item is not None
    assert item["url"] is None
    assert item["artists"][0]["url"] is None
    assert item["album"] is not None
    assert item["album"]["url"] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
        "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF?si=abc",
        "https://open.spotify.com/",
    ],
)
def test_spotify_links_are_kept_as_they_are(url: str) -> None:
    assert safe_spotify_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        *HOSTILE_LINKS,
        "https://open.spotify.com/image/x",
        "http://i.scdn.co/image/x",
        "https://scdn.co/image/x",
        "https://.scdn.co/image/x",
        "https://i.scdn.co.evil.com/image/x",
        "https://evil.com/i.scdn.co/image/x",
        "https://i.scdn.co@evil.com/image/x",
        "https://i.scdn.co:8443/image/x",
        "https://evilscdn.co/image/x",
        "https://i.notspotifycdn.com/image/x",
        "https://I.SCDN.CO/image/x",
        "https://-i.scdn.co/image/x",
    ],
)
def test_hostile_image_urls_become_null(url: str) -> None:
    reply = payloads.currently_playing(payloads.track())
    reply["item"]["album"]["images"] = [{"url": url, "width": 64, "height": 64}]

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert safe_image_url(url) is None
    assert item is not None
    assert item["image"] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://i.scdn.co/image/ab67616d0000b273aaaa",
        "https://mosaic.scdn.co/640/ab67616d0000b273",
        "https://image-cdn-ak.spotifycdn.com/image/ab67706c0000da84",
        "https://thisis-images.spotifycdn.com/37dfd0ea/x.jpg",
    ],
)
def test_spotify_image_urls_are_kept(url: str) -> None:
    assert safe_image_url(url) == url


def _image(url: str, width: object, height: object = None) -> dict[str, object]:
    return {"url": url, "width": width, "height": width if height is None else height}


@pytest.mark.parametrize(
    ("images", "expected_url"),
    [
        # Spotify's usual three sizes, widest first: the 64 px one fits the box.
        ([_image("https://i.scdn.co/a", 640), _image("https://i.scdn.co/b", 300),
          _image("https://i.scdn.co/c", 64)], "https://i.scdn.co/c"),
        # Smallest that is still at least 64 px, in any order.
        ([_image("https://i.scdn.co/b", 300), _image("https://i.scdn.co/a", 640),
          _image("https://i.scdn.co/s", 32)], "https://i.scdn.co/b"),
        # All too small: the widest (Spotify's first).
        ([_image("https://i.scdn.co/m", 48), _image("https://i.scdn.co/s", 32)],
         "https://i.scdn.co/m"),
        # Unknown sizes (playlist mosaics): the first.
        ([_image("https://mosaic.scdn.co/1", None), _image("https://mosaic.scdn.co/2", None)],
         "https://mosaic.scdn.co/1"),
        # A known size that fits beats an unknown one.
        ([_image("https://mosaic.scdn.co/1", None), _image("https://i.scdn.co/c", 64)],
         "https://i.scdn.co/c"),
        # Width missing: the height decides.
        ([{"url": "https://i.scdn.co/a", "height": 640},
          {"url": "https://i.scdn.co/c", "height": 64}], "https://i.scdn.co/c"),
        # A hostile image is never chosen, even when it is the best size.
        ([_image("https://i.scdn.co/a", 640), _image("https://evil.com/c", 64)],
         "https://i.scdn.co/a"),
        ([], None),
        (None, None),
        ("https://i.scdn.co/a", None),
    ],
    ids=["usual", "unordered", "all-small", "unknown", "known-beats-unknown", "height-only",
         "hostile-skipped", "empty", "null", "not-a-list"],
)  # fmt: skip
def test_pick_image_fits_a_64px_box(images: object, expected_url: str | None) -> None:
    image = pick_image(images)

    assert (image["url"] if image else None) == expected_url


@pytest.mark.parametrize(("size", "expected"), [(64, 64), (None, None), ("64", None),
                                                (True, None), (0, None), (-64, None),
                                                (64.0, 64), (64.5, None)])  # fmt: skip
def test_image_sizes_are_positive_ints_or_null(size: object, expected: int | None) -> None:
    image = pick_image([{"url": "https://i.scdn.co/a", "width": size, "height": size}])

    assert image == {"url": "https://i.scdn.co/a", "width": expected, "height": expected}


def test_normalise_leaves_the_payload_alone() -> None:
    reply = payloads.currently_playing(payloads.track())
    before = copy.deepcopy(reply)

    normalise(200, reply, FETCHED_AT)

    assert reply == before


def test_the_documented_examples_have_the_answer_shape() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "json-api.md").read_text()
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", doc, re.S)]

    assert {example["status"] for example in examples} == {"playing", "paused", "idle"}
    for example in examples:
        assert list(example) == list(normalise(204, None, FETCHED_AT))
        for item in (example["item"], example["last_played"]):
            if item is not None:
                assert_item_shape(item)


@pytest.mark.parametrize(
    "duration",
    [..., None, "215000", True, -1, 0, 215_000.5, [215_000], {"ms": 215_000}, {}],
    ids=["missing", "null", "text", "bool", "negative", "zero", "fraction", "list", "odd-object",
         "empty-object"],
)  # fmt: skip
def test_an_unreadable_duration_is_zero_with_no_progress(duration: object) -> None:
    reply = payloads.currently_playing(payloads.track(), progress_ms=42_000)
    _set("item.duration_ms", duration)(reply)

    answer = normalise(200, reply, FETCHED_AT)

    assert answer["item"] is not None
    assert answer["item"]["title"] == "Song"
    assert answer["item"]["duration_ms"] == 0
    assert answer["progress_ms"] is None


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(204_053.0, 204_053), ({"totalMilliseconds": 127_000}, 127_000),
     ({"totalMilliseconds": 127_000.0}, 127_000)],
    ids=["integral-float", "local-file-object", "object-with-float"],
)  # fmt: skip
def test_durations_as_spotify_sent_them_are_read(duration: object, expected: int) -> None:
    # Early 2024 (integral floats) and Dec 2023 - Jan 2024 (an object for local files).
    reply = payloads.currently_playing(payloads.local_track(), progress_ms=42_000.0)  # type: ignore[arg-type]
    reply["item"]["duration_ms"] = duration

    answer = normalise(200, reply, FETCHED_AT)

    assert answer["item"] is not None
    assert answer["item"]["duration_ms"] == expected
    assert answer["progress_ms"] == 42_000


@pytest.mark.parametrize("title", ["", " ", "\t\n", "\u3000"])
def test_a_blank_title_is_no_title(title: str) -> None:
    reply = payloads.currently_playing(payloads.track(title))

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert item is not None
    assert item["title"] == ""
    assert item["artists"][0]["name"] == "Artist"


def test_blank_artist_and_album_names_are_dropped() -> None:
    track = payloads.track(album=" ")
    track["artists"] = [{"name": ""}, {"name": "  "}, {"name": "Kept"}]

    item = normalise(200, payloads.currently_playing(track), FETCHED_AT)["item"]

    assert item is not None
    assert item["artists"] == [{"name": "Kept", "url": None}]
    assert item["album"] is None


def test_long_titles_and_names_are_capped_with_an_ellipsis() -> None:
    long = "x" * 20_000_000
    track = payloads.track(long, artist=long, album=long)

    item = normalise(200, payloads.currently_playing(track), FETCHED_AT)["item"]

    assert item is not None
    for text in (item["title"], item["artists"][0]["name"], item["album"]["name"]):  # type: ignore[index]
        assert len(text) == MAX_TEXT
        assert text == "x" * (MAX_TEXT - 1) + "\u2026"


def test_a_title_at_the_cap_is_unchanged() -> None:
    title = "y" * MAX_TEXT

    item = normalise(200, payloads.currently_playing(payloads.track(title)), FETCHED_AT)["item"]

    assert item is not None
    assert item["title"] == title


def test_long_episode_bylines_are_capped() -> None:
    long = "z" * 5_000
    reply = payloads.currently_playing(payloads.episode(long, show=long))

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert item is not None
    assert len(item["title"]) == MAX_TEXT
    assert len(item["artists"][0]["name"]) == MAX_TEXT
    assert item["album"] is not None
    assert len(item["album"]["name"]) == MAX_TEXT


def test_the_artist_list_is_capped() -> None:
    track = payloads.track()
    track["artists"] = [{"name": f"Artist {n}"} for n in range(100_000)]

    item = normalise(200, payloads.currently_playing(track), FETCHED_AT)["item"]

    assert item is not None
    assert [a["name"] for a in item["artists"]] == [f"Artist {n}" for n in range(MAX_ARTISTS)]


@pytest.mark.parametrize(
    "reply", payloads.real_world_replies().values(), ids=payloads.real_world_replies()
)
def test_every_shape_spotify_has_sent_gives_the_item(reply: dict[str, Any]) -> None:
    answer = normalise(200, reply, FETCHED_AT)

    item = answer["item"]
    assert item is not None
    assert item["title"]
    assert item["artists"]
    assert answer["status"] == ("playing" if reply["is_playing"] else "paused")
    if item["is_local"]:
        assert item["image"] is None
        assert item["duration_ms"] == 127_000
    else:
        assert item["url"] is not None
        assert item["image"] is not None
    if item["duration_ms"] == 0:
        assert answer["progress_ms"] is None
    else:
        progress = answer["progress_ms"]
        assert progress is None or 0 <= progress <= item["duration_ms"]


def test_non_square_art_is_picked_by_its_width() -> None:
    item = normalise(200, payloads.currently_playing(payloads.track()), FETCHED_AT)["item"]

    assert item is not None
    assert item["image"] == {
        "url": "https://i.scdn.co/image/ab67616d0000b273aaaa64",
        "width": 64,
        "height": 58,
    }


def test_integral_floats_read_as_integers() -> None:
    reply = payloads.currently_playing(payloads.track(floats=True, duration_ms=204_053))
    reply["progress_ms"] = 42_000.0

    answer = normalise(200, reply, FETCHED_AT)

    assert answer["item"] is not None
    assert type(answer["item"]["duration_ms"]) is int
    assert answer["item"]["duration_ms"] == 204_053
    assert type(answer["progress_ms"]) is int
    assert answer["progress_ms"] == 42_000
    image = answer["item"]["image"]
    assert image is not None
    assert (type(image["width"]), image["height"]) == (int, 58)


@pytest.mark.parametrize(("flag", "is_playing"), [(True, True), (True, False), ("true", True),
                                                  (1, True)])  # fmt: skip
def test_a_private_session_reads_as_idle(flag: object, is_playing: bool) -> None:
    reply = payloads.player(payloads.track(), is_playing=is_playing)
    reply["device"]["is_private_session"] = flag

    assert normalise(200, reply, FETCHED_AT) == normalise(204, None, FETCHED_AT)


@pytest.mark.parametrize("flag", [False, None, ...])
def test_a_session_not_marked_private_shows_the_track(flag: object) -> None:
    reply = payloads.player(payloads.track())
    _set("device.is_private_session", flag)(reply)

    item = normalise(200, reply, FETCHED_AT)["item"]

    assert item is not None
    assert item["title"] == "Song"


@pytest.mark.parametrize("huge", [1e300, 2**53 + 1, -(2**60)])
def test_numbers_beyond_what_a_browser_reads_exactly_are_unreadable(huge: object) -> None:
    reply = payloads.currently_playing(payloads.track())
    reply["item"]["duration_ms"] = huge
    reply["progress_ms"] = huge

    answer = normalise(200, reply, FETCHED_AT)

    assert answer["item"] is not None
    assert answer["item"]["duration_ms"] == 0
    assert answer["progress_ms"] is None
