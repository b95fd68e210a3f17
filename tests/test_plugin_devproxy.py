"""How the `mkdocs serve` dev proxy chooses between the owner's account and the demo session."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from mkdocs_spotify.plugin.devproxy import DevProxy, DevProxyError, dev_settings, serve_origins
from proxy.settings import Settings
from tests.fakes.spotify import CLIENT_ID


def test_no_credentials_means_demo(tmp_path: Path) -> None:
    env = {"SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json")}

    settings, problems = dev_settings(env, env_file=None)

    assert settings.demo and problems == []


def test_a_client_id_alone_is_not_an_account(tmp_path: Path) -> None:
    env = {"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json")}

    assert dev_settings(env, env_file=None)[0].demo


def test_client_id_and_refresh_token_mean_the_owners_account(tmp_path: Path) -> None:
    env = {
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_REFRESH_TOKEN": "seed",
        "SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json"),
    }

    settings, problems = dev_settings(env, env_file=None)

    assert not settings.demo and problems == []
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
    assert len(problems) == 1 and "SPOTIFY_CLIENT_ID does not look like" in problems[0]
    assert "secret-seed" not in problems[0]


def test_an_unreadable_dotenv_falls_back_to_demo_with_its_sentence(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(f"SPOTIFY_CLIENT_ID={CLIENT_ID}\n".encode("utf-16"))

    settings, problems = dev_settings({}, env_file=env_file)

    assert settings.demo
    assert len(problems) == 1 and "not UTF-8" in problems[0]


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
    with pytest.raises(OSError):
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
