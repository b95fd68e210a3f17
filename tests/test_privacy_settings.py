"""The privacy controls and the lists' TTLs as settings: good values read, bad ones one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from proxy.settings import SettingsError, block_key, load_settings

BASE = {"SPOTIFY_CLIENT_ID": "0123456789abcdef0123456789abcdef"}


def test_defaults_hide_nothing() -> None:
    settings = load_settings(BASE)
    assert settings.privacy.active() == []
    assert (settings.recent_ttl, settings.top_ttl) == (30.0, 3600.0)


def test_every_control_is_read() -> None:
    privacy = load_settings(
        {
            **BASE,
            "SPOTIFY_PROXY_HIDE_EXPLICIT": "yes",
            "SPOTIFY_PROXY_HIDE_EPISODES": "TRUE",
            "SPOTIFY_PROXY_HIDE_PAUSED": "1",
            "SPOTIFY_PROXY_QUIET_HOURS": "23:00-07:00, 12:30-13:00",
            "SPOTIFY_PROXY_TIMEZONE": "Europe/Berlin",
            "SPOTIFY_PROXY_BLOCK": "spotify:track:4uLU6hMCjMI75M1A2tKUQC,"
            " https://open.spotify.com/intl-de/artist/0OdUWJ0sBjDrqHygGUXeCF?si=x",
            "SPOTIFY_PROXY_DELAY": "5",
            "SPOTIFY_PROXY_PRIVATE": "no",
            "SPOTIFY_PROXY_RECENT_TTL": "10",
        }
    ).privacy
    assert privacy.hide_explicit
    assert privacy.hide_episodes
    assert privacy.hide_paused
    assert privacy.quiet_hours == ((1380, 420), (750, 780))
    assert privacy.timezone == "Europe/Berlin"
    assert privacy.block == {"track:4uLU6hMCjMI75M1A2tKUQC", "artist:0OdUWJ0sBjDrqHygGUXeCF"}
    assert privacy.delay_minutes == 5
    assert not privacy.private
    assert len(privacy.active()) == 6


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("SPOTIFY_PROXY_HIDE_EXPLICIT", "maybe", "1, true or yes"),
        ("SPOTIFY_PROXY_PRIVATE", "on", "1, true or yes"),
        ("SPOTIFY_PROXY_QUIET_HOURS", "23-7", "23:00-07:00"),
        ("SPOTIFY_PROXY_QUIET_HOURS", "07:00-07:00", "start and end different"),
        ("SPOTIFY_PROXY_QUIET_HOURS", "25:00-07:00", "24-hour clock"),
        ("SPOTIFY_PROXY_TIMEZONE", "Mars/Olympus", "IANA name"),
        ("SPOTIFY_PROXY_TIMEZONE", "../../etc/passwd", "IANA name"),
        ("SPOTIFY_PROXY_BLOCK", "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "Spotify URIs"),
        ("SPOTIFY_PROXY_BLOCK", "https://evil.example/track/4uLU6hMCjMI75M1A2tKUQC", "links"),
        ("SPOTIFY_PROXY_DELAY", "-1", "minutes"),
        ("SPOTIFY_PROXY_DELAY", "soon", "minutes"),
        ("SPOTIFY_PROXY_RECENT_TTL", "0", "seconds"),
        ("SPOTIFY_PROXY_TOP_TTL", "100000", "seconds"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_variable(name: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, name: value})
    (problem,) = caught.value.problems
    assert problem.startswith(name)
    assert words in problem
    assert problem.endswith(".")
    assert "\n" not in problem


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("spotify:show:38bS44xjbVVZ3No3ByF1dJ", "show:38bS44xjbVVZ3No3ByF1dJ"),
        ("https://open.spotify.com/album/1DFixLWuPkv3KT3TnV35m3", "album:1DFixLWuPkv3KT3TnV35m3"),
        ("http://open.spotify.com/album/1DFixLWuPkv3KT3TnV35m3", None),
        ("spotify:track:short", None),
    ],
)
def test_block_keys(value: str, key: str | None) -> None:
    assert block_key(value) == key


def test_the_proxy_exits_2_with_one_sentence(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SPOTIFY_PROXY_HIDE_PAUSED": "sometimes",
    }
    result = subprocess.run(
        [sys.executable, "-m", "proxy", "--demo", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mkdocs-spotify proxy: SPOTIFY_PROXY_HIDE_PAUSED is 'sometimes': set it to 1, true or "
        "yes (or 0, false or no)."
    )
    assert "Traceback" not in result.stderr
