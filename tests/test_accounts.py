"""The accounts client against the fake: confidential and public apps, errors as AccountsError."""

from __future__ import annotations

import base64
import json

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mkdocs_spotify.cli.oauth import accounts_sentence
from proxy.spotify.accounts import basic_credentials, parse_token_response, request_token
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
    assert token not in repr(grant)
    assert grant.access_token not in repr(grant)


async def test_a_public_app_sends_its_client_id_and_gets_rotated_tokens() -> None:
    async with FakeSpotify(client_secret=None, rotate_refresh_tokens=True) as fake:
        token = fake.issue_refresh_token()
        async with aiohttp.ClientSession() as session:
            grant = await request_token(
                session, fake.settings(client_secret=None), {"grant_type": REFRESH, REFRESH: token}
            )
        assert fake.last_token_form["client_id"] == fake.client_id
        assert grant.refresh_token is not None
        assert grant.refresh_token != token


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
        200,
        b'{"access_token": "a", "token_type": "Bearer", "expires_in": 60, "refresh_token": "r",'
        b' "scope": "x y"}',
    )
    assert (grant.access_token, grant.expires_in, grant.refresh_token) == ("a", 60.0, "r")
    assert grant.scopes == ("x", "y")


async def test_basic_credentials_are_form_urlencoded_before_base64() -> None:
    # RFC 6749 §2.3.1: a standards-following server decodes each part; a secret with `%`, `+`,
    # `/`, `=` or `:` only survives if it was encoded.
    secret = "a%2Fb+c/d=e:f g"
    async with FakeSpotify(client_secret=secret) as fake:
        token = fake.issue_refresh_token()
        async with aiohttp.ClientSession() as session:
            grant = await request_token(
                session,
                fake.settings(client_secret=secret),
                {"grant_type": REFRESH, REFRESH: token},
            )
        assert grant.access_token in fake.access_tokens


def test_basic_credentials_match_the_rfc_encoding() -> None:
    header = basic_credentials("id:1", "p+q r%")
    assert base64.b64decode(header.removeprefix("Basic ")) == b"id%3A1:p%2Bq+r%25"


@pytest.mark.parametrize("token_type", [None, "mac", "", "bearer-ish"])
async def test_a_token_that_is_not_bearer_is_refused(
    fake_spotify: FakeSpotify, token_type: str | None
) -> None:
    fake_spotify.token_type = token_type
    token = fake_spotify.issue_refresh_token()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(AccountsError) as caught:
            await request_token(
                session, fake_spotify.settings(), {"grant_type": REFRESH, REFRESH: token}
            )
    assert caught.value.error == "bad_token_type"
    sentence = accounts_sentence(caught.value.error, "`mkdocs-spotify login`")
    assert sentence is not None
    assert "bearer" in sentence


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER"])
def test_bearer_is_compared_case_insensitively(token_type: str) -> None:
    body = json.dumps({"access_token": "a", "token_type": token_type, "expires_in": 60})
    assert parse_token_response(200, body.encode()).access_token == "a"


@pytest.mark.parametrize("status", [307, 308])
async def test_the_refresh_token_never_follows_a_redirect(
    fake_spotify: FakeSpotify, status: int
) -> None:
    received: list[bytes] = []

    async def catch(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"access_token": "x", "token_type": "Bearer"})

    catcher = web.Application()
    catcher.router.add_route("*", "/{tail:.*}", catch)
    server = TestServer(catcher, host="127.0.0.1")
    await server.start_server()
    try:
        fake_spotify.token_redirect = str(server.make_url("/elsewhere"))
        fake_spotify.token_redirect_status = status
        token = fake_spotify.issue_refresh_token()
        async with aiohttp.ClientSession() as session:
            with pytest.raises(AccountsError) as caught:
                await request_token(
                    session, fake_spotify.settings(), {"grant_type": REFRESH, REFRESH: token}
                )
    finally:
        await server.close()
    assert received == []
    assert caught.value.error == "redirected"
    assert caught.value.status == status
    assert token not in str(caught.value)
    sentence = accounts_sentence(caught.value.error, "`mkdocs-spotify doctor`")
    assert sentence is not None
    assert "SPOTIFY_ACCOUNTS_URL" in sentence
