"""The accounts client against the fake: confidential and public apps, errors as AccountsError."""

from __future__ import annotations

import aiohttp
import pytest

from proxy.spotify.accounts import parse_token_response, request_token
from proxy.spotify.errors import AccountsError
from tests.fakes.spotify import FakeSpotify

REFRESH = "refresh_token"


async def test_a_confidential_app_refreshes_with_basic_auth(fake_spotify: FakeSpotify) -> None:
    token = fake_spotify.issue_refresh_token()
    async with aiohttp.ClientSession() as session:
        grant = await request_token(
            session, fake_spotify.settings(), {"grant_type": REFRESH, REFRESH: token}
        )
    assert grant.access_token in fake_spotify.access_tokens
    assert grant.expires_in == 3600
    assert grant.refresh_token is None
    assert "client_id" not in fake_spotify.last_token_form
    assert token not in repr(grant) and grant.access_token not in repr(grant)


async def test_a_public_app_sends_its_client_id_and_gets_rotated_tokens() -> None:
    async with FakeSpotify(client_secret=None, rotate_refresh_tokens=True) as fake:
        token = fake.issue_refresh_token()
        async with aiohttp.ClientSession() as session:
            grant = await request_token(
                session, fake.settings(client_secret=None), {"grant_type": REFRESH, REFRESH: token}
            )
        assert fake.last_token_form["client_id"] == fake.client_id
        assert grant.refresh_token is not None and grant.refresh_token != token


async def test_invalid_grant(fake_spotify: FakeSpotify) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(AccountsError) as caught:
            await request_token(
                session, fake_spotify.settings(), {"grant_type": REFRESH, REFRESH: "dead-token-123"}
            )
    assert caught.value.is_invalid_grant
    assert caught.value.status == 400
    assert "dead-token-123" not in str(caught.value)


async def test_a_wrong_secret_is_invalid_client(fake_spotify: FakeSpotify) -> None:
    token = fake_spotify.issue_refresh_token()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(AccountsError) as caught:
            await request_token(
                session,
                fake_spotify.settings(client_secret="wrong-secret"),
                {"grant_type": REFRESH, REFRESH: token},
            )
    assert caught.value.error == "invalid_client"
    assert "wrong-secret" not in str(caught.value)


async def test_timeouts_and_unreachable_hosts(fake_spotify: FakeSpotify) -> None:
    fake_spotify.token_delay = 1.0
    async with aiohttp.ClientSession() as session:
        with pytest.raises(AccountsError) as slow:
            await request_token(
                session, fake_spotify.settings(upstream_timeout=0.2), {"grant_type": REFRESH}
            )
        with pytest.raises(AccountsError) as down:
            await request_token(
                session,
                fake_spotify.settings(accounts_url="http://127.0.0.1:9"),
                {"grant_type": REFRESH},
            )
    assert slow.value.error == "timeout"
    assert down.value.error == "unreachable"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, b"not json", "bad_response"),
        (200, b"[]", "bad_response"),
        (200, b'{"access_token": ""}', "bad_response"),
        (200, b'{"access_token": "a", "expires_in": "soon"}', "bad_response"),
        (500, b"<html>", "server_error"),
        (
            400,
            b'{"error": "invalid_grant", "error_description": "Refresh token revoked"}',
            "invalid_grant",
        ),
    ],
)
def test_parse_token_response_errors(status: int, body: bytes, error: str) -> None:
    with pytest.raises(AccountsError) as caught:
        parse_token_response(status, body)
    assert caught.value.error == error


def test_parse_token_response_success() -> None:
    grant = parse_token_response(
        200, b'{"access_token": "a", "expires_in": 60, "refresh_token": "r", "scope": "x y"}'
    )
    assert (grant.access_token, grant.expires_in, grant.refresh_token) == ("a", 60.0, "r")
    assert grant.scopes == ("x", "y")
