"""Spotify's recently-played and top-items replies -> list answers (pure functions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from proxy.answers.lists import recently_played, top_artists, top_tracks
from proxy.answers.nowplaying import NormaliseError
from tests.fakes import payloads

NOW = 1_780_000_000_000


def test_recently_played_items_carry_played_at_in_epoch_ms_newest_first() -> None:
    reply = payloads.recently_played(payloads.track("Older"), payloads.track("Newer"))
    reply["items"][0]["played_at"] = "2026-06-10T07:13:20.123Z"
    reply["items"][1]["played_at"] = "2026-06-10T07:20:00Z"
    answer = recently_played(200, reply, NOW)
    assert [entry["title"] for entry in answer["items"]] == ["Newer", "Older"]
    assert answer["items"][1]["played_at"] == 1_781_075_600_123
    assert answer["items"][0]["url"] == "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
    assert answer["fetched_at"] == NOW
    assert answer["stale"] is False


def test_entries_without_a_readable_time_or_item_are_left_out() -> None:
    reply = payloads.recently_played(payloads.track("Good"), payloads.track("No time"))
    reply["items"][1]["played_at"] = "yesterday"
    reply["items"].append({"track": {"type": "track"}, "played_at": "2026-06-10T07:13:20Z"})
    reply["items"].append("not an object")
    reply["items"].append({"track": payloads.track("Naive"), "played_at": "2026-06-10T07:13:20"})
    assert [e["title"] for e in recently_played(200, reply, NOW)["items"]] == ["Good"]


def test_local_files_and_episodes_keep_their_shape() -> None:
    reply = payloads.recently_played(payloads.local_track(), payloads.episode())
    items = recently_played(200, reply, NOW)["items"]
    local, episode = sorted(items, key=lambda entry: entry["type"], reverse=True)
    assert local["is_local"] is True
    assert local["url"] is None
    assert local["image"] is None
    assert episode["type"] == "episode"
    assert episode["album"] == {
        "name": "The Show",
        "url": "https://open.spotify.com/show/38bS44xjbVVZ3No3ByF1dJ",
    }


@pytest.mark.parametrize("status", [204, 200])
def test_an_empty_reply_is_an_empty_list(status: int) -> None:
    assert recently_played(status, None, NOW)["items"] == []
    assert top_tracks(200, {"items": []}, NOW, "long_term") == {
        "range": "long_term",
        "items": [],
        "fetched_at": NOW,
        "stale": False,
    }


@pytest.mark.parametrize(
    ("status", "payload"),
    [(500, None), (200, []), (200, {"items": None}), (200, {"error": {"status": 500}})],
)
def test_a_reply_that_is_not_a_list_cannot_be_read(status: int, payload: Any) -> None:
    with pytest.raises(NormaliseError):
        top_tracks(status, payload, NOW, "short_term")


def test_top_tracks_keep_spotifys_order() -> None:
    reply = {"items": [payloads.track("One"), payloads.track("Two")], "total": 2}
    answer = top_tracks(200, reply, NOW, "medium_term")
    assert [item["title"] for item in answer["items"]] == ["One", "Two"]
    assert answer["range"] == "medium_term"


def test_top_artists_are_name_link_and_the_image_that_fits() -> None:
    reply = {
        "items": [
            {
                "name": "San Holo",
                "external_urls": {
                    "spotify": "https://open.spotify.com/artist/0jNDKefhfSbLR9sFvcPLHo"
                },
                "images": [
                    {"url": "https://i.scdn.co/image/640", "width": 640, "height": 640},
                    {"url": "https://i.scdn.co/image/160", "width": 160, "height": 160},
                ],
            },
            {"name": 5},
        ]
    }
    assert top_artists(200, reply, NOW, "short_term")["items"] == [
        {
            "name": "San Holo",
            "url": "https://open.spotify.com/artist/0jNDKefhfSbLR9sFvcPLHo",
            "image": {"url": "https://i.scdn.co/image/160", "width": 160, "height": 160},
        }
    ]


def test_hostile_links_images_and_titles() -> None:
    evil = payloads.track("<img src=x onerror=alert(1)>", image_url="https://evil.example/a")
    evil["external_urls"]["spotify"] = "javascript:alert(1)"
    artist = {
        "name": "</script><script>alert(1)</script>",
        "external_urls": {"spotify": "https://open.spotify.com.evil.example/artist/x"},
        "images": [{"url": "http://i.scdn.co/image/plain-http", "width": 64, "height": 64}],
    }
    track = top_tracks(200, {"items": [evil]}, NOW, "short_term")["items"][0]
    assert track["title"] == "<img src=x onerror=alert(1)>"  # escaping is the renderer's job
    assert track["url"] is None
    assert track["image"] is None
    entry = top_artists(200, {"items": [artist]}, NOW, "short_term")["items"][0]
    assert entry == {"name": artist["name"], "url": None, "image": None}


def test_recorded_shapes_are_read(tmp_path: Any) -> None:
    # Shapes as Spotify sends them (reference: Web API "Get Recently Played Tracks", a track
    # inside each play-history object; top items as a paging object).
    reply = json.loads(json.dumps(payloads.recently_played(payloads.track())))
    reply["items"][0]["context"] = {"type": "album", "uri": "spotify:album:1"}
    assert len(recently_played(200, reply, NOW)["items"]) == 1
