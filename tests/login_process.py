"""Run `mkdocs-spotify login` / `doctor` as real subprocesses against the fake Spotify."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.processes import clean_env, default_sigint


# Only what Python itself needs: nothing SPOTIFY_* from the outer environment leaks in.
def child_env(env: dict[str, str]) -> dict[str, str]:
    return clean_env(env, minimal=True)


class CliProcess:
    """One CLI run with its stdout read line by line (to catch the printed URL)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs_spotify.cli.main", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(env),
            cwd=cwd,
            preexec_fn=default_sigint,
        )
        self._out: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._err = ""
        self._readers = [
            threading.Thread(target=self._read_out, daemon=True),
            threading.Thread(target=self._read_err, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._out.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self._err = self.proc.stderr.read()

    def wait_for_line(self, prefix: str, timeout: float = 15) -> str:
        while True:
            line = self._lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"no line starting with {prefix!r}: {self.stdout}{self._err}")
            if line.strip().startswith(prefix):
                return line.strip()

    def write(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def finish(self, timeout: float = 30) -> int:
        try:
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for reader in self._readers:
                reader.join(5)
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None and not stream.closed:
                    stream.close()
        return code

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return self._err

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 30) -> CliProcess:
    process = CliProcess(args, env, cwd)
    process.close_stdin()
    process.finish(timeout)
    return process


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def consent(authorize_url: str, decision: str = "agree", scope: str | None = None) -> str:
    """Do what the owner's browser does on the fake consent page; return where it redirects.

    The fake's form carries the authorize query's values, so they are posted straight back;
    `scope` replaces the requested scopes (Spotify granting fewer than asked).
    """
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    urllib.request.urlopen(authorize_url, timeout=10).close()  # the fake validates the request
    form = {
        "redirect_uri": query["redirect_uri"],
        "state": query["state"],
        "challenge": query["code_challenge"],
        "scope": query.get("scope", "") if scope is None else scope,
        "decision": decision,
    }
    base = authorize_url.split("/authorize?")[0]
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"{base}/authorize/decision", urlencode(form).encode(), timeout=10).close()
    except urllib.error.HTTPError as redirect:
        redirect.close()
        if redirect.code == 302:
            return str(redirect.headers["Location"])
        raise
    raise AssertionError("the consent page did not redirect")


def get(url: str) -> tuple[int, str]:
    """GET without raising on 4xx: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()
