"""Every error the Spotify core raises, in one tree (as httpx's `_exceptions.py` draws its own).

    SpotifyError                 anything below; its message is a sentence safe to show the owner
    ├── AccountsError            the token endpoint refused or failed (`.error`: Spotify's code)
    ├── StoreError               the token store exists but cannot be used
    │   └── RedisUnusable        Redis (SPOTIFY_PROXY_REDIS_URL) cannot be reached or used at all
    └── UpstreamError            worth retrying later: 5xx, timeout, bad JSON, accounts hiccup
        ├── RateLimited          429, with `.retry_after` seconds
        ├── Forbidden            403: not allow-listed, no Premium, missing scope
        ├── Unauthorized         401 even with a freshly refreshed access token
        ├── StoreBusy            another process held the token store's lock too long
        │   └── SharedStateDown  Redis, where replicas share their state, cannot be reached
        └── GrantDead            no usable refresh token (invalid_grant, none, unusable store)

No message carries a token or the client secret. The answers layer turns these into stale answers;
the web layer into status codes; the CLI into one line each.
"""

from __future__ import annotations


class SpotifyError(Exception):
    """Base of every error the Spotify core raises."""


class AccountsError(SpotifyError):
    """The token endpoint refused or failed. `error` is Spotify's code (`invalid_grant`...)."""

    def __init__(self, error: str, description: str = "", status: int | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        detail = f": {description}" if description else ""
        super().__init__(f"{error}{detail}" + (f" (HTTP {status})" if status else ""))

    @property
    def is_invalid_grant(self) -> bool:
        return self.error == "invalid_grant"


class StoreError(SpotifyError):
    """The store exists but cannot be used; the message says what to do."""


class RedisUnusable(StoreError):
    """Checked before any refresh: Redis cannot be reached, refuses the password, or holds a
    grant that is not a token store. Unlike `SharedStateDown`, nothing has started to wait."""


class UpstreamError(SpotifyError):
    """Spotify failed in a way worth retrying later (5xx, timeout, bad JSON, accounts hiccup).

    `status` is the HTTP status Spotify answered with, None when there was no answer.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(UpstreamError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Spotify rate limit: retry after {retry_after:g} s", 429)
        self.retry_after = retry_after


class Forbidden(UpstreamError):
    """403: the app may not read this account (not allow-listed, no Premium, missing scope)."""


class Unauthorized(UpstreamError):
    """401 even with a fresh access token: the token chain works, yet Spotify refuses it."""


class StoreBusy(UpstreamError):
    """Another process held the token store's lock for longer than a refresh takes."""


class SharedStateDown(StoreBusy):
    """Redis (SPOTIFY_PROXY_REDIS_URL) cannot be reached: the lease and the shared grant wait."""


class GrantDead(UpstreamError):
    """No usable refresh token: invalid_grant, none configured, or an unusable store."""
