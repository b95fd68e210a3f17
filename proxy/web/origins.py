"""Say in the log when a browser's origin is refused by CORS.

Without this, a blog whose origin is missing from SPOTIFY_PROXY_ALLOWED_ORIGINS shows an empty
widget, the browser's console says "blocked by CORS" and the proxy says nothing. One line per
origin per hour; the origin is attacker-chosen text, so it is escaped and cut short, and the
number of origins remembered is bounded.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from proxy.clock import Clock

log = logging.getLogger(__name__)

EVERY = 3600.0
REMEMBERED = 256
SHOWN = 120
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def refusal(origin: str, allowed: tuple[str, ...]) -> str:
    """The log line for a refused origin, with the localhost/127.0.0.1 hint when it applies."""
    shown = origin[:SHOWN].encode("unicode_escape").decode("ascii")
    line = (
        f"Refused the browser origin {shown}: it is not in SPOTIFY_PROXY_ALLOWED_ORIGINS; add it "
        "there if the blog is served from it."
    )
    twin = _loopback_twin(origin, allowed)
    if twin is not None:
        line += (
            f" {twin} is listed, but to a browser localhost, 127.0.0.1 and [::1] are different "
            "origins: list the one in the address bar."
        )
    return line


def _loopback_twin(origin: str, allowed: tuple[str, ...]) -> str | None:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.hostname not in LOOPBACK_HOSTS:
        return None
    for candidate in allowed:
        other = urlsplit(candidate)
        if other.scheme == parts.scheme and other.port == port and other.hostname in LOOPBACK_HOSTS:
            return candidate
    return None


class RefusedOrigins:
    """Any answer to a cross-origin request that carries no `Access-Control-Allow-Origin` was
    refused: log it once per origin per hour (`check` runs after each handler)."""

    def __init__(self, allowed: tuple[str, ...], clock: Clock) -> None:
        self.allowed = allowed
        self.clock = clock
        self._logged: dict[str, float] = {}

    def check(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        origin = request.headers.get("Origin")
        if origin is None or origin in self.allowed or response.status == 400:
            return  # same-origin or a tool, allowed, or a refused malformed request
        if "Access-Control-Allow-Origin" in response.headers:
            return
        now = self.clock.monotonic()
        last = self._logged.get(origin)
        if last is not None and now - last < EVERY:
            return
        if last is None and len(self._logged) >= REMEMBERED:
            self._forget_before(now - EVERY)
            if len(self._logged) >= REMEMBERED:
                return  # a flood of made-up origins must not become a flood of log lines
        self._logged[origin] = now
        log.warning("%s", refusal(origin, self.allowed))

    def _forget_before(self, moment: float) -> None:
        for origin, logged_at in list(self._logged.items()):
            if logged_at < moment:
                del self._logged[origin]
