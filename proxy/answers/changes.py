"""Which new now-playing answers a live reader must hear about. Pure.

A reader of the stream holds the last answer sent to it and moves the progress bar itself, so a
new answer matters when the track, the status, `stale` or `last_played` changed, or when the
progress is not where the bar would be by now (a seek, or the same track started again).
"""

from __future__ import annotations

from proxy.answers.cache import Served
from proxy.answers.nowplaying import NowPlaying

# Spotify's progress and our fetch times jitter by a few hundred milliseconds between calls;
# a seek a reader would notice is seconds long.
SEEK_TOLERANCE_MS = 2000


def expected_progress(answer: NowPlaying, at_ms: int) -> int | None:
    """Where the progress bar of `answer` is at `at_ms` (epoch ms), as the widget moves it."""
    progress = answer["progress_ms"]
    if progress is None or answer["status"] != "playing":
        return progress
    return progress + max(0, at_ms - answer["fetched_at"])


def matters(before: Served[NowPlaying], after: Served[NowPlaying]) -> bool:
    """True when a reader who holds `before` must be sent `after`."""
    old, new = before.value, after.value
    if (
        before.stale != after.stale
        or old["status"] != new["status"]
        or old["item"] != new["item"]
        or old["last_played"] != new["last_played"]
    ):
        return True
    expected = expected_progress(old, new["fetched_at"])
    progress = new["progress_ms"]
    if expected is None or progress is None:
        return expected != progress
    return abs(progress - expected) > SEEK_TOLERANCE_MS
