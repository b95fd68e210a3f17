"""Spotify Web API payloads in the documented wire format (reference/spotify_api.md §1.2-1.3)."""

from __future__ import annotations

from typing import Any


def track(
    name: str = "Song",
    *,
    artist: str = "Artist",
    album: str = "Album",
    track_id: str = "4uLU6hMCjMI75M1A2tKUQC",
    duration_ms: int = 215_000,
    explicit: bool = False,
    image_url: str = "https://i.scdn.co/image/ab67616d0000b273aaaa",
) -> dict[str, Any]:
    return {
        "type": "track",
        "id": track_id,
        "uri": f"spotify:track:{track_id}",
        "name": name,
        "duration_ms": duration_ms,
        "explicit": explicit,
        "is_local": False,
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        "artists": [
            {
                "name": artist,
                "id": "0OdUWJ0sBjDrqHygGUXeCF",
                "uri": "spotify:artist:0OdUWJ0sBjDrqHygGUXeCF",
                "external_urls": {
                    "spotify": "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"
                },
            }
        ],
        "album": {
            "name": album,
            "id": "1DFixLWuPkv3KT3TnV35m3",
            "uri": "spotify:album:1DFixLWuPkv3KT3TnV35m3",
            "album_type": "album",
            "images": [
                {"url": image_url, "height": 640, "width": 640},
                {"url": image_url + "300", "height": 300, "width": 300},
                {"url": image_url + "64", "height": 64, "width": 64},
            ],
            "external_urls": {"spotify": "https://open.spotify.com/album/1DFixLWuPkv3KT3TnV35m3"},
        },
    }


def episode(
    name: str = "Episode 12: Caches",
    *,
    show: str = "The Show",
    publisher: str = "Publisher",
    episode_id: str = "512ojhOuo1ktJprKbVcKyQ",
    duration_ms: int = 1_800_000,
) -> dict[str, Any]:
    return {
        "type": "episode",
        "id": episode_id,
        "uri": f"spotify:episode:{episode_id}",
        "name": name,
        "duration_ms": duration_ms,
        "explicit": False,
        "external_urls": {"spotify": f"https://open.spotify.com/episode/{episode_id}"},
        "images": [{"url": "https://i.scdn.co/image/ep640", "height": 640, "width": 640}],
        "release_date": "2026-01-01",
        "show": {
            "name": show,
            "publisher": publisher,
            "id": "38bS44xjbVVZ3No3ByF1dJ",
            "uri": "spotify:show:38bS44xjbVVZ3No3ByF1dJ",
            "external_urls": {"spotify": "https://open.spotify.com/show/38bS44xjbVVZ3No3ByF1dJ"},
            "images": [{"url": "https://i.scdn.co/image/show640", "height": 640, "width": 640}],
        },
    }


def local_track(name: str = "Snomads Island", artist: str = "David Wise") -> dict[str, Any]:
    return {
        "album": {
            "album_type": None,
            "available_markets": [],
            "external_urls": {},
            "href": None,
            "id": None,
            "images": [],
            "name": "Donkey Kong Country: Tropical Freeze",
            "type": "album",
            "uri": None,
        },
        "artists": [
            {
                "external_urls": {},
                "href": None,
                "id": None,
                "name": artist,
                "type": "artist",
                "uri": None,
            }
        ],
        "duration_ms": 127000,
        "explicit": False,
        "external_urls": {},
        "href": None,
        "id": None,
        "is_local": True,
        "name": name,
        "type": "track",
        "uri": "spotify:local:David+Wise:Donkey+Kong+Country%3A+Tropical+Freeze:Snomads+Island:127",
    }


def currently_playing(
    item: dict[str, Any] | None,
    *,
    is_playing: bool = True,
    progress_ms: int | None = 42_000,
    kind: str | None = None,
    timestamp: int = 1_718_000_000_000,
) -> dict[str, Any]:
    if kind is None:
        kind = item["type"] if item else "unknown"
    return {
        "timestamp": timestamp,
        "context": None,
        "progress_ms": progress_ms,
        "is_playing": is_playing,
        "item": item,
        "currently_playing_type": kind,
        "actions": {"disallows": {"resuming": True}},
    }


def ad() -> dict[str, Any]:
    return currently_playing(None, kind="ad", progress_ms=5_000)


def recently_played(*tracks: dict[str, Any]) -> dict[str, Any]:
    return {
        "href": "https://api.spotify.com/v1/me/player/recently-played",
        "limit": 20,
        "next": None,
        "cursors": {"after": "1718000000000", "before": "1717000000000"},
        "items": [
            {"track": t, "played_at": "2026-06-10T07:13:20.123Z", "context": None} for t in tracks
        ],
    }
