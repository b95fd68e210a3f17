"""OAuth Authorization Code + PKCE for `mkdocs-spotify login`: pure functions, no I/O.

PKCE verifier and S256 challenge, `state`, the authorize URL, the scope list, parsing a callback
(from the loopback listener or pasted by hand) and turning Spotify's errors into sentences.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

LOOPBACK_HOST = "127.0.0.1"
DEFAULT_PORT = 8888
CALLBACK_PATH = "/callback"

# Spotify's 19 scopes (https://developer.spotify.com/documentation/web-api/concepts/scopes).
SCOPES = frozenset(
    {
        "app-remote-control",
        "playlist-read-private",
        "playlist-read-collaborative",
        "playlist-modify-public",
        "playlist-modify-private",
        "user-library-read",
        "user-library-modify",
        "user-read-private",
        "user-read-email",
        "user-follow-read",
        "user-follow-modify",
        "user-top-read",
        "user-read-playback-position",
        "user-read-playback-state",
        "user-read-recently-played",
        "user-read-currently-playing",
        "user-modify-playback-state",
        "ugc-image-upload",
        "streaming",
    }
)
DEFAULT_SCOPES = ("user-read-currently-playing", "user-read-recently-played", "user-top-read")

# RFC 7636 / Spotify: 43-128 characters of letters, digits and `-._~`.
VERIFIER_ALPHABET = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
STATE_BYTES = 32  # 256 bits, well above the 128 the brief asks for


class UsageError(ValueError):
    """A flag the owner gave is wrong; the message is one sentence saying what to change."""


def redirect_uri(port: int) -> str:
    """The exact URI to register in the dashboard (Spotify refuses `localhost`)."""
    return f"http://{LOOPBACK_HOST}:{port}{CALLBACK_PATH}"


def new_verifier() -> str:
    # token_urlsafe(64) gives 86 characters from the allowed alphabet.
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding, as S256 requires."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(STATE_BYTES)


def parse_scopes(values: Iterable[str]) -> tuple[str, ...]:
    """`--scopes` given space- or comma-separated, once or many times; duplicates dropped."""
    scopes: list[str] = []
    for value in values:
        for scope in re.split(r"[\s,]+", value.strip()):
            if scope and scope not in scopes:
                scopes.append(scope)
    if not scopes:
        raise UsageError(
            "--scopes is empty: name at least user-read-currently-playing, or leave the flag "
            f"out to get the default ({' '.join(DEFAULT_SCOPES)})."
        )
    for scope in scopes:
        if scope not in SCOPES:
            raise UsageError(
                f"--scopes has {scope!r}, which is not a Spotify scope: use names such as "
                f"{', '.join(DEFAULT_SCOPES)} (see docs/login.md for the full list)."
            )
    return tuple(scopes)


def authorize_url(
    accounts_url: str,
    *,
    client_id: str,
    redirect: str,
    code_challenge: str,
    state: str,
    scopes: Iterable[str],
) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect,
            "code_challenge_method": "S256",
            "code_challenge": code_challenge,
            "state": state,
            "scope": " ".join(scopes),
            # Always show the consent page, so the owner sees which account is being authorized.
            "show_dialog": "true",
        }
    )
    return f"{accounts_url.rstrip('/')}/authorize?{query}"


@dataclass(frozen=True)
class Code:
    """The callback carried an authorization code."""

    code: str = field(repr=False)


@dataclass(frozen=True)
class Refused:
    """The callback carried Spotify's `error` (e.g. `access_denied`)."""

    error: str


class CallbackError(ValueError):
    """Not a callback we can accept (wrong or missing state, nothing in it); keep waiting."""


def parse_callback(query: Mapping[str, str], expected_state: str) -> Code | Refused:
    """Judge the redirect's query. The state is checked first: without it nothing is trusted."""
    state = query.get("state")
    if not state:
        raise CallbackError("the callback has no `state`, so it was not started by this login")
    if not secrets.compare_digest(state.encode(), expected_state.encode()):
        raise CallbackError("the callback's `state` does not match this login")
    error = query.get("error")
    if error:
        return Refused(error)
    code = query.get("code")
    if not code:
        raise CallbackError("the callback has neither a `code` nor an `error`")
    return Code(code)


def parse_pasted(text: str, expected_state: str) -> Code | Refused:
    """A redirect URL pasted from the address bar (or just its `?code=...&state=...` part)."""
    text = text.strip().strip("'\"<>")
    if "?" in text:
        parts = urlsplit(text)
        if parts.path and not parts.path.endswith(CALLBACK_PATH):
            raise CallbackError(f"the pasted address does not end in {CALLBACK_PATH}")
        raw_query = parts.query
    else:
        raw_query = text
    query = {key: values[0] for key, values in parse_qs(raw_query).items()}
    if not query:
        raise CallbackError("the pasted text is not the address the browser was sent to")
    return parse_callback(query, expected_state)


def refused_sentence(error: str) -> str:
    if error == "access_denied":
        return (
            "You pressed Cancel on Spotify's consent page (access_denied): run "
            "`mkdocs-spotify login` again and press Agree."
        )
    return (
        f"Spotify refused the authorization ({error}): check the app's settings in "
        "https://developer.spotify.com/dashboard and run `mkdocs-spotify login` again."
    )


def accounts_sentence(error: str, command: str) -> str | None:
    """The token endpoint's failures that read the same for `login` and `doctor`, else None.

    `command` is what to run again once fixed.
    """
    if error == "invalid_client":
        return (
            "Spotify does not accept this client id and secret (invalid_client): copy "
            "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET again from your app in "
            "https://developer.spotify.com/dashboard, or remove SPOTIFY_CLIENT_SECRET "
            "if the app is meant to be a public PKCE client."
        )
    if error == "timeout":
        return (
            f"Spotify's accounts service did not answer in time: check your network and run "
            f"{command} again (SPOTIFY_PROXY_UPSTREAM_TIMEOUT raises the limit)."
        )
    if error == "unreachable":
        return (
            "Spotify's accounts service cannot be reached: check your network (and "
            f"SPOTIFY_ACCOUNTS_URL if you set it) and run {command} again."
        )
    if error == "redirected":
        return (
            "The accounts service answered the token request with a redirect, which is not "
            "followed so the code or refresh token goes nowhere else: set SPOTIFY_ACCOUNTS_URL "
            f"to the service's exact address (default https://accounts.spotify.com) and run "
            f"{command} again."
        )
    if error == "bad_token_type":
        return (
            "The accounts service answered without a bearer token (token_type is missing or "
            "not `bearer`), which mkdocs-spotify cannot use: check that SPOTIFY_ACCOUNTS_URL "
            f"points at Spotify's accounts service and run {command} again."
        )
    return None


def token_error_sentence(error: str, description: str, status: int | None, redirect: str) -> str:
    """What the token endpoint's refusal means for the owner, with the fix."""
    common = accounts_sentence(error, "`mkdocs-spotify login`")
    if common is not None:
        return common
    if error == "invalid_grant":
        if "redirect" in description.lower():
            return (
                f"Spotify says the redirect URI does not match (invalid_grant): register "
                f"exactly {redirect} in the dashboard and run `mkdocs-spotify login` again."
            )
        return (
            "The authorization code was refused (invalid_grant: it expired, was already used, "
            "or the PKCE check failed): run `mkdocs-spotify login` again and finish within "
            "a few minutes."
        )
    detail = f": {description}" if description else ""
    where = f" (HTTP {status})" if status else ""
    return (
        f"Spotify's token endpoint refused the code ({error}{detail}){where}: run "
        "`mkdocs-spotify login` again, and check the app in the Spotify dashboard if it repeats."
    )


def redirect_help(redirect: str) -> str:
    """Printed next to the URL: the CLI cannot see Spotify's authorize page, so say it up front."""
    return (
        f"Register this exact redirect URI in your app's settings in the Spotify dashboard: "
        f"{redirect}\n"
        f"If Spotify shows 'INVALID_CLIENT: Invalid redirect URI', that URI is missing there; "
        f"'INVALID_CLIENT: Insecure redirect URI' means a localhost or http URI was registered "
        f"instead of {redirect}."
    )
