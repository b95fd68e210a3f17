"""`mkdocs-spotify proxy` as the owner runs it: bad settings exit 2 in sentences; --demo serves."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fakes.net import free_port
from tests.fakes.spotify import CLIENT_ID
from tests.processes import clean_env

CLI = [sys.executable, "-m", "mkdocs_spotify.cli.main"]


def run_proxy(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "proxy", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], ["SPOTIFY_CLIENT_ID is not set"]),
        ({"SPOTIFY_CLIENT_ID": "nope"}, [], ["does not look like a Spotify client id"]),
        (
            {
                "SPOTIFY_CLIENT_ID": CLIENT_ID,
                "SPOTIFY_PROXY_ALLOWED_ORIGINS": "https://ok.example.com,blog.example.com/path",
                "SPOTIFY_PROXY_CACHE_TTL": "0.1",
            },
            ["--port", "70000"],
            ["not an origin", "SPOTIFY_PROXY_CACHE_TTL", "--port 70000"],
        ),
        (
            {"SPOTIFY_CLIENT_ID": CLIENT_ID},
            [],
            ["No Spotify refresh token: run `mkdocs-spotify login`"],
        ),
    ],
)
def test_bad_settings_exit_2_with_sentences_and_no_traceback(
    tmp_path: Path, env: dict[str, str], args: list[str], expected: list[str]
) -> None:
    env = {"SPOTIFY_TOKEN_STORE": str(tmp_path / "missing.json"), **env}
    result = run_proxy(args, clean_env(env), tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(expected)
    for line, words in zip(lines, expected, strict=True):
        assert words in line
        assert line.rstrip().endswith(".")


def test_an_unreadable_token_store_is_a_setting_problem(tmp_path: Path) -> None:
    store = tmp_path / "token.json"
    store.write_text("{not json")
    env = clean_env({"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_TOKEN_STORE": str(store)})
    result = run_proxy([], env, tmp_path)
    assert result.returncode == 2
    assert "not a valid token store" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SPOTIFY_CLIENT_ID=wrong\n")
    result = run_proxy([], clean_env(), tmp_path)
    assert result.returncode == 2
    assert "does not look like a Spotify client id" in result.stderr


@contextmanager
def serving(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [*CLI, "proxy", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(10)


def get_json(url: str, deadline: float) -> dict[str, object]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                data: dict[str, object] = json.loads(response.read())
                return data
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_demo_serves_answers_that_advance(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env({"SPOTIFY_PROXY_CACHE_TTL": "0.5"})
    with serving(["--demo", "--port", str(port)], tmp_path, env) as process:
        url = f"http://127.0.0.1:{port}/v1/now-playing"
        first = get_json(url, time.monotonic() + 20)
        assert first["status"] in {"playing", "paused", "idle"}
        later = first
        deadline = time.monotonic() + 10
        while later["progress_ms"] == first["progress_ms"] and time.monotonic() < deadline:
            time.sleep(0.3)
            later = get_json(url, deadline)
        assert later["progress_ms"] != first["progress_ms"]
        assert later["fetched_at"] > first["fetched_at"]  # type: ignore[operator]
        assert get_json(f"http://127.0.0.1:{port}/readyz", deadline)["mode"] == "demo"
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "Traceback" not in stderr
    # The start-up line names the base URL, which is what the plugin's proxy_url wants.
    assert f"Serving the demo session on http://127.0.0.1:{port} (the plugin's proxy_url" in stderr
    assert "GET /v1/now-playing" not in stderr  # no access log unless asked for


def test_the_access_log_is_opt_in(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env({"SPOTIFY_PROXY_ACCESS_LOG": "1"})
    with serving(["--demo", "--port", str(port)], tmp_path, env) as process:
        get_json(f"http://127.0.0.1:{port}/v1/now-playing", time.monotonic() + 20)
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "GET /v1/now-playing" in stderr


def test_a_busy_port_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_proxy(["--demo", "--port", str(port)], clean_env(), tmp_path)
    assert result.returncode == 1
    assert "choose another --port" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Serving" not in result.stderr  # it never served
