"""What `login` puts in the token store (the store's own privacy and atomicity: test_store.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.spotify.store import store_mode
from tests.fakes.net import free_port
from tests.fakes.spotify import FakeSpotify
from tests.login_process import CliProcess, consent, get


def test_login_stores_the_granted_scopes_and_the_time_of_this_login(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    with FakeSpotify().running() as fake:
        before = datetime.now(UTC).replace(microsecond=0)
        login = CliProcess(
            ["login", "--no-browser", "--port", str(free_port()), "--timeout", "30"],
            fake.env(path),
            tmp_path,
        )
        url = login.wait_for_line(f"{fake.url}/authorize?")
        # Spotify may grant fewer scopes than requested: the store records what was granted.
        get(consent(url, scope="user-read-currently-playing"))
        assert login.finish() == 0, login.output
        after = datetime.now(UTC)
        data = json.loads(path.read_text())
        assert data["refresh_token"] in fake.refresh_tokens
    assert data == {
        "refresh_token": data["refresh_token"],
        "client_id": fake.client_id,
        "scopes": ["user-read-currently-playing"],
        "authorized_at": data["authorized_at"],
        "seed_sha256": None,
    }
    authorized_at = datetime.fromisoformat(data["authorized_at"])
    assert before <= authorized_at <= after + timedelta(seconds=1)
    assert data["authorized_at"].endswith("Z")
    assert store_mode(path) == 0o600
    assert "Granted scopes: user-read-currently-playing." in login.stdout
