"""A strict accounts service: single-use refresh tokens, and theft detection (RFC 9700).

Every refresh spends the presented refresh token and issues a new one. A spent token coming
back is treated as theft, as RFC 9700 §4.14.2 allows: the whole grant (every refresh and access
token descending from the same authorization) is revoked. This is the model under which two
processes sharing one token store must never present the same token.
https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2

    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running():
        token = fake.issue_grant()
"""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import Any

from aiohttp import web

from tests.fakes.spotify import FakeSpotify, _oauth_error


class StrictAccounts(FakeSpotify):
    """FakeSpotify (a public PKCE client) whose refresh tokens are single-use and watched."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("client_secret", None)
        super().__init__(rotate_refresh_tokens=True, **options)
        self._families = itertools.count(1)
        self._guard = threading.Lock()  # read by the test thread, written by the server's
        self.family_of: dict[str, int] = {}  # refresh or access token (live or spent) -> grant
        self.spent: set[str] = set()
        self.revoked: set[int] = set()
        self.refreshes = 0  # successful refreshes
        self.reuses = 0  # spent tokens presented (each one revoked a grant)
        self.invalid_grants = 0  # every invalid_grant answered

    def issue_grant(self) -> str:
        """A new authorization (what a login gets): the first token of a new grant."""
        with self._guard:
            return self._issue(next(self._families))

    def _issue(self, family: int) -> str:
        token = super().issue_refresh_token()
        self.family_of[token] = family
        return token

    def issue_refresh_token(self) -> str:
        return self.issue_grant()

    def rotate(self, token: str) -> str:
        """What a refresh does to `token` (spends it, returns its successor), without HTTP."""
        with self._guard:
            self.refresh_tokens.discard(token)
            self.spent.add(token)
            self._spent.append(token)
            return self._issue(self.family_of[token])

    def revoke_grant(self, token: str) -> None:
        """Revoke the grant `token` belongs to (what the owner does in their account page)."""
        with self._guard:
            self._revoke(self.family_of[token])

    def _revoke(self, family: int) -> None:
        self.revoked.add(family)
        for tokens in (self.refresh_tokens, self.access_tokens):
            for token in [t for t in tokens if self.family_of.get(t) == family]:
                tokens.discard(token)

    def live_token(self, family_member: str) -> str | None:
        """The one live refresh token of the grant `family_member` belongs to."""
        with self._guard:
            family = self.family_of[family_member]
            live = [t for t in self.refresh_tokens if self.family_of.get(t) == family]
        return live[0] if live else None

    def _refresh(self, form: dict[str, str]) -> web.Response:
        token = form.get("refresh_token", "")
        with self._guard:
            if token in self.spent:
                self.reuses += 1
                self._revoke(self.family_of[token])
            if token not in self.refresh_tokens:
                self.invalid_grants += 1
                return _oauth_error(400, "invalid_grant", "Refresh token revoked")
            self.refresh_tokens.discard(token)
            self.spent.add(token)
            self._spent.append(token)
            family = self.family_of[token]
            successor = self._issue(family)
            access = f"fake-access-{family}-{secrets.token_hex(8)}"
            self.family_of[access] = family
            self.access_tokens.add(access)
            self.refreshes += 1
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "scope": " ".join(self.scopes),
            "expires_in": self.access_token_lifetime,
            "refresh_token": successor,
        }
        return web.json_response(body)
