"""`doctor --notify-test` and the proxy's start-up check of SPOTIFY_PROXY_NOTIFY, as real
processes: outcomes per URL, by position and scheme only (the URLs are secrets)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.alerts.sent import sent_record_path
from proxy.spotify.grant import days_left as grant_days_left
from proxy.spotify.store import StoredToken, write_store
from tests.fakes.net import free_port
from tests.fakes.receiver import Receiver
from tests.fakes.spotify import FakeSpotify
from tests.grant_processes import proxy_process
from tests.login_process import run_cli
from tests.processes import clean_env
from tests.test_proxy_cli import run_proxy


def test_notify_test_sends_a_message_and_names_the_url_that_failed(tmp_path: Path) -> None:
    dead = Receiver()
    dead.port = free_port()
    with Receiver().running() as receiver:
        env = {
            "SPOTIFY_PROXY_NOTIFY": f"{receiver.apprise_url}, {dead.apprise_url}",
            "SPOTIFY_PROXY_NAME": "blog.example.test",
            "SPOTIFY_TOKEN_STORE": str(tmp_path / "token.json"),
        }
        doctor = run_cli(["doctor", "--notify-test"], clean_env(env), tmp_path)
        messages = list(receiver.messages)
    assert doctor.proc.returncode == 1, doctor.output
    assert doctor.stdout.splitlines() == [
        "OK    Notification URL 1 (json://) accepted the test message: check that it arrived.",
        "FAIL  Notification URL 2 (json://) did not accept the test message: check the URL "
        "against Apprise's page for json:// (https://github.com/caronc/apprise/wiki) and that "
        "this machine can reach the service.",
    ]
    assert [m["title"] for m in messages] == ["Spotify widget on blog.example.test: test message"]
    for secret in (receiver.secret, dead.secret):
        assert secret not in doctor.output
    assert not (tmp_path / "token.json").exists()  # no Spotify call, no store touched


def test_notify_test_without_urls_says_what_to_set(tmp_path: Path) -> None:
    doctor = run_cli(["doctor", "--notify-test"], clean_env(), tmp_path)
    assert doctor.proc.returncode == 1
    assert doctor.stdout.startswith("FAIL  SPOTIFY_PROXY_NOTIFY is not set")
    assert "Traceback" not in doctor.output


def test_the_proxy_refuses_a_url_apprise_does_not_know_without_echoing_it(
    tmp_path: Path,
) -> None:
    secret = "webhook-secret-1234"
    with FakeSpotify().running() as fake:
        env = fake.env(tmp_path / "token.json", refresh_token=fake.issue_refresh_token())
        env["SPOTIFY_PROXY_NOTIFY"] = f"ntfy://topic-ok nosuchservice://{secret}"
        result = run_proxy(["--port", str(free_port())], clean_env(env), tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "mkdocs-spotify proxy: SPOTIFY_PROXY_NOTIFY's URL number 2 is not one Apprise knows: "
        "check its scheme against https://github.com/caronc/apprise/wiki (ntfy://, discord://, "
        "mailto://, json://...)."
    ]
    assert secret not in result.stderr + result.stdout


# A restart that wrongly sends the notice again would take about as long from its start-up check
# to "Notification sent" as the first proxy did: it is watched LINGER_FACTOR times that long
# after its check, at least MIN_LINGER (the first proxy took 0.01-0.03 s, 0.2 s at most on a
# busy machine) and at most MAX_LINGER (the fixed wait this test had).
LINGER_FACTOR = 10
MIN_LINGER = 0.5
MAX_LINGER = 2.0
CHECKED = "The Spotify grant expires in"
SENT = "Notification sent"


def logged_at(log: str, text: str) -> datetime:
    """When the proxy logged the first line holding `text` (each line starts with the time)."""
    line = next(line for line in log.splitlines() if text in line)
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def start_and_stop_proxy(
    env: dict[str, str], cwd: Path, name: str, until: Callable[[str], bool], linger: float = 0
) -> str:
    """Run a real proxy until its log satisfies `until` (at most 20 s), then `linger` seconds
    more; stop it and return its log. (Waiting on the receiver instead stopped the proxy
    between the delivery and its log line, on a busy machine.)"""
    with proxy_process(env, cwd, name) as proxy:
        deadline = time.monotonic() + 20
        while not until(proxy.log_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(linger)
        return proxy.log_text()


def test_a_real_proxy_sends_the_30_day_notice_once_across_a_restart(tmp_path: Path) -> None:
    store = tmp_path / "token.json"
    authorized = datetime.now(UTC) - timedelta(days=170)  # about 11 days left
    with FakeSpotify().running() as fake, Receiver().running() as receiver:
        write_store(store, StoredToken(fake.issue_refresh_token(), fake.client_id, (), authorized))
        env = clean_env(
            {
                **fake.env(store),
                "SPOTIFY_PROXY_NOTIFY": receiver.apprise_url,
                "SPOTIFY_PROXY_NAME": "blog.example.test",
            }
        )
        first = start_and_stop_proxy(env, tmp_path, "first", lambda log: SENT in log)
        record = sent_record_path(store).read_text()
        # The restart finds the record: after its start-up check, give it time to (not) send.
        took = (logged_at(first, SENT) - logged_at(first, CHECKED)).total_seconds()
        linger = min(MAX_LINGER, max(MIN_LINGER, LINGER_FACTOR * took))
        second = start_and_stop_proxy(env, tmp_path, "second", lambda log: CHECKED in log, linger)
        messages = list(receiver.messages)
    assert [m["title"] for m in messages] == [
        "Spotify widget on blog.example.test: the grant expires in "
        f"{grant_days_left(authorized, datetime.now(UTC))} days"
    ]
    assert sent_record_path(store).read_text() == record
    for log in (first, second):
        assert receiver.secret not in log
        assert "Traceback" not in log
    assert SENT in first
    assert SENT not in second
    assert CHECKED in second  # its start-up check did run
