"""The command line introduces itself: --version, help on a bare call, and useful --help pages."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from mkdocs_spotify.cli.main import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs_spotify.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_names_the_installed_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mkdocs-spotify {version('mkdocs-spotify')}"


def test_a_bare_call_prints_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("proxy", "login", "doctor"):
        assert command in out
    assert "https://" in out  # where the documentation is


@pytest.mark.parametrize("command", ["proxy", "login", "doctor"])
def test_each_command_help_has_a_description_its_environment_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert description.strip()
    assert not description.startswith(("options:", "positional"))
    assert "SPOTIFY_CLIENT_ID" in out
    assert f"mkdocs-spotify {command}" in out.split("\nexample")[1]
    assert "docs/" not in out.replace("/blob/main/docs/", "")  # a URL, not a repository path
