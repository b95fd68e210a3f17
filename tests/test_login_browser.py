"""`mkdocs-spotify login` end to end: a subprocess, the fake accounts service, real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from proxy.spotify.store import read_store, store_mode
from tests.fakes.net import free_port
from tests.fakes.spotify import CLIENT_SECRET, FakeSpotify
from tests.login_process import CliProcess


@pytest.mark.browser
@pytest.mark.parametrize("secret", [CLIENT_SECRET, None], ids=["confidential", "public"])
def test_agree_in_chromium_writes_the_store(
    browser: Browser, tmp_path: Path, secret: str | None
) -> None:
    store = tmp_path / "config" / "token.json"
    with FakeSpotify(client_secret=secret).running() as fake:
        login, page_text = decide_in_chromium(browser, fake, store, tmp_path, "#agree")
        assert "You can close this tab" in page_text
        assert login.finish() == 0, login.output

        saved = read_store(store)
        assert saved is not None
        assert store_mode(store) == 0o600
        assert saved.refresh_token in fake.refresh_tokens
        assert saved.client_id == fake.client_id
        assert saved.scopes == (
            "user-read-currently-playing",
            "user-read-recently-played",
            "user-top-read",
        )
        assert saved.authorized_at is not None
        assert saved.seed_sha256 is None
        # The PKCE verifier went to the token endpoint (the fake checked it against the challenge).
        assert 43 <= len(fake.last_token_form["code_verifier"]) <= 128
        assert ("client_id" in fake.last_token_form) == (secret is None)
        for known in [*fake.secrets_in_play(), CLIENT_SECRET]:
            assert known not in login.output
    assert "expires on" in login.stdout
    assert str(store) in login.stdout
    assert "http://127.0.0.1:" in login.stdout  # the redirect URI to register is printed


@pytest.mark.browser
def test_cancel_in_chromium_is_access_denied(browser: Browser, tmp_path: Path) -> None:
    store = tmp_path / "token.json"
    with FakeSpotify().running() as fake:
        login, page_text = decide_in_chromium(browser, fake, store, tmp_path, "#cancel")
        assert "access_denied" in page_text
        assert login.finish() == 1
    assert "Cancel" in login.stderr
    assert "access_denied" in login.stderr
    assert not store.exists()


def decide_in_chromium(
    browser: Browser, fake: FakeSpotify, store: Path, cwd: Path, button: str
) -> tuple[CliProcess, str]:
    """Start `login`, open its URL in Chromium, press a consent button, follow the redirect.

    Returns the running login and the text of the page its listener answered with.
    """
    port = free_port()
    login = CliProcess(
        ["login", "--no-browser", "--port", str(port), "--timeout", "60"], fake.env(store), cwd
    )
    url = login.wait_for_line(f"{fake.url}/authorize?")
    with browser.new_context() as context:
        page = context.new_page()
        page.goto(url)
        page.click(button)
        page.wait_for_url(f"http://127.0.0.1:{port}/callback?*")
        return login, page.inner_text("body")
