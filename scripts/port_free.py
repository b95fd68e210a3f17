"""Exit 0 when HOST:PORT can be bound, 1 when it is taken (for `make demo`'s one-sentence error)."""

from __future__ import annotations

import socket
import sys


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    sys.exit(0 if port_free(sys.argv[1], int(sys.argv[2])) else 1)
