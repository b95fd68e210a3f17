"""A simulated listening session for `mkdocs-spotify proxy --demo`. Pure: the clock is an argument.

The session answers in Spotify's wire format so it goes through the same normaliser as a real
reply. Someone watching a page for a minute should see every state, each long enough to notice,
so the session loops over a 52-second scene, told twice with different items (104 s in all):

| from (s) | first telling | second telling |
|---|---|---|
| 0  | a short track plays from its start to its end (16 s) | an explicit track, the same way |
| 16 | the next track starts and plays 12 s | a podcast episode plays 12 s from its middle |
| 28 | it is paused for 12 s with its progress frozen | the episode is paused the same way |
| 40 | nothing plays: 204 with no body (12 s), as a paused player goes idle | the same |

Any 60 s of the loop therefore hold playing, paused and idle (each for 12 s or more) and a
change from one item to the next. Tracks are seconds long, not minutes, so the progress bar
visibly moves. Every name is made up, so nothing has a Spotify id: each link opens Spotify's
search page for the name instead. The wire replies have no images (made-up i.scdn.co URLs would
be broken images); after normalising, `with_demo_cover` gives each album one of the covers the
demo proxy draws and serves itself (`proxy.answers.demo_art`), at a path on its own origin.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from proxy.answers.demo_art import COVER_PX, cover_url
from proxy.answers.nowplaying import Image, NowPlaying

_SEARCH = "https://open.spotify.com/search/"


def search_url(name: str) -> str:
    """Spotify's search page for `name`: a real page for any text, unlike an invented id."""
    return _SEARCH + quote(name, safe="")


def _link(kind: str, name: str) -> dict[str, object]:
    # No id, uri or API href: every one would be invented. The link searches for the name.
    return {
        "id": None,
        "uri": None,
        "href": None,
        "external_urls": {"spotify": search_url(name)},
        "type": kind,
        "name": name,
    }


def _track(
    name: str, artists: list[str], album: str, duration_s: int, explicit: bool = False
) -> dict[str, object]:
    return {
        **_link("track", name),
        "duration_ms": duration_s * 1000,
        "explicit": explicit,
        "is_local": False,
        "is_playable": True,
        "track_number": 1,
        "disc_number": 1,
        "artists": [_link("artist", artist) for artist in artists],
        "album": {
            **_link("album", album),
            "album_type": "album",
            "images": [],
            "release_date": "2026-03-14",
            "release_date_precision": "day",
            "total_tracks": 11,
            "artists": [_link("artist", artists[0])],
        },
    }


def _episode(name: str, show: str, publisher: str, duration_s: int) -> dict[str, object]:
    return {
        **_link("episode", name),
        "duration_ms": duration_s * 1000,
        "explicit": False,
        "images": [],
        "release_date": "2026-10-02",
        "release_date_precision": "day",
        "description": "A made-up episode for the mkdocs-spotify demo.",
        "show": {
            **_link("show", show),
            "publisher": publisher,
            "images": [],
            "media_type": "audio",
        },
    }


@dataclass(frozen=True)
class _Segment:
    """A stretch of the cycle: one item playing or paused, or nothing (item None -> 204)."""

    length_ms: int
    item: dict[str, object] | None = None
    progress_at_start_ms: int = 0
    playing: bool = True


_HARBOUR = _track("Paper Lanterns", ["The Quiet Harbours"], "Tidewater Letters", 16)
_LONG_TITLE = _track(
    "A Very Long Song Title That Keeps Going Well Past The Edge Of Any Reasonable Footer "
    "(Extended Lighthouse Mix)",
    ["Marigold & the Static", "Orla Fenwick"],
    "Signals From The Shoreline",
    50,
)
_EXPLICIT = _track("Concrete Bloom", ["Nova Kestrel"], "Rust & Neon", 16, explicit=True)
_PAUSED = _track("Slow Orbit", ["Juniper Lowe"], "Small Hours", 44)
_EPISODE = _episode(
    "Episode 42: Why Caches Lie", "Made-Up Minutes", "Imaginary Radio Collective", 1_860
)

# The scene's stretches after its opening track (milliseconds): each long enough that a widget
# fed by the live stream (or polling every few seconds) shows it for a while.
_PLAY_MS = 12_000
_PAUSE_MS = 12_000
_IDLE_MS = 12_000


def _scene(opener: dict[str, object], then: dict[str, object], from_ms: int) -> list[_Segment]:
    """`opener` plays whole, `then` plays from `from_ms` and is paused, then the player is idle."""
    opener_ms = opener["duration_ms"]
    assert isinstance(opener_ms, int)
    return [
        _Segment(opener_ms, opener),
        _Segment(_PLAY_MS, then, progress_at_start_ms=from_ms),
        _Segment(_PAUSE_MS, then, progress_at_start_ms=from_ms + _PLAY_MS, playing=False),
        _Segment(_IDLE_MS),
    ]


_CYCLE: tuple[_Segment, ...] = (
    *_scene(_HARBOUR, _LONG_TITLE, 0),
    *_scene(_EXPLICIT, _EPISODE, 754_000),
)
CYCLE_MS = sum(segment.length_ms for segment in _CYCLE)


class DemoSession:
    """What Spotify's currently-playing endpoint would answer during a made-up session."""

    def __init__(self, start_ms: int) -> None:
        self._start_ms = start_ms

    def reply(self, now_ms: int) -> tuple[int, dict[str, object] | None]:
        """(HTTP status, parsed JSON body or None) at epoch milliseconds `now_ms`."""
        # Python's modulo is never negative, so a clock that steps back still lands in the cycle.
        offset = (now_ms - self._start_ms) % CYCLE_MS
        for segment in _CYCLE:
            if offset < segment.length_ms:
                return self._reply(segment, offset, now_ms)
            offset -= segment.length_ms
        raise AssertionError("the offset is always inside the cycle")  # pragma: no cover

    def _reply(
        self, segment: _Segment, offset_ms: int, now_ms: int
    ) -> tuple[int, dict[str, object] | None]:
        if segment.item is None:
            return 204, None
        progress = segment.progress_at_start_ms + (offset_ms if segment.playing else 0)
        return 200, {
            "timestamp": now_ms,
            "context": None,
            "progress_ms": progress,
            "is_playing": segment.playing,
            # A copy, so a caller that edits the reply cannot change the session.
            "item": copy.deepcopy(segment.item),
            "currently_playing_type": segment.item["type"],
            "actions": {"disallows": {"resuming": True} if segment.playing else {"pausing": True}},
        }


# Each album (an episode's show) of the now-playing loop has its own cover.
_COVERS = {
    album: cover_url(number)
    for number, album in enumerate(
        ("Tidewater Letters", "Signals From The Shoreline", "Rust & Neon", "Made-Up Minutes"),
        start=1,
    )
}


def with_demo_cover(previous: NowPlaying | None, new: NowPlaying) -> NowPlaying:
    """The demo's answer step: the item's cover, served by the demo proxy itself.

    The URL is a path on the proxy's own origin (the widget resolves it against the proxy's URL
    and accepts that origin), so it holds behind any host name. The normaliser, which only lets
    Spotify's image hosts through, never sees it.
    """
    item = new["item"]
    album = item["album"] if item is not None else None
    if item is None or album is None or album["name"] not in _COVERS:
        return new
    image: Image = {"url": _COVERS[album["name"]], "width": COVER_PX, "height": COVER_PX}
    return {**new, "item": {**item, "image": image}}


# --- the demo's listening lists (recently played, top tracks, top artists) ------------------------

_LIBRARY = (
    _HARBOUR,
    _LONG_TITLE,
    _EXPLICIT,
    _PAUSED,
    _track("Glasshouse Weather", ["Orla Fenwick"], "Small Hours", 201),
    _track("Northbound Static", ["Marigold & the Static"], "Signals From The Shoreline", 188),
    _track("Lantern Season", ["The Quiet Harbours"], "Tidewater Letters", 242),
    _track("Copper Mornings", ["Juniper Lowe", "Nova Kestrel"], "Small Hours", 176),
    _track("Salt On The Wire", ["Nova Kestrel"], "Rust & Neon", 215),
    _track("Low Tide Radio", ["The Quiet Harbours"], "Tidewater Letters", 230),
    _track("Paperweight", ["Orla Fenwick"], "Paperweight", 199),
    _track("Midnight Ferry", ["Marigold & the Static"], "Night Crossings", 263),
)
_ARTISTS = (
    "The Quiet Harbours",
    "Orla Fenwick",
    "Marigold & the Static",
    "Nova Kestrel",
    "Juniper Lowe",
)
# Each range orders the same library differently, so switching ranges visibly changes the list.
_ORDER = {
    "short_term": (4, 0, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11),
    "medium_term": (0, 6, 1, 9, 4, 11, 5, 8, 2, 10, 3, 7),
    "long_term": (6, 0, 9, 11, 1, 5, 4, 3, 8, 2, 7, 10),
}
# A play every four minutes or so, back from now.
_PLAY_SPACING_MS = 4 * 60_000 + 17_000


def demo_recently_played(now_ms: int, limit: int = 50) -> dict[str, object]:
    """Spotify's recently-played reply: the library played back to back, newest first."""
    newest = now_ms - now_ms % 60_000 - 2 * 60_000
    items = []
    for index in range(min(limit, 20)):
        played_ms = newest - index * _PLAY_SPACING_MS
        played_at = datetime.fromtimestamp(played_ms / 1000, UTC).isoformat(timespec="milliseconds")
        items.append(
            {
                "track": copy.deepcopy(_LIBRARY[index % len(_LIBRARY)]),
                "played_at": played_at.replace("+00:00", "Z"),
                "context": None,
            }
        )
    return {"items": items, "limit": limit, "next": None, "cursors": None}


def demo_top(kind: str, time_range: str, limit: int = 50) -> dict[str, object]:
    """Spotify's top-items reply for `kind` ("tracks" or "artists") and `time_range`."""
    order = _ORDER.get(time_range, _ORDER["medium_term"])
    items: list[dict[str, object]]
    if kind == "artists":
        shift = list(_ORDER).index(time_range) if time_range in _ORDER else 0
        names = _ARTISTS[shift:] + _ARTISTS[:shift]
        items = [{**_link("artist", name), "images": [], "genres": []} for name in names]
    else:
        items = [copy.deepcopy(_LIBRARY[index]) for index in order]
    items = items[:limit]
    return {"items": items, "total": len(items), "limit": limit, "offset": 0, "next": None}
