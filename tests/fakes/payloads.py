"""Spotify Web API payloads as real replies look, not only as the reference describes them.

Checked against replies captured in public client libraries (spotify-web-api-java, rspotify,
zmb3/spotify, spotify-web-api-js, exportify): non-square art in three sizes, relinked tracks
(`linked_from`), `restrictions` and `is_playable`, a context, `actions`, integral floats
(early 2024), local files, album-less tracks in old recently-played replies, and replies
without `currently_playing_type` or `actions` (2017).
"""

from __future__ import annotations

from typing import Any


def album_art(base: str, *, floats: bool = False) -> list[dict[str, Any]]:
    """Three sizes, widest first, as Spotify sends a cover that is not square (640x575)."""
    sizes = [(640, 575, ""), (300, 270, "300"), (64, 58, "64")]
    number = float if floats else int
    return [
        {"height": number(height), "url": base + suffix, "width": number(width)}
        for width, height, suffix in sizes
    ]


def track(
    name: str = "Song",
    *,
    artist: str = "Artist",
    album: str = "Album",
    track_id: str = "4uLU6hMCjMI75M1A2tKUQC",
    duration_ms: object = 215_000,
    explicit: bool = False,
    image_url: str = "https://i.scdn.co/image/ab67616d0000b273aaaa",
    floats: bool = False,
    relinked_from: str | None = None,
    restricted: bool = False,
) -> dict[str, Any]:
    """A track object. `floats`: numbers as integral floats (Spotify, early 2024);
    `relinked_from`: the id the owner picked, relinked to `track_id` for their market;
    `restricted`: not playable in the owner's market (`restrictions`, `is_playable: false`)."""
    number = float if floats else int
    found: dict[str, Any] = {
        "type": "track",
        "id": track_id,
        "uri": f"spotify:track:{track_id}",
        "href": f"https://api.spotify.com/v1/tracks/{track_id}",
        "name": name,
        "duration_ms": number(duration_ms) if isinstance(duration_ms, int) else duration_ms,
        "explicit": explicit,
        "is_local": False,
        "is_playable": not restricted,
        "disc_number": number(1),
        "track_number": number(2),
        "popularity": number(72),
        "preview_url": None,
        "external_ids": {"isrc": "SEAYD7601020"},
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        "artists": [
            {
                "name": artist,
                "id": "0OdUWJ0sBjDrqHygGUXeCF",
                "type": "artist",
                "uri": "spotify:artist:0OdUWJ0sBjDrqHygGUXeCF",
                "href": "https://api.spotify.com/v1/artists/0OdUWJ0sBjDrqHygGUXeCF",
                "external_urls": {
                    "spotify": "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"
                },
            }
        ],
        "album": {
            "name": album,
            "id": "1DFixLWuPkv3KT3TnV35m3",
            "type": "album",
            "uri": "spotify:album:1DFixLWuPkv3KT3TnV35m3",
            "href": "https://api.spotify.com/v1/albums/1DFixLWuPkv3KT3TnV35m3",
            "album_type": "album",
            "artists": [
                {
                    "name": artist,
                    "id": "0OdUWJ0sBjDrqHygGUXeCF",
                    "type": "artist",
                    "uri": "spotify:artist:0OdUWJ0sBjDrqHygGUXeCF",
                    "href": "https://api.spotify.com/v1/artists/0OdUWJ0sBjDrqHygGUXeCF",
                    "external_urls": {
                        "spotify": "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"
                    },
                }
            ],
            "release_date": "1976-10-11",
            "release_date_precision": "day",
            "total_tracks": number(10),
            "images": album_art(image_url, floats=floats),
            "external_urls": {"spotify": "https://open.spotify.com/album/1DFixLWuPkv3KT3TnV35m3"},
        },
    }
    if relinked_from is not None:
        found["linked_from"] = {
            "id": relinked_from,
            "type": "track",
            "uri": f"spotify:track:{relinked_from}",
            "href": f"https://api.spotify.com/v1/tracks/{relinked_from}",
            "external_urls": {"spotify": f"https://open.spotify.com/track/{relinked_from}"},
        }
    if restricted:
        found["restrictions"] = {"reason": "market"}
    return found


def episode(
    name: str = "Episode 12: Caches",
    *,
    show: str = "The Show",
    publisher: str = "Publisher",
    episode_id: str = "512ojhOuo1ktJprKbVcKyQ",
    duration_ms: object = 1_800_000,
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
        "release_date_precision": "day",
        "description": "About caches.",
        "html_description": "<p>About caches.</p>",
        "audio_preview_url": None,
        "languages": ["en"],
        "is_playable": True,
        "is_externally_hosted": False,
        "language": "en",
        "resume_point": {"fully_played": False, "resume_position_ms": 0},
        "show": {
            "name": show,
            "publisher": publisher,
            "id": "38bS44xjbVVZ3No3ByF1dJ",
            "uri": "spotify:show:38bS44xjbVVZ3No3ByF1dJ",
            "external_urls": {"spotify": "https://open.spotify.com/show/38bS44xjbVVZ3No3ByF1dJ"},
            "images": [{"url": "https://i.scdn.co/image/show640", "height": 640, "width": 640}],
            "type": "show",
            "href": "https://api.spotify.com/v1/shows/38bS44xjbVVZ3No3ByF1dJ",
            "description": "A show.",
            "explicit": False,
            "languages": ["en"],
            "copyrights": [],
            "is_externally_hosted": False,
            "media_type": "audio",
            "total_episodes": 300,
        },
    }


def local_track(
    name: str = "Snomads Island", artist: str = "David Wise", *, duration_ms: object = 127000
) -> dict[str, Any]:
    """A local file: null ids, no links, no art. Its duration arrived as
    `{"totalMilliseconds": N}` in Dec 2023 - Jan 2024."""
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
        "duration_ms": duration_ms,
        "explicit": False,
        "external_urls": {},
        "href": None,
        "id": None,
        "is_local": True,
        "name": name,
        "type": "track",
        "uri": "spotify:local:David+Wise:Donkey+Kong+Country%3A+Tropical+Freeze:Snomads+Island:127",
    }


def playlist_context() -> dict[str, Any]:
    return {
        "type": "playlist",
        "uri": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
        "href": "https://api.spotify.com/v1/playlists/37i9dQZF1DXcBWIGoYBM5M",
        "external_urls": {"spotify": "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"},
    }


def currently_playing(
    item: dict[str, Any] | None,
    *,
    is_playing: bool = True,
    progress_ms: int | None = 42_000,
    kind: str | None = None,
    timestamp: int = 1_718_000_000_000,
    context: dict[str, Any] | None = None,
    legacy: bool = False,
) -> dict[str, Any]:
    """A currently-playing reply; `legacy`: as in 2017, without `currently_playing_type` and
    `actions`."""
    if kind is None:
        kind = item["type"] if item else "unknown"
    reply: dict[str, Any] = {
        "timestamp": timestamp,
        "context": context,
        "progress_ms": progress_ms,
        "is_playing": is_playing,
        "item": item,
    }
    if not legacy:
        reply["currently_playing_type"] = kind
        reply["actions"] = {"disallows": {"resuming": True, "skipping_prev": True}}
    return reply


def player(
    item: dict[str, Any] | None, *, private_session: bool = False, **fields: Any
) -> dict[str, Any]:
    """A `GET /me/player` reply: the currently-playing fields plus the device and modes."""
    return {
        **currently_playing(item, **fields),
        "device": {
            "id": "5fbb3ba6aa454b5534c4ba43a8c7e8e45a63ad0e",
            "is_active": True,
            "is_private_session": private_session,
            "is_restricted": False,
            "name": "Laptop",
            "type": "Computer",
            "volume_percent": 80,
            "supports_volume": True,
        },
        "repeat_state": "off",
        "shuffle_state": False,
        "smart_shuffle": False,
    }


def ad() -> dict[str, Any]:
    reply = currently_playing(None, kind="ad", progress_ms=5_000, context=playlist_context())
    reply["actions"]["disallows"].update(seeking=True, skipping_next=True)
    return reply


def recently_played(*tracks: dict[str, Any], album_less: bool = False) -> dict[str, Any]:
    """`album_less`: tracks without `album`, as old replies (2016-2017) sent them."""
    if album_less:
        tracks = tuple({k: v for k, v in t.items() if k != "album"} for t in tracks)
    return {
        "href": "https://api.spotify.com/v1/me/player/recently-played",
        "limit": 20,
        "next": None,
        "cursors": {"after": "1718000000000", "before": "1717000000000"},
        "items": [
            {"track": t, "played_at": "2026-06-10T07:13:20.123Z", "context": playlist_context()}
            for t in tracks
        ],
    }


def real_world_replies() -> dict[str, dict[str, Any]]:
    """Currently-playing replies in every shape real ones have taken, by name."""
    return {
        "track-in-a-playlist": currently_playing(track(), context=playlist_context()),
        "paused-track": currently_playing(track(), is_playing=False),
        "relinked-track": currently_playing(track(relinked_from="43cFjTTCD9Cni4aSL0sORz")),
        "restricted-track": currently_playing(track(restricted=True)),
        "floats-2024": currently_playing(track(floats=True, duration_ms=204_053)),
        "no-duration": currently_playing({k: v for k, v in track().items() if k != "duration_ms"}),
        "local-file": currently_playing(local_track()),
        "local-file-duration-object": currently_playing(
            local_track(duration_ms={"totalMilliseconds": 127_000})
        ),
        "episode": currently_playing(episode()),
        "paused-episode": currently_playing(episode(), is_playing=False),
        "legacy-2017": currently_playing(track(), legacy=True),
        "progress-null": currently_playing(track(), progress_ms=None),
        "progress-past-the-end": currently_playing(track(), progress_ms=900_000),
        "player-state": player(track()),
    }
