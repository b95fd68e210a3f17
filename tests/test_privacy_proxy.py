"""Every privacy control on every endpoint of a running proxy, on an injected clock."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from proxy.clock import ManualClock
from proxy.settings import PrivacySettings, Settings
from tests.conftest import ProxyClient, StartProxy
from tests.fakes import payloads
from tests.fakes.spotify import FakeSpotify, Reply

ENDPOINTS = ("/v1/recently-played", "/v1/top/tracks", "/v1/top/artists")
SONG_ID = "4uLU6hMCjMI75M1A2tKUQC"  # payloads.track()'s id
ARTIST_ID = "0OdUWJ0sBjDrqHygGUXeCF"  # payloads.track()'s artist
ARTIST_URL = f"https://open.spotify.com/artist/{ARTIST_ID}"


def with_privacy(settings: Settings, **controls: Any) -> Settings:
    return replace(settings, privacy=PrivacySettings(**controls))


async def everything(client: ProxyClient) -> dict[str, Any]:
    answers = {path: await (await client.get(path)).json() for path in ENDPOINTS}
    answers["now"] = await (await client.get("/v1/now-playing")).json()
    return answers


def assert_nothing_shows(answers: dict[str, Any]) -> None:
    now = answers["now"]
    assert (now["status"], now["item"], now["progress_ms"], now["last_played"]) == (
        "idle",
        None,
        None,
        None,
    )
    for path in ENDPOINTS:
        assert answers[path]["items"] == []


def switch(path: Path, *, on: bool) -> None:
    """What the owner does: `touch private` beside the token store, or `rm private`."""
    if on:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    else:
        path.unlink()


@pytest.fixture
def owner(fake_spotify: FakeSpotify, owner_settings: Settings) -> Settings:
    fake_spotify.recently_played = Reply(200, payloads.recently_played(payloads.track("Mine")))
    fake_spotify.top = Reply(200, {"items": [payloads.track("Mine")]})
    return owner_settings


@pytest.mark.parametrize(
    ("controls", "item"),
    [
        ({"hide_explicit": True}, payloads.track("Mine", explicit=True)),
        ({"hide_episodes": True}, payloads.episode("Mine")),
        ({"block": frozenset({f"track:{SONG_ID}"})}, payloads.track("Mine")),
        ({"block": frozenset({f"artist:{ARTIST_ID}"})}, payloads.track("Mine")),
    ],
    ids=["explicit", "episodes", "block-track", "block-artist"],
)
async def test_hidden_items_leave_no_trace_on_any_endpoint(
    fake_spotify: FakeSpotify,
    owner: Settings,
    start_proxy: StartProxy,
    controls: dict[str, Any],
    item: dict[str, Any],
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(item))
    fake_spotify.recently_played = Reply(200, payloads.recently_played(item))
    top_item = item if item["type"] == "track" else payloads.track("Other", explicit=True)
    fake_spotify.top = Reply(200, {"items": [top_item]})
    artist = {"name": "Artist", "external_urls": {"spotify": ARTIST_URL}, "images": []}
    fake_spotify.top_artists = Reply(200, {"items": [artist]})
    client = await start_proxy(with_privacy(owner, **controls))
    answers = await everything(client)
    now = answers["now"]
    assert now["status"] == "idle"
    assert now["item"] is None
    assert now["last_played"] is None
    assert answers["/v1/recently-played"]["items"] == []
    if item["type"] == "track":
        assert answers["/v1/top/tracks"]["items"] == []
    blocks_artist = "block" in controls and "artist" in next(iter(controls["block"]))
    top_artists = answers["/v1/top/artists"]["items"]
    assert top_artists == (
        [] if blocks_artist else [{"name": "Artist", "url": ARTIST_URL, "image": None}]
    )
    assert "hidden" not in str(answers)


async def test_without_controls_the_same_items_show(
    fake_spotify: FakeSpotify, owner: Settings, start_proxy: StartProxy
) -> None:
    client = await start_proxy(owner)
    answers = await everything(client)
    assert answers["now"]["status"] == "playing"
    assert all(len(answers[path]["items"]) == 1 for path in ENDPOINTS)


async def test_a_paused_player_reads_as_idle(
    fake_spotify: FakeSpotify, owner: Settings, start_proxy: StartProxy
) -> None:
    fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track(), is_playing=False))
    client = await start_proxy(with_privacy(owner, hide_paused=True))
    now = await (await client.get("/v1/now-playing")).json()
    assert (now["status"], now["item"]) == ("idle", None)


async def test_quiet_hours_in_the_owners_zone(
    fake_spotify: FakeSpotify, owner: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    # The manual clock starts at 20:26 UTC, 22:26 in Berlin (summer time).
    assert clock.now().hour == 20
    settings = with_privacy(owner, quiet_hours=((22 * 60, 23 * 60),), timezone="Europe/Berlin")
    client = await start_proxy(settings, clock)
    quiet = await (await client.get("/v1/now-playing")).json()
    assert (quiet["status"], quiet["item"], quiet["last_played"]) == ("idle", None, None)
    clock.advance(3600)
    awake = await (await client.get("/v1/now-playing")).json()
    assert awake["status"] == "playing"
    assert awake["item"]["title"] == "Song"


async def test_the_delay_buffer_shows_the_past_never_the_present(
    fake_spotify: FakeSpotify, owner: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(with_privacy(owner, delay_minutes=1), clock)

    async def title_at(playing: str) -> tuple[str | None, str | None]:
        fake_spotify.player = Reply(200, payloads.currently_playing(payloads.track(playing)))
        data = await (await client.get("/v1/now-playing")).json()
        item, last = data["item"], data["last_played"]
        return (item and item["title"], last and last["title"])

    assert await title_at("First") == (None, None)  # nothing a minute old yet
    clock.advance(30)
    assert await title_at("Second") == (None, None)  # "First" is 30 s old: still too new
    clock.advance(31)
    assert await title_at("Third") == ("First", "First")
    clock.advance(30)
    assert await title_at("Fourth") == ("Second", "Second")
    data = await (await client.get("/v1/now-playing")).json()
    assert data["fetched_at"] == clock.epoch_ms() - 91_000 + 30_000 + 60_000


async def test_the_private_file_switches_everything_off_without_a_restart(
    fake_spotify: FakeSpotify, owner: Settings, start_proxy: StartProxy, clock: ManualClock
) -> None:
    client = await start_proxy(owner, clock)
    before = await everything(client)
    assert before["now"]["status"] == "playing"
    switch(owner.private_file, on=True)
    clock.advance(1.1)
    assert_nothing_shows(await everything(client))
    clock.advance(10)  # new answers from Spotify while private never become last_played
    assert_nothing_shows(await everything(client))
    switch(owner.private_file, on=False)
    clock.advance(10)
    after = await everything(client)
    assert after["now"]["status"] == "playing"
    assert all(len(after[path]["items"]) == 1 for path in ENDPOINTS)


async def test_the_private_setting(
    fake_spotify: FakeSpotify, owner: Settings, start_proxy: StartProxy
) -> None:
    client = await start_proxy(with_privacy(owner, private=True))
    assert_nothing_shows(await everything(client))
