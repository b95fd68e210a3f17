"""The pure OAuth pieces of `mkdocs-spotify login`: PKCE, state, URL, scopes, callbacks, errors."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from mkdocs_spotify.cli import oauth
from proxy.spotify.accounts import request_token
from proxy.spotify.errors import AccountsError
from tests.fakes.spotify import FakeSpotify, PendingCode


def test_verifier_is_fresh_and_in_the_allowed_alphabet() -> None:
    verifiers = {oauth.new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)


def test_challenge_is_rfc7636_s256() -> None:
    # The example of RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    digest = hashlib.sha256(verifier.encode()).digest()
    assert oauth.challenge(verifier) == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_state_has_at_least_128_bits_and_differs_each_time() -> None:
    states = {oauth.new_state() for _ in range(50)}
    assert len(states) == 50
    for state in states:
        assert len(base64.urlsafe_b64decode(state + "=" * (-len(state) % 4))) * 8 >= 128


def test_authorize_url_carries_every_parameter() -> None:
    url = oauth.authorize_url(
        "https://accounts.example/",
        client_id="abc",
        redirect=oauth.redirect_uri(8888),
        code_challenge="CH",
        state="ST",
        scopes=("user-read-currently-playing", "user-top-read"),
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.example/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": "abc",
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1:8888/callback",
        "code_challenge_method": "S256",
        "code_challenge": "CH",
        "state": "ST",
        "scope": "user-read-currently-playing user-top-read",
        "show_dialog": "true",
    }


def test_scopes_accept_spaces_commas_and_repeats() -> None:
    assert oauth.parse_scopes(["user-top-read, user-read-currently-playing", "user-top-read"]) == (
        "user-top-read",
        "user-read-currently-playing",
    )
    assert len(oauth.SCOPES) == 19


@pytest.mark.parametrize(
    ("given", "named"),
    [(["user-read-currently-playing", "user-read-playing"], "'user-read-playing'"), ([" "], "")],
)
def test_bad_scopes_are_named_in_one_sentence(given: list[str], named: str) -> None:
    with pytest.raises(oauth.UsageError) as raised:
        oauth.parse_scopes(given)
    message = str(raised.value)
    assert named in message
    assert "--scopes" in message
    assert "\n" not in message


def test_callback_with_the_right_state_gives_the_code() -> None:
    assert oauth.parse_callback({"code": "C", "state": "S"}, "S") == oauth.Code("C")
    assert oauth.parse_callback({"error": "access_denied", "state": "S"}, "S") == oauth.Refused(
        "access_denied"
    )


@pytest.mark.parametrize(
    "query",
    [{"code": "C"}, {"code": "C", "state": "other"}, {"state": "S"}, {"error": "x", "state": ""}],
)
def test_callback_without_the_right_state_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(oauth.CallbackError):
        oauth.parse_callback(query, "S")


@pytest.mark.parametrize(
    "pasted",
    [
        "http://127.0.0.1:8888/callback?code=C&state=S",
        "  'http://127.0.0.1:9999/callback?state=S&code=C'  ",
        "code=C&state=S",
        "?code=C&state=S",
    ],
)
def test_pasted_redirect_url_is_understood(pasted: str) -> None:
    assert oauth.parse_pasted(pasted, "S") == oauth.Code("C")


@pytest.mark.parametrize(
    "pasted",
    ["hello", "http://127.0.0.1:8888/other?code=C&state=S", "http://x/callback?code=C&state=T"],
)
def test_pasted_text_that_is_not_our_redirect_is_refused(pasted: str) -> None:
    with pytest.raises(oauth.CallbackError):
        oauth.parse_pasted(pasted, "S")


def test_error_sentences_say_what_to_do() -> None:
    redirect = oauth.redirect_uri(8888)
    cases = {
        oauth.refused_sentence("access_denied"): "Agree",
        oauth.token_error_sentence("invalid_client", "Invalid client secret", 400, redirect): (
            "SPOTIFY_CLIENT_SECRET"
        ),
        oauth.token_error_sentence("invalid_grant", "Invalid authorization code", 400, redirect): (
            "mkdocs-spotify login"
        ),
        oauth.token_error_sentence("invalid_grant", "Invalid redirect URI", 400, redirect): (
            redirect
        ),
        oauth.token_error_sentence("timeout", "", None, redirect): "network",
        oauth.token_error_sentence("unreachable", "", None, redirect): "SPOTIFY_ACCOUNTS_URL",
        oauth.token_error_sentence("server_error", "", 503, redirect): "HTTP 503",
    }
    for sentence, fix in cases.items():
        assert fix in sentence
        assert sentence.endswith(".")
        assert "\n" not in sentence
    help_text = oauth.redirect_help(redirect)
    assert redirect in help_text
    assert "INVALID_CLIENT: Invalid redirect URI" in help_text
    assert "INVALID_CLIENT: Insecure redirect URI" in help_text


async def test_the_fake_refuses_a_wrong_verifier_and_accepts_the_right_one() -> None:
    verifier = oauth.new_verifier()
    redirect = oauth.redirect_uri(8888)
    async with FakeSpotify() as fake, aiohttp.ClientSession() as session:
        settings = fake.settings()
        for code in ("wrong", "right"):
            fake.codes[code] = PendingCode(
                fake.client_id, redirect, oauth.challenge(verifier), ("user-top-read",)
            )
        form = {"grant_type": "authorization_code", "redirect_uri": redirect}
        with pytest.raises(AccountsError) as refused:
            await request_token(
                session, settings, {**form, "code": "wrong", "code_verifier": oauth.new_verifier()}
            )
        assert refused.value.is_invalid_grant
        grant = await request_token(
            session, settings, {**form, "code": "right", "code_verifier": verifier}
        )
        assert grant.refresh_token in fake.refresh_tokens
