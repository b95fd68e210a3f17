"""The metrics listener in a real `mkdocs-spotify proxy` process: a second port in the same
process, absent from the public one; a bad or busy address is one sentence."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.net import free_port
from tests.processes import clean_env
from tests.test_proxy_cli import get_json, run_proxy, serving


def test_metrics_are_served_on_their_own_listener_only(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = clean_env({"SPOTIFY_PROXY_METRICS": f"127.0.0.1:{metrics_port}"})
    with serving(["--demo", "--port", str(port)], tmp_path, env) as process:
        get_json(f"http://127.0.0.1:{port}/v1/now-playing", time.monotonic() + 20)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
            text = r.read().decode()
        with pytest.raises(urllib.error.HTTPError) as public:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
        public.value.close()
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert 'mkdocs_spotify_answers_total{endpoint="now-playing",freshness="fresh"} 1.0' in text
    assert "mkdocs_spotify_redis_errors" not in text  # the demo uses no Redis
    assert public.value.code == 404
    assert f"Serving metrics on http://127.0.0.1:{metrics_port}/metrics" in stderr
    assert "Traceback" not in stderr


def test_a_busy_metrics_port_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        env = clean_env({"SPOTIFY_PROXY_METRICS": f"127.0.0.1:{busy}"})
        result = run_proxy(["--demo", "--port", str(free_port())], env, tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"mkdocs-spotify proxy: SPOTIFY_PROXY_METRICS: cannot listen on 127.0.0.1:{busy} ("
        )
    )
    assert "Traceback" not in result.stderr


def test_a_bad_metrics_address_exits_2(tmp_path: Path) -> None:
    env = clean_env({"SPOTIFY_PROXY_METRICS": "9787"})
    result = run_proxy(["--demo"], env, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mkdocs-spotify proxy: SPOTIFY_PROXY_METRICS is '9787': set it to the address and port "
        "of the metrics listener, such as 127.0.0.1:9787 (keep it off the public network)."
    )
