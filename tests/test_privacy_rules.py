"""The privacy rules on answers (pure, on an injected time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from proxy.answers.lists import recently_played, top_artists, top_tracks
from proxy.answers.nowplaying import normalise
from proxy.answers.privacy import DelayBuffer, Rules
from proxy.settings import PrivacySettings
from tests.fakes import payloads

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
SONG = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
ARTIST = "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"
ALBUM = "spotify:album:1DFixLWuPkv3KT3TnV35m3"
SHOW = "https://open.spotify.com/show/38bS44xjbVVZ3No3ByF1dJ?si=abc"


def playing(item: dict[str, Any], *, is_playing: bool = True) -> dict[str, Any]:
    answer = dict(normalise(200, payloads.currently_playing(item, is_playing=is_playing), 1))
    answer["last_played"] = answer["item"]
    return answer


def rules(**values: Any) -> Rules:
    return Rules(PrivacySettings(**values))


IDLE = {"status": "idle", "item": None, "progress_ms": None}


def idle_part(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: answer[key] for key in IDLE}


def test_no_controls_change_nothing() -> None:
    answer = playing(payloads.track())
    assert rules().now_playing(answer, NOW, private=False) == answer


@pytest.mark.parametrize(
    ("controls", "item"),
    [
        ({"hide_explicit": True}, payloads.track(explicit=True)),
        ({"hide_episodes": True}, payloads.episode()),
        ({"block": frozenset({"track:4uLU6hMCjMI75M1A2tKUQC"})}, payloads.track()),
        ({"block": frozenset({"artist:0OdUWJ0sBjDrqHygGUXeCF"})}, payloads.track()),
        ({"block": frozenset({"album:1DFixLWuPkv3KT3TnV35m3"})}, payloads.track()),
        ({"block": frozenset({"show:38bS44xjbVVZ3No3ByF1dJ"})}, payloads.episode()),
    ],
)
def test_a_hidden_item_reads_as_idle_and_never_as_last_played(
    controls: dict[str, Any], item: dict[str, Any]
) -> None:
    filtered = rules(**controls).now_playing(playing(item), NOW, private=False)
    assert idle_part(filtered) == IDLE
    assert filtered["last_played"] is None
    assert "hidden" not in str(filtered)


def test_controls_leave_other_items_alone() -> None:
    controls = rules(
        hide_explicit=True, hide_episodes=True, block=frozenset({"track:0000000000000000000000"})
    )
    answer = playing(payloads.track())
    assert controls.now_playing(answer, NOW, private=False) == answer


def test_hide_paused_reads_a_paused_player_as_idle() -> None:
    paused = playing(payloads.track(), is_playing=False)
    assert idle_part(rules(hide_paused=True).now_playing(paused, NOW, False)) == IDLE
    assert rules().now_playing(paused, NOW, False)["status"] == "paused"


@pytest.mark.parametrize(
    ("hours", "zone", "utc_time", "quiet"),
    [
        (((23 * 60, 7 * 60),), "UTC", (23, 30), True),
        (((23 * 60, 7 * 60),), "UTC", (6, 59), True),
        (((23 * 60, 7 * 60),), "UTC", (7, 0), False),
        (((23 * 60, 7 * 60),), "UTC", (22, 59), False),
        (((23 * 60, 7 * 60),), "Europe/Berlin", (22, 30), True),  # 23:30 in Berlin (summer +2)
        (((23 * 60, 7 * 60),), "Europe/Berlin", (5, 30), False),  # 07:30 in Berlin
        (((12 * 60, 13 * 60), (1 * 60, 2 * 60)), "UTC", (1, 15), True),
        (((12 * 60, 13 * 60), (1 * 60, 2 * 60)), "UTC", (13, 0), False),
    ],
)
def test_quiet_hours_in_the_configured_zone(
    hours: tuple[tuple[int, int], ...], zone: str, utc_time: tuple[int, int], quiet: bool
) -> None:
    now = NOW.replace(hour=utc_time[0], minute=utc_time[1])
    controls = rules(quiet_hours=hours, timezone=zone)
    answer = playing(payloads.track())
    filtered = controls.now_playing(answer, now, private=False)
    assert (idle_part(filtered) == IDLE) is quiet
    # What was heard before the quiet hours may still show as last played.
    assert filtered["last_played"] == answer["last_played"]


def test_private_empties_everything() -> None:
    answer = playing(payloads.track())
    filtered = rules().now_playing(answer, NOW, private=True)
    assert idle_part(filtered) == IDLE
    assert filtered["last_played"] is None
    recent = recently_played(200, payloads.recently_played(payloads.track()), 1)
    assert rules().items(dict(recent), 10, private=True)["items"] == []


def test_lists_are_filtered_then_cut_to_the_limit() -> None:
    tracks = [payloads.track(f"Song {n}", explicit=n % 2 == 0) for n in range(10)]
    answer = dict(top_tracks(200, {"items": tracks}, 1, "short_term"))
    kept = rules(hide_explicit=True).items(answer, 3, private=False)["items"]
    assert [item["title"] for item in kept] == ["Song 1", "Song 3", "Song 5"]
    assert len(rules().items(answer, 3, private=False)["items"]) == 3


def test_blocked_artists_leave_the_top_artists_and_their_tracks() -> None:
    artist = {"name": "Blocked", "external_urls": {"spotify": ARTIST}, "images": []}
    other = {"name": "Other", "external_urls": {}, "images": []}
    control = rules(block=frozenset({"artist:0OdUWJ0sBjDrqHygGUXeCF"}))
    artists = dict(top_artists(200, {"items": [artist, other]}, 1, "long_term"))
    assert [a["name"] for a in control.items(artists, 10, False)["items"]] == ["Other"]
    recent = dict(recently_played(200, payloads.recently_played(payloads.track()), 1))
    assert control.items(recent, 10, False)["items"] == []


def test_the_delay_buffer_shows_the_past_never_the_present() -> None:
    buffer = DelayBuffer(delay_ms=60_000)
    first = {"status": "playing", "fetched_at": 1_000, "item": "old"}
    second = {"status": "playing", "fetched_at": 40_000, "item": "new"}
    buffer.push(first)
    assert buffer.at(1_000) is None  # nothing is a minute old yet
    buffer.push(second)
    assert buffer.at(60_999) is None
    assert buffer.at(61_000) == {**first, "fetched_at": 61_000}
    assert buffer.at(99_999) == {**first, "fetched_at": 61_000}
    assert buffer.at(100_000) == {**second, "fetched_at": 100_000}
    assert buffer.at(500_000) == {**second, "fetched_at": 100_000}
