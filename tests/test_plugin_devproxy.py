"""How the `mkdocs serve` dev proxy chooses between the owner's account and the demo session."""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from mkdocs.plugins import get_plugin_logger

from mkdocs_spotify.plugin.devproxy import (
    DevProxy,
    DevProxyError,
    dev_settings,
    forward_proxy_logs,
    serve_origins,
    stop_forwarding,
)
from proxy.answers.cache import AnswerCache
from proxy.answers.encoding import render_json
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.errors import UpstreamError
from tests.fakes.spotify import CLIENT_ID


def test_no_credentials_means_demo(tmp_path: Path) -> None:
    env = {"SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json")}

    settings, problems = dev_settings(env, env_file=None)

    assert settings.demo
    assert problems == []


def test_a_client_id_alone_is_not_an_account_and_says_how_to_log_in(tmp_path: Path) -> None:
    store = tmp_path / "missing.json"
    env = {"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_TOKEN_STORE": str(store)}

    settings, problems = dev_settings(env, env_file=None)

    assert settings.demo
    assert problems == [
        "SPOTIFY_CLIENT_ID is set but there is no refresh token (no SPOTIFY_REFRESH_TOKEN, "
        f"no token store at {store}): run `mkdocs-spotify login`, then restart mkdocs serve; "
        "until then the widget shows the demo session."
    ]


def test_the_proxys_log_lines_carry_mkdocs_prefix_while_forwarded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = get_plugin_logger("mkdocs_spotify.plugin.plugin")
    caplog.set_level(logging.INFO)
    handler = forward_proxy_logs(target)
    try:
        logging.getLogger("proxy.answers.cache").info("Spotify answers again.")
    finally:
        stop_forwarding(handler)
    logging.getLogger("proxy.answers.cache").warning("after")

    forwarded = [r for r in caplog.records if r.name == target.logger.name]
    assert [r.getMessage() for r in forwarded] == ["mkdocs_spotify: Spotify answers again."]
    assert [r.name for r in caplog.records if r.getMessage() == "after"] == ["proxy.answers.cache"]
    assert logging.getLogger("proxy").handlers == []


async def test_a_failure_with_no_answer_yet_does_not_claim_to_serve_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing() -> dict[str, Any]:
        raise UpstreamError("Spotify answered 503")

    cache = AnswerCache(failing, render_json, ttl=5, wait_timeout=1, clock=ManualClock())

    assert await cache.get() is None

    messages = [r.getMessage() for r in caplog.records if r.name == "proxy.answers.cache"]
    assert messages == ["Spotify answered 503; no answer to serve yet."]


def test_client_id_and_refresh_token_mean_the_owners_account(tmp_path: Path) -> None:
    env = {
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_REFRESH_TOKEN": "seed",
        "SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json"),
    }

    settings, problems = dev_settings(env, env_file=None)

    assert not settings.demo
    assert problems == []
    assert settings.client_id == CLIENT_ID


def test_client_id_and_a_token_store_mean_the_owners_account(tmp_path: Path) -> None:
    store = tmp_path / "token.json"
    store.write_text("{}", encoding="utf-8")
    (tmp_path / ".env").write_text(
        f"SPOTIFY_CLIENT_ID={CLIENT_ID}\nSPOTIFY_TOKEN_STORE={store}\n", encoding="utf-8"
    )

    settings, _ = dev_settings({}, env_file=tmp_path / ".env")

    assert not settings.demo
    assert settings.token_store == store


def test_broken_settings_fall_back_to_demo_with_their_sentences(tmp_path: Path) -> None:
    env = {"SPOTIFY_CLIENT_ID": "not-an-id", "SPOTIFY_REFRESH_TOKEN": "secret-seed"}

    settings, problems = dev_settings(env, env_file=None)

    assert settings.demo
    assert len(problems) == 1
    assert "SPOTIFY_CLIENT_ID does not look like" in problems[0]
    assert "secret-seed" not in problems[0]


def test_an_unreadable_dotenv_falls_back_to_demo_with_its_sentence(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(f"SPOTIFY_CLIENT_ID={CLIENT_ID}\n".encode("utf-16"))

    settings, problems = dev_settings({}, env_file=env_file)

    assert settings.demo
    assert len(problems) == 1
    assert "not UTF-8" in problems[0]


def test_serve_origins_cover_both_loopback_names() -> None:
    assert serve_origins("http://127.0.0.1:8000/docs/") == (
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    )
    assert serve_origins("http://localhost:8000/") == (
        "http://localhost:8000",
        "http://127.0.0.1:8000",
    )
    # `mkdocs serve -a 0.0.0.0:9000`: this machine's browser still opens a loopback name.
    assert serve_origins("http://0.0.0.0:9000/") == (
        "http://0.0.0.0:9000",
        "http://127.0.0.1:9000",
        "http://localhost:9000",
    )
    assert serve_origins("http://[::]:9000/")[1:] == (
        "http://127.0.0.1:9000",
        "http://localhost:9000",
    )
    assert serve_origins("http://192.168.1.5:8000/") == ("http://192.168.1.5:8000",)
    assert serve_origins(None) == ()


def test_the_dev_proxy_serves_demo_json_and_stops() -> None:
    proxy = DevProxy(Settings(demo=True, port=0))
    proxy.start()
    try:
        with urllib.request.urlopen(f"{proxy.url}/v1/now-playing", timeout=5) as response:
            answer = json.load(response)
        assert answer["status"] in {"playing", "paused", "idle"}
    finally:
        proxy.stop()
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        urllib.request.urlopen(f"{proxy.url}/healthz", timeout=2)


def test_a_busy_port_gives_a_sentence() -> None:
    first = DevProxy(Settings(demo=True, port=0))
    first.start()
    try:
        second = DevProxy(Settings(demo=True, port=first.port))
        with pytest.raises(DevProxyError, match=r"set dev_proxy_port to a free port, or 0\.$"):
            second.start()
    finally:
        first.stop()


def test_the_dev_proxy_never_opens_the_admin_endpoint(tmp_path: Path) -> None:
    # The laptop's .env holds the deployed proxy's admin token, for `login --to`.
    env = {
        "SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json"),
        "SPOTIFY_PROXY_ADMIN_TOKEN": secrets.token_urlsafe(32),
    }

    settings, problems = dev_settings(env, env_file=None)

    assert problems == []
    assert settings.admin_token is None
