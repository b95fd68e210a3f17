"""`PUT /v1/admin/grant` and `mkdocs-spotify login --to` with real processes.

Proxies run as `mkdocs-spotify proxy` subprocesses against the strict accounts service of
tests/fakes/accounts.py (single-use refresh tokens, RFC 9700 theft detection); the login is a
real subprocess whose browser part `consent()` plays.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from proxy.spotify.store import StoredToken, read_store, write_store
from tests.fakes.accounts import StrictAccounts
from tests.fakes.net import free_port
from tests.grant_processes import CLI, Proxy, proxy_process
from tests.login_process import CliProcess, consent, get
from tests.processes import clean_env

ADMIN_TOKEN = secrets.token_urlsafe(32)
PATH = "/v1/admin/grant"


def put(
    proxy: Proxy, body: Any, token: str | None = ADMIN_TOKEN, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(proxy.url + PATH, data=data, method="PUT")
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), dict(error.headers)


def setup(fake: StrictAccounts, folder: Path, **extra: str) -> tuple[dict[str, str], Path, str]:
    """A store holding a grant authorized 170 days ago, and the proxy's environment."""
    store = folder / "config" / "token.json"
    old = fake.issue_grant()
    authorized = datetime.now(UTC).replace(microsecond=0) - timedelta(days=170)
    write_store(store, StoredToken(old, fake.client_id, fake.scopes, authorized))
    env = clean_env({**fake.env(store), "SPOTIFY_PROXY_CACHE_TTL": "0.5", **extra})
    return env, store, old


def new_grant(fake: StrictAccounts, authorized: datetime | None = None) -> dict[str, Any]:
    when = authorized or datetime.now(UTC).replace(microsecond=0)
    token = StoredToken(fake.issue_grant(), fake.client_id, fake.scopes, when)
    return token.to_json()


def test_without_the_admin_token_the_path_is_unknown(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, _, _ = setup(fake, tmp_path)
        with proxy_process(env, tmp_path) as proxy:
            status, body, _ = put(proxy, new_grant(fake))
            unknown = put(proxy, new_grant(fake), headers={}, token=None)[:2]
            other = proxy.get("/v1/no-such-path")
    assert (status, body) == unknown[:2] == other
    assert status == 404


def test_a_short_admin_token_stops_the_proxy_at_start_up(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, _, _ = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN="hunter2-hunter2")
        done = subprocess.run(
            [*CLI, "proxy", "--port", str(free_port())],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 2
    assert "SPOTIFY_PROXY_ADMIN_TOKEN is 15 characters long" in done.stderr
    assert "token_urlsafe(32)" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_wrong_tokens_are_refused_then_rate_limited_and_never_logged(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, store, old = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN=ADMIN_TOKEN)
        grant = new_grant(fake)
        wrong = secrets.token_urlsafe(32)
        with proxy_process(env, tmp_path) as proxy:
            answers = [put(proxy, grant, token) for token in (wrong, None, wrong[:-1], "", wrong)]
            limited = put(proxy, grant, wrong)
            right_but_limited = put(proxy, grant, ADMIN_TOKEN)
            # Behind a local reverse proxy each client has its own budget.
            other_client = put(
                proxy,
                {},
                ADMIN_TOKEN,
                {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
            )
            log = proxy.log_text()
        stored = read_store(store)

    assert [status for status, _, _ in answers] == [401] * 5
    assert all(headers.get("WWW-Authenticate", "").startswith("Bearer") for *_, headers in answers)
    assert limited[0] == right_but_limited[0] == 429
    assert 1 <= int(limited[2]["Retry-After"]) <= 900
    assert other_client[0] == 422  # the right token from another address: checked, no grant
    assert stored is not None
    assert stored.refresh_token == old
    assert log.count("wrong or missing admin token") == 5
    everything = log + json.dumps([a[1] for a in [*answers, limited, right_but_limited]])
    for secret in (ADMIN_TOKEN, wrong, grant["refresh_token"]):
        assert secret not in everything
    assert "Traceback" not in log


def test_the_right_token_switches_the_proxy_to_the_new_grant_at_once(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running():
        env, store, old = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN=ADMIN_TOKEN)
        with proxy_process(env, tmp_path) as proxy:
            assert proxy.get("/v1/now-playing")[0] == 200  # the proxy uses the old grant
            grant = new_grant(fake)
            status, answer, headers = put(proxy, grant)
            fake.revoke_grant(old)  # the owner revokes the old grant: visitors notice nothing
            # Visitors keep asking until the switch's access token expired and the proxy
            # refreshed again (with the new grant's successor), then a few more.
            refreshes, revoked = fake.refreshes, time.monotonic()
            playing: list[tuple[int, dict[str, Any]]] = []
            while fake.refreshes == refreshes:
                assert time.monotonic() - revoked < 10, f"no refresh after the switch: {playing}"
                playing.append(proxy.get("/v1/now-playing"))
                time.sleep(0.05)
            playing += [proxy.get("/v1/now-playing") for _ in range(5)]
            ready = proxy.get("/readyz")
            older = put(proxy, new_grant(fake, datetime.now(UTC) - timedelta(days=10)))
            again = put(proxy, grant)  # sent twice: the spent first token is not written back
            log = proxy.log_text()
        stored = read_store(store)

    assert status == 200, answer
    assert answer["status"] == "switched"
    assert answer["refreshed"] is True
    expected = (datetime.fromisoformat(grant["authorized_at"]) + timedelta(days=180)).date()
    assert abs(datetime.fromisoformat(answer["expires_at"]).date() - expected) <= timedelta(3)
    assert headers["Cache-Control"] == "no-store"
    # The proxy spent the handed-over token (and keeps its successor): it uses the new grant.
    assert grant["refresh_token"] in fake.spent
    assert stored is not None
    assert stored.refresh_token == fake.live_token(grant["refresh_token"])
    assert all(s == 200 and body["stale"] is False for s, body in playing), playing
    assert ready[0] == 200
    assert ready[1]["grant_days_left"] > 170
    assert older[0] == 409
    assert "newer grant" in older[1]["error"]
    assert again[0] == 200
    assert again[1]["status"] == "unchanged"
    assert fake.reuses == 0
    assert "Switched to the new Spotify grant" in log
    assert "Took a new Spotify grant handed over from 127.0.0.1" in log
    assert "PUT /v1/admin/grant is on" in log
    for secret in (ADMIN_TOKEN, grant["refresh_token"], *fake.spent):
        assert secret not in log
        assert secret not in json.dumps(answer)


def test_plain_http_through_a_reverse_proxy_is_refused(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, store, old = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN=ADMIN_TOKEN)
        grant = new_grant(fake)
        with proxy_process(env, tmp_path) as proxy:
            plain = put(proxy, grant, headers={"X-Forwarded-Proto": "http"})
            unsaid = put(proxy, grant, headers={"X-Forwarded-For": "203.0.113.5"})
            rfc7239 = put(proxy, grant, headers={"Forwarded": "for=203.0.113.5;proto=http"})
            # nginx's `proxy_set_header Host $host;` alone: the site's name, no protocol.
            named = put(proxy, grant, headers={"Host": "blog.example.com"})
            log = proxy.log_text()
        stored = read_store(store)
    assert [plain[0], unsaid[0], rfc7239[0], named[0]] == [403, 403, 403, 403]
    assert "https://" in plain[1]["error"]
    assert "X-Forwarded-Proto" in unsaid[1]["error"]
    assert stored is not None
    assert stored.refresh_token == old
    assert ADMIN_TOKEN not in log
    assert grant["refresh_token"] not in log


def test_login_to_hands_the_new_grant_to_a_running_proxy(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running():
        env, store, old = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN=ADMIN_TOKEN)
        laptop = tmp_path / "laptop"
        laptop.mkdir()
        # The owner's laptop: its own (absent) store, the admin token in its .env file.
        (laptop / ".env").write_text(f"SPOTIFY_PROXY_ADMIN_TOKEN={ADMIN_TOKEN}\n")
        laptop_env = {
            **fake.env(laptop / "token.json"),
            "SPOTIFY_ACCOUNTS_URL": fake.url,
        }
        with proxy_process(env, tmp_path) as proxy:
            old_expiry = proxy.get("/readyz")[1]["grant_expires_at"]
            login = CliProcess(
                ["login", "--no-browser", "--port", str(free_port()), "--to", proxy.url + "/"],
                laptop_env,
                laptop,
            )
            url = login.wait_for_line(f"{fake.url}/authorize?")
            # The browser's page comes back once the proxy has the grant.
            page_status, page = get(consent(url))
            code = login.finish()
            ready = proxy.get("/readyz")[1]
            playing = proxy.get("/v1/now-playing")
            log = proxy.log_text()
        stored = read_store(store)

    assert code == 0, login.output
    assert page_status == 200
    assert f"handed to the proxy at {proxy.url}/" in page
    assert f"The proxy at {proxy.url}/ accepts the admin token" in login.stdout
    assert "saved the new grant and switched to it; it refreshed with it" in login.stdout
    assert "No copy stays on this machine" in login.stdout
    assert not (laptop / "token.json").exists()
    assert ready["grant_expires_at"] != old_expiry
    assert ready["grant_days_left"] > 170
    assert playing[0] == 200
    assert playing[1]["stale"] is False
    assert stored is not None
    assert stored.refresh_token in fake.refresh_tokens
    assert stored.refresh_token != old
    assert fake.reuses == 0
    for secret in (ADMIN_TOKEN, *fake.spent, *fake.refresh_tokens):
        assert secret not in login.output
        assert secret not in log


def test_login_to_checks_the_proxy_before_the_browser_opens(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, _, _ = setup(fake, tmp_path)  # this proxy has no admin token
        laptop_env = {
            **fake.env(tmp_path / "laptop.json"),
            "SPOTIFY_PROXY_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        # These two need no proxy: they run while it starts.
        insecure = CliProcess(
            ["login", "--no-browser", "--to", "http://blog.example.com/spotify"],
            laptop_env,
            tmp_path,
        )
        no_token = CliProcess(
            ["login", "--no-browser", "--to", "https://blog.example.com/spotify"],
            fake.env(tmp_path / "laptop.json"),
            tmp_path,
        )
        with proxy_process(env, tmp_path) as proxy:
            login = CliProcess(
                ["login", "--no-browser", "--port", str(free_port()), "--to", proxy.url],
                laptop_env,
                tmp_path,
            )
            code = login.finish()
        insecure_code = insecure.finish()
        no_token_code = no_token.finish()
    assert code == 1
    assert "answered 404: set SPOTIFY_PROXY_ADMIN_TOKEN on the proxy" in login.stderr
    assert "/authorize?" not in login.stdout  # no consent was spent
    assert insecure_code == 2
    assert "plain http for blog.example.com" in insecure.stderr
    assert no_token_code == 2
    assert "--to needs SPOTIFY_PROXY_ADMIN_TOKEN" in no_token.stderr
    for process in (login, insecure, no_token):
        assert ADMIN_TOKEN not in process.output
        assert "Traceback" not in process.output


def test_other_methods_and_oversized_bodies_are_refused(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, store, old = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN=ADMIN_TOKEN)
        with proxy_process(env, tmp_path) as proxy:
            huge = put(proxy, b'{"refresh_token": "' + b"x" * 20_000 + b'"}')
            wrong_app = put(proxy, {**new_grant(fake), "client_id": "f" * 32})
            read = proxy.get(PATH)
        stored = read_store(store)
    assert huge[0] == 413
    assert wrong_app[0] == 422
    assert "another Spotify app" in wrong_app[1]["error"]
    assert read[0] == 405
    assert "PUT" in read[1]["error"]
    assert stored is not None
    assert stored.refresh_token == old


def test_a_failed_hand_over_keeps_the_grant_on_the_laptop(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running():
        env, store, old = setup(fake, tmp_path, SPOTIFY_PROXY_ADMIN_TOKEN=ADMIN_TOKEN)
        laptop = tmp_path / "laptop"
        laptop.mkdir()
        laptop_env = {**fake.env(laptop / "token.json"), "SPOTIFY_PROXY_ADMIN_TOKEN": ADMIN_TOKEN}
        with proxy_process(env, tmp_path) as proxy:
            login = CliProcess(
                ["login", "--no-browser", "--port", str(free_port()), "--to", proxy.url],
                laptop_env,
                laptop,
            )
            url = login.wait_for_line(f"{fake.url}/authorize?")  # the proxy took the probe
        # The proxy is gone before the grant arrives.
        login.write(consent(url) + "\n")
        code = login.finish()
        kept = read_store(laptop / "token.json")
        server = read_store(store)
    assert code == 1
    assert f"The proxy at {proxy.url} cannot be reached" in login.stderr
    assert f"saved in {laptop / 'token.json'} instead" in login.stderr
    assert kept is not None
    assert kept.refresh_token in fake.refresh_tokens
    assert server is not None
    assert server.refresh_token == old
    assert kept.refresh_token not in login.output
