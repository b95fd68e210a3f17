"""The now-playing answer's `last_played`: the last item seen, for the idle widget. Pure.

A step of the answer pipeline (see `proxy.answers.cache`): it runs after the privacy filters, so
an item they hide never becomes `last_played` either.
"""

from __future__ import annotations

from proxy.answers.nowplaying import NowPlaying


def carry_last_played(previous: NowPlaying | None, new: NowPlaying) -> NowPlaying:
    """`new` with `last_played` = its item, or the previous answer's when nothing plays now."""
    if new["item"] is not None:
        return {**new, "last_played": new["item"]}
    return {**new, "last_played": None if previous is None else previous["last_played"]}
