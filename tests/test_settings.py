"""Settings: env over `.env`, every problem found at once, one sentence each."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.settings import (
    DEFAULT_ACCOUNTS_URL,
    Settings,
    SettingsError,
    load_settings,
    normalise_origin,
    read_environment,
)
from tests.fakes.spotify import CLIENT_ID


def problems_of(env: dict[str, str], **kwargs: object) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(env, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_defaults() -> None:
    settings = load_settings({"SPOTIFY_CLIENT_ID": CLIENT_ID})
    assert settings.accounts_url == DEFAULT_ACCOUNTS_URL
    assert settings.api_url == "https://api.spotify.com/v1"
    assert settings.cache_ttl == 5.0
    assert settings.upstream_timeout == 5.0
    assert settings.allowed_origins == ()
    assert settings.access_log is False
    assert settings.is_public_client
    assert settings.token_store.name == "token.json"


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SPOTIFY_CLIENT_SECRET": "secret",
            "SPOTIFY_REFRESH_TOKEN": "seed",
            "SPOTIFY_AUTHORIZED_AT": "2026-06-01T10:00:00Z",
            "SPOTIFY_TOKEN_STORE": "~/tok.json",
            "SPOTIFY_ACCOUNTS_URL": "http://127.0.0.1:9/",
            "SPOTIFY_API_URL": "http://127.0.0.1:9/v1/",
            "SPOTIFY_PROXY_ALLOWED_ORIGINS": " https://Blog.Example.com:443 , http://127.0.0.1:8000",
            "SPOTIFY_PROXY_CACHE_TTL": "2.5",
            "SPOTIFY_PROXY_UPSTREAM_TIMEOUT": "1.5",
            "SPOTIFY_PROXY_ACCESS_LOG": "true",
            "SPOTIFY_PROXY_MAX_STREAMS": "2500",
        },
        host="0.0.0.0",
        port=9000,
    )
    assert not settings.is_public_client
    assert settings.authorized_at is not None
    assert settings.authorized_at.hour == 10
    assert settings.token_store == Path("~/tok.json").expanduser()
    assert settings.accounts_url == "http://127.0.0.1:9"
    assert settings.api_url == "http://127.0.0.1:9/v1"
    assert settings.allowed_origins == ("https://blog.example.com", "http://127.0.0.1:8000")
    assert (settings.cache_ttl, settings.upstream_timeout) == (2.5, 1.5)
    assert settings.access_log
    assert settings.max_streams == 2500
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)


def test_secrets_stay_out_of_repr() -> None:
    settings = Settings(client_secret="very-secret", refresh_token="seed-secret")
    assert "very-secret" not in repr(settings)
    assert "seed-secret" not in repr(settings)


def test_demo_needs_no_client_id() -> None:
    assert load_settings({}, demo=True).demo


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "SPOTIFY_CLIENT_ID is not set"),
        ({"SPOTIFY_CLIENT_ID": "ABC"}, "32 hexadecimal"),
        ({"SPOTIFY_PROXY_CACHE_TTL": "0.4"}, "at least 0.5"),
        ({"SPOTIFY_PROXY_CACHE_TTL": "fast"}, "SPOTIFY_PROXY_CACHE_TTL is 'fast'"),
        ({"SPOTIFY_PROXY_CACHE_TTL": "inf"}, "SPOTIFY_PROXY_CACHE_TTL"),
        ({"SPOTIFY_PROXY_CACHE_TTL": "nan"}, "SPOTIFY_PROXY_CACHE_TTL"),
        ({"SPOTIFY_PROXY_UPSTREAM_TIMEOUT": "0"}, "SPOTIFY_PROXY_UPSTREAM_TIMEOUT"),
        ({"SPOTIFY_PROXY_CACHE_TTL": "3601"}, "at most 3600 (an older answer is no longer"),
        ({"SPOTIFY_PROXY_UPSTREAM_TIMEOUT": "61"}, "at most 60 (a visitor with no answer yet"),
        ({"SPOTIFY_PROXY_MAX_STREAMS": "-1"}, "SPOTIFY_PROXY_MAX_STREAMS is '-1'"),
        ({"SPOTIFY_PROXY_MAX_STREAMS": "many"}, "a whole number from 0"),
        ({"SPOTIFY_PROXY_MAX_STREAMS": "10.5"}, "whole number of live streams"),
        ({"SPOTIFY_PROXY_ALLOWED_ORIGINS": "blog.example.com"}, "not an origin"),
        ({"SPOTIFY_PROXY_ALLOWED_ORIGINS": "https://b.example/path"}, "not an origin"),
        ({"SPOTIFY_PROXY_ALLOWED_ORIGINS": "null"}, "not an origin"),
        ({"SPOTIFY_ACCOUNTS_URL": "ftp://x"}, "SPOTIFY_ACCOUNTS_URL must be an http(s) URL"),
        ({"SPOTIFY_API_URL": "api.spotify.com"}, "SPOTIFY_API_URL must be an http(s) URL"),
        ({"SPOTIFY_API_URL": "http://[::1:8080/v1"}, "SPOTIFY_API_URL must be an http(s) URL"),
        ({"SPOTIFY_ACCOUNTS_URL": "https://accounts..spotify.com"}, "SPOTIFY_ACCOUNTS_URL must"),
        ({"SPOTIFY_ACCOUNTS_URL": "http://127.0.0.1:99999"}, "SPOTIFY_ACCOUNTS_URL must"),
        ({"SPOTIFY_ACCOUNTS_URL": "http://accounts.spotify.com"}, "plain http for accounts"),
        ({"SPOTIFY_API_URL": "http://10.0.0.5:8080/v1"}, "SPOTIFY_API_URL uses plain http"),
        ({"SPOTIFY_API_URL": "http://127.0.0.1.example.com/v1"}, "plain http"),
        ({"SPOTIFY_AUTHORIZED_AT": "last spring"}, "SPOTIFY_AUTHORIZED_AT must be an ISO 8601"),
        ({"SPOTIFY_AUTHORIZED_AT": "0001-01-01T00:00+01:00"}, "SPOTIFY_AUTHORIZED_AT must be"),
        ({"SPOTIFY_AUTHORIZED_AT": "9999-12-01T00:00:00Z"}, "SPOTIFY_AUTHORIZED_AT must be"),
    ],
)
def test_each_problem_is_one_sentence(env: dict[str, str], words: str) -> None:
    base = {} if "SPOTIFY_CLIENT_ID" in env or env == {} else {"SPOTIFY_CLIENT_ID": CLIENT_ID}
    problems = problems_of({**base, **env})
    assert len(problems) == 1
    assert words in problems[0]
    assert problems[0].endswith(".")
    assert "\n" not in problems[0]


def test_all_problems_are_reported_at_once() -> None:
    problems = problems_of(
        {
            "SPOTIFY_PROXY_CACHE_TTL": "0",
            "SPOTIFY_PROXY_ALLOWED_ORIGINS": "x,y",
            "SPOTIFY_API_URL": "nope",
        },
        port=0,
    )
    assert len(problems) == 6  # client id, two origins, API URL, TTL, port


def test_environment_wins_over_the_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SPOTIFY_CLIENT_ID=from-file\nSPOTIFY_PROXY_CACHE_TTL=9\n")
    merged = read_environment({"SPOTIFY_CLIENT_ID": "from-env"}, env_file)
    assert merged["SPOTIFY_CLIENT_ID"] == "from-env"
    assert merged["SPOTIFY_PROXY_CACHE_TTL"] == "9"
    assert read_environment({}, tmp_path / "missing") == {}


def test_a_dotenv_file_that_is_not_utf8_is_a_sentence(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    # What Windows Notepad writes when saving as "Unicode".
    env_file.write_bytes("SPOTIFY_CLIENT_ID=abc\n".encode("utf-16"))
    with pytest.raises(SettingsError) as raised:
        read_environment({}, env_file)
    assert raised.value.problems == [
        f"The file {env_file} cannot be read (it is not UTF-8 text): save it as UTF-8 or remove it."
    ]


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://Blog.example.com", "https://blog.example.com"),
        ("https://blog.example.com:443/", "https://blog.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:80", "http://[::1]"),
        ("https://user@blog.example.com", None),
        ("https://blog.example.com/?q", None),
        ("https://blog.example.com:99999", None),
        ("javascript:alert(1)", None),
    ],
)
def test_normalise_origin(raw: str, origin: str | None) -> None:
    assert normalise_origin(raw) == origin


def test_the_ttl_and_the_timeout_may_reach_their_maxima() -> None:
    env = {
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_PROXY_CACHE_TTL": "3600",
        "SPOTIFY_PROXY_UPSTREAM_TIMEOUT": "60",
    }
    settings = load_settings(env)
    assert (settings.cache_ttl, settings.upstream_timeout) == (3600.0, 60.0)


@pytest.mark.parametrize(
    "url",
    [
        "https://accounts.spotify.com",
        "https://10.0.0.5/v1",
        "http://127.0.0.1:9",
        "http://127.8.9.10",
        "http://[::1]:8080/v1",
        "http://localhost:8080",
        "http://LOCALHOST",
    ],
)
def test_plain_http_only_reaches_loopback_hosts(url: str) -> None:
    settings = load_settings(
        {"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_ACCOUNTS_URL": url, "SPOTIFY_API_URL": url}
    )
    assert settings.accounts_url == url.rstrip("/")


def test_a_dotenv_line_that_is_not_key_value_is_a_sentence_naming_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SPOTIFY_CLIENT_ID=abc\nSPOTIFY_PROXY_CACHE_TTL 9\n")
    with pytest.raises(SettingsError) as error:
        read_environment({}, env_file)
    (problem,) = error.value.problems
    assert f"The file {env_file}, line 2, is not KEY=value" in problem


@pytest.mark.parametrize("value", ["maybe", "on", "enabled"])
def test_the_access_log_switch_refuses_what_it_cannot_read(value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"SPOTIFY_PROXY_ACCESS_LOG": value}, demo=True)
    assert error.value.problems == [
        f"SPOTIFY_PROXY_ACCESS_LOG is {value!r}: set it to 1, true or yes (or 0, false or no)."
    ]


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("YES", True), ("no", False)])
def test_the_access_log_switch_reads_the_usual_words(value: str, expected: bool) -> None:
    assert load_settings({"SPOTIFY_PROXY_ACCESS_LOG": value}, demo=True).access_log is expected
