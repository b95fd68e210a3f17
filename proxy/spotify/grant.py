"""The owner's grant: which refresh token to use and when it dies. Pure functions, no I/O."""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import replace
from datetime import datetime

from proxy.spotify.accounts import TokenGrant
from proxy.spotify.store import StoredToken

GRANT_MONTHS = 6
WARN_DAYS = 30


def seed_fingerprint(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def choose_credential(
    client_id: str,
    seed: str | None,
    seed_authorized_at: datetime | None,
    stored: StoredToken | None,
) -> StoredToken | None:
    """The seed rule (docs/architecture.md, "The seed rule").

    The store wins when it holds the seed itself or a token rotated from this same seed (or
    when there is no seed); a changed seed wins over the store.
    """
    if stored is not None and stored.client_id != client_id:
        stored = None  # a store written for another app is no use to this one
    if seed is None:
        return stored
    fingerprint = seed_fingerprint(seed)
    if stored is not None and (stored.seed_sha256 == fingerprint or stored.refresh_token == seed):
        return stored
    return StoredToken(
        refresh_token=seed,
        client_id=client_id,
        scopes=stored.scopes if stored else (),
        authorized_at=seed_authorized_at,
        seed_sha256=fingerprint,
    )


def rotated(credential: StoredToken, grant: TokenGrant) -> StoredToken | None:
    """The credential to keep after a refresh, None when Spotify did not rotate the token.

    A refresh response may carry a new refresh token (then the old one may be spent) or not
    (then the old one stays); the chain's origin (`seed_sha256`, `authorized_at`) is kept.
    """
    if grant.refresh_token is None or grant.refresh_token == credential.refresh_token:
        return None
    return replace(
        credential, refresh_token=grant.refresh_token, scopes=grant.scopes or credential.scopes
    )


def same_grant(a: StoredToken, b: StoredToken) -> bool:
    """Two links of one chain: same app, same authorization, same seed (tokens may differ)."""
    return (
        a.client_id == b.client_id
        and a.authorized_at == b.authorized_at
        and a.seed_sha256 == b.seed_sha256
    )


def is_older(a: StoredToken, b: StoredToken) -> bool:
    """True when both say when they were authorized and `a` was authorized before `b`."""
    return (
        a.authorized_at is not None
        and b.authorized_at is not None
        and a.authorized_at < b.authorized_at
    )


def adopt_from_store(
    client_id: str, mine: StoredToken | None, stored: StoredToken | None
) -> StoredToken | None:
    """The credential to switch to after the store changed under us; None keeps `mine`.

    Whatever changed the store (another process's rotation, a new login, doctor) knows a token
    at least as new as ours: adopt it, unless it is for another app or an older authorization
    (a newer `authorized_at` always wins over an older one).
    """
    if stored is None or stored.client_id != client_id:
        return None
    if mine is None:
        return stored
    if stored.refresh_token == mine.refresh_token or is_older(stored, mine):
        return None
    return stored


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grant_expires_at(authorized_at: datetime) -> datetime:
    """Spotify refresh tokens die 6 months after the owner's authorization."""
    return add_months(authorized_at, GRANT_MONTHS)


def days_left(authorized_at: datetime, now: datetime) -> int:
    """Whole days until the grant expires (negative once it has)."""
    remaining = grant_expires_at(authorized_at) - now
    return remaining.days
