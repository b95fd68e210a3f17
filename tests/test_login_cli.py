"""`mkdocs-spotify login` as a real subprocess against the fake accounts service (no browser).

`consent()` plays the owner's browser on the fake's consent page; its redirect is then either
fetched from the loopback listener or pasted on standard input.
"""

from __future__ import annotations

import re
import signal
import socket
import stat
import time
from pathlib import Path

import pytest

from mkdocs_spotify.cli.login import seconds_text
from proxy.spotify.store import read_store, store_mode
from tests.fakes.net import free_port
from tests.fakes.spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify
from tests.login_process import CliProcess, consent, get, run_cli


def start_login(
    fake: FakeSpotify, tmp_path: Path, *extra: str, seed: str | None = None
) -> tuple[CliProcess, str, int]:
    port = free_port()
    login = CliProcess(
        ["login", "--no-browser", "--port", str(port), "--timeout", "30", *extra],
        fake.env(tmp_path / "token.json", refresh_token=seed),
        tmp_path,
    )
    return login, login.wait_for_line(f"{fake.url}/authorize?"), port


def test_pasted_redirect_with_print_env(tmp_path: Path) -> None:
    with FakeSpotify(client_secret=None).running() as fake:
        login, url, port = start_login(fake, tmp_path, "--print-env")
        redirect = consent(url)
        assert redirect.startswith(f"http://127.0.0.1:{port}/callback?")
        login.write("this is not it\n")
        login.write(redirect.replace("state=", "state=x") + "\n")
        login.write(f"{redirect}\n")
        assert login.finish() == 0, login.output
        token = read_store(tmp_path / "token.json")
        assert token is not None
        assert token.refresh_token in fake.refresh_tokens
    assert f"SPOTIFY_REFRESH_TOKEN={token.refresh_token}\n" in login.stdout
    assert f"SPOTIFY_CLIENT_ID={fake.client_id}\n" in login.stdout
    stamp = re.search(r"^SPOTIFY_AUTHORIZED_AT=(\S+)$", login.stdout, re.M)
    assert stamp
    assert token.authorized_at is not None
    assert stamp.group(1) == token.authorized_at.isoformat().replace("+00:00", "Z")
    assert login.stderr.count("not accepted") == 2
    # The listener is gone once the login is over.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_end_of_stdin_keeps_waiting_and_bad_state_is_refused(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login, url, port = start_login(fake, tmp_path, seed="an-old-seed-token")
        login.close_stdin()
        redirect = consent(url)
        base = f"http://127.0.0.1:{port}"
        assert get(redirect.replace("state=", "state=forged"))[0] == 400
        assert get(f"{base}/callback?code=stolen")[0] == 400
        assert get(f"{base}/")[0] == 404
        assert login.proc.poll() is None  # still waiting
        status, page = get(redirect)
        assert status == 200
        assert "close this tab" in page
        assert login.finish() == 0, login.output
        token = read_store(tmp_path / "token.json")
        assert token is not None
        assert store_mode(tmp_path / "token.json") == 0o600
        for known in [*fake.secrets_in_play(), CLIENT_SECRET]:
            assert known not in login.output
    # The old seed in the environment would win over the new store: login says so.
    assert "SPOTIFY_REFRESH_TOKEN is also set" in login.stderr
    assert "an-old-seed-token" not in login.output
    assert "Authorization" not in fake.last_token_form  # Basic auth went in the header
    assert "client_id" not in fake.last_token_form


def test_timeout_exits_1_with_a_sentence(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login = run_cli(
            ["login", "--no-browser", "--port", str(free_port()), "--timeout", "1"],
            fake.env(tmp_path / "token.json"),
            tmp_path,
        )
    assert login.proc.returncode == 1
    assert "No answer from Spotify within 1 second:" in login.stderr
    assert "--timeout" in login.stderr
    assert not (tmp_path / "token.json").exists()
    # The CLI cannot see Spotify's authorize page, so the URI to register is printed up front.
    assert re.search(r"redirect URI in .*: http://127\.0\.0\.1:\d+/callback\n", login.stdout)
    assert "INVALID_CLIENT: Invalid redirect URI" in login.stdout


def test_access_denied(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login, url, _ = start_login(fake, tmp_path)
        get(consent(url, decision="cancel"))
        assert login.finish() == 1
    assert "access_denied" in login.stderr
    assert "press Agree" in login.stderr
    assert not (tmp_path / "token.json").exists()


def test_wrong_secret_is_invalid_client(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        port = free_port()
        env = {**fake.env(tmp_path / "token.json"), "SPOTIFY_CLIENT_SECRET": "wrong-secret-123"}
        login = CliProcess(
            ["login", "--no-browser", "--port", str(port), "--timeout", "30"], env, tmp_path
        )
        get(consent(login.wait_for_line(f"{fake.url}/authorize?")))
        assert login.finish() == 1
    assert "invalid_client" in login.stderr
    assert "SPOTIFY_CLIENT_SECRET" in login.stderr
    assert "wrong-secret-123" not in login.output
    assert not (tmp_path / "token.json").exists()


def test_expired_code_is_invalid_grant(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login, url, _ = start_login(fake, tmp_path)
        redirect = consent(url)
        fake.codes.clear()  # the code expired before the exchange
        get(redirect)
        assert login.finish() == 1
    assert "invalid_grant" in login.stderr
    assert "run `mkdocs-spotify login` again" in login.stderr


def test_port_in_use(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake, socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        login = run_cli(
            ["login", "--no-browser", "--port", str(port)], fake.env(tmp_path / "t.json"), tmp_path
        )
    assert login.proc.returncode == 1
    assert f"Port {port}" in login.stderr
    assert "--port" in login.stderr


def test_bad_usage_exits_2_with_one_sentence(tmp_path: Path) -> None:
    env = {"SPOTIFY_CLIENT_ID": CLIENT_ID}
    bad_scope = run_cli(
        ["login", "--no-browser", "--scopes", "user-read-everything"], env, tmp_path
    )
    assert bad_scope.proc.returncode == 2
    assert "'user-read-everything'" in bad_scope.stderr
    no_client = run_cli(["login", "--no-browser"], {}, tmp_path)
    assert no_client.proc.returncode == 2
    assert "SPOTIFY_CLIENT_ID is not set" in no_client.stderr
    # login has no --demo flag: the hint names the command that has one.
    assert "run with --demo" not in no_client.stderr
    assert "`mkdocs-spotify proxy --demo`" in no_client.stderr
    bad_port = run_cli(["login", "--no-browser", "--port", "70000"], env, tmp_path)
    assert bad_port.proc.returncode == 2
    assert "--port 70000" in bad_port.stderr
    for run in (bad_scope, no_client, bad_port):
        assert "Traceback" not in run.output


def test_opens_the_system_browser_unless_told_not_to(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    with FakeSpotify().running() as fake:
        env = {**fake.env(tmp_path / "token.json"), "BROWSER": str(browser)}
        login = CliProcess(["login", "--port", str(free_port()), "--timeout", "30"], env, tmp_path)
        url = login.wait_for_line(f"{fake.url}/authorize?")
        deadline = time.monotonic() + 10
        while not (opened.exists() and opened.read_text().strip()):
            assert time.monotonic() < deadline, "the browser was not opened"
            time.sleep(0.05)
        assert opened.read_text().strip() == url
        get(consent(url))
        assert login.finish() == 0, login.output


def test_unwritable_store_fails_but_print_env_still_hands_out_the_lines(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with FakeSpotify().running() as fake:
        port = free_port()
        login = CliProcess(
            ["login", "--no-browser", "--port", str(port), "--timeout", "30", "--print-env"],
            fake.env(blocker / "token.json"),
            tmp_path,
        )
        get(consent(login.wait_for_line(f"{fake.url}/authorize?")))
        assert login.finish() == 1
        issued = [token for token in fake.refresh_tokens if token in login.stdout]
    assert "cannot be written" in login.stderr
    assert "SPOTIFY_TOKEN_STORE" in login.stderr
    assert len(issued) == 1
    assert f"SPOTIFY_REFRESH_TOKEN={issued[0]}" in login.stdout
    # Warned before the URL, so the owner knew the printed lines were the only copy.
    assert "the --print-env lines at the end will be the only copy" in login.stderr


def test_an_unwritable_store_stops_login_before_the_browser(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = blocker / "token.json"
    with FakeSpotify().running() as fake:
        login = run_cli(
            ["login", "--no-browser", "--port", str(free_port()), "--timeout", "30"],
            fake.env(store),
            tmp_path,
        )
    assert login.proc.returncode == 1
    assert f"The token store {store} cannot be written" in login.stderr
    assert "SPOTIFY_TOKEN_STORE" in login.stderr
    assert "--print-env" in login.stderr
    assert "/authorize?" not in login.stdout  # no URL to press Agree on
    assert "Traceback" not in login.output


def test_the_store_folder_is_created_private_before_the_browser(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "mkdocs-spotify"
    with FakeSpotify().running() as fake:
        login = run_cli(
            ["login", "--no-browser", "--port", str(free_port()), "--timeout", "0.2"],
            fake.env(folder / "token.json"),
            tmp_path,
        )
    assert login.proc.returncode == 1
    assert "No answer from Spotify" in login.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(folder.iterdir()) == []  # the write test left nothing behind


@pytest.mark.parametrize(
    ("seconds", "text"), [(1, "1 second"), (0.5, "0.5 seconds"), (300, "300 seconds")]
)
def test_seconds_read_as_english(seconds: float, text: str) -> None:
    assert seconds_text(seconds) == text


def test_ctrl_c_while_waiting_exits_130_with_one_line(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login, _, port = start_login(fake, tmp_path)
        login.proc.send_signal(signal.SIGINT)
        assert login.finish() == 130
    assert login.stderr.splitlines() == [
        "mkdocs-spotify login: cancelled (Ctrl-C): run `mkdocs-spotify login` again when you are "
        "ready."
    ]
    assert not (tmp_path / "token.json").exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_browser_page_tells_the_real_outcome_of_the_exchange(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login, url, _port = start_login(fake, tmp_path)
        redirect = consent(url)
        fake.token_error = (503, {"error": "server_error"})
        status, page = get(redirect)
        assert login.finish() == 1, login.output
    assert status == 500
    assert "connected" not in page
    assert "close this tab" not in page
    assert "server_error" in page
    assert "server_error" in login.stderr
    assert not (tmp_path / "token.json").exists()


def test_a_huge_callback_address_leaves_no_traceback_on_the_terminal(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        login, url, port = start_login(fake, tmp_path)
        status, _ = get(f"http://127.0.0.1:{port}/callback?code={'x' * 100_000}&state=s")
        assert status == 400
        redirect = consent(url)
        assert get(redirect)[0] == 200  # still waiting, and the real redirect still works
        assert login.finish() == 0, login.output
    assert "Traceback" not in login.output
    assert "Error handling request" not in login.output
