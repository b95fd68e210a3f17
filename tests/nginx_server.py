"""A real nginx (Debian's, installed by `make system`) run without root from a test's folder."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

NGINX = "/usr/sbin/nginx"  # installed by `make system`


def conf(folder: Path, http_body: str) -> str:
    """A whole nginx.conf around `http_body`; every path nginx writes lives in `folder`."""
    return f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{http_body}
}}
"""


@contextmanager
def running_nginx(folder: Path, http_body: str, ports: Sequence[int]) -> Iterator[None]:
    """nginx with `http_body`, until the block ends; returns once every port accepts."""
    config = folder / "nginx.conf"
    config.write_text(conf(folder, http_body))
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log = (folder / "error.log").read_text()
                        raise AssertionError(f"nginx did not start: {log}") from None
                    time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(10)
