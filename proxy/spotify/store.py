"""The token store's file: one JSON document, written atomically with mode 0600 from creation.

Shared by `mkdocs-spotify login` (which creates it), the proxy and doctor (which persist rotated
refresh tokens into it). Format (docs/architecture.md): `refresh_token`, `client_id`, `scopes`,
`authorized_at` (ISO 8601, UTC) and `seed_sha256`, the fingerprint of the
`SPOTIFY_REFRESH_TOKEN` seed a rotated token descends from (null after a login).

Reading never blocks and never trusts the file: a FIFO, a device, a huge or non-UTF-8 file or
deeply nested JSON is a StoreError with one sentence, like any other unusable store. A symlinked
store is written through to the file it points at (the link stays a link).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from proxy.clock import parse_timestamp
from proxy.spotify.errors import StoreError

# A store is a few hundred bytes; anything far larger is not a store (e.g. /dev/zero).
MAX_STORE_BYTES = 64 * 1024
TEMP_PREFIX = ".token-"
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class StoredToken:
    refresh_token: str = field(repr=False)
    client_id: str
    scopes: tuple[str, ...]
    authorized_at: datetime | None
    seed_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "scopes": list(self.scopes),
            "authorized_at": (
                self.authorized_at.isoformat().replace("+00:00", "Z")
                if self.authorized_at
                else None
            ),
            "seed_sha256": self.seed_sha256,
        }


def read_store(path: Path) -> StoredToken | None:
    """The stored token, None when there is no store yet, StoreError when it is unusable."""
    try:
        raw = read_small_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(
            f"The token store {path} cannot be read ({exc.strerror}): fix its permissions "
            "or point SPOTIFY_TOKEN_STORE at another file."
        ) from None
    if raw is None:
        raise StoreError(
            f"The token store {path} is not a regular file of at most {MAX_STORE_BYTES // 1024} "
            "KiB: point SPOTIFY_TOKEN_STORE at a file, or remove it and run "
            "`mkdocs-spotify login`."
        )
    try:
        return parse_store(raw)
    except (ValueError, TypeError, KeyError, RecursionError):
        # UnicodeDecodeError is a ValueError; RecursionError comes from `[` nested deep.
        raise StoreError(
            f"The token store {path} is not a valid token store: run `mkdocs-spotify login` "
            "to write a new one."
        ) from None


def read_small_file(path: Path) -> bytes | None:
    """The bytes of a regular file of at most MAX_STORE_BYTES, None for anything else.

    O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_STORE_BYTES:
            return None
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, MAX_STORE_BYTES + 1 - size):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_STORE_BYTES:  # it grew while being read
                return None
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_store(raw: bytes) -> StoredToken:
    """StoredToken from the file's bytes; ValueError/TypeError/KeyError when it is not one."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise TypeError
    token = data["refresh_token"]
    client_id = data["client_id"]
    scopes = data.get("scopes") or []
    authorized = data.get("authorized_at")
    seed = data.get("seed_sha256")
    if not (isinstance(token, str) and token and isinstance(client_id, str)):
        raise TypeError
    if not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise TypeError
    if seed is not None and not isinstance(seed, str):
        raise TypeError
    return StoredToken(
        refresh_token=token,
        client_id=client_id,
        scopes=tuple(scopes),
        authorized_at=parse_timestamp(authorized) if isinstance(authorized, str) else None,
        seed_sha256=seed,
    )


def write_store(path: Path, token: StoredToken) -> None:
    """Replace the store atomically: a crash leaves the old file or the new one, never half.

    A symlink is followed: `os.replace` on the link itself would turn it into a regular file
    and leave a spent token in the file it pointed at.
    """
    target = path.resolve()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = json.dumps(token.to_json(), indent=2).encode() + b"\n"
    replace_atomically(target, payload, TEMP_PREFIX)
    _fsync_dir(target.parent)


def replace_atomically(target: Path, payload: bytes, prefix: str) -> None:
    """Write `payload` to a temporary file beside `target` (mode 0600 from creation: mkstemp),
    fsync it and rename it over `target`; the temporary file never outlives a failure."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def leftover_temp_files(path: Path) -> list[tuple[Path, bool]]:
    """Temporary files a killed writer left beside the store, newest first, each with whether
    it is newer than the store (then it may hold the newest token: the writer was killed
    between fsync and rename, after the accounts service had spent the store's token)."""
    target = path.resolve()
    try:
        found = [
            entry
            for entry in target.parent.iterdir()
            if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX)
        ]
    except OSError:
        return []
    try:
        store_time = target.stat().st_mtime_ns
    except OSError:
        store_time = -1
    stamped = []
    for entry in found:
        with contextlib.suppress(OSError):
            stamped.append((entry.lstat().st_mtime_ns, entry))
    return [(entry, stamp > store_time) for stamp, entry in sorted(stamped, reverse=True)]


def store_mode(path: Path) -> int:
    """The permission bits of the store (0o600 expected)."""
    return stat.S_IMODE(path.stat().st_mode)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
