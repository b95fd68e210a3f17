"""SPOTIFY_PROXY_NOTIFY, SPOTIFY_PROXY_NAME and SPOTIFY_PROXY_METRICS: parsed once, bad values
are one sentence each, and the notification URLs never show in a repr or a message."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from proxy.alerts.notices import expiry_notice, refused_notice
from proxy.settings import SettingsError, load_settings
from proxy.spotify.grant import grant_expires_at

BASE = {"SPOTIFY_CLIENT_ID": "0123456789abcdef0123456789abcdef"}
SECRET_URL = "discord://1234/secret-webhook-token"


def test_urls_are_split_on_commas_and_spaces_and_hidden_from_repr() -> None:
    settings = load_settings(
        {**BASE, "SPOTIFY_PROXY_NOTIFY": f"ntfy://topic, {SECRET_URL}\n json://127.0.0.1:9/x,"}
    )
    assert settings.notify_urls == ("ntfy://topic", SECRET_URL, "json://127.0.0.1:9/x")
    assert "secret-webhook-token" not in repr(settings)
    assert settings.site_name == socket.gethostname()
    assert load_settings({**BASE, "SPOTIFY_PROXY_NAME": " blog.example.com "}).site_name == (
        "blog.example.com"
    )


def test_a_value_that_is_not_a_url_is_named_by_position_only() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, "SPOTIFY_PROXY_NOTIFY": "ntfy://ok secret-webhook-token"})
    assert caught.value.problems == [
        "SPOTIFY_PROXY_NOTIFY's URL number 2 is not a URL: write Apprise URLs such as "
        "ntfy://my-topic or discord://webhook_id/webhook_token, separated by commas or spaces."
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("127.0.0.1:9787", ("127.0.0.1", 9787)), ("[::1]:9787", ("::1", 9787))],
)
def test_metrics_listen_address(raw: str, expected: tuple[str, int]) -> None:
    assert load_settings({**BASE, "SPOTIFY_PROXY_METRICS": raw}).metrics_listen == expected
    assert load_settings(BASE).metrics_listen is None


@pytest.mark.parametrize("raw", ["9787", ":9787", "::1:9787", "localhost:0", "host:http"])
def test_a_bad_metrics_address_is_one_sentence(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, "SPOTIFY_PROXY_METRICS": raw})
    assert caught.value.problems == [
        f"SPOTIFY_PROXY_METRICS is {raw!r}: set it to the address and port of the metrics "
        "listener, such as 127.0.0.1:9787 (keep it off the public network)."
    ]


AUTHORIZED = datetime(2026, 6, 1, tzinfo=UTC)
EXPIRES = grant_expires_at(AUTHORIZED)


@pytest.mark.parametrize(
    ("days_before", "milestone"),
    [(40, None), (31, None), (30.5, "30d"), (8, "30d"), (7.9, "7d"), (2, "7d"), (1.9, "1d"),
     (0.1, "1d"), (-0.5, None)],
)  # fmt: skip
def test_the_notice_due_is_the_nearest_milestone_reached_in_whole_days_left(
    days_before: float, milestone: str | None
) -> None:
    notice = expiry_notice("site", AUTHORIZED, EXPIRES - timedelta(days=days_before))
    if milestone is None:
        assert notice is None
    else:
        assert notice is not None
        assert notice.key == f"expiry-{milestone}:{AUTHORIZED.isoformat()}"
        assert "2026-12-01 00:00 UTC" in notice.body


def test_the_renewal_command_follows_the_proxy_setup() -> None:
    moment = EXPIRES - timedelta(days=3)
    local = expiry_notice("site", AUTHORIZED, moment)
    remote = expiry_notice("site", AUTHORIZED, moment, remote=True)
    assert local is not None
    assert remote is not None
    assert "`mkdocs-spotify login` where the proxy reads its token store" in local.body
    assert "--to" not in local.body
    assert "`mkdocs-spotify login --to` followed by the proxy's address" in remote.body
    assert "--to" in refused_notice("site", AUTHORIZED, remote=True).body
    assert local.key == remote.key  # the same notice, worded for the setup


def test_a_new_login_gets_new_notices() -> None:
    later = AUTHORIZED + timedelta(days=90)
    assert refused_notice("s", AUTHORIZED).key != refused_notice("s", later).key
    assert refused_notice("s", None).key == "refused:unknown"
