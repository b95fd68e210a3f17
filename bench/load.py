"""Throughput and latency with wrk against a server running in another process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

WRK = "wrk"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    cpu_us_per_request: float = 0.0  # the server's own CPU time, robust to busy neighbours


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def parse_wrk(output: str) -> Load:
    """Requests/sec, the request count and the 50% / 99% lines of `wrk --latency`."""
    count = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if not (count and rps and p50 and p99):
        raise ValueError(f"wrk printed no figures:\n{output}")
    return Load(
        float(rps.group(1)),
        float(p50.group(1)) * _UNITS[p50.group(2)],
        float(p99.group(1)) * _UNITS[p99.group(2)],
        int(count.group(1)),
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(
    kind: str, body_file: Path, target: str = "/v1/now-playing", *extra: str
) -> Iterator[Server]:
    """Start `bench.serve` in a child process and yield the URL (path and query `target`) once
    it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.serve",
            kind,
            str(port),
            str(body_file),
            target.split("?")[0],
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=pin(-1),
    )
    url = f"http://127.0.0.1:{port}{target}"
    try:
        wait_until_serving(url, process, f"the {kind} server")
        yield Server(url, process.pid)
    finally:
        process.terminate()
        process.wait(10)


def wait_until_serving(url: str, process: subprocess.Popen[Any], what: str) -> None:
    """Return once `url` answers; RuntimeError if the process dies or 20 s pass first."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


def pin(core: int) -> Callable[[], None]:
    """Keep load generator and server off each other's core (when there are two)."""

    def apply() -> None:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) >= 2:
            os.sched_setaffinity(0, {cores[core % len(cores)]})

    return apply


def wrk(target: Server, seconds: int, connections: int = 64) -> Load:
    cpu_before = cpu_seconds(target.pid)
    result = subprocess.run(
        [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", target.url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
        preexec_fn=pin(0),
    )
    cpu = cpu_seconds(target.pid) - cpu_before
    load = parse_wrk(result.stdout)
    return replace(load, cpu_us_per_request=cpu * 1e6 / max(load.requests, 1))


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body
