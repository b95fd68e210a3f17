"""The decisions of `PUT /v1/admin/grant`, free of I/O: transport, caller, token, body.

Transport. The proxy speaks plain http and is meant to sit behind a TLS-terminating reverse
proxy on the same machine. It cannot see TLS it does not terminate, so it trusts what the
connection itself proves and, only from a loopback peer, what that reverse proxy says:
- a peer that is not loopback reached the proxy's plain-http socket over the network: refused,
  whatever `X-Forwarded-Proto` it sends (any client can send that header);
- a loopback peer that says how the client came in (`X-Forwarded-Proto` or RFC 7239
  `Forwarded: proto=`) is accepted only for `https`;
- a loopback peer with forwarding headers (`X-Forwarded-For`, `X-Real-IP`, `Via`...) or a
  `Host` that is not a loopback address, but no protocol, is refused: a reverse proxy that does
  not say https may be forwarding plain http;
- a loopback peer without any of these (say `curl http://127.0.0.1:8787/...` on the server) is
  a request made on the machine itself: accepted.
https://www.rfc-editor.org/rfc/rfc7239, docs/proxy.md ("Renewal without a restart").
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cachetools import TTLCache

from proxy.settings import is_loopback_host
from proxy.spotify.store import StoredToken, parse_store

# A grant is a few hundred bytes; anything much larger is not one.
MAX_BODY_BYTES = 16 * 1024
# Failed bearer tokens per client address before it must wait, and how long it waits.
MAX_FAILURES = 5
FAILURE_WINDOW = 900.0
MAX_TRACKED = 10_000
# A laptop's clock may run ahead of the server's; a grant from further ahead is refused, or it
# would win over every later login ("a newer authorized_at wins").
MAX_CLOCK_SKEW = timedelta(hours=1)

_FORWARDING = ("X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", "Forwarded", "Via")


def forwarded_proto(headers: Mapping[str, str]) -> str | None:
    """The client's protocol as a reverse proxy states it (the first, client-facing hop)."""
    value = headers.get("X-Forwarded-Proto")
    if value is not None:
        return value.split(",")[0].strip().lower()
    forwarded = headers.get("Forwarded")
    if forwarded is not None:
        first_hop = forwarded.split(",")[0]
        for pair in first_hop.split(";"):
            name, _, proto = pair.strip().partition("=")
            if name.lower() == "proto":
                return proto.strip().strip('"').lower()
    return None


def transport_problem(peer: str | None, headers: Mapping[str, str]) -> str | None:
    """Why this request may not carry a grant (one sentence), or None when it came over https."""
    if peer is None or not is_loopback_host(peer):
        return (
            "The admin endpoint refuses plain http from the network: put the proxy behind a "
            "reverse proxy on the same machine that serves https, and send the grant to its "
            "https:// address."
        )
    proto = forwarded_proto(headers)
    if proto == "https":
        return None
    if proto is not None:
        return (
            "The admin endpoint refuses plain http: send the grant to the https:// address of "
            "the site."
        )
    if any(name in headers for name in _FORWARDING) or not _loopback_host_header(headers):
        return (
            "The reverse proxy in front of this proxy does not say whether the client used "
            "https: make it set X-Forwarded-Proto (nginx: `proxy_set_header X-Forwarded-Proto "
            "$scheme;`)."
        )
    return None


def _loopback_host_header(headers: Mapping[str, str]) -> bool:
    try:
        hostname = urlsplit("//" + headers.get("Host", "")).hostname
    except ValueError:
        return False
    return hostname is not None and is_loopback_host(hostname)


def client_address(peer: str | None, headers: Mapping[str, str]) -> str:
    """Whom to rate-limit: the peer, or behind a local reverse proxy the client it names.

    The rightmost X-Forwarded-For entry is the one the local reverse proxy appended; entries to
    its left come from the client and could be anything.
    """
    if peer is not None and is_loopback_host(peer):
        forwarded_for = headers.get("X-Forwarded-For")
        named = forwarded_for.split(",")[-1] if forwarded_for else headers.get("X-Real-IP")
        # Only an address: it goes into log lines, where other text could forge entries.
        if named is not None and _is_address(named.strip()):
            return named.strip()
    return peer or "unknown"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def bearer_matches(authorization: str | None, expected: str) -> bool:
    """`Authorization: Bearer <token>` compared in constant time (RFC 6750 §2.1)."""
    if authorization is None:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    # compare_digest on bytes: str arguments must be ASCII, and a header need not be.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


class FailureLimiter:
    """At most `limit` wrong tokens per address in `window` seconds, then it waits."""

    def __init__(
        self,
        timer: Callable[[], float],
        *,
        limit: int = MAX_FAILURES,
        window: float = FAILURE_WINDOW,
    ) -> None:
        self.limit = limit
        self.window = window
        self._timer = timer
        # Entries expire a window after an address's last failure, and at most MAX_TRACKED
        # addresses are remembered (a flood of addresses must not grow memory without bound).
        self._failures: TTLCache[str, tuple[float, ...]] = TTLCache(
            maxsize=MAX_TRACKED, ttl=window, timer=timer
        )

    def _recent(self, address: str) -> tuple[float, ...]:
        since = self._timer() - self.window
        return tuple(t for t in self._failures.get(address, ()) if t > since)

    def retry_after(self, address: str) -> int | None:
        """Seconds this address must wait before trying again, None when it may try now."""
        recent = self._recent(address)
        if len(recent) < self.limit:
            return None
        return max(1, math.ceil(recent[-self.limit] + self.window - self._timer()))

    def failed(self, address: str) -> int:
        """Count one failure; the number of recent failures of this address."""
        keep = self.limit - 1  # only the last `limit` failures matter
        earlier = self._recent(address)[-keep:] if keep > 0 else ()
        recent = (*earlier, self._timer())
        self._failures[address] = recent
        return len(recent)


class GrantRefused(ValueError):
    """The body is not a grant this proxy can use; the message is one sentence."""


@dataclass(frozen=True)
class HandedGrant:
    token: StoredToken
    authorized_at: datetime


def parse_grant(body: bytes, client_id: str, now: datetime) -> HandedGrant:
    """The token store's JSON fields, checked for this proxy's app. Never quotes the body."""
    try:
        token = parse_store(body)
    except (ValueError, TypeError, KeyError, RecursionError):
        raise GrantRefused(
            "The body is not a grant: send the token store's JSON fields (refresh_token, "
            "client_id, scopes, authorized_at), as `mkdocs-spotify login --to` does."
        ) from None
    if token.client_id != client_id:
        raise GrantRefused(
            "The grant is for another Spotify app than this proxy's SPOTIFY_CLIENT_ID: run "
            "`mkdocs-spotify login --to` with the same SPOTIFY_CLIENT_ID as the proxy."
        )
    if token.authorized_at is None:
        raise GrantRefused(
            "The grant has no authorized_at, so its expiry is unknown: send the one "
            "`mkdocs-spotify login` recorded."
        )
    if token.authorized_at > now + MAX_CLOCK_SKEW:
        raise GrantRefused(
            "The grant's authorized_at lies in the future: check the clock of the machine "
            "that ran `mkdocs-spotify login` and run it again."
        )
    return HandedGrant(token, token.authorized_at)
