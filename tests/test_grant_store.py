"""The shared store: its lock, what a process adopts from it, leftovers, and switching grants."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import logging
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from proxy.__main__ import check_credentials
from proxy.clock import ManualClock
from proxy.settings import Settings, SettingsError
from proxy.spotify.errors import StoreBusy
from proxy.spotify.grant import adopt_from_store
from proxy.spotify.grant_store import FileGrantStore
from proxy.spotify.store import StoredToken, read_store, write_store
from proxy.web.app import TOKENS
from tests.conftest import StartProxy
from tests.fakes.accounts import StrictAccounts
from tests.fakes.spotify import CLIENT_ID

CLIENT = CLIENT_ID
DAY = datetime(2026, 6, 1, tzinfo=UTC)


def grant(token: str, authorized_at: datetime | None = DAY, **more: Any) -> StoredToken:
    return StoredToken(token, more.pop("client_id", CLIENT), ("s",), authorized_at, **more)


# --- adopting what the store holds (pure) -----------------------------------------------


def test_a_changed_store_is_adopted_unless_older_or_for_another_app() -> None:
    mine = grant("mine")
    assert adopt_from_store(CLIENT, mine, grant("rotated-elsewhere")) == grant("rotated-elsewhere")
    newer = grant("new-login", DAY + timedelta(days=90))
    assert adopt_from_store(CLIENT, mine, newer) == newer
    assert adopt_from_store(CLIENT, mine, grant("old-chain", DAY - timedelta(days=1))) is None
    assert adopt_from_store(CLIENT, mine, grant("other", client_id="f" * 32)) is None
    assert adopt_from_store(CLIENT, mine, grant("mine")) is None
    assert adopt_from_store(CLIENT, mine, None) is None
    assert adopt_from_store(CLIENT, None, newer) == newer


# --- the lock ------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(60)
    """
)


async def test_the_lock_is_shared_between_processes_and_freed_when_a_holder_dies(
    tmp_path: Path,
) -> None:
    store = FileGrantStore(tmp_path / "token.json")
    holder = subprocess.Popen(  # noqa: ASYNC220 (started once; the test awaits the lock)
        [sys.executable, "-c", HOLDER, str(store.lock_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusy, match="held the token store's lock"):
            async with store.locked(0.3):
                pass
        holder.kill()  # SIGKILL: the kernel releases the lock
        holder.wait(10)
        async with store.locked(5):
            store.save(grant("after"))
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        assert holder.stdout is not None
        holder.stdout.close()
    assert read_store(store.path) == grant("after")
    assert oct(store.lock_path.stat().st_mode & 0o777) == "0o600"


def test_a_filesystem_without_locks_is_one_sentence_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "token.json"
    write_store(path, grant("t"))

    def no_locks(_fd: int, _operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    # No filesystem without flock can be mounted here: the kernel's answer is what is faked.
    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.raises(SettingsError) as caught:
        check_credentials(Settings(client_id=CLIENT, token_store=path))
    (problem,) = caught.value.problems
    assert str(tmp_path / "token.json.lock") in problem
    assert "local filesystem" in problem
    assert "\n" not in problem


def test_a_symlinked_store_locks_and_writes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real" / "token.json"
    write_store(target, grant("first"))
    link = tmp_path / "token.json"
    link.symlink_to(target)
    store = FileGrantStore(link)
    store.replace(grant("second"))
    assert link.is_symlink()
    assert read_store(target) == grant("second")
    assert store.lock_path == target.with_name("token.json.lock")


# --- the proxy and the store --------------------------------------------------------------


def seeded(fake: StrictAccounts, store_path: Path, authorized_at: datetime = DAY) -> Settings:
    return fake.settings(token_store=store_path, authorized_at=None, refresh_token=None)


async def test_a_killed_writers_newer_token_is_tried_before_the_spent_one_in_the_store(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with StrictAccounts() as fake:
        spent = fake.issue_grant()
        write_store(store_path, grant(spent, client_id=fake.client_id))
        superseded = store_path.parent / ".token-old.tmp"  # older than the store: ignored
        superseded.write_text(json.dumps(grant("fake-old", client_id=fake.client_id).to_json()))
        os.utime(superseded, ns=(1, 1))
        # Killed between fsync and rename: Spotify spent the stored token, its successor is
        # only in the temporary file.
        live = fake.rotate(spent)
        for name, token in ((".token-a.tmp", "fake-unknown"), (".token-b.tmp", live)):
            (store_path.parent / name).write_text(
                json.dumps(grant(token, client_id=fake.client_id).to_json())
            )
            await asyncio.sleep(0.01)  # distinct mtimes: b is the newest
        client = await start_proxy(seeded(fake, store_path), clock)
        # Removed at start-up, before any request.
        assert sorted(p.name for p in store_path.parent.iterdir()) == [
            "token.json",
            "token.json.lock",
        ]

        data = await (await client.get("/v1/now-playing")).json()
        stored = read_store(store_path)

    assert data["stale"] is False
    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert stored is not None
    assert stored.refresh_token == fake.live_token(spent)


async def test_a_grant_written_by_another_process_is_adopted_before_refreshing(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with StrictAccounts(access_token_lifetime=100) as fake:
        first = fake.issue_grant()
        write_store(store_path, grant(first, client_id=fake.client_id))
        settings = seeded(fake, store_path)
        one = await start_proxy(settings, clock)
        two = await start_proxy(settings, ManualClock())
        assert (await one.get("/v1/now-playing")).status == 200  # one rotates
        assert (await two.get("/v1/now-playing")).status == 200  # two adopts, then rotates
        clock.advance(100)
        assert (await (await one.get("/v1/now-playing")).json())["stale"] is False
        stored = read_store(store_path)

    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert stored is not None
    assert stored.refresh_token == fake.live_token(first)


async def test_an_older_grant_written_over_a_newer_one_does_not_win(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with StrictAccounts(access_token_lifetime=100) as fake:
        new = fake.issue_grant()
        write_store(store_path, grant(new, DAY + timedelta(days=30), client_id=fake.client_id))
        client = await start_proxy(seeded(fake, store_path), clock)
        assert (await client.get("/v1/now-playing")).status == 200
        # An old process writes an older grant back.
        write_store(store_path, grant(fake.issue_grant(), DAY, client_id=fake.client_id))
        assert await client.app[TOKENS].follow_store() is False
        clock.advance(100)
        assert (await (await client.get("/v1/now-playing")).json())["stale"] is False
        stored = read_store(store_path)

    assert fake.reuses == 0
    assert stored is not None
    assert stored.authorized_at == DAY + timedelta(days=30)
    assert stored.refresh_token == fake.live_token(new)


async def test_a_new_login_switches_at_once_and_readyz_shows_its_expiry(
    store_path: Path,
    start_proxy: StartProxy,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with StrictAccounts() as fake:
        old = fake.issue_grant()
        write_store(store_path, grant(old, DAY, client_id=fake.client_id))
        client = await start_proxy(seeded(fake, store_path), clock)
        assert (await client.get("/readyz")).status == 200
        calls = fake.token_calls

        login_day = DAY + timedelta(days=100)
        FileGrantStore(store_path).replace(
            grant(fake.issue_grant(), login_day, client_id=fake.client_id)
        )
        assert await client.app[TOKENS].follow_store() is True
        fake.revoke_grant(old)
        ready = await (await client.get("/readyz")).json()
        data = await (await client.get("/v1/now-playing")).json()

    assert ready["status"] == "ok"
    assert ready["grant_expires_at"].startswith("2027-03-09")
    assert data["stale"] is False
    assert fake.token_calls == calls + 1  # the old grant's access token was dropped
    switched = [r for r in caplog.records if "Switched to the new Spotify grant" in r.getMessage()]
    assert len(switched) == 1


async def test_a_store_damaged_at_run_time_takes_the_dead_grant_path_and_a_login_heals_it(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with StrictAccounts(access_token_lifetime=100) as fake:
        write_store(store_path, grant(fake.issue_grant(), client_id=fake.client_id))
        client = await start_proxy(seeded(fake, store_path), clock)
        assert (await client.get("/v1/now-playing")).status == 200

        await asyncio.to_thread(store_path.write_bytes, b"\xff" * 10)  # not UTF-8
        assert await client.app[TOKENS].follow_store() is False
        clock.advance(100)
        data = await (await client.get("/v1/now-playing")).json()
        ready = await client.get("/readyz")
        body = await ready.text()

        FileGrantStore(store_path).replace(grant(fake.issue_grant(), client_id=fake.client_id))
        # Same authorization, another token (as if another process had rotated it): adopted.
        assert await client.app[TOKENS].follow_store() is False
        healed = await client.get("/readyz")

    assert data["stale"] is True
    assert ready.status == 503
    assert "token store cannot be used" in body
    assert str(store_path) not in body
    assert healed.status == 200


async def test_a_login_written_without_the_lock_during_a_refresh_is_not_overwritten(
    store_path: Path, start_proxy: StartProxy, clock: ManualClock
) -> None:
    async with StrictAccounts() as fake:
        old = fake.issue_grant()
        write_store(store_path, grant(old, DAY, client_id=fake.client_id))
        client = await start_proxy(seeded(fake, store_path), clock)
        fake.token_delay = 0.5
        request = asyncio.ensure_future(client.get("/readyz"))
        await asyncio.sleep(0.2)  # the refresh is in flight, the lock held
        login = grant(fake.issue_grant(), DAY + timedelta(days=1), client_id=fake.client_id)
        await asyncio.to_thread(write_store, store_path, login)  # an old login: no lock
        assert (await request).status == 200
        stored = read_store(store_path)
        ready = await (await client.get("/readyz")).json()

    assert stored == login  # the old chain's rotation did not overwrite it
    assert ready["grant_expires_at"].startswith("2026-12-02")
