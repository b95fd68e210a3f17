"""What the token layer tells whoever listens (metrics, notifications) without knowing them.

The core calls `TokenEvents`; the web layer adds listeners. A listener that fails is logged and
skipped: counting or notifying never breaks a token refresh.
"""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)


class TokenListener:
    """Override what you need; every method does nothing by default."""

    def refreshed(self, rotated: bool) -> None:
        """Spotify issued an access token; `rotated` when it also issued a new refresh token."""

    def grant_refused(self, authorized_at: datetime | None) -> None:
        """Spotify refused the refresh token (invalid_grant): only a new login helps."""


class TokenEvents(TokenListener):
    """The listeners of one `AccessTokens`, told in the order they were added."""

    def __init__(self) -> None:
        self.listeners: list[TokenListener] = []

    def refreshed(self, rotated: bool) -> None:
        for listener in self.listeners:
            try:
                listener.refreshed(rotated)
            except Exception as error:
                log.error("A token listener failed (%s).", type(error).__name__)

    def grant_refused(self, authorized_at: datetime | None) -> None:
        for listener in self.listeners:
            try:
                listener.grant_refused(authorized_at)
            except Exception as error:
                log.error("A token listener failed (%s).", type(error).__name__)
