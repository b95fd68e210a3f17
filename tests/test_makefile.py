"""The Makefile's newcomer paths: a busy demo port and a Debian without python3-venv."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_demo_on_a_busy_port_says_which_port_to_use_instead() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            ["make", "-s", "demo", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode != 0
    assert f"port {port} is in use: run 'make demo PORT=8001'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_without_python3_venv_make_says_what_to_install(tmp_path: Path) -> None:
    # A PATH where python3 cannot import venv/ensurepip and apt-get cannot install anything.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {
        "python3": 'case "$*" in *ensurepip*) exit 1;; esac\nexit 0',
        "apt-get": "exit 100",
        "sudo": 'exec "$@"',
    }.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    path = os.pathsep.join([str(bin_dir), str(Path(shutil.which("make") or "make").parent)])
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-s", f"VENV={venv}", f"{venv}/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": path, "HOME": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "install python3-venv (apt-get install python3-venv)" in result.stderr
    assert not venv.exists()
