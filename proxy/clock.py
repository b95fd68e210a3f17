"""The proxy's sense of time, injectable so TTL, 429 and back-off tests never sleep for real."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime


@dataclass
class Clock:
    """Monotonic seconds for durations, wall time for what visitors and owners read."""

    def monotonic(self) -> float:
        return time.monotonic()

    def epoch_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ManualClock(Clock):
    """A clock that moves only when told to (tests, and the benchmark's counting run)."""

    mono: float = 1000.0
    wall_ms: int = 1_780_000_000_000

    def monotonic(self) -> float:
        return self.mono

    def epoch_ms(self) -> int:
        return self.wall_ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall_ms / 1000, UTC)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall_ms += round(seconds * 1000)


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (a naive one is taken as UTC)."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC falls off the calendar
        raise ValueError(f"{value!r} is out of range") from None
    # The grant's expiry (6 months later) must still be a date: doctor and login compute it.
    if parsed.year >= MAXYEAR:
        raise ValueError(f"{value!r} is out of range")
    return parsed
