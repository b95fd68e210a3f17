"""`mkdocs serve` as a subprocess: the plugin's dev proxy starts once, answers, survives rebuilds
and goes away with serve."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.fakes import payloads
from tests.fakes.net import free_port
from tests.fakes.spotify import CLIENT_ID, FakeSpotify, Reply
from tests.processes import clean_env, default_sigint
from tests.sites import Site, mkdocs_env, write_site

DEV_PROXY_LINE = re.compile(r"Dev proxy on (http://127\.0\.0\.1:(\d+)) \(([^)]*)\)")
PROXY_URL = re.compile(r'<spotify-now-playing proxy-url="([^"]*)"')


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def get(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(what: str, check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def widget_proxy_url(self, path: str = "") -> str:
        status, _, body = get(self.url + path)
        assert status == 200
        found = PROXY_URL.search(body.decode())
        assert found, body[-2000:]
        return unescape(found.group(1))


@contextmanager
def mkdocs_serve(site: Site, env: Mapping[str, str]) -> Iterator[Serve]:
    port = free_port()
    log = site.root / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mkdocs", "serve", "--livereload"),
                *("-a", f"127.0.0.1:{port}", "-f", str(site.config_file)),
            ],
            cwd=site.root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=default_sigint,
        )
    serve = Serve(process, port, log)
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"mkdocs serve exited:\n{serve.output()}")
            return get(serve.url)[0] == 200

        wait_for("mkdocs serve to answer", answers)
        yield serve
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def serve_env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """No Spotify credentials from the machine running the tests, and a store that is not there."""
    store = {"SPOTIFY_TOKEN_STORE": str(tmp_path / "no-such-store.json")}
    return mkdocs_env(clean_env({**store, **(extra or {})}))


def test_serve_runs_one_demo_dev_proxy_that_survives_rebuilds_and_stops(tmp_path: Path) -> None:
    # No proxy_url: serving does not need one.
    site = write_site(tmp_path / "site", spotify={})
    # A client id without a refresh token: the demo, and a line saying what is missing.
    env = serve_env(tmp_path, {"SPOTIFY_CLIENT_ID": CLIENT_ID})

    with mkdocs_serve(site, env) as serve:
        proxy_url = serve.widget_proxy_url()
        announced = DEV_PROXY_LINE.findall(serve.output())
        assert announced == [(proxy_url, announced[0][1], "demo session, no Spotify account")]
        assert re.search(
            r"WARNING +- +mkdocs_spotify: SPOTIFY_CLIENT_ID is set but there is no refresh token "
            r".*run `mkdocs-spotify login`",
            serve.output(),
        ), serve.output()
        dev_port = int(announced[0][1])
        assert serve.widget_proxy_url("posts/2026/listening/") == proxy_url

        origin = serve.url.rstrip("/")
        status, headers, body = get(f"{proxy_url}/v1/now-playing", {"Origin": origin})
        assert status == 200
        assert headers["Access-Control-Allow-Origin"] == origin
        answer = json.loads(body)
        assert answer["status"] in {"playing", "paused", "idle"}
        assert "item" in answer
        assert "last_played" in answer

        # A change in docs/ rebuilds with a fresh config; the same dev proxy carries on.
        page = site.docs_dir / "index.md"
        page.write_text("# Home\n\nEdited while serving.\n", encoding="utf-8")
        wait_for("the rebuild", lambda: b"Edited while serving." in get(serve.url)[2])
        assert serve.output().count("Building documentation") >= 2
        assert serve.widget_proxy_url() == proxy_url
        assert len(DEV_PROXY_LINE.findall(serve.output())) == 1
        assert get(f"{proxy_url}/v1/now-playing")[0] == 200

        serve.process.send_signal(signal.SIGINT)
        assert serve.process.wait(15) == 0
        assert "Dev proxy stopped." in serve.output()
        assert not port_is_open(dev_port)
        assert not port_is_open(serve.port)
        assert "Traceback" not in serve.output()


def test_serve_uses_the_owners_account_when_configured(tmp_path: Path) -> None:
    fake = FakeSpotify()
    fake.player = Reply(200, payloads.currently_playing(payloads.track("Writing Music")))
    site = write_site(tmp_path / "site", spotify={"proxy_url": "https://unused.example"})

    with fake.running():
        refresh_token = fake.issue_refresh_token()
        env = serve_env(tmp_path, fake.env(tmp_path / "store.json", refresh_token))
        with mkdocs_serve(site, env) as serve:
            proxy_url = serve.widget_proxy_url()
            assert proxy_url != "https://unused.example"
            assert DEV_PROXY_LINE.search(serve.output()).group(3) == "your Spotify account"  # type: ignore[union-attr]

            status, _, body = get(f"{proxy_url}/v1/now-playing")
            assert status == 200
            answer = json.loads(body)
            assert answer["status"] == "playing"
            assert answer["item"]["title"] == "Writing Music"
            assert fake.api_calls >= 1

            # SIGTERM skips on_shutdown; the daemon thread dies with the process all the same.
            dev_port = int(DEV_PROXY_LINE.search(serve.output()).group(2))  # type: ignore[union-attr]
            serve.process.terminate()
            serve.process.wait(15)
            assert not port_is_open(dev_port)
            output = serve.output()
            for secret in fake.secrets_in_play():
                assert secret not in output


@pytest.mark.browser
def test_the_served_page_shows_the_demo_widget_in_chromium(
    tmp_path: Path, browser: Browser
) -> None:
    site = write_site(tmp_path / "site", theme="material", spotify={})

    with mkdocs_serve(site, serve_env(tmp_path)) as serve, browser.new_context() as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(serve.url + "about/")

        # Any state but "offline" means the widget read the dev proxy across origins (CORS).
        widget = page.wait_for_selector(
            "spotify-now-playing[data-state]:not([data-state=offline])", timeout=15_000
        )
        assert widget is not None
        assert page.locator("spotify-now-playing").count() == 1
        assert page.locator("footer spotify-now-playing").count() == 1
        assert errors == []
