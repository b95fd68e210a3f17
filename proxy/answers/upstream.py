"""Where answers come from: Spotify (or the demo session) and then the one normaliser.

The demo replies in Spotify's wire format and goes through the same normaliser and cache as a
real Spotify reply, so `--demo` exercises everything after the HTTP call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from proxy.answers.cache import Fetch
from proxy.answers.demo import DemoSession
from proxy.answers.nowplaying import NormaliseError, NowPlaying, normalise
from proxy.clock import Clock
from proxy.spotify.errors import UpstreamError

Source = Callable[[], Awaitable[tuple[int, Any]]]


def normalised(source: Source, clock: Clock) -> Fetch[NowPlaying]:
    """The cache's fetch: one upstream reply, normalised to the typed answer."""

    async def fetch() -> NowPlaying:
        status, payload = await source()
        try:
            return normalise(status, payload, clock.epoch_ms())
        except NormaliseError as error:
            raise UpstreamError(f"Spotify's answer could not be read ({error})") from None

    return fetch


def demo_source(clock: Clock) -> Source:
    session = DemoSession(clock.epoch_ms())

    async def reply() -> tuple[int, Any]:
        return session.reply(clock.epoch_ms())

    return reply
