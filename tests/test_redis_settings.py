"""SPOTIFY_PROXY_REDIS_URL at start-up: a wrong URL, an unreachable Redis or a refused password
is one sentence and exit 2, and the password never shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proxy.settings import DEFAULT_REDIS_PREFIX, SettingsError, load_settings, redis_location
from tests.fakes.net import free_port
from tests.fakes.spotify import CLIENT_ID
from tests.processes import clean_env
from tests.redis_server import redis_server

CLI = [sys.executable, "-m", "mkdocs_spotify.cli.main"]
PASSWORD = "s3cret-redis-password"


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://user:pw@redis.example.com:6380/0",
        "unix:///run/redis/redis.sock",
        "unix:///run/redis/redis.sock?db=2",
        "redis://127.0.0.1:6379/0?socket_timeout=5&health_check_interval=30",
        "rediss://user:pw@redis.example.com:6380/0?ssl_cert_reqs=required",
        "redis://:p%23ss@127.0.0.1:6379/0",
    ],
)
def test_redis_urls_are_accepted(url: str) -> None:
    settings = load_settings({"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_PROXY_REDIS_URL": url})
    assert settings.redis_url == url
    assert settings.redis_prefix == DEFAULT_REDIS_PREFIX
    assert "pw" not in repr(settings)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379",
        "127.0.0.1:6379",
        "redis://:99999",
        # redis-py would fail on these at the first connection, with a traceback:
        "redis://127.0.0.1:6379/0?db=x",
        "redis://127.0.0.1:6379/0?socket_timeout=soon",
        "redis://127.0.0.1:6379/0?colour=blue",
        # A '#' in the password starts a fragment: messages would show the password's start.
        f"redis://default:{PASSWORD[:4]}#{PASSWORD[4:]}@127.0.0.1:6379/0",
    ],
)
def test_other_urls_are_one_sentence(url: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_PROXY_REDIS_URL": url})
    assert raised.value.problems == [
        "SPOTIFY_PROXY_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0, "
        "rediss://user:password@redis.example.com:6380/0 or unix:///run/redis/redis.sock "
        "(with only redis-py's options after '?', and a '#' in the password written %23)."
    ]


def test_the_location_in_messages_has_no_password() -> None:
    assert redis_location(f"rediss://app:{PASSWORD}@db.example:6380/2") == (
        "rediss://db.example:6380/2"
    )


def run_proxy(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        {
            "SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SPOTIFY_REFRESH_TOKEN": "seed-token",
            "SPOTIFY_TOKEN_STORE": str(tmp_path / "token.json"),
            "SPOTIFY_PROXY_REDIS_URL": url,
        }
    )
    return subprocess.run(
        [*CLI, "proxy", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_an_unreachable_redis_stops_the_proxy_with_one_sentence(tmp_path: Path) -> None:
    port = free_port()
    result = run_proxy(tmp_path, f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"mkdocs-spotify proxy: Redis at redis://127.0.0.1:{port}/0 cannot be used "
        "(ConnectionError): start it, or fix SPOTIFY_PROXY_REDIS_URL (redis://host:port/0, "
        "rediss:// for TLS, unix:///path)."
    ]


def test_a_refused_or_missing_password_is_one_sentence_without_the_password(
    tmp_path: Path,
) -> None:
    with redis_server(tmp_path / "redis", password=PASSWORD) as server:
        wrong = run_proxy(tmp_path, f"redis://:{PASSWORD}-wrong@127.0.0.1:{server.port}/0")
        missing = run_proxy(tmp_path, f"redis://127.0.0.1:{server.port}/0")
    location = f"redis://127.0.0.1:{server.port}/0"
    assert wrong.returncode == 2
    assert missing.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        f"mkdocs-spotify proxy: Redis at {location} refused the password in "
        "SPOTIFY_PROXY_REDIS_URL: copy it again (redis://user:password@host:port/0)."
    ]
    assert missing.stderr.strip().splitlines() == [
        f"mkdocs-spotify proxy: Redis at {location} requires a password: put it in "
        "SPOTIFY_PROXY_REDIS_URL (redis://user:password@host:port/0)."
    ]
    for result in (wrong, missing):
        assert PASSWORD not in result.stdout + result.stderr
