"""The demo session: a believable, endlessly repeating session that always normalises."""

from __future__ import annotations

import itertools
from urllib.parse import unquote

import pytest

from proxy.answers.demo import (
    CYCLE_MS,
    DemoSession,
    demo_recently_played,
    demo_top,
    search_url,
    with_demo_cover,
)
from proxy.answers.demo_art import cover_svg
from proxy.answers.nowplaying import NowPlaying, normalise

START_MS = 1_790_000_000_000
STEP_MS = 250


def answer_at(session: DemoSession, offset_ms: int) -> NowPlaying:
    status, payload = session.reply(START_MS + offset_ms)
    return normalise(status, payload, START_MS + offset_ms)


@pytest.fixture(scope="module")
def cycle() -> list[NowPlaying]:
    """Every answer over one whole cycle, a quarter of a second apart (each one normalised)."""
    session = DemoSession(START_MS)
    return [answer_at(session, offset) for offset in range(0, CYCLE_MS, STEP_MS)]


def test_the_cycle_lasts_under_two_minutes() -> None:
    assert 60_000 <= CYCLE_MS <= 120_000


def test_any_minute_of_watching_shows_every_state_and_a_change(cycle: list[NowPlaying]) -> None:
    minute = 60_000 // STEP_MS
    noticeable = 10_000 // STEP_MS
    looped = cycle + cycle
    for start in range(0, len(cycle), 1_000 // STEP_MS):  # a newcomer arriving any second
        window = looped[start : start + minute]
        statuses = [answer["status"] for answer in window]
        for status in ("playing", "paused", "idle"):
            assert statuses.count(status) >= noticeable, (start * STEP_MS, status)
        titles = [answer["item"]["title"] if answer["item"] else None for answer in window]
        changes = [
            (before, after)
            for before, after in itertools.pairwise(titles)
            if before is not None and after is not None and before != after
        ]
        assert changes, start * STEP_MS


def test_every_state_lasts_long_enough_to_be_seen(cycle: list[NowPlaying]) -> None:
    runs = [
        len(list(run))
        for _, run in itertools.groupby(
            cycle, key=lambda a: (a["status"], a["item"]["title"] if a["item"] else None)
        )
    ]

    assert min(runs) * STEP_MS >= 10_000


def test_the_cycle_repeats_forever() -> None:
    session = DemoSession(START_MS)

    for offset in (0, 10_000, 20_000, 30_000, 45_000, 60_000, 75_000, 90_000, 100_000):
        later = offset + 5 * CYCLE_MS
        assert answer_at(session, offset) | {"fetched_at": 0} == answer_at(session, later) | {
            "fetched_at": 0
        }


def test_the_cycle_plays_several_tracks_by_different_artists(cycle: list[NowPlaying]) -> None:
    tracks = {
        answer["item"]["title"]: answer["item"]
        for answer in cycle
        if answer["item"] is not None and answer["item"]["type"] == "track"
    }

    assert 3 <= len(tracks) <= 4
    artists = {track["artists"][0]["name"] for track in tracks.values()}
    albums = {track["album"]["name"] for track in tracks.values() if track["album"]}
    assert len(artists) == len(tracks)
    assert len(albums) == len(tracks)
    assert any(track["explicit"] for track in tracks.values())
    assert any(len(title) > 60 for title in tracks)
    for track in tracks.values():
        assert 10_000 <= track["duration_ms"] <= 60_000


def test_the_cycle_has_an_episode_credited_to_its_show(cycle: list[NowPlaying]) -> None:
    episodes = [a["item"] for a in cycle if a["item"] and a["item"]["type"] == "episode"]

    assert episodes
    assert episodes[0]["album"] is not None
    assert episodes[0]["artists"][0]["name"] == episodes[0]["album"]["name"]


def test_the_cycle_pauses_with_progress_frozen(cycle: list[NowPlaying]) -> None:
    paused = [answer for answer in cycle if answer["status"] == "paused"]

    assert len(paused) * STEP_MS >= 10_000
    assert all(answer["item"] is not None for answer in paused)
    progress_by_title: dict[str, set[int | None]] = {}
    for answer in paused:
        assert answer["item"] is not None
        progress_by_title.setdefault(answer["item"]["title"], set()).add(answer["progress_ms"])
    assert all(len(progress) == 1 for progress in progress_by_title.values())


def test_the_cycle_goes_idle_with_a_204() -> None:
    session = DemoSession(START_MS)
    replies = [session.reply(START_MS + offset) for offset in range(0, CYCLE_MS, 1_000)]

    idle = [reply for reply in replies if reply == (204, None)]
    assert len(idle) >= 10
    assert all(status in (200, 204) for status, _ in replies)


def test_progress_advances_with_time_and_tracks_roll_over(cycle: list[NowPlaying]) -> None:
    changes = 0
    for before, after in itertools.pairwise(cycle):
        if before["status"] != "playing" or after["status"] != "playing":
            continue
        assert before["item"] is not None
        assert after["item"] is not None
        assert before["progress_ms"] is not None
        assert after["progress_ms"] is not None
        if before["item"]["title"] == after["item"]["title"]:
            assert after["progress_ms"] - before["progress_ms"] == STEP_MS
        else:
            # The previous item was at its end; a next track starts from the beginning (an
            # episode may be picked up where it was left).
            assert before["progress_ms"] + STEP_MS >= before["item"]["duration_ms"]
            if after["item"]["type"] == "track":
                assert after["progress_ms"] < STEP_MS
            changes += 1
    assert changes >= 2


def test_every_moment_normalises_with_search_links_and_no_images(cycle: list[NowPlaying]) -> None:
    statuses = {answer["status"] for answer in cycle}
    assert statuses == {"playing", "paused", "idle"}
    for answer in cycle:
        item = answer["item"]
        if item is None:
            continue
        assert item["album"] is not None
        # Made-up names have no Spotify ids: every link searches Spotify for the name.
        assert item["url"] == search_url(item["title"])
        assert item["album"]["url"] == search_url(item["album"]["name"])
        for artist in item["artists"]:
            assert artist["url"] == search_url(artist["name"])
        # The wire has no images (made-up Spotify URLs would be broken); the covers come after.
        assert item["image"] is None


def test_every_album_of_the_loop_gets_its_own_cover(cycle: list[NowPlaying]) -> None:
    covers: dict[str, set[str]] = {}
    for answer in cycle:
        covered = with_demo_cover(None, answer)
        item = covered["item"]
        if item is None:
            assert covered == answer
            continue
        assert item["album"] is not None
        assert item["image"] is not None
        assert item["image"]["url"].startswith("/v1/demo/covers/")
        assert item["image"]["width"] == item["image"]["height"] == 300
        covers.setdefault(item["album"]["name"], set()).add(item["image"]["url"])
    assert all(len(urls) == 1 for urls in covers.values())
    assert len({url for urls in covers.values() for url in urls}) == len(covers) == 4


@pytest.mark.parametrize("number", range(1, 5))
def test_each_cover_is_a_square_svg_saying_demo(number: int) -> None:
    svg = cover_svg(number)

    assert svg is not None
    assert svg.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"')
    assert b">DEMO<" in svg
    assert b"#1db954" not in svg.lower()  # never Spotify's green


def test_there_are_four_covers() -> None:
    assert cover_svg(0) is None
    assert cover_svg(5) is None


def test_a_session_starts_at_the_first_track_whenever_it_starts() -> None:
    early, late = DemoSession(0), DemoSession(START_MS)

    first = normalise(*late.reply(START_MS), START_MS)
    assert first["status"] == "playing"
    assert first["progress_ms"] == 0
    assert normalise(*early.reply(0), 0)["item"] == first["item"]


def test_a_clock_stepping_back_still_gets_an_answer() -> None:
    session = DemoSession(START_MS)

    status, payload = session.reply(START_MS - 1_000)

    assert normalise(status, payload, START_MS)["status"] in ("playing", "paused", "idle")


def test_editing_a_reply_does_not_change_the_session() -> None:
    session = DemoSession(START_MS)
    _, payload = session.reply(START_MS)
    assert payload is not None
    payload["item"]["name"] = "changed"  # type: ignore[index]

    _, again = session.reply(START_MS)

    assert again is not None
    assert again["item"]["name"] != "changed"  # type: ignore[index]


def test_search_links_quote_the_whole_name() -> None:
    url = search_url("Rust & Neon / B-Sides?")

    assert url.startswith("https://open.spotify.com/search/")
    assert "/" not in url.removeprefix("https://open.spotify.com/search/")
    assert unquote(url.rsplit("/", 1)[1]) == "Rust & Neon / B-Sides?"


def test_the_demo_lists_carry_no_invented_ids() -> None:
    replies = [
        demo_recently_played(START_MS),
        demo_top("tracks", "short_term"),
        demo_top("artists", "long_term"),
    ]

    text = repr(replies)
    assert "open.spotify.com/track/" not in text
    assert "open.spotify.com/artist/" not in text
    assert "spotify:track:" not in text
    assert text.count("https://open.spotify.com/search/") > 20
