"""The Spotify Web API client: `get(path, params)` with the owner's access token.

One place handles what every endpoint shares: a 401 refreshes once and retries once, 429 sets a
deadline, 403 and 5xx become errors with a sentence. No web-server code here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from proxy.settings import Settings
from proxy.spotify.errors import Forbidden, RateLimited, Unauthorized, UpstreamError
from proxy.spotify.tokens import AccessTokens

log = logging.getLogger(__name__)

# When Spotify refuses even a freshly refreshed token, refreshing on every 401 would cost a token
# call and two API calls per cache TTL for as long as it lasts; ask for a new token after this.
# Only that very token is held back: a 401 on any other token (an ordinary expiry after the
# burst) refreshes once, and a success with the refused token clears the hold.
REFUSED_TOKEN_BACKOFF = 300.0
# A sentence about a refused token, not a token (S105).
REFUSED_TOKEN = (
    "Spotify refused a freshly refreshed access token (401): the proxy stops refreshing on 401 "  # noqa: S105
    "for five minutes; check that the app still exists in the Spotify dashboard, or run "
    "`mkdocs-spotify login` again"
)
# Without additional_types=episode Spotify hides podcast episodes (item null).
CURRENTLY_PLAYING = "/me/player/currently-playing"
CURRENTLY_PLAYING_PARAMS = {"additional_types": "episode"}
# Currently-playing gives no sign of a private session
# (https://github.com/spotify/web-api/issues/685); the playback state answers the same item plus
# `device.is_private_session`, for the same one call, but needs this scope. Grants without it
# keep using currently-playing.
PLAYBACK_STATE = "/me/player"
PLAYBACK_STATE_SCOPE = "user-read-playback-state"


# Spotify has asked for waits of several hours, so long ones are honoured; but a garbage value
# (a year, a date far ahead) must not wedge the proxy until someone restarts it.
MAX_RETRY_AFTER = 24 * 3600.0


def retry_after_seconds(header: str | None, now: datetime, default: float = 30.0) -> float:
    """Seconds as Spotify sends them, or an HTTP-date (RFC 9110, e.g. from a CDN in between);
    anything unreadable means the documented default wait; at most MAX_RETRY_AFTER."""
    if header is None:
        return default
    try:
        value = float(header)
    except ValueError:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return default
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        value = max(0.0, (when - now).total_seconds())
    if not 0 <= value < float("inf"):  # negative, nan or inf
        return default
    return min(value, MAX_RETRY_AFTER)


Reply = tuple[int, Any]


class SpotifyClient:
    """Web API GETs with the owner's token. Paths and parameters are the project's own constants
    or validated values: nothing a visitor sends reaches Spotify's URL."""

    def __init__(self, settings: Settings, tokens: AccessTokens) -> None:
        self.settings = settings
        self.tokens = tokens
        self._refused: str | None = None  # the fresh token Spotify answered 401 to
        self._refused_until = float("-inf")

    async def currently_playing(self) -> Reply:
        """What plays now: from the playback state when the grant allows it (private sessions
        show there), else from currently-playing."""
        await self.tokens.access_token()  # the grant's scopes are known once a token is
        path = PLAYBACK_STATE if PLAYBACK_STATE_SCOPE in self.tokens.scopes else CURRENTLY_PLAYING
        return await self.get(path, CURRENTLY_PLAYING_PARAMS)

    async def get(self, path: str, params: Mapping[str, str]) -> Reply:
        """Spotify's status and parsed JSON (None for 204); UpstreamError subclasses otherwise."""
        url = self.settings.api_url + path
        token = await self.tokens.access_token()
        status, headers, body = await self._get(url, params, token)
        clock = self.tokens.clock
        if status == 401 and not self._held_back(token):
            self.tokens.invalidate(token)
            token = await self.tokens.access_token()
            status, headers, body = await self._get(url, params, token)
            if status == 401:
                self._refused = token
                self._refused_until = clock.monotonic() + REFUSED_TOKEN_BACKOFF
        if status != 401 and token == self._refused:
            self._refused = None
        if status == 429:
            retry_after = retry_after_seconds(headers.get("Retry-After"), clock.now())
            raise RateLimited(retry_after)
        if status == 403:
            raise Forbidden(
                "Spotify answered 403 Forbidden: add your account under User Management in the "
                "Spotify dashboard (development-mode apps need it and Premium), and make sure "
                "the login granted user-read-currently-playing.",
                403,
            )
        if status == 401:
            raise Unauthorized(REFUSED_TOKEN, 401)
        if 300 <= status < 400:
            # Redirects are not followed: the access token must reach Spotify's API URL only.
            raise UpstreamError(
                f"Spotify's Web API answered with a redirect (HTTP {status}), which the proxy "
                "does not follow: check SPOTIFY_API_URL.",
                status,
            )
        if status not in (200, 204):
            raise UpstreamError(f"Spotify answered HTTP {status}", status)
        if status == 204 or not body.strip():
            return 204, None
        try:
            return status, json.loads(body)
        except ValueError:
            raise UpstreamError("Spotify answered with malformed JSON", status) from None

    def _held_back(self, token: str) -> bool:
        """True for the token refused right after its own refresh, for REFUSED_TOKEN_BACKOFF."""
        return token == self._refused and self.tokens.clock.monotonic() < self._refused_until

    async def _get(
        self, url: str, params: Mapping[str, str], token: str
    ) -> tuple[int, Mapping[str, str], bytes]:
        session = self.tokens.session
        if session is None:
            raise UpstreamError("the proxy is not started")
        timeout = aiohttp.ClientTimeout(total=self.settings.upstream_timeout)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with session.get(
                url, params=params, headers=headers, timeout=timeout, allow_redirects=False
            ) as resp:
                return resp.status, resp.headers, await resp.read()
        except TimeoutError:
            raise UpstreamError("Spotify did not answer in time") from None
        except aiohttp.ClientError as error:
            raise UpstreamError(f"Spotify is unreachable ({type(error).__name__})") from None
