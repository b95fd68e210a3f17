"""`mkdocs-spotify doctor` with SPOTIFY_PROXY_REDIS_URL: the grant it describes and refreshes is
the one in Redis (the token store file only seeds an empty Redis), as the proxies see it.

Real parts: redis-server (tests/redis_server.py), the strict accounts service of
tests/fakes/accounts.py (single-use refresh tokens; a spent one coming back revokes the grant),
doctor and the proxy as real processes.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mkdocs_spotify.cli import checks
from mkdocs_spotify.cli.checks import Level
from mkdocs_spotify.cli.doctor import diagnose
from mkdocs_spotify.cli.main import main
from proxy.settings import Settings
from proxy.spotify.redis_store import RedisGrantStore
from proxy.spotify.store import StoredToken, write_store
from tests.fakes.accounts import StrictAccounts
from tests.fakes.net import free_port
from tests.grant_processes import proxy_process
from tests.login_process import CliProcess, run_cli
from tests.processes import clean_env
from tests.redis_server import RedisServer, redis_server

PREFIX = "test:"
PASSWORD = "s3cret-redis-password"
AUTHORIZED = datetime.now(UTC) - timedelta(days=3)
DOCTOR_RUNS = 5
REPLICA_REFRESHES = 10


def grant(fake: StrictAccounts, token: str) -> StoredToken:
    return StoredToken(token, fake.client_id, fake.scopes, AUTHORIZED)


def put_in_redis(server: RedisServer, token: StoredToken) -> None:
    with server.client() as client:
        client.set(f"{PREFIX}grant", json.dumps(token.to_json()))


def in_redis(server: RedisServer) -> str:
    with server.client() as client:
        raw = client.get(f"{PREFIX}grant")
    assert isinstance(raw, bytes)
    return str(json.loads(raw)["refresh_token"])


def doctor_env(fake: StrictAccounts, store: Path, url: str) -> dict[str, str]:
    return {**fake.env(store), "SPOTIFY_PROXY_REDIS_URL": url, "SPOTIFY_PROXY_REDIS_PREFIX": PREFIX}


def run_doctors(envs: list[dict[str, str]], folder: Path) -> list[CliProcess]:
    """One `doctor` run per environment, side by side (each is mostly Python starting)."""
    runs = [CliProcess(["doctor"], env, folder) for env in envs]
    for run in runs:
        run.close_stdin()
    for run in runs:
        run.finish(30)
    return runs


def without_paths(text: str) -> str:
    # tmp_path holds the test's name, which may contain the words a test looks for.
    return re.sub(r"/\S+", "", text)


def test_doctor_refreshes_the_grant_redis_holds_without_a_store_file(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running(), redis_server(tmp_path / "redis") as server:
        first = fake.issue_grant()
        put_in_redis(server, grant(fake, first))
        store = tmp_path / "config" / "token.json"
        started = time.monotonic()
        doctor = run_cli(["doctor"], doctor_env(fake, store, server.url), tmp_path)
        took = time.monotonic() - started
        saved = in_redis(server)
        live = fake.live_token(first)
        secrets = fake.secrets_in_play()
    assert doctor.proc.returncode == 0, doctor.output
    lines = doctor.stdout.splitlines()
    assert all(line.startswith("OK    ") for line in lines), doctor.stdout
    location = f"redis://127.0.0.1:{server.port}/0"
    assert f"OK    Redis at {location} answers and holds the grant the proxies share." in lines
    assert f"OK    The proxy will use the refresh token in Redis at {location}." in lines
    assert (
        "OK    Refreshing works; Spotify rotated the refresh token and the new one is saved in "
        f"Redis at {location}, where every proxy reads it." in lines
    )
    assert "token store" not in without_paths(doctor.stdout)  # no file to describe
    assert fake.refreshes == 1
    assert live is not None
    assert saved == live  # the rotation landed in Redis
    assert not store.exists()
    assert not store.parent.exists()
    for known in secrets:
        assert known not in doctor.output
    assert took < 20, took


def test_an_older_store_file_is_not_what_doctor_describes_or_spends(tmp_path: Path) -> None:
    """The file holds a token Redis' grant was rotated from (spent): presenting it would revoke
    the grant at the strict fake."""
    fake = StrictAccounts()
    with fake.running(), redis_server(tmp_path / "redis") as server:
        spent = fake.issue_grant()
        store = tmp_path / "token.json"
        write_store(store, grant(fake, spent))
        before = store.read_bytes()
        put_in_redis(server, grant(fake, fake.rotate(spent)))
        doctor = run_cli(["doctor"], doctor_env(fake, store, server.url), tmp_path)
        saved = in_redis(server)
        live = fake.live_token(spent)
    assert doctor.proc.returncode == 0, doctor.output
    assert (
        f"OK    The token store {store} only seeds an empty Redis: the proxies use the grant "
        "in Redis." in doctor.stdout.splitlines()
    )
    assert f"refresh token in {store}" not in doctor.stdout
    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert saved == live
    assert store.read_bytes() == before


@pytest.mark.slow(seconds=6)
def test_doctor_lets_running_replicas_write_back_before_spending_a_seeded_token(
    tmp_path: Path,
) -> None:
    """Redis lost its data while a replica runs: the file's token was rotated long ago (spent).
    doctor seeds it, but holds the refresh lease while the replica writes its newer grant back,
    then refreshes that one: the spent token never reaches Spotify."""
    fake = StrictAccounts()
    with fake.running(), redis_server(tmp_path / "redis") as server:
        spent = fake.issue_grant()
        store = tmp_path / "token.json"
        write_store(store, grant(fake, spent))
        newer = grant(fake, fake.rotate(spent))
        with server.client() as client:
            client.mset(
                {f"{PREFIX}grant": json.dumps(newer.to_json()), f"{PREFIX}grant:version": 3}
            )
        settings = Settings(redis_url=server.url, redis_prefix=PREFIX)
        replica = RedisGrantStore(settings)  # a running replica's view of the grant
        assert replica.load() == newer
        with server.client() as client:
            client.flushall()  # Redis restarted empty
        doctor = CliProcess(["doctor"], doctor_env(fake, store, server.url), tmp_path)
        doctor.close_stdin()
        with server.client() as client:
            deadline = time.monotonic() + 15
            while client.get(f"{PREFIX}grant") is None:
                assert time.monotonic() < deadline, doctor.output
                time.sleep(0.01)
            holder = client.get(f"{PREFIX}lease:refresh")
        replica.version()  # the replica's periodic look at the store: it writes back its grant
        replica.sync.close()
        code = doctor.finish(30)
        saved = in_redis(server)
        live = fake.live_token(spent)
    assert holder == b"write-back"  # the seed held the lease for the replicas
    assert code == 0, doctor.output
    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert not fake.revoked
    assert saved == live


@pytest.mark.slow(seconds=7)
def test_an_empty_redis_is_seeded_from_the_store_file_as_the_proxy_would(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running(), redis_server(tmp_path / "redis") as server:
        first = fake.issue_grant()
        store = tmp_path / "token.json"
        write_store(store, grant(fake, first))
        env = doctor_env(fake, store, server.url)
        seeding = run_cli(["doctor"], env, tmp_path)
        after_first = in_redis(server)
        again = run_cli(["doctor"], env, tmp_path)
        saved = in_redis(server)
        live = fake.live_token(first)
    location = f"redis://127.0.0.1:{server.port}/0"
    assert seeding.proc.returncode == 0, seeding.output
    assert (
        f"OK    Redis at {location} held no grant: doctor seeded it now from the token store "
        f"{store}, as a starting proxy would." in seeding.stdout.splitlines()
    )
    assert "only seeds an empty Redis" not in seeding.stdout  # said once, by the line above
    assert after_first != first  # seeded, then rotated in Redis
    assert again.proc.returncode == 0, again.output
    assert f"OK    Redis at {location} answers and holds the grant" in again.stdout
    assert "seeded" not in without_paths(again.stdout)
    assert fake.refreshes == 2
    assert fake.reuses == 0
    assert saved == live


def test_an_unreachable_redis_or_a_refused_password_is_one_fail_line(tmp_path: Path) -> None:
    fake = StrictAccounts()
    with fake.running(), redis_server(tmp_path / "redis", password=PASSWORD) as server:
        store = tmp_path / "token.json"
        write_store(store, grant(fake, fake.issue_grant()))  # never used instead of Redis
        port = free_port()
        down_url = f"redis://127.0.0.1:{port}/0"
        wrong_url = f"redis://:{PASSWORD}-wrong@127.0.0.1:{server.port}/0"
        missing_url = f"redis://127.0.0.1:{server.port}/0"
        urls = (down_url, wrong_url, missing_url)
        down, wrong, missing = run_doctors([doctor_env(fake, store, url) for url in urls], tmp_path)
    expected = {
        down: f"FAIL  Redis at redis://127.0.0.1:{port}/0 cannot be used (ConnectionError): "
        "start it, or fix SPOTIFY_PROXY_REDIS_URL (redis://host:port/0, rediss:// for TLS, "
        "unix:///path).",
        wrong: f"FAIL  Redis at redis://127.0.0.1:{server.port}/0 refused the password in "
        "SPOTIFY_PROXY_REDIS_URL: copy it again (redis://user:password@host:port/0).",
        missing: f"FAIL  Redis at redis://127.0.0.1:{server.port}/0 requires a password: put it "
        "in SPOTIFY_PROXY_REDIS_URL (redis://user:password@host:port/0).",
    }
    for doctor, sentence in expected.items():
        assert doctor.proc.returncode == 1, doctor.output
        lines = doctor.stdout.splitlines()
        assert lines[2] == sentence
        # Then the rest of the checklist, not checked; nothing about the store file.
        assert [line[:6] for line in lines[3:]] == ["SKIP  "] * 4, doctor.stdout
        assert "token refresh" in lines[3]
        assert doctor.stderr == ""
        assert PASSWORD not in doctor.output
    assert fake.token_calls == 0


@pytest.mark.slow(seconds=7)
def test_doctor_beside_a_replica_that_keeps_refreshing_never_spends_a_token_twice(
    tmp_path: Path,
) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        first = fake.issue_grant()
        store = tmp_path / "config" / "token.json"
        write_store(store, grant(fake, first))
        env = clean_env(
            {
                **doctor_env(fake, store, server.url),
                "SPOTIFY_PROXY_CACHE_TTL": "0.5",
                "SPOTIFY_PROXY_UPSTREAM_TIMEOUT": "1",
            }
        )
        ready: Counter[int] = Counter()
        with proxy_process(env, tmp_path, "replica") as replica:
            assert replica.get("/readyz")[0] == 200  # the replica seeded Redis and refreshed
            stop = threading.Event()

            def visitor() -> None:
                # /readyz needs a working access token: the replica refreshes every 0.45 s.
                while not stop.is_set():
                    ready[replica.get("/readyz")[0]] += 1
                    replica.get("/v1/now-playing")

            thread = threading.Thread(target=visitor)
            thread.start()
            try:
                runs: list[CliProcess] = []
                opened = time.monotonic()
                # Each doctor run refreshes once; the replica's refreshes are the others. Two
                # runs at a time: their refreshes meet each other's at the lease too.
                while len(runs) < DOCTOR_RUNS or fake.refreshes - len(runs) < REPLICA_REFRESHES:
                    assert time.monotonic() - opened < 60, (len(runs), fake.refreshes)
                    runs += run_doctors([env, env], tmp_path)
            finally:
                stop.set()
                thread.join(10)
            assert replica.get("/readyz")[0] == 200  # and it keeps working afterwards
            logs = replica.log_text()
        saved = in_redis(server)
        live = fake.live_token(first)
    for doctor in runs:
        assert doctor.proc.returncode == 0, doctor.output
        assert "new one is saved in Redis at" in doctor.stdout
    assert fake.reuses == 0
    assert fake.invalid_grants == 0
    assert not fake.revoked
    assert set(ready) == {200}, ready
    assert sum(ready.values()) >= 10, ready
    assert saved == live
    assert "invalid_grant" not in logs
    assert "Traceback" not in logs


async def test_a_grant_in_redis_for_another_app_is_ignored(tmp_path: Path) -> None:
    async with StrictAccounts() as fake:
        with redis_server(tmp_path / "redis") as server:
            other = StoredToken(fake.issue_grant(), "0" * 32, fake.scopes, AUTHORIZED)
            put_in_redis(server, other)
            settings = fake.settings(
                token_store=tmp_path / "token.json", redis_url=server.url, redis_prefix=PREFIX
            )
            lines = await diagnose(settings)
    text = checks.render(lines)
    assert f"The grant in Redis at redis://127.0.0.1:{server.port}/0 was written for" in text
    assert "FAIL  There is no refresh token for this app" in text
    assert checks.exit_status(lines) == 1
    assert fake.token_calls == 0


async def test_an_empty_redis_with_nothing_to_seed_it_fails_with_the_fix(tmp_path: Path) -> None:
    async with StrictAccounts() as fake:
        with redis_server(tmp_path / "redis") as server:
            settings = fake.settings(
                token_store=tmp_path / "token.json", redis_url=server.url, redis_prefix=PREFIX
            )
            lines = await diagnose(settings)
    failed = [line for line in lines if line.level is Level.FAIL]
    assert len(failed) == 1, checks.render(lines)
    assert failed[0].text.startswith(
        f"Redis at redis://127.0.0.1:{server.port}/0 holds no grant, and nothing can seed it"
    )
    assert "SPOTIFY_PROXY_REDIS_URL" in failed[0].text
    assert fake.token_calls == 0


async def test_an_empty_redis_and_the_env_seed_saves_the_first_rotation_in_redis(
    tmp_path: Path,
) -> None:
    async with StrictAccounts() as fake:
        with redis_server(tmp_path / "redis") as server:
            seed = fake.issue_grant()
            store = tmp_path / "token.json"
            settings = fake.settings(
                token_store=store, redis_url=server.url, redis_prefix=PREFIX, refresh_token=seed
            )
            lines = await diagnose(settings)
            saved = in_redis(server)
    text = checks.render(lines)
    assert checks.exit_status(lines) == 0, text
    assert "holds no grant yet: the refresh token comes from SPOTIFY_REFRESH_TOKEN" in text
    assert "will use SPOTIFY_REFRESH_TOKEN from the environment" in text
    assert saved == fake.live_token(seed)
    assert not store.exists()


def test_doctor_refreshes_even_when_a_replica_shares_a_fresh_access_token(tmp_path: Path) -> None:
    """doctor checks the refresh itself: the access token a replica shares in Redis is not one."""
    fake = StrictAccounts(access_token_lifetime=3600)
    with fake.running(), redis_server(tmp_path / "redis") as server:
        first = fake.issue_grant()
        store = tmp_path / "token.json"
        write_store(store, grant(fake, first))
        env = clean_env(doctor_env(fake, store, server.url))
        with proxy_process(env, tmp_path, "replica") as replica:
            assert replica.get("/readyz")[0] == 200
            with server.client() as client:
                assert client.get(f"{PREFIX}access") is not None  # shared for an hour
            refreshes = fake.refreshes
            doctor = run_cli(["doctor"], env, tmp_path)
            doctor_refreshes = fake.refreshes - refreshes
            assert replica.get("/v1/now-playing")[0] == 200
        saved = in_redis(server)
        live = fake.live_token(first)
    assert doctor.proc.returncode == 0, doctor.output
    assert "new one is saved in Redis at" in doctor.stdout
    assert doctor_refreshes == 1
    assert fake.reuses == 0
    assert saved == live


def test_doctor_help_says_it_checks_the_grant_in_redis(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["doctor", "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "the grant in Redis, seeded from the token store when empty" in out
    assert "Redis' refresh lease" in out
    assert "SPOTIFY_PROXY_REDIS_URL (then the grant in Redis is the one checked)" in out
    assert "(with Redis: https://" in out


def test_the_store_file_beside_redis_is_described_as_a_seed(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    line = checks.seed_file_line
    assert line(path, mode=None, error=None, seeded=False) is None  # no file: nothing to say
    assert line(path, mode=0o600, error=None, seeded=True) is None  # the Redis line said it
    quiet = line(path, mode=0o600, error=None, seeded=False)
    assert quiet is not None
    assert quiet.level is Level.OK
    assert "only seeds an empty Redis" in quiet.text
    readable = line(path, mode=0o644, error=None, seeded=False)
    assert readable is not None
    assert readable.level is Level.FAIL  # still a secret others can read
    assert "chmod 600" in readable.text
    broken = line(path, mode=None, error="The token store is broken: run login.", seeded=False)
    assert broken == checks.warn("The token store is broken: run login.")  # Redis still works


def test_a_rotation_redis_did_not_take_is_a_fail_that_names_redis(tmp_path: Path) -> None:
    lost = checks.refresh_ok(
        rotated=True,
        path=tmp_path / "token.json",
        persist_error="the refresh lease expired before the rotated token was saved",
        redis="redis://127.0.0.1:6379/0",
    )
    assert lost.level is Level.FAIL
    assert "Redis at redis://127.0.0.1:6379/0 did not take the new one" in lost.text
    assert "token.json" not in lost.text  # the file was never the place it should go
    assert "`mkdocs-spotify login`" in lost.text
