"""The token store `login` writes: private from creation, and never half-written."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy import store
from proxy.store import StoredToken, read_store, store_mode, write_store

TOKEN = StoredToken("r" * 40, "0" * 32, ("user-top-read",), datetime(2026, 11, 23, tzinfo=UTC))

# A writer that alternates two tokens as fast as it can, padded so each write takes a while.
WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from proxy.store import StoredToken, write_store
path = Path(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    n += 1
    token = ("a" if n % 2 else "b") * 200_000
    write_store(path, StoredToken(token, "0" * 32, ("s",) * 5000, datetime.now(UTC)))
"""


def test_private_from_creation_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes: list[int] = []
    real_replace = os.replace

    def spying_replace(src: str, dst: Path) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))  # the temp file, before it appears
        real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", spying_replace)
    old_umask = os.umask(0)
    try:
        path = tmp_path / "new" / "token.json"
        write_store(path, TOKEN)
    finally:
        os.umask(old_umask)
    assert modes == [0o600]
    assert store_mode(path) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_store(path) == TOKEN
    assert [p.name for p in path.parent.iterdir()] == ["token.json"]


def test_a_write_killed_midway_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    write_store(path, TOKEN)
    seen: set[str] = set()
    for delay in (0.05, 0.12, 0.2, 0.3):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        token = read_store(path)  # raises StoreError if the file were half-written
        assert token is not None
        seen.add(token.refresh_token[0])
        assert store_mode(path) == 0o600
    assert seen <= {"a", "b", "r"} and seen & {"a", "b"}
