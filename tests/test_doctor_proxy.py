"""`mkdocs-spotify doctor --proxy URL` asks the running proxy instead of spending its token."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mkdocs_spotify.cli import checks
from mkdocs_spotify.cli.checks import Level
from mkdocs_spotify.cli.doctor import ask_proxy
from proxy.clock import ManualClock
from proxy.settings import Settings
from proxy.spotify.store import StoredToken, read_store, write_store
from tests.conftest import StartProxy
from tests.fakes.net import free_port
from tests.fakes.spotify import FakeSpotify
from tests.grant_processes import CLI
from tests.processes import clean_env


async def test_a_ready_proxy_is_ok_and_doctor_spends_nothing(
    fake_spotify: FakeSpotify, owner_settings: Settings, start_proxy: StartProxy
) -> None:
    clock = ManualClock()
    clock.advance(170 * 86400)  # the proxy's day: the grant (authorized 2026-06-01) is old
    client = await start_proxy(owner_settings, clock)
    calls = fake_spotify.token_calls

    lines = await ask_proxy(str(client.make_url("/")))

    assert [line.level for line in lines] == [Level.OK, Level.WARN], checks.render(lines)
    assert "is ready" in lines[0].text
    assert "expires in 16 days, on 2026-12-01" in lines[1].text
    assert "login --to http://127.0.0.1" in lines[1].text
    assert fake_spotify.token_calls == calls + 1  # the proxy's own refresh, nothing else
    assert fake_spotify.last_token_form["refresh_token"] == owner_settings.refresh_token


async def test_a_dead_grant_is_the_proxys_reason(
    fake_spotify: FakeSpotify, store_path: Path, start_proxy: StartProxy
) -> None:
    write_store(
        store_path,
        StoredToken("fake-revoked", fake_spotify.client_id, (), datetime.now(UTC) - timedelta(1)),
    )
    settings = fake_spotify.settings(token_store=store_path)
    client = await start_proxy(settings, ManualClock())

    lines = await ask_proxy(str(client.make_url("")))

    assert lines[0].level is Level.FAIL
    assert "invalid_grant" in lines[0].text
    assert "mkdocs-spotify login" in lines[0].text
    assert checks.exit_status(lines) == 1
    stored = read_store(store_path)
    assert stored is not None
    assert stored.refresh_token == "fake-revoked"


async def test_an_unreachable_proxy_or_a_bad_url_is_one_line() -> None:
    (down,) = await ask_proxy(f"http://127.0.0.1:{free_port()}")
    assert down.level is Level.FAIL
    assert "did not answer" in down.text
    (bad,) = await ask_proxy("blog.example.com/spotify")
    assert bad.level is Level.FAIL
    assert "not an http(s) URL" in bad.text


def test_the_command_exits_1_for_a_proxy_that_does_not_answer(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [*CLI, "doctor", "--proxy", url],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL")
    assert url in result.stdout
    assert "Traceback" not in result.stderr
