"""The kill switch: `SPOTIFY_PROXY_PRIVATE=1`, or a file named `private` beside the token store.

The file is looked at again at most once a second (not on every request), so creating or
removing it takes effect within a second, without a restart (docs/privacy.md).
"""

from __future__ import annotations

from pathlib import Path

from proxy.clock import Clock

RECHECK_SECONDS = 1.0


class PrivateSwitch:
    def __init__(self, always: bool, path: Path, clock: Clock) -> None:
        self.always = always
        self.path = path
        self.clock = clock
        self._checked_at = float("-inf")
        self._on = False

    def on(self) -> bool:
        if self.always:
            return True
        now = self.clock.monotonic()
        if now - self._checked_at >= RECHECK_SECONDS:
            self._checked_at = now
            try:
                self._on = self.path.exists()
            except OSError:  # an unreadable folder: keep what was known
                pass
        return self._on
