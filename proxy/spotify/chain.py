"""The refresh-token chain: which refresh token to spend, spent under the store's lock.

Every refresh runs "re-read the store, refresh, write the rotation" while holding the store's
lock, so no two processes (proxies, the dev proxy, doctor, a login's write) ever present the
same single-use token. When the store changed since this process last read it, the chain
adopts what it holds (`grant.adopt_from_store`) before spending anything.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp

from proxy.settings import Settings
from proxy.spotify.accounts import TokenGrant, request_token
from proxy.spotify.errors import AccountsError, GrantDead, StoreError
from proxy.spotify.grant import adopt_from_store, choose_credential, is_older, rotated, same_grant
from proxy.spotify.grant_store import GrantStore
from proxy.spotify.store import StoredToken

log = logging.getLogger(__name__)

NO_TOKEN = (
    "No Spotify refresh token: run `mkdocs-spotify login` (or set SPOTIFY_REFRESH_TOKEN) and "
    "restart the proxy."
)
_UNREAD = object()


@dataclass(frozen=True)
class Refreshed:
    """What one refresh did (doctor reports it)."""

    grant: TokenGrant
    rotated: bool
    persist_error: str | None
    switched: bool  # the store held another grant (a new login), and this refresh used it


class RefreshChain:
    """The credential this process holds, kept in step with the shared store."""

    def __init__(self, settings: Settings, store: GrantStore) -> None:
        self.settings = settings
        self.store = store
        self.credential: StoredToken | None = None
        self.last: Refreshed | None = None
        self.last_error: AccountsError | None = None
        self._seen: StoredToken | None = None  # the store's content when last read
        self._version: object = _UNREAD
        self._spares: list[StoredToken] = []  # from a killed writer's temporary files

    @property
    def client_id(self) -> str:
        return self.settings.client_id or ""

    def read(self) -> tuple[object, StoredToken | None]:
        """The store's version and content (blocking I/O: call it in a thread).

        A broken store with an env seed set reads as no store (the seed still works); without
        a seed it is a StoreError, and the version is remembered (`changed()` stays quiet
        until the file changes again).
        """
        version = self.store.version()
        try:
            return version, self.store.load()
        except StoreError:
            if self._version is not _UNREAD:
                self._version = version
            if self.settings.refresh_token is None:
                raise
            return version, None

    def changed(self) -> bool:
        """Cheap check (a stat) whether the store may hold something new."""
        return self.store.version() != self._version

    def start(self, version: object, stored: StoredToken | None) -> None:
        """The first read: the seed rule picks between SPOTIFY_REFRESH_TOKEN and the store."""
        self._version, self._seen = version, stored
        self.credential = choose_credential(
            self.client_id, self.settings.refresh_token, self.settings.authorized_at, stored
        )

    def consider(self, version: object, stored: StoredToken | None) -> bool:
        """Take in what the store holds now; True when that switched to another grant."""
        if self._version is _UNREAD:
            self.start(version, stored)
            return False
        self._version = version
        if stored == self._seen:
            return False
        self._seen = stored
        successor = adopt_from_store(self.client_id, self.credential, stored)
        if successor is None:
            return False
        previous, self.credential = self.credential, successor
        return previous is None or not same_grant(previous, successor)

    async def refresh(self, session: aiohttp.ClientSession, lock_timeout: float) -> Refreshed:
        """Refresh under the store's lock; AccountsError, StoreError or GrantDead otherwise."""
        self.last_error = None
        async with self.store.locked(lock_timeout):
            first = self._version is _UNREAD
            version, stored = await asyncio.to_thread(self.read)
            switched = self.consider(version, stored)
            if first:
                # Holding the lock, no writer is between mkstemp and rename: any temporary
                # file is a killed writer's, and may hold the newest token (tried on refusal).
                self._spares = await asyncio.to_thread(self._leftovers)
            credential = self.credential
            if credential is None:
                raise GrantDead(NO_TOKEN)
            try:
                grant = await self._request(session, credential)
            except AccountsError as error:
                if not error.is_invalid_grant or not self._spares:
                    self.last_error = error
                    raise
                credential, grant = await self._try_spares(session, error)
            successor = rotated(credential, grant)
            keep = successor or credential
            self.credential = keep
            persist_error = None
            if successor is not None or self._repairs(stored, keep):
                persist_error = await self._save(keep)
            self._spares = []
        self.last = Refreshed(grant, successor is not None, persist_error, switched)
        return self.last

    def _repairs(self, stored: StoredToken | None, keep: StoredToken) -> bool:
        """Write an unrotated credential back when the store holds an older grant, or when it
        came from a killed writer's temporary file."""
        if keep == stored:
            return False
        return (stored is not None and is_older(stored, keep)) or keep in self._spares

    async def _request(self, session: aiohttp.ClientSession, credential: StoredToken) -> TokenGrant:
        form = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token}
        return await request_token(session, self.settings, form)

    async def _try_spares(
        self, session: aiohttp.ClientSession, refused: AccountsError
    ) -> tuple[StoredToken, TokenGrant]:
        """The stored token was refused: a killed writer's newer token may still work."""
        for spare in self._spares:
            if spare.client_id != self.client_id:
                continue
            try:
                grant = await self._request(session, spare)
            except AccountsError as error:
                if not error.is_invalid_grant:
                    self.last_error = error
                    raise
                continue
            log.info(
                "The stored refresh token was refused; a newer one left by an interrupted "
                "write works."
            )
            return spare, grant
        self.last_error = refused
        raise refused

    def _leftovers(self) -> list[StoredToken]:
        return self.store.leftovers()

    async def _save(self, credential: StoredToken) -> str | None:
        """Persist at once (the old token may be spent); the error's text when it cannot be."""
        try:
            await asyncio.to_thread(self.store.save, credential)
        except OSError as error:
            return error.strerror or type(error).__name__
        self._seen = credential
        self._version = await asyncio.to_thread(self.store.version)
        return None
