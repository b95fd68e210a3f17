"""Helpers for the processes tests start."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping


def default_sigint() -> None:
    """`preexec_fn` for a child that must see Ctrl-C: a suite started in the background (`make
    test &`) runs with SIGINT ignored, children inherit that, and Python then installs no
    KeyboardInterrupt handler, so tests that press Ctrl-C would see nothing happen."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def clean_env(extra: Mapping[str, str] | None = None, *, minimal: bool = False) -> dict[str, str]:
    """The environment for a child process, without the Spotify settings of the machine running
    the tests. `minimal` keeps only what a program needs to run (no DISPLAY or BROWSER, so a login
    never opens a browser); coverage's variables always pass, so children are measured too."""
    if minimal:
        env = {k: v for k, v in os.environ.items() if k in _MINIMAL or k.startswith("COVERAGE")}
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIFY_")}
    env.update(extra or {})
    return env


_MINIMAL = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
