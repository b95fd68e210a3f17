"""The grant's health as the proxy reports it: working, dead for minutes, or waiting a TTL.

The problem sentence is public (the proxy's `/readyz` shows it), so it never holds a path, a
URL or a token; the log line beside it may name the store's path.
"""

from __future__ import annotations

import logging
import re

from proxy.spotify.errors import AccountsError, GrantDead, UpstreamError

log = logging.getLogger(__name__)

# After invalid_grant the owner must act; asking again every few minutes costs nothing. A new
# login is noticed sooner: the proxy watches the store and switches as soon as it changes.
DEAD_GRANT_BACKOFF = 300.0
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


class GrantHealth:
    """Back-off state: `problem` is the public sentence, None while the grant works."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self._dead_until: float | None = None
        # After a transient refresh failure nobody (visitor, /readyz probe, lock queue) asks the
        # accounts service again for one cache TTL: a public /readyz must not be a storm.
        self._retry_at = float("-inf")
        self._retry_reason = ""

    @property
    def dead(self) -> bool:
        return self._dead_until is not None

    def check(self, now: float) -> None:
        """Raise instead of asking the accounts service while backing off."""
        if self._dead_until is not None and now < self._dead_until:
            raise GrantDead(self.problem or "the refresh token is not usable")
        if now < self._retry_at:
            raise UpstreamError(self._retry_reason)

    def mark_dead(self, problem: str, now: float, log_line: str | None = None) -> GrantDead:
        """Stop asking for minutes; log once, not on every retry. `log_line` may name paths."""
        self._dead_until = now + DEAD_GRANT_BACKOFF
        if problem != self.problem:
            log.error("%s", log_line or problem)
        self.problem = problem
        return GrantDead(problem)

    def transient(self, error: AccountsError, now: float, wait: float) -> UpstreamError:
        """A hiccup of the accounts service: say so, and do not ask again for `wait` seconds."""
        # The code comes from the accounts service's body and ends up on the public /readyz.
        code = error.error if _ERROR_CODE.fullmatch(error.error) else "unexpected answer"
        self._retry_reason = f"token refresh failed ({code})"
        self._retry_at = now + wait
        return UpstreamError(self._retry_reason)

    def recovered(self) -> None:
        self._dead_until = None
        self._retry_at = float("-inf")
        if self.problem is not None:
            log.info("Spotify accepted the refresh token again; serving live answers.")
        self.problem = None
