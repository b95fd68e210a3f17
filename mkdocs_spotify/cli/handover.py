"""`mkdocs-spotify login --to URL`: hand the new grant to a deployed proxy's `PUT /v1/admin/grant`.

The admin token (SPOTIFY_PROXY_ADMIN_TOKEN in the owner's environment or .env) travels as a
bearer token, only over https (or plain http to a loopback host), and redirects are never
followed: the body carries the refresh token. What the proxy answers becomes one sentence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from proxy.settings import is_secure_url

ADMIN_PATH = "/v1/admin/grant"
HANDOVER_TIMEOUT = 30.0
# The proxy's sentences are short; anything longer or with control characters is cut.
_MAX_SENTENCE = 400
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def admin_url(base: str) -> str:
    return base.rstrip("/") + ADMIN_PATH


def target_problem(base: str) -> str | None:
    """Why `--to` cannot be used as given (one sentence), or None."""
    try:
        parts = urlsplit(base)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return (
            f"--to {base!r} is not the address of a proxy: give its https:// base URL, the "
            "plugin's proxy_url, such as https://blog.example.com/spotify."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        return (
            "--to must be the proxy's base URL without query, fragment or user name, "
            "such as https://blog.example.com/spotify."
        )
    if not is_secure_url(base):
        return (
            f"--to uses plain http for {parts.hostname}, which would send the admin token and "
            "the refresh token unencrypted: use the https:// address of the proxy."
        )
    return None


@dataclass(frozen=True)
class Answer:
    """What the proxy said: HTTP status and its JSON object (empty when it sent none)."""

    status: int
    data: dict[str, Any]


async def put_grant(
    session: aiohttp.ClientSession, base: str, admin_token: str, grant: dict[str, Any]
) -> Answer:
    """PUT the grant; aiohttp.ClientError or TimeoutError when the proxy cannot be reached."""
    async with session.put(
        admin_url(base),
        data=json.dumps(grant),
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=HANDOVER_TIMEOUT),
        allow_redirects=False,
    ) as response:
        raw = await response.read()
        status = response.status
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    return Answer(status, data if isinstance(data, dict) else {})


def _said(answer: Answer, key: str) -> str:
    value = answer.data.get(key)
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub(" ", value)[:_MAX_SENTENCE]


def probe_sentence(answer: Answer, base: str) -> str | None:
    """Before the login: None when the proxy accepts the admin token, else what to fix.

    The probe sends an empty grant: a proxy that checked the token and then refused the body
    (422) is ready for the real one.
    """
    if answer.status == 422:
        return None
    return failure_sentence(answer, base)


def failure_sentence(answer: Answer, base: str) -> str:
    """What a refused hand-over means for the owner, with the fix."""
    said = _said(answer, "error")
    where = admin_url(base)
    if answer.status == 404:
        return (
            f"{where} answered 404: set SPOTIFY_PROXY_ADMIN_TOKEN on the proxy and restart it "
            "(without it the endpoint does not exist), and check that --to is the proxy's base "
            "URL (the plugin's proxy_url)."
        )
    if answer.status == 401:
        return (
            f"The proxy at {base} refused the admin token: set SPOTIFY_PROXY_ADMIN_TOKEN here "
            "(environment or .env) to the same value as on the proxy."
        )
    if 300 <= answer.status < 400:
        return (
            f"{where} answered with a redirect (HTTP {answer.status}), which is not followed "
            "so the grant goes nowhere else: give --to the exact https:// address of the proxy."
        )
    if said:
        return f"The proxy at {base} refused the grant (HTTP {answer.status}): {said}"
    return (
        f"The proxy at {base} answered HTTP {answer.status} without saying why: check its log "
        "and that --to is the proxy's base URL."
    )


def success_sentence(answer: Answer, base: str) -> str:
    expires = _said(answer, "expires_at")[:10] or "an unknown date"
    status = _said(answer, "status")
    if status == "unchanged":
        took = f"The proxy at {base} already had this grant"
    elif status == "switched":
        took = f"The proxy at {base} saved the new grant and switched to it"
    else:
        took = f"The proxy at {base} saved the new grant"
    if answer.data.get("refreshed") is True:
        return f"{took}; it refreshed with it, and the grant expires on {expires}."
    problem = _said(answer, "problem") or "no reason given"
    return (
        f"{took}, but refreshing with it failed ({problem}); the grant expires on {expires}. "
        "Check the proxy's /readyz and its log."
    )


def unreachable_sentence(base: str, error: BaseException) -> str:
    reason = (
        "it did not answer in time" if isinstance(error, TimeoutError) else type(error).__name__
    )
    return (
        f"The proxy at {base} cannot be reached ({reason}): check --to (the plugin's proxy_url) "
        "and that the proxy runs."
    )
