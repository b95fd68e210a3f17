"""Before the first refresh with SPOTIFY_PROXY_REDIS_URL: reach Redis, seed an empty one.

The proxy runs this at start-up and `mkdocs-spotify doctor` runs it too, so doctor reports
exactly what a starting replica would find. An empty Redis takes the token store file's grant
once (when it was written for this app); after that the file only seeds a Redis that lost it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

from proxy.settings import redis_location
from proxy.spotify.errors import RedisUnusable, SharedStateDown, StoreError
from proxy.spotify.redis_store import RedisGrantStore
from proxy.spotify.store import StoredToken


@dataclass(frozen=True)
class RedisGrant:
    """What Redis holds once it has been reached (and seeded, when it was empty)."""

    held: StoredToken | None  # the grant in Redis now; None when it holds none
    seeded: bool  # this call wrote the token store file's grant into an empty Redis


def reach_and_seed(
    store: RedisGrantStore,
    client_id: str | None,
    from_file: StoredToken | None,
    hold: float = 0.0,
) -> RedisGrant:
    """Read the grant in Redis; seed an empty Redis with `from_file` if it is this app's (and
    hold the refresh lease `hold` seconds after seeding: see `RedisGrantStore.seed`).

    RedisUnusable, whose message is one sentence without the URL's password, when Redis cannot
    be reached, refuses the password, or holds something that is not a grant.
    """
    url = store.url
    try:
        held = store.check()
        if held is not None:
            return RedisGrant(held, seeded=False)
        if from_file is None or from_file.client_id != client_id:
            return RedisGrant(None, seeded=False)
        seeded = store.seed(from_file, hold)
        # Not seeded: another replica seeded it in between, so read what it wrote.
        return RedisGrant(store.load() or from_file, seeded)
    except redis.AuthenticationError:
        if urlsplit(url).password is None:
            problem = "requires a password: put it in SPOTIFY_PROXY_REDIS_URL"
        else:
            problem = "refused the password in SPOTIFY_PROXY_REDIS_URL: copy it again"
        raise RedisUnusable(
            f"Redis at {redis_location(url)} {problem} (redis://user:password@host:port/0)."
        ) from None
    except SharedStateDown as error:  # it went away between the ping and the read
        raise RedisUnusable(str(error)) from None
    except (redis.RedisError, OSError, StoreError) as error:
        reason = str(error) if isinstance(error, StoreError) else type(error).__name__
        raise RedisUnusable(
            f"Redis at {redis_location(url)} cannot be used ({reason}): start it, or fix "
            "SPOTIFY_PROXY_REDIS_URL (redis://host:port/0, rediss:// for TLS, unix:///path)."
        ) from None
