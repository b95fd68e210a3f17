"""Where doctor finds the grant, as the proxy would: the token store file, or Redis when
SPOTIFY_PROXY_REDIS_URL is set (then the file only seeds an empty Redis).

Each finder returns the store doctor's refresh goes through, the grant it holds, and the lines
that describe it; checks.py words the lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_spotify.cli import checks
from mkdocs_spotify.cli.checks import Line

if TYPE_CHECKING:
    from proxy.settings import Settings
    from proxy.spotify.grant_store import GrantStore
    from proxy.spotify.store import StoredToken


async def _nothing_to_close() -> None:
    return None


@dataclass
class GrantSource:
    store: GrantStore  # the refresh goes through it (its lock or lease, its save)
    held: StoredToken | None  # the grant it holds, whichever app it was written for
    where: Path | str  # for the source line: the store's path, or "Redis at <location>"
    lines: list[Line]
    said_no_credential: bool = False  # a FAIL above already says there is nothing to refresh
    unusable: bool = False  # a FAIL above says the store cannot be used: stop here
    redis: str | None = None  # Redis' location (without the password) when the grant is there
    close: Callable[[], Awaitable[None]] = field(default=_nothing_to_close)


@dataclass(frozen=True)
class FileFacts:
    stored: StoredToken | None
    mode: int | None  # None when there is no file (or it cannot be read)
    error: str | None  # read_store's sentence when the file cannot be used


async def find_grant(settings: Settings) -> GrantSource:
    file = await asyncio.to_thread(_read_file, settings.token_store)
    if settings.redis_url is not None:
        return await _in_redis(settings, file)
    return _in_file(settings, file)


def _read_file(path: Path) -> FileFacts:
    from proxy.spotify.errors import StoreError
    from proxy.spotify.store import read_store, store_mode

    try:
        stored = read_store(path)
    except StoreError as problem:
        return FileFacts(None, None, str(problem))
    return FileFacts(stored, store_mode(path) if stored is not None else None, None)


def _in_file(settings: Settings, file: FileFacts) -> GrantSource:
    from proxy.spotify.grant_store import FileGrantStore

    path = settings.token_store
    seed_set = settings.refresh_token is not None
    lines = [checks.store_line(path, mode=file.mode, error=file.error, seed_set=seed_set)]
    if file.stored is not None and file.stored.client_id != settings.client_id:
        lines.append(checks.other_app_line(f"The token store {path}", file.stored.client_id))
    return GrantSource(
        FileGrantStore(path),
        file.stored,
        path,
        lines,
        # store_line already failed: the file is unusable, or missing with no seed.
        said_no_credential=file.error is not None or (file.mode is None and not seed_set),
    )


async def _in_redis(settings: Settings, file: FileFacts) -> GrantSource:
    """Reach Redis and seed an empty one from the file, with the proxy's own start-up code."""
    from proxy.settings import redis_location
    from proxy.spotify.errors import RedisUnusable
    from proxy.spotify.redis_seed import reach_and_seed
    from proxy.spotify.redis_store import WRITE_BACK_HOLD, RedisGrantStore

    assert settings.redis_url is not None  # find_grant chose Redis for it
    location = redis_location(settings.redis_url)
    store = RedisGrantStore(settings)
    try:
        # An empty Redis may have lost its data while replicas run, holding a newer grant than
        # the file's (whose token may be spent): the seed holds the refresh lease while they
        # write theirs back (every 2 s they look), and doctor refreshes only after that.
        found = await asyncio.to_thread(
            reach_and_seed, store, settings.client_id, file.stored, WRITE_BACK_HOLD
        )
        if found.seeded:
            await asyncio.sleep(WRITE_BACK_HOLD)
    except RedisUnusable as problem:
        lines = [checks.fail(str(problem)), *checks.not_checked_yet(checks.AFTER_STORE)]
        return GrantSource(store, None, "", lines, unusable=True, close=store.aclose)
    path = settings.token_store
    seed_set = settings.refresh_token is not None
    held = found.held
    lines = [
        checks.redis_line(
            location, held=held is not None, seeded=found.seeded, seed_set=seed_set, path=path
        )
    ]
    file_line = checks.seed_file_line(path, mode=file.mode, error=file.error, seeded=found.seeded)
    if file_line is not None:
        lines.append(file_line)
    if held is not None and held.client_id != settings.client_id:
        lines.append(checks.other_app_line(f"The grant in Redis at {location}", held.client_id))
    elif file.stored is not None and file.stored.client_id != settings.client_id:
        # Why an empty Redis was not seeded from the file.
        lines.append(checks.other_app_line(f"The token store {path}", file.stored.client_id))
    return GrantSource(
        store,
        held,
        f"Redis at {location}",
        lines,
        said_no_credential=held is None and not seed_set,  # redis_line failed
        redis=location,
        close=store.aclose,
    )
