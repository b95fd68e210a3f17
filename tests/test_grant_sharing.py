"""Processes sharing one token store never spend a single-use refresh token twice.

Real processes (three proxies, doctor, a login's write) against the strict accounts service
of tests/fakes/accounts.py, which revokes the whole grant when a spent token comes back.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from proxy.spotify.store import StoredToken, read_store, write_store
from tests.fakes.accounts import StrictAccounts
from tests.grant_processes import Proxy, login_write, proxy_process, run_doctor
from tests.processes import clean_env

pytestmark = pytest.mark.slow

# The soak runs until REFRESHES refreshes and DOCTOR_RUNS doctor runs happened (at most
# SOAK_SECONDS): counts, not a time, are what the test is about, and a busy machine is slower.
REFRESHES = 100
DOCTOR_RUNS = 3
SOAK_SECONDS = 60.0
DOCTOR_EVERY = 2.0


def owner_store(fake: StrictAccounts, folder: Path, authorized_at: datetime) -> tuple[Path, str]:
    store = folder / "config" / "token.json"
    token = fake.issue_grant()
    write_store(store, StoredToken(token, fake.client_id, fake.scopes, authorized_at))
    return store, token


def environment(fake: StrictAccounts, store: Path) -> dict[str, str]:
    return clean_env({**fake.env(store), "SPOTIFY_PROXY_CACHE_TTL": "0.5"})


def test_three_proxies_and_doctor_share_a_store_without_spending_a_token_twice(
    tmp_path: Path,
) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running():
        store, first = owner_store(fake, tmp_path, datetime.now(UTC) - timedelta(days=1))
        env = environment(fake, store)
        answers: Counter[tuple[int, object]] = Counter()
        doctors: list[int] = []
        with (
            proxy_process(env, tmp_path, "a") as a,
            proxy_process(env, tmp_path, "b") as b,
            proxy_process(env, tmp_path, "c") as c,
        ):
            deadline = time.monotonic() + SOAK_SECONDS

            def going() -> bool:
                enough = fake.refreshes >= REFRESHES and len(doctors) >= DOCTOR_RUNS
                return not enough and time.monotonic() < deadline

            def visitor(proxy: Proxy) -> None:
                while going():
                    status, body = proxy.get("/v1/now-playing")
                    answers[status, body.get("stale")] += 1
                    time.sleep(0.05)

            def owner() -> None:
                while going():
                    time.sleep(DOCTOR_EVERY)
                    doctors.append(run_doctor(env, tmp_path).returncode)

            with ThreadPoolExecutor(4) as pool:
                done = [pool.submit(visitor, p) for p in (a, b, c)] + [pool.submit(owner)]
                for future in done:
                    future.result()
            logs = a.log_text() + b.log_text() + c.log_text()
        stored = read_store(store)

    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert not fake.revoked
    assert fake.refreshes >= REFRESHES, fake.refreshes
    assert stored is not None
    assert stored.refresh_token == fake.live_token(first)
    assert len(doctors) >= DOCTOR_RUNS
    assert set(doctors) == {0}
    assert {status for status, _ in answers} == {200}, answers
    # A visitor waits at most STALE_PATIENCE (1 s) for a call in flight before getting the last
    # answer as stale: a refresh queued behind doctor's on a busy machine may take that long.
    assert answers[200, False] >= 0.98 * answers.total(), answers
    assert "invalid_grant" not in logs
    assert "Traceback" not in logs


def test_a_login_while_the_proxy_runs_takes_effect_within_seconds(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running():
        old_day = datetime.now(UTC) - timedelta(days=170)
        store, old = owner_store(fake, tmp_path, old_day)
        env = environment(fake, store)
        with proxy_process(env, tmp_path) as proxy:
            status, ready = proxy.get("/readyz")
            assert status == 200
            assert ready["grant_days_left"] < 30
            old_expiry = ready["grant_expires_at"]

            login_write(store, fake.issue_grant(), fake.client_id, fake.scopes)
            written = time.monotonic()
            while proxy.get("/readyz")[1]["grant_expires_at"] == old_expiry:
                assert time.monotonic() - written < 5, "the proxy did not switch within 5 s"
                time.sleep(0.1)

            fake.revoke_grant(old)  # the owner revokes the old grant: visitors notice nothing
            answers: Counter[tuple[int, object]] = Counter()
            until = time.monotonic() + 3
            while time.monotonic() < until:
                status, body = proxy.get("/v1/now-playing")
                answers[status, body.get("stale")] += 1
                time.sleep(0.05)
            status, ready = proxy.get("/readyz")
            log = proxy.log_text()
        stored = read_store(store)

    assert set(answers) == {(200, False)}, answers
    assert status == 200
    assert ready["grant_days_left"] > 170
    assert len(re.findall("Switched to the new Spotify grant", log)) == 1
    assert stored is not None
    assert stored.authorized_at is not None
    assert stored.authorized_at > old_day + timedelta(days=1)  # the old chain never came back
    assert stored.refresh_token in fake.refresh_tokens
    assert fake.reuses == 0


def test_sigkill_during_refresh_and_write_leaves_a_readable_store(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    shuffle = random.Random(9700)
    outcomes: Counter[str] = Counter()
    with fake.running():
        store, _ = owner_store(fake, tmp_path, datetime.now(UTC))
        env = environment(fake, store)
        for _round in range(6):
            with proxy_process(env, tmp_path) as proxy:
                until = time.monotonic() + shuffle.uniform(0.5, 2.0)
                while time.monotonic() < until:
                    proxy.get("/v1/now-playing")
                proxy.process.kill()  # SIGKILL: wherever it is in refresh-and-write
                proxy.process.wait(10)
            stored = read_store(store)  # always a whole, readable store
            assert stored is not None
            with proxy_process(env, tmp_path) as proxy:
                status, body = proxy.get("/v1/now-playing")
                if status == 200 and body["stale"] is False:
                    outcomes["continued"] += 1
                else:
                    # It could not continue (the token was spent and its successor lost in the
                    # kill): it says exactly why and what to run.
                    status, ready = proxy.get("/readyz")
                    assert status == 503
                    assert "mkdocs-spotify login" in ready["reason"]
                    outcomes["said why"] += 1
                    login_write(store, fake.issue_grant(), fake.client_id, fake.scopes)
            leftovers = [p.name for p in store.parent.iterdir() if p.name.endswith(".tmp")]
            assert leftovers == []  # the restart removed what a killed writer left
    assert outcomes["continued"] >= 1, outcomes
