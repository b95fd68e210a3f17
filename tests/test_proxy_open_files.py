"""At start-up the proxy raises its open-files limit toward what the stream cap needs."""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from proxy.limits import files_for_streams
from tests.fakes.net import free_port
from tests.processes import clean_env
from tests.test_proxy_cli import CLI, get_json


def limited(soft: int, hard: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return apply


def soft_limit_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-files line in /proc/PID/limits")


def start_with_limits(tmp_path: Path, soft: int, hard: int) -> tuple[int, str]:
    """The proxy's soft limit once it serves, and what it logged."""
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "proxy", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env({"SPOTIFY_PROXY_MAX_STREAMS": "2000"}),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limited(soft, hard),
    )
    try:
        get_json(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 20)
        soft_now = soft_limit_of(process.pid)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    return soft_now, stderr


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_NOFILE)[1] < files_for_streams(2000),
    reason="needs a hard open-files limit above 2256",
)
def test_the_soft_limit_rises_to_what_the_cap_needs(tmp_path: Path) -> None:
    soft, stderr = start_with_limits(tmp_path, 256, files_for_streams(2000) + 100)

    assert soft == files_for_streams(2000)
    assert "open-files limit" not in stderr


def test_a_hard_limit_too_low_is_one_log_line_and_the_proxy_serves(tmp_path: Path) -> None:
    soft, stderr = start_with_limits(tmp_path, 256, 512)

    assert soft == 512
    lines = [line for line in stderr.splitlines() if "open-files limit" in line]
    assert len(lines) == 1
    assert "SPOTIFY_PROXY_MAX_STREAMS" in lines[0]
    assert "Traceback" not in stderr
