"""The owner's access token: one at a time, refreshed from the refresh-token chain.

Follows aiohttp's token-refresh example: a cache, an asyncio.Lock, a re-check inside the lock,
an early refresh. A rotated refresh token is persisted at once (the old one is spent). Nothing
raised from here carries a token or the client secret.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from cachetools import TLRUCache

from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.accounts import TokenGrant, request_token
from proxy.spotify.errors import AccountsError, GrantDead, StoreError, UpstreamError
from proxy.spotify.events import TokenEvents
from proxy.spotify.grant import choose_credential, rotated
from proxy.spotify.store import StoredToken, read_store, write_store

log = logging.getLogger(__name__)

# After invalid_grant the owner must act; asking again every few minutes costs nothing and
# notices a new `mkdocs-spotify login` without a restart.
DEAD_GRANT_BACKOFF = 300.0
# True because the first token request after DEAD_GRANT_BACKOFF re-reads the store.
LOGIN_HINT = (
    "run `mkdocs-spotify login` and put the new token store where the proxy reads it; the proxy "
    "picks it up within five minutes, or restart it"
)
_ACCESS = "access"
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


def token_lifetime(expires_in: float) -> float:
    """Seconds to keep an access token: refresh a minute (or a tenth) before Spotify would."""
    return max(0.0, expires_in - min(60.0, expires_in / 10))


@dataclass(frozen=True)
class GrantStatus:
    """What /readyz reports about the owner's grant."""

    problem: str | None
    authorized_at: datetime | None


class AccessTokens:
    """The access-token cache and the refresh-token chain (rotation persisted to the store)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self._cache: TLRUCache[str, TokenGrant] = TLRUCache(
            maxsize=1, ttu=self._expiry, timer=clock.monotonic
        )
        self._lock = asyncio.Lock()
        self._credential: StoredToken | None = None
        self._dead_until: float | None = None
        # After a transient refresh failure nobody (visitor, /readyz probe, lock queue) asks the
        # accounts service again for one cache TTL: a public /readyz must not be a storm.
        self._retry_at = float("-inf")
        self._retry_reason = ""
        self.problem: str | None = None
        self.events = TokenEvents()

    def _expiry(self, _key: str, grant: TokenGrant, now: float) -> float:
        return now + token_lifetime(grant.expires_in)

    def status(self) -> GrantStatus:
        credential = self._credential
        authorized = credential.authorized_at if credential else None
        return GrantStatus(self.problem, authorized or self.settings.authorized_at)

    async def access_token(self) -> str:
        grant = self._cache.get(_ACCESS)
        if grant is not None:
            return grant.access_token
        async with self._lock:
            # Another waiter may have refreshed while this one queued for the lock.
            grant = self._cache.get(_ACCESS)
            if grant is None:
                grant = await self._refresh()
                self._cache[_ACCESS] = grant
            return grant.access_token

    def invalidate(self, token: str) -> None:
        """Forget `token` after a 401, unless a newer one already replaced it."""
        grant = self._cache.get(_ACCESS)
        if grant is not None and grant.access_token == token:
            self._cache.pop(_ACCESS, None)

    def load_credential(self) -> StoredToken | None:
        """The refresh token to use now: the seed rule (docs/architecture.md) over the env seed
        and the store."""
        client_id = self.settings.client_id or ""
        try:
            stored = read_store(self.settings.token_store)
        except StoreError as error:
            stored = None
            if self.settings.refresh_token is None:
                raise GrantDead(str(error)) from None
        return choose_credential(
            client_id, self.settings.refresh_token, self.settings.authorized_at, stored
        )

    async def _refresh(self) -> TokenGrant:
        if self._dead_until is not None and self.clock.monotonic() < self._dead_until:
            raise GrantDead(self.problem or "the refresh token is not usable")
        if self.clock.monotonic() < self._retry_at:
            raise UpstreamError(self._retry_reason)
        if self._credential is None or self._dead_until is not None:
            try:
                # File reads stay off the event loop (as _persist's write does).
                self._credential = await asyncio.to_thread(self.load_credential)
            except GrantDead as error:
                self._mark_dead(str(error))
                raise
        credential = self._credential
        if credential is None:
            self._mark_dead(
                "No Spotify refresh token: run `mkdocs-spotify login` (or set "
                "SPOTIFY_REFRESH_TOKEN) and restart the proxy."
            )
            raise GrantDead(self.problem)
        try:
            grant = await self._request(credential)
        except AccountsError as error:
            if error.error == "invalid_client":
                self._mark_dead(
                    "Spotify refused the app's credentials (invalid_client): copy "
                    "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET again from the Spotify dashboard."
                )
                raise GrantDead(self.problem) from None
            if not error.is_invalid_grant:
                raise self._transient(error) from None
            grant = await self._retry_with_store(credential)
        self._dead_until = None
        self._retry_at = float("-inf")
        if self.problem is not None:
            log.info("Spotify accepted the refresh token again; serving live answers.")
        self.problem = None
        log.info("Spotify access token refreshed (valid %d s).", int(grant.expires_in))
        successor = rotated(self._credential or credential, grant)
        if successor is not None:
            await self._persist(successor)
        self.events.refreshed(rotated=successor is not None)
        return grant

    async def _request(self, credential: StoredToken) -> TokenGrant:
        if self.session is None:
            raise UpstreamError("the proxy is not started")
        form = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token}
        return await request_token(self.session, self.settings, form)

    async def _retry_with_store(self, refused: StoredToken) -> TokenGrant:
        """Before giving up, look at the store once: `login` or `doctor` may have replaced it."""
        try:
            stored = await asyncio.to_thread(read_store, self.settings.token_store)
        except StoreError:
            stored = None
        if (
            stored is not None
            and stored.client_id == self.settings.client_id
            and stored.refresh_token != refused.refresh_token
        ):
            try:
                grant = await self._request(stored)
            except AccountsError as error:
                if not error.is_invalid_grant:
                    raise self._transient(error) from None
            else:
                self._credential = stored
                return grant
        self._mark_dead(
            "Spotify refused the refresh token (invalid_grant: expired after 6 months, revoked "
            f"or the password changed): {LOGIN_HINT}."
        )
        self.events.grant_refused(refused.authorized_at)
        raise GrantDead(self.problem)

    def _transient(self, error: AccountsError) -> UpstreamError:
        """A hiccup of the accounts service: say so, and do not ask again for one TTL."""
        # The code comes from the accounts service's body and ends up on the public /readyz.
        code = error.error if _ERROR_CODE.fullmatch(error.error) else "unexpected answer"
        self._retry_reason = f"token refresh failed ({code})"
        self._retry_at = self.clock.monotonic() + self.settings.cache_ttl
        return UpstreamError(self._retry_reason)

    def _mark_dead(self, problem: str) -> None:
        """Stop asking for minutes; say so once, not on every retry."""
        self._dead_until = self.clock.monotonic() + DEAD_GRANT_BACKOFF
        if problem != self.problem:
            log.error("%s", problem)
        self.problem = problem

    async def _persist(self, successor: StoredToken) -> None:
        """A rotated refresh token replaces the old one at once: the old one is now spent."""
        self._credential = successor
        path = self.settings.token_store
        try:
            await asyncio.to_thread(write_store, path, successor)
        except OSError as error:
            log.error(
                "Spotify rotated the refresh token but the token store %s cannot be written "
                "(%s): fix its folder's permissions, or the proxy will need "
                "`mkdocs-spotify login` after a restart.",
                path,
                error.strerror,
            )
        else:
            log.info("Spotify rotated the refresh token; saved it to %s.", path)
