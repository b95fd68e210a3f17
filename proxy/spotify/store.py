"""The token store: one JSON file, written atomically with mode 0600 from creation.

Shared by `mkdocs-spotify login` (which creates it) and the proxy (which persists rotated
refresh tokens into it). Format (DESIGN.md): `refresh_token`, `client_id`, `scopes`,
`authorized_at` (ISO 8601, UTC) and `seed_sha256`, the fingerprint of the
`SPOTIFY_REFRESH_TOKEN` seed a rotated token descends from (null after a login).
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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(
            f"The token store {path} cannot be read ({exc.strerror}): fix its permissions "
            "or point SPOTIFY_TOKEN_STORE at another file."
        ) from None
    try:
        data = json.loads(text)
        return _parse(data)
    except (ValueError, TypeError, KeyError):
        raise StoreError(
            f"The token store {path} is not a valid token store: run `mkdocs-spotify login` "
            "to write a new one."
        ) from None


def _parse(data: Any) -> StoredToken:
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
    """Replace the store atomically: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = json.dumps(token.to_json(), indent=2).encode() + b"\n"
    # mkstemp creates the file with mode 0600, so the token is never readable by others.
    fd, tmp = tempfile.mkstemp(prefix=".token-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


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
