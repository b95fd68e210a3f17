"""`mkdocs-spotify doctor` against fake Spotify scenarios, in process (clock injected)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mkdocs_spotify.cli import checks
from mkdocs_spotify.cli.checks import Level, Line
from mkdocs_spotify.cli.doctor import diagnose
from proxy.spotify.grant import seed_fingerprint
from proxy.spotify.store import StoredToken, read_store, write_store
from tests.fakes.spotify import CLIENT_SECRET, FakeSpotify, Reply

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SCOPES = ("user-read-currently-playing", "user-read-recently-played", "user-top-read")


def clock() -> datetime:
    return NOW


def store_token(
    fake: FakeSpotify, path: Path, *, authorized_at: datetime | None = NOW - timedelta(days=10)
) -> StoredToken:
    token = StoredToken(
        refresh_token=fake.issue_refresh_token(),
        client_id=fake.client_id,
        scopes=SCOPES,
        authorized_at=authorized_at,
    )
    write_store(path, token)
    return token


async def doctor(fake: FakeSpotify, path: Path, **overrides: Any) -> list[Line]:
    lines = await diagnose(fake.settings(token_store=path, **overrides), now=clock)
    text = checks.render(lines)
    for known in [*fake.secrets_in_play(), CLIENT_SECRET]:
        assert known not in text
    return lines


def levels(lines: list[Line]) -> list[Level]:
    return [line.level for line in lines]


def find(lines: list[Line], words: str) -> Line:
    # Paths are left out: tmp_path holds the test's name, which may contain the words.
    matches = [line for line in lines if words in re.sub(r"/\S+", "", line.text)]
    assert len(matches) == 1, checks.render(lines)
    return matches[0]


async def test_everything_ok(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path)
        lines = await doctor(fake, path)
        assert fake.requests[-1][2] == "additional_types=episode"
    assert set(levels(lines)) == {Level.OK}, checks.render(lines)
    assert checks.exit_status(lines) == 0
    assert find(lines, "confidential").level is Level.OK
    assert find(lines, "mode 0600").level is Level.OK
    assert find(lines, "kept the same refresh token").level is Level.OK
    assert "171 days, on 2027-05-13" in find(lines, "expires in").text
    assert find(lines, "something is playing").level is Level.OK
    assert len([line for line in lines if line.text.startswith("Scope ")]) == 3


async def test_public_client_and_nothing_playing(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify(client_secret=None) as fake:
        store_token(fake, path)
        fake.player = Reply(204)
        lines = await doctor(fake, path)
    assert "public PKCE client" in find(lines, "SPOTIFY_CLIENT_SECRET").text
    assert find(lines, "nothing is playing").level is Level.OK
    assert checks.exit_status(lines) == 0


@pytest.mark.parametrize(
    ("mode", "level"), [(0o644, Level.FAIL), (0o640, Level.FAIL), (0o700, Level.WARN)]
)
async def test_store_mode(tmp_path: Path, mode: int, level: Level) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path)
        os.chmod(path, mode)
        lines = await doctor(fake, path)
    line = find(lines, "chmod 600")
    assert line.level is level
    assert f"`chmod 600 {path}`" in line.text
    assert f"{mode:04o}" in line.text


async def test_unreadable_or_broken_store_fails(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    path.write_text("{not json")
    async with FakeSpotify() as fake:
        lines = await doctor(fake, path)
    assert levels(lines)[-1] is Level.FAIL
    assert "run `mkdocs-spotify login`" in lines[-1].text
    assert checks.exit_status(lines) == 1


async def test_no_store_and_no_seed(tmp_path: Path) -> None:
    async with FakeSpotify() as fake:
        lines = await doctor(fake, tmp_path / "missing.json")
        assert fake.token_calls == 0
    assert lines[-1].level is Level.FAIL
    assert "mkdocs-spotify login" in lines[-1].text


async def test_store_of_another_app_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    write_store(path, StoredToken("r", "f" * 32, SCOPES, NOW))
    async with FakeSpotify() as fake:
        lines = await doctor(fake, path)
    assert find(lines, "written for client id").level is Level.WARN
    assert find(lines, "no refresh token for this app").level is Level.FAIL


async def test_rotation_is_persisted_at_once(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify(client_secret=None, rotate_refresh_tokens=True) as fake:
        old = store_token(fake, path)
        lines = await doctor(fake, path)
        saved = read_store(path)
        assert saved is not None
        assert saved.refresh_token != old.refresh_token
        assert saved.refresh_token in fake.refresh_tokens
        assert old.refresh_token not in fake.refresh_tokens
        assert saved.authorized_at == old.authorized_at
        assert saved.scopes == fake.scopes
        # A second run works with what the first one saved.
        assert checks.exit_status(await doctor(fake, path)) == 0
    assert "rotated the refresh token and the new one is saved" in find(lines, "rotated").text
    assert checks.exit_status(lines) == 0


async def test_rotation_from_the_env_seed_creates_the_store(tmp_path: Path) -> None:
    path = tmp_path / "config" / "token.json"
    async with FakeSpotify(rotate_refresh_tokens=True) as fake:
        seed = fake.issue_refresh_token()
        lines = await doctor(fake, path, refresh_token=seed, authorized_at=NOW)
        saved = read_store(path)
    assert "SPOTIFY_REFRESH_TOKEN" in find(lines, "No token store").text
    assert saved is not None
    assert saved.seed_sha256 == seed_fingerprint(seed)
    assert saved.refresh_token != seed
    assert saved.authorized_at == NOW
    assert checks.exit_status(lines) == 0


async def test_rotation_that_cannot_be_saved_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    path = blocker / "token.json"  # cannot exist: its folder is a file (root cannot write it)
    async with FakeSpotify(rotate_refresh_tokens=True) as fake:
        lines = await doctor(fake, path, refresh_token=fake.issue_refresh_token())
    assert find(lines, "cannot be read").level is Level.FAIL
    line = find(lines, "cannot be written")
    assert line.level is Level.FAIL
    assert "spent" in line.text


async def test_invalid_grant_says_run_login(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path, authorized_at=NOW - timedelta(days=200))
        fake.revoke_all()
        lines = await doctor(fake, path)
    line = find(lines, "invalid_grant")
    assert line.level is Level.FAIL
    assert "mkdocs-spotify login" in line.text
    assert "expired on 2026-11-07" in find(lines, "expired on").text
    assert checks.exit_status(lines) == 1


async def test_revoked_grant_of_unknown_age(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path, authorized_at=None)
        fake.revoke_all()
        lines = await doctor(fake, path)
    assert levels(lines)[-1] is Level.FAIL
    assert "invalid_grant" in lines[-1].text


async def test_invalid_client(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path)
        lines = await doctor(fake, path, client_secret="not-the-secret")
    assert "invalid_client" in find(lines, "invalid_client").text
    assert "not-the-secret" not in checks.render(lines)
    assert checks.exit_status(lines) == 1


async def test_expiry_warns_under_30_days(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path, authorized_at=datetime(2026, 6, 1, tzinfo=UTC))
        lines = await doctor(fake, path)
    line = find(lines, "expires in")
    assert line.level is Level.WARN
    assert "7 days, on 2026-12-01" in line.text
    assert "--print-env" in line.text
    assert checks.exit_status(lines) == 0


async def test_expiry_unknown_without_authorized_at(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path, authorized_at=None)
        lines = await doctor(fake, path)
    assert "SPOTIFY_AUTHORIZED_AT" in find(lines, "re-login: unknown").text
    assert find(lines, "re-login: unknown").level is Level.WARN


async def test_missing_scopes(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path)
        fake.scopes = ("user-top-read",)
        lines = await doctor(fake, path)
    assert find(lines, "Scope user-read-currently-playing").level is Level.FAIL
    assert find(lines, "Scope user-read-recently-played").level is Level.WARN
    assert find(lines, "Scope user-top-read").level is Level.OK


@pytest.mark.parametrize(
    ("reply", "level", "words"),
    [
        (
            Reply(401, {"error": {"status": 401, "message": "Permissions missing"}}),
            Level.FAIL,
            "401",
        ),
        (Reply(403, {"error": {"status": 403, "message": "Forbidden"}}), Level.FAIL, "Premium"),
        (
            Reply(429, {"error": {"status": 429}}, headers={"Retry-After": "7200"}),
            Level.WARN,
            "retry after 7200 s, about 2.0 hours",
        ),
        (Reply(503, {"error": {"status": 503}}), Level.WARN, "HTTP 503"),
        (Reply(200, None, delay=1.0), Level.FAIL, "did not answer"),
    ],
)
async def test_currently_playing_outcomes(
    tmp_path: Path, reply: Reply, level: Level, words: str
) -> None:
    path = tmp_path / "token.json"
    async with FakeSpotify() as fake:
        store_token(fake, path)
        fake.player = reply
        lines = await doctor(fake, path, upstream_timeout=0.3)
    assert lines[-1].level is level, checks.render(lines)
    assert words in lines[-1].text


def test_retry_after_without_header() -> None:
    line = checks.player_line(429, None)
    assert line.level is Level.WARN
    assert "no Retry-After given" in line.text
