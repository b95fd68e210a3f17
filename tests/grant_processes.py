"""Real proxy, doctor and "login" processes sharing one token store, for the grant tests."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.net import free_port

CLI = [sys.executable, "-m", "mkdocs_spotify.cli.main"]
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Proxy:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        return get_json(self.url + path)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def get_json(url: str, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@contextmanager
def proxy_process(env: dict[str, str], folder: Path, name: str = "proxy") -> Iterator[Proxy]:
    """`mkdocs-spotify proxy` on a free port, its log in `folder/name.log`; stopped at the end."""
    with proxy_processes(env, folder, name) as (proxy,):
        yield proxy


@contextmanager
def proxy_processes(
    env: dict[str, str],
    folder: Path,
    *names: str,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[list[Proxy]]:
    """One proxy per name, as `proxy_process` starts it, all started at once (each start is
    mostly Python importing, which the processes do side by side) before waiting for any.
    `overrides` holds variables some of them get on top of `env`, by name."""
    proxies: list[Proxy] = []
    try:
        for name in names:
            proxies.append(_start({**env, **(overrides or {}).get(name, {})}, folder, name))
        for proxy in proxies:
            _wait_until_up(proxy)
        yield proxies
    finally:
        for proxy in proxies:
            if proxy.process.poll() is None:
                proxy.process.terminate()
        for proxy in proxies:
            _reap(proxy.process)


def _start(env: dict[str, str], folder: Path, name: str) -> Proxy:
    port = free_port()
    log = folder / f"{name}.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [*CLI, "proxy", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Proxy(process, f"http://127.0.0.1:{port}", log)


def _wait_until_up(proxy: Proxy) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            proxy.get("/healthz")
            return
        except OSError:
            if proxy.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the proxy did not start:\n{proxy.log_text()}") from None
            time.sleep(0.05)


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def run_doctor(env: dict[str, str], folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "doctor", *args], env=env, cwd=folder, capture_output=True, text=True, timeout=60
    )


LOGIN_WRITE = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from proxy.spotify.grant_store import FileGrantStore
    from proxy.spotify.store import StoredToken
    path, token, client_id, scopes = sys.argv[1:5]
    grant = StoredToken(token, client_id, tuple(scopes.split()), datetime.now(UTC), None)
    FileGrantStore(Path(path)).replace(grant)
    """
)


def login_write(store: Path, token: str, client_id: str, scopes: tuple[str, ...]) -> None:
    """What `mkdocs-spotify login` does last, from another process: write the new grant under
    the store's lock through the store API."""
    subprocess.run(
        [sys.executable, "-c", LOGIN_WRITE, str(store), token, client_id, " ".join(scopes)],
        cwd=ROOT,
        check=True,
        timeout=30,
    )
