"""The record of notices already sent: a small JSON file beside the token store.

Written like the token store (temp file in the same folder, fsync, rename, mode 0600 from
creation), so a restart never sends a notice twice and a crash never leaves half a file.
`record_lock` (an `fcntl.flock` on a lock file beside it, released by the kernel if the holder
dies) keeps two proxies on one store from sending the same notice at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from proxy.spotify.store import replace_atomically


def sent_record_path(token_store: Path) -> Path:
    """`token.json` -> `token.notified.json` in the same folder."""
    return token_store.with_name(f"{token_store.stem}.notified.json")


@contextlib.contextmanager
def record_lock(path: Path) -> Iterator[None]:
    """Hold the record's lock (blocking: call it from a worker thread)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_name(f"{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def read_sent(path: Path) -> set[str]:
    """The keys of the notices sent so far; an unreadable record counts as empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    sent = data.get("sent") if isinstance(data, dict) else None
    return {key for key in sent if isinstance(key, str)} if isinstance(sent, list) else set()


def add_sent(path: Path, key: str) -> None:
    """Add `key` to the record (read, add, replace atomically)."""
    keys = sorted(read_sent(path) | {key})
    payload = json.dumps({"sent": keys}, indent=2).encode() + b"\n"
    replace_atomically(path, payload, ".notified-")
