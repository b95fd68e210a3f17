"""HTTP details of the proxy's answers: headers, conditional requests, CORS. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Mapping

JSON_TYPE = "application/json"
SECURITY = {"X-Content-Type-Options": "nosniff"}
NO_STORE = {**SECURITY, "Cache-Control": "no-store"}
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
PREFLIGHT_MAX_AGE = "86400"


def max_age(ttl: float) -> int:
    """A CDN or browser may reuse the answer as long as the proxy itself would."""
    return max(1, math.floor(ttl))


def answer_headers(etag: str, ttl: float) -> dict[str, str]:
    age = max_age(ttl)
    return {
        **SECURITY,
        "Content-Type": f"{JSON_TYPE}; charset=utf-8",
        "ETag": etag,
        # stale-while-revalidate lets a CDN answer at once while it asks the proxy again.
        "Cache-Control": f"public, max-age={age}, stale-while-revalidate={age}",
        "Vary": "Origin",
    }


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison for If-None-Match (`*`, lists, W/ prefixes)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """Echo the origin only on an exact match; never `null`, never credentials."""
    if origin is None or origin == "null" or origin not in allowed:
        return {}
    return {"Access-Control-Allow-Origin": origin}


def preflight_headers(
    origin: str | None, allowed: tuple[str, ...], request_headers: Mapping[str, str]
) -> dict[str, str] | None:
    """Headers for an allowed preflight, None when the origin or method is not allowed."""
    cors = cors_headers(origin, allowed)
    method = request_headers.get("Access-Control-Request-Method", "GET").upper()
    if not cors or method not in {"GET", "HEAD"}:
        return None
    return {
        **cors,
        "Access-Control-Allow-Methods": "GET, HEAD",
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    }
