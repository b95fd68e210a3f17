"""`mkdocs-spotify doctor` as a real subprocess: configuration read exactly as the proxy does."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.spotify.store import StoredToken, write_store
from tests.fakes.spotify import CLIENT_SECRET, FakeSpotify
from tests.login_process import CliProcess, run_cli


def test_healthy_setup_exits_0_and_prints_no_secret(tmp_path: Path) -> None:
    store = tmp_path / "token.json"
    with FakeSpotify().running() as fake:
        write_store(
            store,
            StoredToken(
                fake.issue_refresh_token(),
                fake.client_id,
                fake.scopes,
                datetime.now(UTC) - timedelta(days=3),
            ),
        )
        doctor = run_cli(["doctor"], fake.env(store), tmp_path)
        secrets = [*fake.secrets_in_play(), CLIENT_SECRET]
    assert doctor.proc.returncode == 0, doctor.output
    lines = doctor.stdout.splitlines()
    assert len(lines) == 10, doctor.stdout
    assert all(line.startswith("OK    ") for line in lines), doctor.stdout
    for known in secrets:
        assert known not in doctor.output


def test_env_file_and_dead_grant_exit_1(tmp_path: Path) -> None:
    """The `.env` file in the working directory is read, as the proxy reads it."""
    with FakeSpotify().running() as fake:
        seed = fake.issue_refresh_token()
        env = fake.env(tmp_path / "token.json", refresh_token=seed)
        env["SPOTIFY_AUTHORIZED_AT"] = "2026-01-02T03:04:05Z"
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        fake.revoke_all()
        doctor = run_cli(["doctor"], {}, tmp_path)
    assert doctor.proc.returncode == 1, doctor.output
    assert "FAIL  Spotify refused the refresh token (invalid_grant" in doctor.stdout
    assert "FAIL  The grant expired on 2026-07-02" in doctor.stdout
    assert seed not in doctor.output
    assert CLIENT_SECRET not in doctor.output


def test_missing_client_id_fails_with_the_fix(tmp_path: Path) -> None:
    doctor = run_cli(["doctor"], {"SPOTIFY_TOKEN_STORE": str(tmp_path / "t.json")}, tmp_path)
    assert doctor.proc.returncode == 1
    assert doctor.stdout.startswith("FAIL  SPOTIFY_CLIENT_ID is not set")
    assert "developer.spotify.com/dashboard" in doctor.stdout
    # The rest of the checklist is there too, marked as not checked yet.
    skipped = [line for line in doctor.stdout.splitlines() if line.startswith("SKIP  ")]
    assert len(skipped) == 5
    assert "token refresh" in skipped[1]
    assert "Traceback" not in doctor.output
    malformed = run_cli(["doctor"], {"SPOTIFY_CLIENT_ID": "my-app"}, tmp_path)
    assert malformed.proc.returncode == 1
    assert "FAIL  SPOTIFY_CLIENT_ID does not look like a Spotify client id" in malformed.stdout


def test_a_dotenv_file_that_is_not_utf8_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("SPOTIFY_CLIENT_ID=x\n".encode("utf-16"))
    doctor = run_cli(["doctor"], {}, tmp_path)
    # Like every command: exit 2 before any check runs (the checklist cannot start without it).
    assert doctor.proc.returncode == 2
    assert doctor.stderr.startswith(
        "mkdocs-spotify doctor: The file .env cannot be read (it is not UTF-8 text)"
    )
    assert "Traceback" not in doctor.output


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    with FakeSpotify().running() as fake:
        fake.token_delay = 30  # doctor hangs in its refresh until interrupted
        doctor = CliProcess(
            ["doctor"], fake.env(tmp_path / "token.json", fake.issue_refresh_token()), tmp_path
        )
        deadline = time.monotonic() + 15
        while fake.token_calls == 0:
            assert time.monotonic() < deadline, doctor.output
            time.sleep(0.02)
        doctor.proc.send_signal(signal.SIGINT)
        assert doctor.finish() == 130
    assert doctor.stderr.splitlines() == [
        "mkdocs-spotify doctor: cancelled (Ctrl-C): run it again for the checklist."
    ]
