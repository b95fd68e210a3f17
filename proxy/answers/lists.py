"""Spotify's recently-played and top-items replies -> the proxy's list answers. Pure: no I/O.

Each list entry goes through the same rules as now playing (`nowplaying.py`): links and images
only on Spotify's hosts, titles unchanged. An entry that cannot be read (missing name, unknown
kind, unreadable `played_at`) is left out rather than failing the whole list; a reply that is
not a list at all is a `NormaliseError`. Cutting to the visitor's `limit` happens after the
privacy filter (`privacy.py`), so these functions keep every readable entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from proxy.answers.nowplaying import (
    Image,
    Item,
    NormaliseError,
    item_of,
    pick_image,
    reply_object,
    safe_spotify_url,
)

TimeRange = Literal["short_term", "medium_term", "long_term"]
TIME_RANGES: tuple[TimeRange, ...] = ("short_term", "medium_term", "long_term")
# Spotify returns at most 50 entries per request (reference: Web API, "Get Recently Played
# Tracks" and "Get User's Top Items"); the proxy always asks for all of them and cuts after
# filtering, so a filtered list still has `limit` entries when it can.
SPOTIFY_MAX_LIMIT = 50


class Played(Item):
    played_at: int


class Artist(TypedDict):
    name: str
    url: str | None
    image: Image | None


class RecentlyPlayed(TypedDict):
    items: list[Played]
    fetched_at: int
    stale: bool


class TopTracks(TypedDict):
    range: TimeRange
    items: list[Item]
    fetched_at: int
    stale: bool


class TopArtists(TypedDict):
    range: TimeRange
    items: list[Artist]
    fetched_at: int
    stale: bool


def recently_played(status: int, payload: object, fetched_at_ms: int) -> RecentlyPlayed:
    """The answer for one reply of `GET /me/player/recently-played`, newest first."""
    played: list[Played] = []
    for entry in _entries(status, payload):
        when = _epoch_ms(entry.get("played_at"))
        item = _readable_item(entry.get("track"))
        if when is None or item is None:
            continue
        played.append({**item, "played_at": when})
    # Spotify lists newest first already; sorting keeps that promise whatever it sends.
    played.sort(key=lambda entry: entry["played_at"], reverse=True)
    return {"items": played, "fetched_at": fetched_at_ms, "stale": False}


def top_tracks(
    status: int, payload: object, fetched_at_ms: int, time_range: TimeRange
) -> TopTracks:
    """The answer for one reply of `GET /me/top/tracks`, in Spotify's order."""
    items = [
        item for entry in _entries(status, payload) if (item := _readable_item(entry)) is not None
    ]
    return {"range": time_range, "items": items, "fetched_at": fetched_at_ms, "stale": False}


def top_artists(
    status: int, payload: object, fetched_at_ms: int, time_range: TimeRange
) -> TopArtists:
    """The answer for one reply of `GET /me/top/artists`, in Spotify's order."""
    items: list[Artist] = []
    for entry in _entries(status, payload):
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        urls = entry.get("external_urls")
        url = safe_spotify_url(urls.get("spotify")) if isinstance(urls, dict) else None
        items.append({"name": name, "url": url, "image": pick_image(entry.get("images"))})
    return {"range": time_range, "items": items, "fetched_at": fetched_at_ms, "stale": False}


def _entries(status: int, payload: object) -> list[dict[str, object]]:
    reply = reply_object(status, payload)
    if reply is None:
        return []
    items = reply.get("items")
    if not isinstance(items, list):
        raise NormaliseError("items is missing or not a list")
    return [entry for entry in items if isinstance(entry, dict)]


def _readable_item(raw: object) -> Item | None:
    try:
        return item_of(raw)
    except NormaliseError:
        return None


def _epoch_ms(value: object) -> int | None:
    """Spotify's `played_at` (ISO 8601, e.g. 2026-06-10T07:13:20.123Z) as epoch milliseconds."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return round(when.timestamp() * 1000)
