"""Every program that reads `.env` stops on a malformed line with one sentence and exit 2."""

from __future__ import annotations

import builtins
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mkdocs_spotify.cli.main import main
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


def test_the_cli_reads_dotenv_once_and_hands_it_to_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("SPOTIFY_PROXY_CACHE_TTL=soon\n")
    monkeypatch.chdir(tmp_path)
    for key in [key for key in os.environ if key.startswith("SPOTIFY_")]:
        monkeypatch.delenv(key)
    opened: list[str] = []
    real_open = io.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith(".env"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    code = main(["doctor"])
    output = capsys.readouterr().out
    assert code == 1
    assert "SPOTIFY_PROXY_CACHE_TTL" in output  # the value from .env reached doctor
    assert len(opened) == 1, opened
