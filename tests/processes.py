"""Helpers for the processes tests start."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """`preexec_fn` for a child that must see Ctrl-C: a suite started in the background (`make
    test &`) runs with SIGINT ignored, children inherit that, and Python then installs no
    KeyboardInterrupt handler, so tests that press Ctrl-C would see nothing happen."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
