"""The widget on the proxy's stream (server-sent events), and back to polling when it fails.

The test server speaks the stream as the proxy does: the whole answer as `event: now-playing` on
connect and on every change. tests/test_widget_proxy.py runs the widget on the real proxy.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.test_widget_timing import VISIBILITY
from tests.widget_pages import Answer, Tab, WidgetServer, now_playing, track_item, until

pytestmark = pytest.mark.browser

LIVE = {"proxy-url": "/api", "min-interval": "2", "max-interval": "4"}
# Without the stream a playing track is fetched every 2 s: half of max-interval, not below
# min-interval.
POLL = 2
# The stream is tried again on the first poll after its back-off, 2-4 s after its first failure,
# 4-8 s after its second (at most two fit in the tests' polling phases): within 8 s + POLL.
STREAM_BACK_OFF = 20
# Page seconds with the stream open in which not one fetch may come: five polls' worth, and well
# below the 45 s of silence after which the widget checks a stream with a fetch.
QUIET = 10


@pytest.fixture
def tab(tab: Tab) -> Tab:
    """The shared tab, whose visibility the test controls."""
    tab.page.add_init_script(VISIBILITY)
    return tab


@pytest.fixture
def live(server: WidgetServer) -> WidgetServer:
    server.attributes = dict(LIVE)
    server.answer = Answer(body=now_playing(track_item("First", duration_ms=600000), progress_ms=0))
    return server


def track(title: str) -> Answer:
    return Answer(body=now_playing(track_item(title, duration_ms=600000), progress_ms=0))


def shows(tab: Tab, title: str) -> Callable[[], bool]:
    return lambda: tab.page.locator("spotify-now-playing .snp-title").inner_text() == title


def test_after_the_first_fetch_changes_arrive_by_the_stream(live: WidgetServer, tab: Tab) -> None:
    tab.page.goto(live.url("/"))
    tab.wait_for_state("playing")
    until(lambda: live.streams_open == 1, tab)
    assert len(live.hits) == 1  # fetched and rendered first

    live.answer = track("Skipped To")
    took = until(shows(tab, "Skipped To"), tab, seconds=2)
    print(f"a skip showed {took:.2f} s after the proxy had it")
    assert len(live.hits) == 1
    assert "Skipped To" in tab.page.locator("spotify-now-playing [aria-live]").inner_text()
    assert (live.streams_opened, live.streams_open) == (1, 1)
    assert tab.problems == []


def test_a_refused_stream_falls_back_to_polling_and_comes_back(
    live: WidgetServer, tab: Tab
) -> None:
    tab.pause_clock()
    tab.page.goto(live.url("/"))
    until(lambda: live.streams_open == 1, tab)

    # The proxy ends the stream and refuses new ones (503, its cap): the widget polls.
    live.stream_status = 503
    live.stream_generation += 1
    live.answer = track("Polled")
    until(shows(tab, "Polled"), tab)
    hits = len(live.hits)
    tab.advance(2 * POLL)  # two polls, the stream's retries on top: today's timing rules
    assert len(live.hits) >= hits + 2
    assert live.streams_open == 0

    # Streams are welcome again: after its back-off the widget listens, and stops polling.
    live.stream_status = 200
    tab.advance_until(lambda: live.streams_open == 1, seconds=STREAM_BACK_OFF)
    live.answer = track("Streamed Again")
    until(shows(tab, "Streamed Again"), tab, seconds=2)  # by the stream: the clock stands still
    hits = len(live.hits)
    tab.advance(QUIET)
    assert len(live.hits) == hits
    assert [p for p in tab.problems if "503" not in p] == []


def test_a_dead_proxy_means_polling_with_back_off_then_the_stream_again(
    live: WidgetServer, tab: Tab
) -> None:
    tab.pause_clock()
    tab.page.goto(live.url("/"))
    until(lambda: live.streams_open == 1, tab)

    live.answer = Answer(status=503)  # the stream ends; every request fails
    live.stream_generation += 1
    tab.wait_for_state("offline")
    assert live.streams_open == 0

    # Retries back off: 2-4 s, then 4-8 s more, then 8-16 s more, so exactly two in the next
    # 13 s, where polling every 2 s would have made six.
    hits = len(live.hits)
    tab.advance(13)
    assert len(live.hits) == hits + 2

    live.answer = track("Back")
    # The third retry comes 1-15 s later.
    tab.advance_until(shows(tab, "Back"), seconds=16)
    tab.advance_until(lambda: live.streams_open == 1, seconds=STREAM_BACK_OFF)
    assert [p for p in tab.problems if "503" not in p] == []


def test_a_silent_stream_is_checked_and_dropped_when_it_missed_news(
    live: WidgetServer, tab: Tab
) -> None:
    live.attributes["max-interval"] = "60"
    tab.page.clock.install()
    tab.page.goto(live.url("/"))
    until(lambda: live.streams_open == 1, tab)

    # Silence with nothing new: one check, and the stream stays.
    tab.page.clock.run_for(46_000)
    until(lambda: len(live.hits) == 2, tab)
    tab.page.wait_for_timeout(200)
    assert live.streams_open == 1

    # A reverse proxy starts buffering: the next check finds news, and the widget polls.
    live.stream_frozen = True
    live.answer = track("Missed")
    tab.page.clock.run_for(46_000)
    until(shows(tab, "Missed"), tab)
    until(lambda: live.streams_open == 0, tab)
    assert tab.problems == []


def test_a_hidden_tab_closes_the_stream_and_reopens_it(live: WidgetServer, tab: Tab) -> None:
    tab.page.goto(live.url("/"))
    until(lambda: live.streams_open == 1, tab)

    tab.page.evaluate("window.__setHidden(true)")
    until(lambda: live.streams_open == 0, tab)
    live.answer = track("While Away")
    tab.page.wait_for_timeout(300)
    assert len(live.hits) == 1

    tab.page.evaluate("window.__setHidden(false)")
    until(shows(tab, "While Away"), tab)
    until(lambda: live.streams_open == 1, tab)
    assert (len(live.hits), live.streams_opened) == (2, 2)


def test_live_off_keeps_polling_only(live: WidgetServer, tab: Tab) -> None:
    live.attributes["live"] = "off"
    tab.pause_clock()
    tab.page.goto(live.url("/"))
    tab.wait_for_state("playing")
    live.answer = track("Polled")
    tab.advance_until(shows(tab, "Polled"), seconds=POLL)
    assert live.streams_opened == 0
