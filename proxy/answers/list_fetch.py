"""Where list answers come from: one Spotify (or demo) reply per endpoint and time range, read by
`lists.py` and passed through the privacy rules before the cache keeps it.

The proxy always asks for Spotify's maximum of 50 entries; each visitor's `limit` is cut from
the kept answer after filtering. The paths and parameters sent are this module's constants and
the validated time range only: nothing a visitor writes reaches Spotify.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from proxy.answers.demo import demo_recently_played, demo_top
from proxy.answers.lists import (
    SPOTIFY_MAX_LIMIT,
    TimeRange,
    recently_played,
    top_artists,
    top_tracks,
)
from proxy.answers.nowplaying import NormaliseError
from proxy.clock import Clock
from proxy.spotify.errors import Forbidden, UpstreamError

Endpoint = Literal["recently-played", "top/tracks", "top/artists"]
ENDPOINTS: tuple[Endpoint, ...] = ("recently-played", "top/tracks", "top/artists")
Get = Callable[[str, Mapping[str, str]], Awaitable[tuple[int, Any]]]
ListAnswer = dict[str, Any]

SCOPES: dict[Endpoint, str] = {
    "recently-played": "user-read-recently-played",
    "top/tracks": "user-top-read",
    "top/artists": "user-top-read",
}
_FEATURE: dict[Endpoint, str] = {
    "recently-played": "recently played",
    "top/tracks": "top tracks",
    "top/artists": "top artists",
}
_PATHS: dict[Endpoint, str] = {
    "recently-played": "/me/player/recently-played",
    "top/tracks": "/me/top/tracks",
    "top/artists": "/me/top/artists",
}


class MissingScope(Forbidden):
    """The owner's grant lacks the scope a list needs; the sentence names the fix."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(missing_scope_sentence(endpoint))


def missing_scopes(granted: tuple[str, ...]) -> list[str]:
    """The list scopes a known grant lacks, sorted (none when the grant's scopes are unknown)."""
    if not granted:
        return []
    return sorted({scope for scope in SCOPES.values() if scope not in granted})


def missing_scope_sentence(endpoint: Endpoint) -> str:
    return (
        f"Showing {_FEATURE[endpoint]} needs the scope {SCOPES[endpoint]}, which the login did "
        "not grant: run `mkdocs-spotify login` again (its default scopes include it)."
    )


def list_fetch(
    get: Get,
    endpoint: Endpoint,
    time_range: TimeRange,
    clock: Clock,
    granted: Callable[[], tuple[str, ...]] = tuple,
) -> Callable[[], Awaitable[ListAnswer]]:
    """The cache's fetch for one list. `granted` names the grant's scopes (empty: unknown)."""
    params = {"limit": str(SPOTIFY_MAX_LIMIT)}
    if endpoint != "recently-played":
        params["time_range"] = time_range

    async def fetch() -> ListAnswer:
        scopes = granted()
        if scopes and SCOPES[endpoint] not in scopes:
            raise MissingScope(endpoint)
        try:
            status, payload = await get(_PATHS[endpoint], params)
        except Forbidden:
            # Now playing works (or /readyz says otherwise): a 403 here is the scope.
            raise MissingScope(endpoint) from None
        fetched_at = clock.epoch_ms()
        try:
            if endpoint == "recently-played":
                return dict(recently_played(status, payload, fetched_at))
            if endpoint == "top/tracks":
                return dict(top_tracks(status, payload, fetched_at, time_range))
            return dict(top_artists(status, payload, fetched_at, time_range))
        except NormaliseError as error:
            raise UpstreamError(
                f"Spotify's {_FEATURE[endpoint]} could not be read ({error})"
            ) from None

    return fetch


def demo_get(clock: Clock) -> Get:
    """The demo session's lists, in Spotify's wire format."""

    async def get(path: str, params: Mapping[str, str]) -> tuple[int, Any]:
        limit = int(params.get("limit", SPOTIFY_MAX_LIMIT))
        if path == _PATHS["recently-played"]:
            return 200, demo_recently_played(clock.epoch_ms(), limit)
        kind = path.rsplit("/", 1)[-1]
        return 200, demo_top(kind, params.get("time_range", "medium_term"), limit)

    return get
