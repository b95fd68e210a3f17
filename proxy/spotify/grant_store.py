"""Where the owner's grant lives, shared by every process that refreshes it.

Single-use refresh tokens (RFC 9700 §4.14.2, https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)
mean two processes must never spend the same token: whoever refreshes holds the store's lock
across "re-read, refresh, write", and adopts what the store holds when another process (a second
proxy, doctor, a new login) changed it meanwhile. `GrantStore` is that contract; `FileGrantStore`
is the embedded default (an `fcntl.flock` on a lock file beside the store, released by the
kernel when a holder dies); a server-backed store implements the same methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from proxy.spotify.errors import StoreBusy, StoreError
from proxy.spotify.store import StoredToken, leftover_temp_files, read_store, write_store

# How often a waiter tries the lock again; a holder keeps it for one token request at most.
LOCK_POLL = 0.02


class GrantStore(Protocol):
    """The grant shared by every process: load it, notice a change, change it under a lock."""

    def load(self) -> StoredToken | None:
        """The stored grant, None when there is none; StoreError when it is unusable."""
        ...

    def version(self) -> object:
        """A cheap value that changes whenever the stored grant may have changed."""
        ...

    def locked(self, patience: float) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the store's lock (StoreBusy after `patience` seconds of waiting)."""
        ...

    def save(self, token: StoredToken) -> None:
        """Replace the stored grant; only while holding the lock."""
        ...

    def leftovers(self) -> list[StoredToken]:
        """Grants an interrupted write left behind that are newer than the store, newest first;
        every leftover is removed. Only while holding the lock."""
        ...


@runtime_checkable
class ClosableStore(Protocol):
    """A store holding connections (Redis), closed when the process that uses it stops."""

    async def aclose(self) -> None: ...


class FileGrantStore:
    """The token store file plus `<store>.lock` beside it (the link's target, if a symlink)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def lock_path(self) -> Path:
        target = self.path.resolve()
        return target.with_name(target.name + ".lock")

    def load(self) -> StoredToken | None:
        return read_store(self.path)

    def version(self) -> object:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def save(self, token: StoredToken) -> None:
        write_store(self.path, token)

    def leftovers(self) -> list[StoredToken]:
        """Grants in temporary files a killed writer left after the store's last write, newest
        first; removes every temporary file (older ones were superseded by the store).

        Call it while holding the lock: then no writer is between mkstemp and rename.
        """
        found: list[StoredToken] = []
        for leftover, newer in leftover_temp_files(self.path):
            with contextlib.suppress(StoreError):
                token = read_store(leftover)
                if token is not None and newer:
                    found.append(token)
            with contextlib.suppress(OSError):
                leftover.unlink()
        return found

    def check_lockable(self) -> None:
        """One sentence (StoreError) when the store's folder cannot hold a working lock."""
        fd = self._open_lock()
        if fd is None:
            return  # an unwritable folder: reported when a rotated token cannot be saved
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            pass  # someone holds it: locks work
        except OSError as error:
            raise self._cannot_lock(error) from None
        finally:
            os.close(fd)

    @contextlib.asynccontextmanager
    async def locked(self, patience: float) -> AsyncIterator[None]:
        """Wait for the lock without blocking the event loop (and cancellably)."""
        fd = self._open_lock()
        try:
            for _ in self._waits(fd, patience):
                await asyncio.sleep(LOCK_POLL)
            yield
        finally:
            if fd is not None:
                os.close(fd)  # closing the last descriptor releases the lock

    @contextlib.contextmanager
    def locked_sync(self, patience: float = 30.0) -> Iterator[None]:
        """The same lock for synchronous callers (e.g. `mkdocs-spotify login`'s write)."""
        fd = self._open_lock()
        try:
            for _ in self._waits(fd, patience):
                time.sleep(LOCK_POLL)
            yield
        finally:
            if fd is not None:
                os.close(fd)

    def _waits(self, fd: int | None, patience: float) -> Iterator[None]:
        """One step per failed try to take the lock (the caller sleeps); StoreBusy once
        `patience` seconds have passed. Nothing to wait for without a lock file."""
        deadline = time.monotonic() + patience
        while fd is not None and not self._try_lock(fd):
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    "Another process held the token store's lock for too long: stop the stuck "
                    "`mkdocs-spotify doctor`, `login` or proxy using the same store."
                )
            yield

    def replace(self, token: StoredToken, patience: float = 30.0) -> None:
        """Write a new grant (a login) under the lock, so no refresh in flight overwrites it."""
        with self.locked_sync(patience):
            self.save(token)

    def _open_lock(self) -> int | None:
        """The lock file's descriptor; None when its folder cannot be written.

        Then the store cannot be written either: refreshing goes on without the lock, and the
        failed write of a rotated token is reported where it happens.
        """
        lock = self.lock_path
        try:
            lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return None

    def _try_lock(self, fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as error:  # ENOLCK, EOPNOTSUPP...: this filesystem has no working locks
            raise self._cannot_lock(error) from None
        return True

    def _cannot_lock(self, error: OSError) -> StoreError:
        return StoreError(
            f"The token store's lock file {self.lock_path} cannot be used ({error.strerror}): "
            "put SPOTIFY_TOKEN_STORE on a local filesystem that supports file locks, in a "
            "folder this user can write."
        )
