"""The process's open-files limit, raised toward what the stream cap needs.

Every live stream holds a socket, and a socket is an open file: 10,000 streams need more than
the 1,024 many systems start a process with. The soft limit may rise up to the hard limit
without privileges (https://man7.org/linux/man-pages/man2/getrlimit.2.html).
"""

from __future__ import annotations

import resource

# Files the proxy needs besides its streams: listening sockets, Spotify calls, logs, visitors'
# plain GETs.
HEADROOM = 256


def raise_open_files_limit(wanted: int) -> tuple[int, int]:
    """Raise the soft limit toward `wanted`; returns (soft, hard) as they are afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # the caller sees the unchanged limit and says what to do
    return soft, hard


def files_for_streams(max_streams: int) -> int:
    return max_streams + HEADROOM
