"""What the widget shows and when it asks again: its pure `view(data, config, now)`, in Chromium.

All cases run in one `page.evaluate`; tests/test_widget_states.py and test_widget_timing.py keep
a few of them end to end (real fetches, the page clock, the DOM).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.browser import SharedChromium
from tests.widget_pages import WidgetServer, now_playing, open_tab, track_item

pytestmark = pytest.mark.browser

NOW = 1_800_000_000_000  # epoch ms; every answer below was fetched at NOW unless it says
IDLE_LABEL = "Not playing anything right now"


def playing(duration_s: float, at_s: float | None, **options: Any) -> dict[str, Any]:
    progress = None if at_s is None else int(at_s * 1000)
    item = track_item(duration_ms=int(duration_s * 1000))
    return now_playing(item, progress_ms=progress, fetched_at=NOW, **options)


def idle(**options: Any) -> dict[str, Any]:
    return now_playing(None, fetched_at=NOW, **options)


# (name, answer, attributes, expected: state, label, title, position [ms, running], delay ms)
CASES: list[tuple[str, Any, dict[str, str], tuple[Any, ...]]] = [
    (
        "the next fetch comes just after the track ends",
        playing(200, 190),
        {},
        ("playing", "Now playing", "Pyramid Song", [190000, True], 11000),
    ),
    (
        "a long track is checked for skips every half heartbeat",
        playing(600, 0),
        {},
        ("playing", "Now playing", "Pyramid Song", [0, True], 30000),
    ),
    (
        "never sooner than min-interval",
        playing(200, 199.5),
        {},
        ("playing", "Now playing", "Pyramid Song", [199500, True], 5000),
    ),
    (
        "min-interval wins over half a short heartbeat",
        playing(600, 0),
        {"min-interval": "10", "max-interval": "10"},
        ("playing", "Now playing", "Pyramid Song", [0, True], 10000),
    ),
    (
        "paused: the slow heartbeat",
        now_playing(track_item(), status="paused", fetched_at=NOW),
        {"max-interval": "40"},
        ("paused", "Paused", "Pyramid Song", [60000, False], 40000),
    ),
    (
        "no progress: no position, half a heartbeat",
        playing(600, None),
        {},
        ("playing", "Now playing", "Pyramid Song", None, 30000),
    ),
    (
        "a cached answer is aged by fetched_at",
        {**playing(600, 60), "fetched_at": NOW - 3000},
        {},
        ("playing", "Now playing", "Pyramid Song", [63000, True], 30000),
    ),
    (
        "a fetched_at in the future (clocks disagree) is not used",
        {**playing(600, 60), "fetched_at": NOW + 5000},
        {},
        ("playing", "Now playing", "Pyramid Song", [60000, True], 30000),
    ),
    (
        "a fetched_at older than the heartbeat is not used",
        {**playing(600, 60), "fetched_at": NOW - 120_000},
        {},
        ("playing", "Now playing", "Pyramid Song", [60000, True], 30000),
    ),
    (
        "idle with nothing seen: the message",
        idle(),
        {},
        ("idle", IDLE_LABEL, None, None, 60000),
    ),
    (
        "idle shows the last played item",
        idle(last_played=track_item("Yesterday")),
        {},
        ("last", "Last played", "Yesterday", None, 60000),
    ),
    (
        "idle=message with a custom label",
        idle(last_played=track_item("Yesterday")),
        {"idle": "message", "label-idle": "Stille."},
        ("idle", "Stille.", None, None, 60000),
    ),
    (
        "idle=hide",
        idle(last_played=track_item("Yesterday")),
        {"idle": "hide"},
        ("hidden", IDLE_LABEL, None, None, 60000),
    ),
    (
        "a stale answer that outlived its track is last played",
        {**playing(289, 60, stale=True), "fetched_at": NOW - 600_000},
        {},
        ("last", "Last played", "Pyramid Song", None, 60000),
    ),
    (
        "a recent stale answer still plays",
        {**playing(289, 60, stale=True), "fetched_at": NOW - 2000},
        {},
        ("playing", "Now playing", "Pyramid Song", [62000, True], 30000),
    ),
    (
        "an unknown status is not playing",
        {**playing(289, 60), "status": "buffering"},
        {},
        ("idle", IDLE_LABEL, None, None, 60000),
    ),
    (
        "a blank title is no item",
        now_playing(track_item("   "), fetched_at=NOW),
        {},
        ("idle", IDLE_LABEL, None, None, 60000),
    ),
    (
        "a title that is not text is no item",
        {"status": "playing", "item": {"title": 42, "artists": "nobody"}},
        {},
        ("idle", IDLE_LABEL, None, None, 60000),
    ),
    (
        "an answer that is a list",
        ["not", "an", "object"],
        {},
        ("idle", IDLE_LABEL, None, None, 60000),
    ),
    ("an answer that is null", None, {}, ("idle", IDLE_LABEL, None, None, 60000)),
]

RUN = """async ({ cases, now }) => {
  await customElements.whenDefined("spotify-now-playing");
  const { view, settings } = customElements.get("spotify-now-playing");
  return cases.map(([name, data, attributes]) => {
    const get = (key) => ({ "proxy-url": "/api", ...attributes })[key] ?? null;
    const shown = view(data, settings(get, location.href), now);
    const position = shown.position && [shown.position.ms, shown.position.running];
    return [shown.state, shown.label, shown.item?.title ?? null, position, shown.delay];
  });
}"""


@pytest.fixture(scope="module")
def results(chromium_launcher: SharedChromium) -> Iterator[list[Any]]:
    with WidgetServer().running() as server:
        tab = open_tab(chromium_launcher.browser())
        tab.page.goto(server.url("/"))
        found = tab.page.evaluate(RUN, {"cases": CASES, "now": NOW})
        assert tab.problems == []
        tab.page.context.close()
        yield found


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case[0] for case in CASES])
def test_view(results: list[Any], index: int) -> None:
    assert tuple(results[index]) == CASES[index][3]
