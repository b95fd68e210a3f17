"""Every program that reads `.env` stops on a malformed line with one sentence and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.spotify import CLIENT_ID
from tests.processes import clean_env


@pytest.mark.parametrize("command", [["proxy"], ["proxy", "--demo"], ["login"], ["doctor"]])
def test_a_malformed_dotenv_line_stops_the_command(command: list[str], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f'SPOTIFY_CLIENT_ID="{CLIENT_ID}\n')
    env = clean_env({"SPOTIFY_TOKEN_STORE": str(tmp_path / "token.json")})
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs_spotify.cli.main", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"mkdocs-spotify {command[0]}: The file .env, line 1, is not")
    assert "Traceback" not in result.stderr
