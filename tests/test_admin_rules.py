"""The pure decisions of `PUT /v1/admin/grant`: transport, caller, token, body, failure budget."""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from proxy.settings import SettingsError, admin_token_problem, load_settings
from proxy.web.admin_rules import (
    FailureLimiter,
    GrantRefused,
    bearer_matches,
    client_address,
    forwarded_proto,
    parse_grant,
    transport_problem,
)
from tests.fakes.spotify import CLIENT_ID

GOOD_TOKEN = "k" + "Abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEF"  # 45 characters, many symbols
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("127.0.0.1", {"Host": "127.0.0.1:8787"}),  # on the machine itself
        ("::1", {"Host": "[::1]:8787"}),
        ("127.0.0.1", {"Host": "localhost"}),
        ("127.0.0.1", {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}),
        ("127.0.0.1", {"X-Forwarded-Proto": "HTTPS, http"}),  # the client-facing hop counts
        ("127.0.0.1", {"Forwarded": 'for=203.0.113.5;proto="https"'}),
    ],
)
def test_https_or_the_machine_itself_may_hand_over(peer: str, headers: dict[str, str]) -> None:
    assert transport_problem(peer, headers) is None


@pytest.mark.parametrize(
    ("peer", "headers", "words"),
    [
        ("192.0.2.7", {}, "plain http from the network"),
        # Any client can send the header: from the network it proves nothing.
        ("192.0.2.7", {"X-Forwarded-Proto": "https"}, "plain http from the network"),
        ("203.0.113.5", {"Forwarded": "proto=https"}, "plain http from the network"),
        (None, {}, "plain http from the network"),
        ("127.0.0.1", {"X-Forwarded-Proto": "http"}, "refuses plain http"),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.5;proto=http"}, "refuses plain http"),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.5"}, "X-Forwarded-Proto"),
        ("127.0.0.1", {"X-Real-IP": "203.0.113.5"}, "X-Forwarded-Proto"),
        ("127.0.0.1", {"Via": "1.1 proxy"}, "X-Forwarded-Proto"),
        # nginx with `proxy_set_header Host $host` and nothing else: the site's name arrives.
        ("127.0.0.1", {"Host": "blog.example.com"}, "X-Forwarded-Proto"),
        ("127.0.0.1", {}, "X-Forwarded-Proto"),  # HTTP/1.0 without Host: nobody says where from
    ],
)
def test_plain_http_is_refused(peer: str | None, headers: dict[str, str], words: str) -> None:
    problem = transport_problem(peer, headers)
    assert problem is not None
    assert words in problem
    assert problem.endswith(".")


def test_forwarded_proto_reads_both_header_forms() -> None:
    assert forwarded_proto({}) is None
    assert forwarded_proto({"Forwarded": "for=1.2.3.4"}) is None
    assert forwarded_proto({"Forwarded": "for=1.2.3.4;Proto=HTTPS, proto=http"}) == "https"


def test_the_client_address_behind_a_local_reverse_proxy_is_the_one_it_appended() -> None:
    forwarded = {"X-Forwarded-For": "10.9.9.9, 203.0.113.5"}  # the left entry is the client's
    assert client_address("127.0.0.1", forwarded) == "203.0.113.5"
    assert client_address("127.0.0.1", {"X-Real-IP": "203.0.113.6"}) == "203.0.113.6"
    assert client_address("127.0.0.1", {}) == "127.0.0.1"
    # Only an address goes into the log: anything else is the peer.
    forged = {"X-Forwarded-For": "203.0.113.5\nINFO Took a new Spotify grant"}
    assert client_address("127.0.0.1", forged) == "127.0.0.1"
    assert client_address("127.0.0.1", {"X-Real-IP": "unknown"}) == "127.0.0.1"
    # From the network the header is the caller's own claim: the peer counts.
    assert client_address("192.0.2.7", forwarded) == "192.0.2.7"


def test_the_bearer_token_must_match_exactly() -> None:
    assert bearer_matches(f"Bearer {GOOD_TOKEN}", GOOD_TOKEN)
    assert bearer_matches(f"bearer {GOOD_TOKEN}", GOOD_TOKEN)
    for wrong in (None, "", GOOD_TOKEN, f"Basic {GOOD_TOKEN}", f"Bearer {GOOD_TOKEN[:-1]}"):
        assert not bearer_matches(wrong, GOOD_TOKEN)
    assert not bearer_matches("Bearer ünïcode", GOOD_TOKEN)  # no TypeError from non-ASCII


def test_the_bearer_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(hmac, "compare_digest", recording)
    assert not bearer_matches("Bearer x", GOOD_TOKEN)
    assert compared == [(b"x", GOOD_TOKEN.encode())]


def test_failures_are_limited_per_address_and_forgotten_after_the_window() -> None:
    now = [100.0]
    limiter = FailureLimiter(lambda: now[0], limit=3, window=60)
    for count in (1, 2, 3):
        assert limiter.retry_after("a") is None
        assert limiter.failed("a") == count
        now[0] += 1
    assert limiter.retry_after("a") == 57  # the first of the three failures ages out then
    assert limiter.retry_after("b") is None  # another address is not affected
    now[0] += 57
    assert limiter.retry_after("a") is None
    assert limiter.failed("a") == 3  # two still in the window, plus this one


def test_a_limit_of_one_counts_one() -> None:
    now = [0.0]
    limiter = FailureLimiter(lambda: now[0], limit=1, window=10)
    assert limiter.failed("a") == 1
    assert limiter.retry_after("a") == 10


def grant_body(**changes: object) -> bytes:
    body: dict[str, object] = {
        "refresh_token": "the-new-refresh-token",
        "client_id": CLIENT_ID,
        "scopes": ["user-read-currently-playing"],
        "authorized_at": "2026-11-26T11:59:00Z",
        "seed_sha256": None,
    }
    body.update(changes)
    return json.dumps(body).encode()


def test_a_grant_with_the_store_fields_is_taken() -> None:
    handed = parse_grant(grant_body(), CLIENT_ID, NOW)
    assert handed.token.refresh_token == "the-new-refresh-token"
    assert handed.authorized_at == NOW - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not a grant"),
        (b"[1]", "not a grant"),
        (b"[" * 100_000, "not a grant"),
        (b"\xff\xfe", "not a grant"),
        (grant_body(refresh_token=""), "not a grant"),
        (grant_body(scopes="user-top-read"), "not a grant"),
        (grant_body(authorized_at="last week"), "not a grant"),
        (grant_body(client_id="f" * 32), "another Spotify app"),
        (grant_body(authorized_at=None), "no authorized_at"),
        (grant_body(authorized_at="2026-11-27T12:00:00Z"), "in the future"),
    ],
)
def test_what_is_not_a_usable_grant_is_one_sentence(body: bytes, words: str) -> None:
    with pytest.raises(GrantRefused) as refused:
        parse_grant(body, CLIENT_ID, NOW)
    assert words in str(refused.value)
    assert "the-new-refresh-token" not in str(refused.value)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("short", "5 characters long, fewer than 43"),
        ("x" * 42, "42 characters long"),
        ("ab" * 30, "repeats too few characters"),
        ("with space " + GOOD_TOKEN, "spaces or characters outside printable ASCII"),
        ("é" + GOOD_TOKEN, "printable ASCII"),
    ],
)
def test_a_weak_admin_token_is_refused_without_quoting_it(token: str, words: str) -> None:
    problem = admin_token_problem(token)
    assert problem is not None
    assert words in problem
    with pytest.raises(SettingsError) as error:
        load_settings({"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_PROXY_ADMIN_TOKEN": token})
    (sentence,) = error.value.problems
    assert sentence.startswith("SPOTIFY_PROXY_ADMIN_TOKEN ")
    assert "token_urlsafe(32)" in sentence
    assert token not in sentence


def test_a_random_admin_token_is_accepted_and_kept_out_of_repr() -> None:
    for token in (secrets.token_urlsafe(32), secrets.token_hex(32), GOOD_TOKEN):
        settings = load_settings(
            {"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_PROXY_ADMIN_TOKEN": token}
        )
        assert settings.admin_token == token
        assert token not in repr(settings)
