"""The pure rules behind the live stream: which answers matter, when the next call is due."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from proxy.answers.cache import Action, Served, decide, next_start_in
from proxy.answers.changes import SEEK_TOLERANCE_MS, matters
from proxy.answers.encoding import render_json
from proxy.answers.nowplaying import NowPlaying, normalise
from tests.fakes import payloads

T0 = 1_780_000_000_000


def answer(
    title: str | None = "Song", *, playing: bool = True, progress: int = 10_000, at: int = T0
) -> NowPlaying:
    item = payloads.track(title, duration_ms=600_000) if title else None
    reply = payloads.currently_playing(item, is_playing=playing, progress_ms=progress)
    value = normalise(200, reply, at)
    return {**value, "last_played": value["item"]}


def served(value: NowPlaying, stale: bool = False) -> Served[NowPlaying]:
    return Served(value, stale, render_json(value, stale))


def test_progress_moving_with_the_clock_does_not_matter() -> None:
    before = answer(progress=10_000)
    assert not matters(served(before), served(answer(progress=15_000, at=T0 + 5_000)))
    assert not matters(served(before), served(answer(progress=16_500, at=T0 + 5_000)))


def test_a_seek_or_a_restart_matters() -> None:
    before = answer(progress=10_000)
    later = T0 + 5_000
    assert matters(served(before), served(answer(progress=15_000 + 60_000, at=later)))
    assert matters(served(before), served(answer(progress=0, at=later)))
    jump = 15_000 + SEEK_TOLERANCE_MS + 1
    assert matters(served(before), served(answer(progress=jump, at=later)))


def test_a_paused_bar_stays_put() -> None:
    before = answer(playing=False, progress=10_000)
    assert not matters(
        served(before), served(answer(playing=False, progress=10_000, at=T0 + 60_000))
    )
    assert matters(served(before), served(answer(playing=False, progress=40_000, at=T0 + 60_000)))


def test_track_status_stale_and_last_played_matter() -> None:
    base = answer()
    assert matters(served(base), served(answer("Other")))
    assert matters(served(base), served(answer(playing=False)))
    assert matters(served(base), served(base, stale=True))
    assert matters(served(base), served({**base, "last_played": None}))
    assert not matters(served(base), served(base))


@given(
    now=st.floats(0, 1e6),
    last=st.one_of(st.none(), st.floats(0, 1e6)),
    ttl=st.floats(0.5, 3600),
    not_before=st.one_of(st.just(float("-inf")), st.floats(0, 2e6)),
)
def test_next_start_in_points_at_the_first_moment_decide_starts_a_call(
    now: float, last: float | None, ttl: float, not_before: float
) -> None:
    wait = next_start_in(now, last, ttl, not_before)
    assert wait >= 0
    assert decide(now + wait + 1e-6, last, ttl, not_before, False) is Action.START
    if wait > 1e-3:
        assert decide(now + wait - 1e-3, last, ttl, not_before, False) is Action.SERVE
