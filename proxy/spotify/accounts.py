"""Spotify's accounts service token endpoint (`POST {accounts_url}/api/token`), no web server.

Used by the proxy to refresh, by `login` to exchange the authorization code and by `doctor`.
Errors never carry the client secret or a token.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import quote_plus

import aiohttp

from proxy.settings import Settings
from proxy.spotify.errors import AccountsError


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)
    expires_in: float
    refresh_token: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()


def _auth(settings: Settings, form: dict[str, str]) -> dict[str, str]:
    """Basic auth for a confidential app; `client_id` in the body for a public (PKCE) one."""
    if settings.is_public_client:
        form["client_id"] = settings.client_id or ""
        return {}
    return {
        "Authorization": basic_credentials(settings.client_id or "", settings.client_secret or "")
    }


def basic_credentials(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: each part form-urlencoded before base64, so `:`, `%` or `+` survive.

    https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
    """
    raw = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


async def request_token(
    session: aiohttp.ClientSession, settings: Settings, form: dict[str, str]
) -> TokenGrant:
    form = dict(form)
    headers = _auth(settings, form)
    timeout = aiohttp.ClientTimeout(total=settings.upstream_timeout)
    url = f"{settings.accounts_url}/api/token"
    try:
        # No redirects: aiohttp drops the Authorization header on a redirect to another origin
        # but resends the body, and the body carries the refresh token or the code.
        async with session.post(
            url, data=form, headers=headers, timeout=timeout, allow_redirects=False
        ) as resp:
            body = await resp.read()
            status = resp.status
    except TimeoutError:
        raise AccountsError("timeout", "the accounts service did not answer in time") from None
    except aiohttp.ClientError as exc:
        raise AccountsError("unreachable", type(exc).__name__) from None
    return parse_token_response(status, body)


def parse_token_response(status: int, body: bytes) -> TokenGrant:
    if 300 <= status < 400:
        raise AccountsError(
            "redirected",
            "the token endpoint answered with a redirect, which is not followed so the token "
            "request goes nowhere else",
            status,
        )
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if status != 200:
        error = data.get("error")
        description = data.get("error_description")
        raise AccountsError(
            error if isinstance(error, str) else "server_error",
            description if isinstance(description, str) else "",
            status,
        )
    token = data.get("access_token")
    expires = data.get("expires_in", 3600)
    if not isinstance(token, str) or not token or not isinstance(expires, int | float):
        raise AccountsError("bad_response", "the token response has no usable access_token", status)
    token_type = data.get("token_type")
    # RFC 6749 §7.1: a client must not use a token whose type it does not understand; Spotify
    # issues "Bearer", and the comparison is case-insensitive (RFC 6750 §4).
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise AccountsError(
            "bad_token_type", "the token response is not a bearer token (token_type)", status
        )
    refresh = data.get("refresh_token")
    scope = data.get("scope")
    return TokenGrant(
        access_token=token,
        expires_in=float(expires),
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
    )
