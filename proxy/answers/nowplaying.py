"""Spotify's currently-playing reply -> the proxy's `/v1/now-playing` JSON. Pure: no I/O.

Spotify's JSON is treated as untrusted input. Required fields that are missing or mistyped make
the whole reply unusable (`NormaliseError`, the only exception raised here); optional ones fall
back to null or a default. Links and images survive only when they point at Spotify's own hosts,
because the widget puts them in `href` and `src` attributes of every visitor's page. Titles and
names pass through unescaped (escaping is the renderer's job) but capped in length, and blank
ones count as missing.

Real replies are looser than the published schema (docs/proxy.md, "Troubleshooting"): numbers
arrive as integral floats (`204053.0`, early 2024), a local file's `duration_ms` as
`{"totalMilliseconds": N}` (Dec 2023 - Jan 2024), and some tracks have no duration at all. Such
a duration reads as 0, which means "unknown": no progress, not a refused reply.
"""

from __future__ import annotations

import re
from typing import Literal, TypedDict
from urllib.parse import urlsplit

SPOTIFY_LINK_HOST = "open.spotify.com"
# Every label a DNS name may have, then one of Spotify's image CDNs (i.scdn.co, mosaic.scdn.co,
# image-cdn-ak.spotifycdn.com, ...). A bare ".scdn.co" or "evil.com" never matches.
_IMAGE_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:scdn\.co|spotifycdn\.com)")
# Printable ASCII without space, quote marks, angle brackets or backslash: browsers "repair"
# whitespace, control characters and backslashes in URLs in ways urllib does not, so a URL
# containing any of them is refused rather than interpreted.
_URL_CHARS = re.compile(r"[!#-&(-;=?-\[\]-~]+")
_MAX_URL_LENGTH = 2048
# The widget shows art in a box of about 64 CSS pixels; Spotify's usual sizes are 640/300/64.
IMAGE_BOX_PX = 64
# Caps on what Spotify sends, so a huge title or artist list cannot bloat every answer or stall
# the widget; Spotify's display rules allow truncated metadata when the full text stays
# reachable (the item links to Spotify).
MAX_TEXT = 300
MAX_ARTISTS = 10
ELLIPSIS = "\u2026"
_MAX_SAFE_INT = 2**53  # JavaScript's Number.MAX_SAFE_INTEGER + 1
# Items the widget cannot describe: ads carry no metadata, "unknown" is whatever Spotify has not
# classified.
_ITEMLESS_TYPES = frozenset({"ad", "unknown"})


class NormaliseError(ValueError):
    """Spotify's reply cannot be turned into an answer (the sentence says which part)."""


class Link(TypedDict):
    name: str
    url: str | None


class Image(TypedDict):
    url: str
    width: int | None
    height: int | None


class Item(TypedDict):
    type: Literal["track", "episode"]
    title: str
    url: str | None
    artists: list[Link]
    album: Link | None
    image: Image | None
    duration_ms: int
    explicit: bool
    is_local: bool


class NowPlaying(TypedDict):
    status: Literal["playing", "paused", "idle"]
    item: Item | None
    progress_ms: int | None
    fetched_at: int
    stale: bool
    last_played: Item | None


def normalise(status: int, payload: object, fetched_at_ms: int) -> NowPlaying:
    """The answer for one reply of `GET /me/player/currently-playing` or `GET /me/player`
    (payload None if empty). A private session reads as idle."""
    reply = reply_object(status, payload)
    if reply is None:
        return _answer("idle", None, None, fetched_at_ms)
    # Required: without it this is not a player state (an error body would otherwise read as
    # "paused").
    is_playing = reply.get("is_playing")
    if not isinstance(is_playing, bool):
        raise NormaliseError("is_playing is missing or not true/false")
    if _dict(reply.get("device")).get("is_private_session") not in (None, False):
        # Only `GET /me/player` says so. The owner chose not to share this listening, so any
        # value but false (or none) hides it.
        return _answer("idle", None, None, fetched_at_ms)
    state: Literal["playing", "paused"] = "playing" if is_playing else "paused"
    item = _item(reply.get("item"), reply.get("currently_playing_type"))
    if item is None:
        return _answer(state, None, None, fetched_at_ms)
    progress = _int(reply.get("progress_ms"))
    if item["duration_ms"] == 0:
        progress = None  # nothing to measure it against
    elif progress is not None:
        progress = min(max(progress, 0), item["duration_ms"])
    return _answer(state, item, progress, fetched_at_ms)


def reply_object(status: int, payload: object) -> dict[str, object] | None:
    """A Web API reply's JSON object; None for an empty one (204, or 200 without a body).
    `NormaliseError` for any other status or a body that is not an object."""
    if status == 204 or (status == 200 and payload is None):
        return None
    if status != 200:
        raise NormaliseError(f"Spotify answered with HTTP status {status}")
    if not isinstance(payload, dict):
        raise NormaliseError("the reply is not a JSON object")
    return payload


def item_of(raw: object) -> Item | None:
    """One track or episode object (as in recently played or top tracks) as an answer's item.

    None for a kind the widget cannot describe; `NormaliseError` when it is not readable.
    """
    return _item(raw, None)


def safe_spotify_url(value: object) -> str | None:
    """`value` if it is an https link to open.spotify.com, else None."""
    if not isinstance(value, str) or _https_netloc(value) != SPOTIFY_LINK_HOST:
        return None
    return value


def safe_image_url(value: object) -> str | None:
    """`value` if it is an https URL on Spotify's image hosts, else None."""
    if not isinstance(value, str):
        return None
    netloc = _https_netloc(value)
    return value if netloc is not None and _IMAGE_HOST.fullmatch(netloc) else None


def pick_image(images: object) -> Image | None:
    """The image that best fills a ~64 px box: the smallest at least that size, else the first.

    Spotify lists images widest first, so "the first" is the widest when all are too small, and
    the likeliest to be big enough when their sizes are unknown.
    """
    usable = _images(images)
    if not usable:
        return None
    big_enough = [
        (size, image)
        for image in usable
        if (size := _size(image)) is not None and size >= IMAGE_BOX_PX
    ]
    if big_enough:
        return min(big_enough, key=lambda pair: pair[0])[1]
    return usable[0]


def _answer(
    status: Literal["playing", "paused", "idle"],
    item: Item | None,
    progress_ms: int | None,
    fetched_at_ms: int,
) -> NowPlaying:
    return {
        "status": status,
        "item": item,
        "progress_ms": progress_ms,
        "fetched_at": fetched_at_ms,
        "stale": False,
        "last_played": None,
    }


def _item(raw: object, playing_type: object) -> Item | None:
    # The isinstance check matters: a list or dict here is unhashable.
    if raw is None or (isinstance(playing_type, str) and playing_type in _ITEMLESS_TYPES):
        return None
    if not isinstance(raw, dict):
        raise NormaliseError("item is not a JSON object")
    kind = raw.get("type")
    if kind == "track":
        return _track(raw)
    if kind == "episode":
        return _episode(raw)
    if isinstance(kind, str):
        return None  # a kind of item Spotify may add later (audiobook chapters...): no details
    raise NormaliseError("item.type is missing or not a string")


def _track(raw: dict[str, object]) -> Item:
    is_local = _bool(raw.get("is_local"))
    album = _dict(raw.get("album"))
    album_name = _text(album.get("name"))
    return {
        "type": "track",
        "title": _title(raw),
        # Local files have no page on Spotify and no art; whatever such fields hold is ignored.
        "url": None if is_local else _spotify_url_of(raw),
        "artists": _artists(raw.get("artists"), is_local),
        "album": (
            {"name": album_name, "url": None if is_local else _spotify_url_of(album)}
            if album_name is not None
            else None
        ),
        "image": None if is_local else pick_image(album.get("images")),
        "duration_ms": _duration(raw),
        "explicit": _bool(raw.get("explicit")),
        "is_local": is_local,
    }


def _episode(raw: dict[str, object]) -> Item:
    show = _dict(raw.get("show"))
    show_url = _spotify_url_of(show)
    show_name = _text(show.get("name"))
    byline = show_name or _text(show.get("publisher")) or _text(raw.get("publisher"))
    return {
        "type": "episode",
        "title": _title(raw),
        "url": _spotify_url_of(raw),
        "artists": [{"name": byline, "url": show_url}] if byline else [],
        "album": {"name": show_name, "url": show_url} if show_name else None,
        "image": pick_image(raw.get("images")) or pick_image(show.get("images")),
        "duration_ms": _duration(raw),
        "explicit": _bool(raw.get("explicit")),
        "is_local": False,
    }


def _artists(raw: object, is_local: bool) -> list[Link]:
    if not isinstance(raw, list):
        return []
    artists: list[Link] = []
    for entry in raw:
        if len(artists) == MAX_ARTISTS:
            break
        name = _text(entry.get("name")) if isinstance(entry, dict) else None
        if isinstance(entry, dict) and name is not None:
            artists.append({"name": name, "url": None if is_local else _spotify_url_of(entry)})
    return artists


def _title(raw: dict[str, object]) -> str:
    """The capped title; "" when blank, so the renderer shows the artists instead."""
    name = raw.get("name")
    if not isinstance(name, str):
        raise NormaliseError("item.name is missing or not a string")
    return _capped(name) if name.strip() else ""


def _duration(raw: dict[str, object]) -> int:
    """Milliseconds, or 0 (unknown) when missing, negative or unreadable."""
    value = raw.get("duration_ms")
    if isinstance(value, dict):
        value = value.get("totalMilliseconds")
    duration = _int(value)
    return duration if duration is not None and duration > 0 else 0


def _images(raw: object) -> list[Image]:
    if not isinstance(raw, list):
        return []
    found: list[Image] = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        url = safe_image_url(entry.get("url"))
        if url is not None:
            found.append(
                {
                    "url": url,
                    "width": _pixels(entry.get("width")),
                    "height": _pixels(entry.get("height")),
                }
            )
    return found


def _size(image: Image) -> int | None:
    return image["width"] if image["width"] is not None else image["height"]


def _spotify_url_of(raw: dict[str, object]) -> str | None:
    return safe_spotify_url(_dict(raw.get("external_urls")).get("spotify"))


def _https_netloc(value: str) -> str | None:
    """The host part of an https URL made only of plain URL characters, else None.

    The caller compares it with the bare host name, so a userinfo ("user@") or a port fails.
    """
    if len(value) > _MAX_URL_LENGTH or not value.startswith("https://"):
        return None
    if not _URL_CHARS.fullmatch(value):
        return None
    try:
        return urlsplit(value).netloc
    except ValueError:  # e.g. an unbalanced "[" that looks like an IPv6 literal
        return None


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    """A whole number, also when sent as an integral float (`640.0`), within the range a
    browser reads exactly (2**53); anything else is not a count Spotify meant."""
    # bool is an int in Python but never a count in Spotify's JSON.
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and abs(value) <= _MAX_SAFE_INT:
        return value
    return None


def _pixels(value: object) -> int | None:
    number = _int(value)
    return number if number is not None and number > 0 else None


def _bool(value: object) -> bool:
    return value if isinstance(value, bool) else False


def _text(value: object) -> str | None:
    """A capped name, or None when it is missing or blank."""
    return _capped(value) if isinstance(value, str) and value.strip() else None


def _capped(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + ELLIPSIS
