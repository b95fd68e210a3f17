"""The pure decisions behind the cache and the HTTP answers."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.answers.cache import Action, decide
from proxy.answers.encoding import compact_json, strong_etag
from proxy.spotify.client import MAX_RETRY_AFTER, retry_after_seconds
from proxy.spotify.tokens import token_lifetime
from proxy.web.http import cors_headers, etag_matches, max_age, preflight_headers

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_decide() -> None:
    assert decide(10.0, None, 5.0, float("-inf"), False) is Action.START
    assert decide(10.0, 6.0, 5.0, float("-inf"), False) is Action.SERVE
    assert decide(11.0, 6.0, 5.0, float("-inf"), False) is Action.START
    assert decide(11.0, 6.0, 5.0, 40.0, False) is Action.SERVE  # 429 deadline
    assert decide(41.0, 6.0, 5.0, 40.0, False) is Action.START
    assert decide(10.0, None, 5.0, float("-inf"), True) is Action.JOIN


@given(
    ttl=st.floats(0.5, 10),
    gaps=st.lists(st.floats(0, 3), min_size=1, max_size=300),
)
def test_upstream_calls_per_window_are_bounded(ttl: float, gaps: list[float]) -> None:
    """Whatever the arrival pattern, starts in any window D number at most ceil(D/TTL) + 1."""
    now, last = 0.0, None
    starts: list[float] = []
    for gap in gaps:
        now += gap
        if decide(now, last, ttl, float("-inf"), False) is Action.START:
            starts.append(now)
            last = now
    for i, first in enumerate(starts):
        for j in range(i, len(starts)):
            window = starts[j] - first
            assert j - i + 1 <= math.ceil(window / ttl) + 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (None, 30.0),
        ("soon", 30.0),
        ("-4", 30.0),
        ("inf", 30.0),
        ("nan", 30.0),
        ("14400", 14400.0),
        ("86400", 86400.0),
        ("86401", MAX_RETRY_AFTER),
        ("31536000", MAX_RETRY_AFTER),  # a year: garbage
    ],
)
def test_retry_after(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Mon, 23 Nov 2026 12:02:00 GMT", 120.0),
        ("Mon, 23 Nov 2026 14:00:00 GMT", 7200.0),  # hours, as Spotify has been seen to ask
        ("Mon, 23 Nov 2026 11:00:00 GMT", 0.0),  # already past
        ("Mon, 32 Nov 2026 12:00:00 GMT", 30.0),
        ("Tue, 23 Nov 2027 12:00:00 GMT", MAX_RETRY_AFTER),
    ],
)
def test_retry_after_as_an_http_date(header: str, seconds: float) -> None:
    assert retry_after_seconds(header, NOW) == seconds


def test_token_lifetime_refreshes_early() -> None:
    assert token_lifetime(3600) == 3540
    assert token_lifetime(100) == 90
    # A floor: a zero expires_in must not make every request a token request.
    assert token_lifetime(0) == 0.5
    assert token_lifetime(0.5, floor=5.0) == 5.0


@pytest.mark.parametrize(("ttl", "age"), [(0.5, 1), (1.0, 1), (5.0, 5), (5.9, 5), (30, 30)])
def test_max_age(ttl: float, age: int) -> None:
    assert max_age(ttl) == age


def test_etags() -> None:
    etag = strong_etag(b"{}")
    assert etag == strong_etag(b"{}") != strong_etag(b"[]")
    assert etag_matches(etag, etag)
    assert etag_matches(f'"nope", {etag}', etag)
    assert etag_matches(f"W/{etag}", etag)
    assert etag_matches("*", etag)
    assert not etag_matches('"nope"', etag)
    assert not etag_matches(None, etag)
    assert not etag_matches("", etag)


def test_cors_is_exact_match_and_never_null() -> None:
    allowed = ("https://a.example", "null")
    assert cors_headers("https://a.example", allowed) == {
        "Access-Control-Allow-Origin": "https://a.example"
    }
    assert cors_headers("https://A.example", allowed) == {}
    assert cors_headers("null", allowed) == {}
    assert cors_headers(None, allowed) == {}
    assert preflight_headers("https://a.example", allowed, {}) is not None
    assert (
        preflight_headers("https://a.example", allowed, {"Access-Control-Request-Method": "PUT"})
        is None
    )


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "Beyoncé 東京",
        'quote " backslash \\ \\ud83c',
        "cut \ud83c",
        "\udc00 low half",
    ],
)
def test_compact_json_is_utf8_json_for_any_text(text: str) -> None:
    body = compact_json({text: [text]})
    assert json.loads(body.decode("utf-8")) == {text: [text]}
