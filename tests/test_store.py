"""The token store: 0600 from creation, atomic replace (a killed writer leaves old or new)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy.spotify.errors import StoreError
from proxy.spotify.store import StoredToken, read_store, store_mode, write_store
from tests.fakes.spotify import CLIENT_ID
from tests.processes import clean_env

TOKEN = StoredToken(
    refresh_token="refresh-secret",
    client_id=CLIENT_ID,
    scopes=("user-read-currently-playing",),
    authorized_at=datetime(2026, 6, 1, 10, tzinfo=UTC),
    seed_sha256=None,
)


def test_round_trip_and_format(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "token.json"
    write_store(path, TOKEN)
    assert read_store(path) == TOKEN
    data = json.loads(path.read_text())
    assert set(data) == {"refresh_token", "client_id", "scopes", "authorized_at", "seed_sha256"}
    assert data["authorized_at"] == "2026-06-01T10:00:00Z"
    assert store_mode(path) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert os.listdir(path.parent) == ["token.json"]  # no temp file left behind


def test_the_file_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_store(tmp_path / "token.json", TOKEN)
    finally:
        os.umask(old)
    assert store_mode(tmp_path / "token.json") == 0o600


def test_a_missing_store_is_none(tmp_path: Path) -> None:
    assert read_store(tmp_path / "nothing.json") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"client_id": "x"}',
        '{"refresh_token": 1, "client_id": "x"}',
        '{"refresh_token": "t", "client_id": "x", "scopes": "a b"}',
        '{"refresh_token": "t", "client_id": "x", "authorized_at": "yesterday"}',
        '{"refresh_token": "t", "client_id": "x", "authorized_at": "0001-01-01T00:00+01:00"}',
    ],
)
def test_an_unusable_store_is_one_sentence_without_the_token(tmp_path: Path, text: str) -> None:
    path = tmp_path / "token.json"
    path.write_text(text)
    with pytest.raises(StoreError) as caught:
        read_store(path)
    message = str(caught.value)
    assert "mkdocs-spotify login" in message
    assert "\n" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_an_unreadable_store_says_what_to_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # A store inside a file cannot be opened whoever runs the test, root included.
    with pytest.raises(StoreError, match="cannot be read"):
        read_store(blocker / "token.json")


def damage(path: Path, kind: str) -> Path:
    """Put a damaged store of `kind` at `path`; return the path to read."""
    if kind == "not utf-8":
        path.write_bytes(b'{"refresh_token": "\xff\xfe", "client_id": "c"}')
    elif kind == "deep nesting":
        path.write_text("[" * 60_000)  # under the size cap: the parser's recursion fails
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "too big":
        path.write_text('{"refresh_token": "t", "client_id": "c", "x": "' + "y" * 70_000 + '"}')
    elif kind == "device":
        return Path("/dev/zero")
    return path


@pytest.mark.parametrize(
    "kind", ["not utf-8", "deep nesting", "fifo", "directory", "too big", "device"]
)
def test_a_damaged_store_is_one_sentence_fast(tmp_path: Path, kind: str) -> None:
    path = damage(tmp_path / "token.json", kind)
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        read_store(path)  # a FIFO must not wait for a writer; /dev/zero must not fill memory
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert "\n" not in message
    assert "mkdocs-spotify login" in message
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_a_symlinked_store_is_written_through_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real" / "token.json"
    write_store(target, TOKEN)
    link = tmp_path / "token.json"
    link.symlink_to(target)
    rotated = StoredToken("rotated-secret", TOKEN.client_id, TOKEN.scopes, TOKEN.authorized_at)
    write_store(link, rotated)
    assert link.is_symlink()  # still a link...
    assert read_store(target) == rotated  # ...and its target holds the new token
    assert sorted(os.listdir(target.parent)) == ["token.json"]


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from proxy.spotify.store import StoredToken, write_store
    path = Path(sys.argv[1])
    for i in range(1_000_000):
        write_store(path, StoredToken("token-%d-" % i + "x" * 4000, "c", ("s",),
                                      datetime(2026, 1, 1, tzinfo=UTC)))
        if i == 0:
            print("ready", flush=True)
    """
)


def test_a_writer_killed_midway_leaves_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    write_store(path, TOKEN)
    for attempt in range(12):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(0.003 * attempt)
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        writer.stdout.close()

        stored = read_store(path)  # never half a file
        assert stored is not None
        assert stored.refresh_token.startswith("token-")
        assert stored.refresh_token.endswith("x" * 4000)
        assert store_mode(path) == 0o600
    leftovers = [p for p in os.listdir(tmp_path) if p != "token.json"]
    # A kill between mkstemp and rename can leave a private temp file, never a broken store.
    for name in leftovers:
        assert name.startswith(".token-")
        assert store_mode(tmp_path / name) == 0o600


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_the_proxy_refuses_a_damaged_store_at_start_up_without_hanging(
    tmp_path: Path, kind: str
) -> None:
    path = damage(tmp_path / "token.json", kind)
    env = clean_env({"SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_TOKEN_STORE": str(path)})
    result = subprocess.run(
        [sys.executable, "-m", "proxy"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,  # a FIFO opened for reading would wait for a writer forever
    )
    assert result.returncode == 2
    assert "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr
