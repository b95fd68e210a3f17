"""The grant maths: which refresh token to use (seed rule) and when the grant dies."""

from __future__ import annotations

from datetime import UTC, datetime

from proxy.spotify.accounts import TokenGrant
from proxy.spotify.grant import (
    choose_credential,
    days_left,
    grant_expires_at,
    rotated,
    seed_fingerprint,
)
from proxy.spotify.store import StoredToken
from tests.fakes.spotify import CLIENT_ID

APP = CLIENT_ID
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def stored(token: str, seed: str | None = None, client_id: str = APP) -> StoredToken:
    return StoredToken(token, client_id, ("s",), WHEN, seed_fingerprint(seed) if seed else None)


def test_no_seed_uses_the_store() -> None:
    assert choose_credential(APP, None, None, stored("t")) == stored("t")
    assert choose_credential(APP, None, None, None) is None


def test_a_store_rotated_from_the_same_seed_wins() -> None:
    chain = stored("rotated", seed="seed")
    assert choose_credential(APP, "seed", None, chain) == chain


def test_a_store_holding_the_seed_itself_wins() -> None:
    assert choose_credential(APP, "seed", None, stored("seed")) == stored("seed")


def test_a_changed_seed_wins_over_the_store() -> None:
    authorized = datetime(2026, 5, 1, tzinfo=UTC)
    chosen = choose_credential(APP, "new-seed", authorized, stored("rotated", seed="old-seed"))
    assert chosen is not None
    assert chosen.refresh_token == "new-seed"
    assert chosen.seed_sha256 == seed_fingerprint("new-seed")
    assert chosen.authorized_at == authorized
    assert chosen.scopes == ("s",)


def test_a_store_for_another_app_is_ignored() -> None:
    assert choose_credential(APP, None, None, stored("t", client_id="f" * 32)) is None
    chosen = choose_credential(APP, "seed", None, stored("t", client_id="f" * 32))
    assert chosen is not None
    assert chosen.refresh_token == "seed"
    assert chosen.scopes == ()


def test_the_grant_lasts_six_calendar_months() -> None:
    assert grant_expires_at(datetime(2026, 6, 1, 10, tzinfo=UTC)) == datetime(
        2026, 12, 1, 10, tzinfo=UTC
    )
    assert grant_expires_at(datetime(2026, 8, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)
    assert grant_expires_at(datetime(2027, 8, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)


def test_days_left() -> None:
    authorized = datetime(2026, 6, 1, tzinfo=UTC)
    assert days_left(authorized, datetime(2026, 6, 1, tzinfo=UTC)) == 183
    assert days_left(authorized, datetime(2026, 11, 30, 12, tzinfo=UTC)) == 0
    assert days_left(authorized, datetime(2026, 12, 2, tzinfo=UTC)) == -1


def test_fingerprint_is_sha256_hex() -> None:
    assert seed_fingerprint("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_rotation_keeps_the_chain_and_only_happens_with_a_new_token() -> None:
    chain = stored("old", seed="seed")
    assert rotated(chain, TokenGrant("access", 3600)) is None
    assert rotated(chain, TokenGrant("access", 3600, refresh_token="old")) is None
    successor = rotated(chain, TokenGrant("access", 3600, refresh_token="new", scopes=("a", "b")))
    assert successor == StoredToken("new", APP, ("a", "b"), WHEN, seed_fingerprint("seed"))
    kept_scopes = rotated(chain, TokenGrant("access", 3600, refresh_token="new"))
    assert kept_scopes is not None
    assert kept_scopes.scopes == ("s",)
