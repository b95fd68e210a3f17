"""The refresh-token chain: which refresh token to spend, spent under the store's lock.

Every refresh runs "re-read the store, refresh, write the rotation" while holding the store's
lock, so no two processes (proxies, the dev proxy, doctor, a login's write) ever present the
same single-use token. When the store changed since this process last read it, the chain
adopts what it holds (`grant.adopt_from_store`) before spending anything.
"""

from __future__ import annotations

import asyncio
import enum
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

# A sentence about a missing token, not a token (S105).
NO_TOKEN = (
    "No Spotify refresh token: run `mkdocs-spotify login` (or set SPOTIFY_REFRESH_TOKEN) and "  # noqa: S105
    "restart the proxy."
)
_UNREAD = object()


class Change(enum.Enum):
    """What reading the store changed for this process."""

    NONE = "none"
    ROTATION = "rotation"  # another process rotated the same grant: its token is now ours
    GRANT = "grant"  # a different grant (a new login): switch to it


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

    def consider(self, version: object, stored: StoredToken | None) -> Change:
        """Take in what the store holds now."""
        if self._version is _UNREAD:
            self.start(version, stored)
            return Change.NONE
        self._version = version
        if stored == self._seen:
            return Change.NONE
        self._seen = stored
        successor = adopt_from_store(self.client_id, self.credential, stored)
        if successor is None:
            return Change.NONE
        previous, self.credential = self.credential, successor
        if previous is None or not same_grant(previous, successor):
            return Change.GRANT
        return Change.ROTATION

    async def refresh(self, session: aiohttp.ClientSession, lock_timeout: float) -> Refreshed:
        """Refresh under the store's lock; AccountsError, StoreError or GrantDead otherwise."""
        self.last_error = None
        async with self.store.locked(lock_timeout):
            first = self._version is _UNREAD
            version, stored = await asyncio.to_thread(self.read)
            switched = self.consider(version, stored) is Change.GRANT
            if first:
                await self._collect_leftovers()
            if self.credential is None:
                raise GrantDead(NO_TOKEN)
            credential, grant = await self._spend(session, self._candidates(self.credential))
            successor = rotated(credential, grant)
            keep = successor or credential
            self.credential = keep
            persist_error = None
            if successor is not None or self._repairs(stored, keep):
                if await self._overtaken(stored, keep):
                    switched = True
                else:
                    persist_error = await self._save(keep)
            self._spares = []
        self.last = Refreshed(grant, successor is not None, persist_error, switched)
        return self.last

    async def _overtaken(self, read: StoredToken | None, keep: StoredToken) -> bool:
        """True when a writer that ignores the lock (an older `login`) put a new grant in the
        store during this refresh: then it is adopted, not overwritten with the old chain."""
        try:
            version, latest = await asyncio.to_thread(self.read)
        except StoreError:
            return False
        if latest == read or latest is None:
            return False
        successor = adopt_from_store(self.client_id, keep, latest)
        if successor is None or same_grant(successor, keep):
            return False
        self._version, self._seen, self.credential = version, latest, successor
        return True

    def _repairs(self, stored: StoredToken | None, keep: StoredToken) -> bool:
        """Write an unrotated credential back when the store holds an older grant, or when it
        came from a killed writer's temporary file."""
        if keep == stored:
            return False
        return (stored is not None and is_older(stored, keep)) or keep in self._spares

    async def _request(self, session: aiohttp.ClientSession, credential: StoredToken) -> TokenGrant:
        form = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token}
        return await request_token(session, self.settings, form)

    def _candidates(self, credential: StoredToken) -> list[StoredToken]:
        """What to present, in order. A killed writer's newer token comes before the store's:
        the store's may be spent, and a strict server revokes the whole grant when a spent
        token comes back (RFC 9700 §4.14.2). Not when a changed env seed overrides the store."""
        if credential != self._seen:
            return [credential]
        spares = [s for s in self._spares if s.client_id == self.client_id and s != credential]
        return [*spares, credential]

    async def _spend(
        self, session: aiohttp.ClientSession, candidates: list[StoredToken]
    ) -> tuple[StoredToken, TokenGrant]:
        """Refresh with the first candidate the accounts service accepts."""
        for candidate in candidates:
            try:
                grant = await self._request(session, candidate)
            except AccountsError as error:
                if not error.is_invalid_grant or candidate is candidates[-1]:
                    self.last_error = error
                    raise
                continue
            if candidate in self._spares:
                log.info(
                    "Using the newer refresh token an interrupted write left beside the store."
                )
            return candidate, grant
        raise GrantDead(NO_TOKEN)  # unreachable: candidates always ends with the credential

    async def prepare(self, lock_patience: float) -> None:
        """At start-up: read the store and clear what a killed writer left, under the lock."""
        async with self.store.locked(lock_patience):
            if self._version is _UNREAD:
                version, stored = await asyncio.to_thread(self.read)
                self.start(version, stored)
            await self._collect_leftovers()

    async def _collect_leftovers(self) -> None:
        # Holding the lock, no writer is between mkstemp and rename: any temporary file is a
        # killed writer's, and may hold the newest token (tried if the stored one is refused).
        self._spares = await asyncio.to_thread(self.store.leftovers)

    async def _save(self, credential: StoredToken) -> str | None:
        """Persist at once (the old token may be spent); the error's text when it cannot be."""
        try:
            await asyncio.to_thread(self.store.save, credential)
        except OSError as error:
            return error.strerror or type(error).__name__
        self._seen = credential
        self._version = await asyncio.to_thread(self.store.version)
        return None
