"""Where `mkdocs-spotify login` puts the new grant: the local token store, or with `--to` a
deployed proxy (then the local store only when the hand-over fails, so the grant is not lost).

With `--to` the laptop keeps no copy on success: a second copy of a single-use refresh token
(PKCE public clients, RFC 9700 §4.14.2) would be spent by the first `doctor` run here, and the
proxy's copy would die with it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from mkdocs_spotify.cli.handover import (
    failure_sentence,
    put_grant,
    success_sentence,
    unreachable_sentence,
)
from mkdocs_spotify.cli.login import complain, say
from proxy.settings import Settings, redis_location
from proxy.spotify.errors import SpotifyError
from proxy.spotify.grant_store import FileGrantStore
from proxy.spotify.store import StoredToken


async def save_locally(path: Path, token: StoredToken) -> str | None:
    """Write the grant under the store's lock: a proxy refreshing right now must not write its
    old chain over this new grant (it adopts it instead). Off the event loop: waiting for the
    lock must not stall the listener.

    None when saved, else the sentence saying what to fix.
    """
    try:
        await asyncio.to_thread(FileGrantStore(path).replace, token)
    except OSError as error:
        return (
            f"The token store {path} cannot be written ({error.strerror}): set "
            "SPOTIFY_TOKEN_STORE to a file in a folder you can write, and run "
            "`mkdocs-spotify login` again."
        )
    except SpotifyError as error:  # the lock: held too long, or a filesystem without locks
        return str(error)
    say(f"\nSaved the refresh token to {path} (readable by you only).")
    return None


async def save_to_redis(settings: Settings, token: StoredToken) -> str | None:
    """The grant the proxy replicas share (SPOTIFY_PROXY_REDIS_URL), written under their refresh
    lease; they switch to it within seconds. None when saved, else what to fix."""
    from proxy.spotify.redis_store import RedisGrantStore

    try:
        await RedisGrantStore(settings).put(token)
    except SpotifyError as error:  # Redis unreachable, or the lease held too long
        return (
            f"{error} The grant is saved in {settings.token_store}: run `mkdocs-spotify "
            "login` again once Redis answers."
        )
    say(f"Saved the grant to Redis at {redis_location(settings.redis_url or '')} for the proxies.")
    return None


async def hand_over(settings: Settings, token: StoredToken, base: str) -> str | None:
    """PUT the grant to the proxy at `base`; None when it took it, else what went wrong."""
    assert settings.admin_token is not None  # login checked it before the browser opened
    try:
        async with aiohttp.ClientSession() as session:
            answer = await put_grant(session, base, settings.admin_token, token.to_json())
    except (aiohttp.ClientError, TimeoutError) as error:
        return unreachable_sentence(base, error)
    if answer.status != 200:
        return failure_sentence(answer, base)
    say(f"\n{success_sentence(answer, base)}")
    return None


async def deliver(settings: Settings, token: StoredToken, to: str | None) -> str | None:
    """Put the grant where it belongs; None on success, else the sentence the owner reads."""
    if to is None:
        problem = await save_locally(settings.token_store, token)
        if problem is None and settings.redis_url is not None:
            problem = await save_to_redis(settings, token)
        if problem is not None:
            complain(problem)
        return problem
    problem = await hand_over(settings, token, to)
    if problem is None:
        say("No copy stays on this machine: the proxy holds the only one.")
        return None
    complain(problem)
    kept = await save_locally(settings.token_store, token)
    if kept is None:
        complain(
            f"The new grant is saved in {settings.token_store} instead: fix the above and run "
            "`mkdocs-spotify login --to` again, or copy that file to the proxy's token store."
        )
    else:
        complain(kept)
    return problem
