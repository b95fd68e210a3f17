"""The owner's privacy controls applied to answers before they are cached. Pure: no I/O.

A hidden item reads exactly like nothing (docs/privacy.md): now playing turns idle, a list simply
lacks the entry. Nothing in an answer says that something was hidden. The settings come from
`proxy.settings.PrivacySettings`; the `private` switch (which can flip without a restart) is
passed in by the caller on every call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo

from proxy.answers.nowplaying import NowPlaying
from proxy.clock import Clock
from proxy.settings import PrivacySettings, block_key

NowPlayingStep = Callable[[NowPlaying | None, NowPlaying], NowPlaying]


class Rules:
    """PrivacySettings made ready to apply: the time zone loaded once."""

    def __init__(self, settings: PrivacySettings) -> None:
        self.settings = settings
        self.zone: tzinfo | None = ZoneInfo(settings.timezone) if settings.timezone else None

    def quiet_at(self, now: datetime) -> bool:
        """Whether `now` (an aware datetime) falls in one of the quiet hours."""
        if not self.settings.quiet_hours:
            return False
        local = now.astimezone(self.zone)  # None: the machine's zone
        minute = local.hour * 60 + local.minute
        return any(
            (start <= minute < end) if start < end else (minute >= start or minute < end)
            for start, end in self.settings.quiet_hours
        )

    def shows_item(self, item: dict[str, Any]) -> bool:
        """Whether a track or episode (the answers' item shape) may leave the proxy."""
        rules = self.settings
        if rules.hide_explicit and item.get("explicit") is True:
            return False
        if rules.hide_episodes and item.get("type") != "track":
            return False
        return not (rules.block and self._blocked(item))

    def shows_artist(self, artist: dict[str, Any]) -> bool:
        return not (self.settings.block and _key(artist.get("url")) in self.settings.block)

    def now_playing(self, answer: dict[str, Any], now: datetime, private: bool) -> dict[str, Any]:
        """A now-playing answer (with or without `last_played`) as visitors may see it."""
        item = answer.get("item")
        visible = not (
            private
            or self.quiet_at(now)
            or (self.settings.hide_paused and answer.get("status") == "paused")
            or (item is not None and not self.shows_item(item))
        )
        filtered = answer if visible else {**answer, "status": "idle", "item": None}
        if not visible:
            filtered["progress_ms"] = None
        last = filtered.get("last_played")
        if last is not None and (private or not self.shows_item(last)):
            filtered = {**filtered, "last_played": None}
        return filtered

    def items(self, answer: dict[str, Any], limit: int, private: bool) -> dict[str, Any]:
        """A list answer (tracks, played tracks or artists) filtered, then cut to `limit`."""
        if private:
            return {**answer, "items": []}
        kept = [
            entry
            for entry in answer.get("items", [])
            if (self.shows_item(entry) if "type" in entry else self.shows_artist(entry))
        ]
        return {**answer, "items": kept[:limit]}

    def _blocked(self, item: dict[str, Any]) -> bool:
        urls = [item.get("url")]
        urls += [artist.get("url") for artist in item.get("artists") or []]
        album = item.get("album")
        if album is not None:
            urls.append(album.get("url"))
        block = self.settings.block
        return any(_key(url) in block for url in urls)


def _key(url: object) -> str | None:
    return block_key(url) if isinstance(url, str) else None


class DelayBuffer:
    """Now-playing answers kept for `delay_ms`, so visitors see the past, never the present.

    `push` records each new answer with the wall time it was fetched; `at(now)` is the newest
    answer at least `delay_ms` old, re-dated as if fetched `delay_ms` later (so a widget moves
    its progress bar along the delayed timeline), or None when nothing is that old yet.
    """

    def __init__(self, delay_ms: int) -> None:
        self.delay_ms = delay_ms
        self._entries: deque[dict[str, Any]] = deque()

    def push(self, answer: dict[str, Any]) -> None:
        self._entries.append(answer)

    def at(self, now_ms: int) -> dict[str, Any] | None:
        cutoff = now_ms - self.delay_ms
        # Drop what a newer, old-enough answer has replaced: memory stays bounded by the
        # answers of one delay window.
        while len(self._entries) > 1 and self._entries[1]["fetched_at"] <= cutoff:
            self._entries.popleft()
        if not self._entries or self._entries[0]["fetched_at"] > cutoff:
            return None
        past = self._entries[0]
        return {**past, "fetched_at": past["fetched_at"] + self.delay_ms}


def privacy_step(rules: Rules, clock: Clock, private: Callable[[], bool]) -> NowPlayingStep:
    """The answer pipeline's first step: what the rules hide never reaches the cache, the delay
    buffer or `last_played`."""

    def step(previous: NowPlaying | None, new: NowPlaying) -> NowPlaying:
        filtered = rules.now_playing(cast(dict[str, Any], new), clock.now(), private())
        return cast(NowPlaying, filtered)

    return step


def delay_step(buffer: DelayBuffer) -> NowPlayingStep:
    """Replace each new answer with the one `buffer.delay_ms` older (idle until there is one)."""

    def step(previous: NowPlaying | None, new: NowPlaying) -> NowPlaying:
        buffer.push(cast(dict[str, Any], new))
        past = buffer.at(new["fetched_at"])
        if past is None:
            return {**new, "status": "idle", "item": None, "progress_ms": None}
        return cast(NowPlaying, past)

    return step
