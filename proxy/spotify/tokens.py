"""The owner's access token: one at a time, cached, refreshed from the shared refresh chain.

Follows aiohttp's token-refresh example: a cache, an asyncio.Lock, a re-check inside the lock,
an early refresh. The parts it composes each do one job: `chain.RefreshChain` (which refresh
token to spend, under the store's lock), `grant_store.GrantStore` (where the grant lives),
`health.GrantHealth` (back-off and the public problem sentence). Nothing raised from here
carries a token, the client secret or the store's path.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import aiohttp
from cachetools import TLRUCache

from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.accounts import TokenGrant
from proxy.spotify.chain import Change, RefreshChain
from proxy.spotify.errors import AccountsError, GrantDead, StoreError, UpstreamError
from proxy.spotify.events import TokenEvents
from proxy.spotify.grant import choose_credential, grant_expires_at
from proxy.spotify.grant_store import FileGrantStore, GrantStore
from proxy.spotify.health import GrantHealth
from proxy.spotify.store import StoredToken

log = logging.getLogger(__name__)


@runtime_checkable
class SharedAccess(Protocol):
    """A store that also shares the access token between processes (Redis)."""

    async def shared_access(self) -> tuple[str, float] | None: ...

    async def share_access(self, token: str, seconds: float) -> None: ...


def grant_store_for(settings: Settings) -> GrantStore:
    """Redis when SPOTIFY_PROXY_REDIS_URL is set (several replicas), else the token store file."""
    if settings.redis_url is not None:
        from proxy.spotify.redis_store import RedisGrantStore

        return RedisGrantStore(settings)
    return FileGrantStore(settings.token_store)


# True because the proxy watches the store (STORE_CHECK_INTERVAL) and switches to a new grant.
LOGIN_HINT = (
    "run `mkdocs-spotify login` with the same SPOTIFY_TOKEN_STORE (or `mkdocs-spotify login "
    "--to` the proxy); the proxy switches to the new grant within seconds"
)
# Public (the proxy's /readyz shows it): the log line beside it names the file.
STORE_PROBLEM = "The token store cannot be used: the proxy's log names the file and what to do."
INVALID_CLIENT = (
    "Spotify refused the app's credentials (invalid_client): copy SPOTIFY_CLIENT_ID and "
    "SPOTIFY_CLIENT_SECRET again from the Spotify dashboard."
)
INVALID_GRANT = (
    "Spotify refused the refresh token (invalid_grant: expired after 6 months, revoked or the "
    f"password changed): {LOGIN_HINT}."
)
# How often an idle proxy looks at the store (one stat) for another process's new grant.
STORE_CHECK_INTERVAL = 2.0
# Whatever Spotify says, an access token is kept at least this long (and at least one cache
# TTL): an `expires_in` of 0 must not turn every public /readyz request into a token request.
MIN_TOKEN_LIFETIME = 0.5
_ACCESS = "access"


def token_lifetime(expires_in: float, floor: float = MIN_TOKEN_LIFETIME) -> float:
    """Seconds to keep an access token: refresh a minute (or a tenth) before Spotify would."""
    return max(floor, expires_in - min(60.0, expires_in / 10))


@dataclass(frozen=True)
class GrantStatus:
    """What /readyz reports about the owner's grant."""

    problem: str | None
    authorized_at: datetime | None


class AccessTokens:
    """The access-token cache over the refresh chain and the grant's health."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: GrantStore | None = None,
        *,
        share_access: bool = True,
    ) -> None:
        """share_access=False: never take or offer an access token shared in Redis, so every
        refresh really spends the refresh token (doctor's check of the refresh)."""
        self.settings = settings
        self._share_access = share_access
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self.store: GrantStore = store or grant_store_for(settings)
        self.chain = RefreshChain(settings, self.store)
        self.health = GrantHealth()
        self._floor = max(MIN_TOKEN_LIFETIME, settings.cache_ttl)
        self._cache: TLRUCache[str, TokenGrant] = TLRUCache(
            maxsize=1, ttu=self._expiry, timer=clock.monotonic
        )
        self._lock = asyncio.Lock()
        self._refused: str | None = None  # the last access token Spotify answered 401 to
        self._store_trouble: str | None = None
        self.events = TokenEvents()

    def _expiry(self, _key: str, grant: TokenGrant, now: float) -> float:
        return now + token_lifetime(grant.expires_in, self._floor)

    @property
    def _lock_patience(self) -> float:
        # Waiting for another process's refresh is bounded by its own request timeout.
        return 3 * self.settings.upstream_timeout + 1

    @property
    def problem(self) -> str | None:
        return self.health.problem

    def status(self) -> GrantStatus:
        credential = self.chain.credential
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

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes granted with the current access token, else those the store recorded."""
        grant = self._cache.get(_ACCESS)
        if grant is not None and grant.scopes:
            return grant.scopes
        credential = self.chain.credential
        return credential.scopes if credential else ()

    def invalidate(self, token: str) -> None:
        """Forget `token` after a 401, unless a newer one already replaced it."""
        grant = self._cache.get(_ACCESS)
        if grant is not None and grant.access_token == token:
            self._cache.pop(_ACCESS, None)
        self._refused = token

    def load_credential(self) -> StoredToken | None:
        """The refresh token to use now (blocking read; the seed rule in docs/architecture.md)."""
        if self.chain.credential is not None:
            return self.chain.credential
        try:
            _version, stored = self.chain.read()
        except StoreError:
            raise GrantDead(STORE_PROBLEM) from None
        return choose_credential(
            self.settings.client_id or "",
            self.settings.refresh_token,
            self.settings.authorized_at,
            stored,
        )

    async def prepare(self) -> None:
        """At start-up: read the store, remove leftover temporary files. Never raises: the first
        refresh reports any problem."""
        try:
            await self.chain.prepare(self._lock_patience)
        except (StoreError, UpstreamError, OSError) as error:
            log.debug("The token store could not be prepared at start-up (%s).", error)

    async def watch_store(self, interval: float = STORE_CHECK_INTERVAL) -> None:
        """Follow the store while the proxy runs (a background task)."""
        while True:
            await asyncio.sleep(interval)
            await self.follow_store()

    async def follow_store(self) -> bool:
        """Take in what another process wrote; True when it switched to a new grant.

        Never raises. Another process's rotation of the same grant just replaces the refresh
        token (and lifts a dead-grant back-off); a new grant also drops the access token.
        """
        if self._lock.locked():
            return False  # a refresh is re-reading the store under its lock right now
        try:
            if not await asyncio.to_thread(self.chain.changed):
                return False
            async with self._lock:
                version, stored = await asyncio.to_thread(self.chain.read)
                change = self.chain.consider(version, stored)
                self._store_trouble = None
                if change is Change.NONE:
                    return False
                if self.health.dead:
                    self.health.recovered()  # a token to try: do not wait for the back-off
                if change is Change.ROTATION:
                    return False
                # The old grant may be revoked soon: its access token goes with it.
                self._cache.pop(_ACCESS, None)
                self.health.recovered()
                self._log_switch()
                return True
        except (StoreError, OSError) as error:
            # The next refresh takes the dead-grant path; say it once here.
            text = str(error)
            if text != self._store_trouble:
                log.warning("%s", text)
            self._store_trouble = text
            return False

    async def _refresh(self) -> TokenGrant:
        shared = self.store if self._share_access and isinstance(self.store, SharedAccess) else None
        if shared is not None:
            found = await shared.shared_access()
            # Not the token a 401 just refused, and not one about to expire.
            if found is not None and found[0] != self._refused and found[1] > self._floor:
                self.health.recovered()
                return TokenGrant(found[0], found[1])
        now = self.clock.monotonic()
        self.health.check(now)
        if self.session is None:
            raise UpstreamError("the proxy is not started")
        try:
            refreshed = await self.chain.refresh(self.session, self._lock_patience)
        except StoreError as error:
            raise self.health.mark_dead(STORE_PROBLEM, now, log_line=str(error)) from None
        except GrantDead as error:
            raise self.health.mark_dead(str(error), now) from None
        except AccountsError as error:
            if error.error == "invalid_client":
                raise self.health.mark_dead(INVALID_CLIENT, now) from None
            if error.is_invalid_grant:
                self.events.grant_refused(self.status().authorized_at)
                raise self.health.mark_dead(INVALID_GRANT, now) from None
            raise self.health.transient(error, now, self.settings.cache_ttl) from None
        if refreshed.switched:
            self._log_switch()
        self.health.recovered()
        grant = refreshed.grant
        log.info("Spotify access token refreshed (valid %d s).", int(grant.expires_in))
        if refreshed.rotated:
            self._log_rotation(refreshed.persist_error)
        self.events.refreshed(rotated=refreshed.rotated)
        if shared is not None:
            await shared.share_access(grant.access_token, token_lifetime(grant.expires_in))
        return grant

    def _log_switch(self) -> None:
        credential = self.chain.credential
        authorized = credential.authorized_at if credential else None
        expires = f"{grant_expires_at(authorized):%Y-%m-%d}" if authorized else "unknown"
        log.info("Switched to the new Spotify grant in the token store (expires %s).", expires)

    def _log_rotation(self, persist_error: str | None) -> None:
        path = "Redis" if self.settings.redis_url else str(self.settings.token_store)
        if persist_error is not None:
            log.error(
                "Spotify rotated the refresh token but the token store %s cannot be written "
                "(%s): fix its folder's permissions, or the proxy will need "
                "`mkdocs-spotify login` after a restart.",
                path,
                persist_error,
            )
        else:
            log.info("Spotify rotated the refresh token; saved it to %s.", path)
