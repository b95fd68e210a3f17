"""`doctor` prints the privacy controls in force and warns about the `private` file."""

from __future__ import annotations

from pathlib import Path

from mkdocs_spotify.cli import checks
from mkdocs_spotify.cli.checks import Level
from mkdocs_spotify.cli.doctor import diagnose
from proxy.settings import PrivacySettings
from tests.fakes.spotify import FakeSpotify


def touch(path: Path) -> None:
    path.write_text("", encoding="utf-8")


async def test_doctor_names_active_controls_and_the_kill_switch(tmp_path: Path) -> None:
    store = tmp_path / "token.json"
    privacy = PrivacySettings(hide_explicit=True, quiet_hours=((1380, 420),), delay_minutes=5)
    async with FakeSpotify() as fake:
        settings = fake.settings(token_store=store, privacy=privacy)
        quiet = await diagnose(settings)
        touch(settings.private_file)
        loud = await diagnose(settings)
    text = checks.render(quiet)
    assert "Privacy control: explicit tracks and episodes hidden." in text
    assert "Privacy control: quiet hours 23:00-07:00 (the machine zone)." in text
    assert "Privacy control: now playing delayed by 5 minutes." in text
    assert "exists" not in text
    warning = [line for line in loud if "answers idle and empty lists" in line.text]
    assert len(warning) == 1
    assert warning[0].level is Level.WARN


async def test_no_controls_no_lines(tmp_path: Path) -> None:
    async with FakeSpotify() as fake:
        lines = await diagnose(fake.settings(token_store=tmp_path / "token.json"))
    assert not [line for line in lines if "Privacy" in line.text]
