"""When the widget fetches: end of track, heartbeat, never while hidden, backing off on errors.

Playwright's clock drives the page's timers, so minutes pass in milliseconds; the JSON endpoint
counts every real request that reaches it.
"""

from __future__ import annotations

import time

import pytest

from tests.widget_pages import (
    IDLE_WIDGET,
    Answer,
    Tab,
    WidgetServer,
    now_playing,
    track_item,
)

pytestmark = pytest.mark.browser

# Lets a test hide and show the page; headless Chromium never hides a page by itself.
VISIBILITY = """
window.__setHidden = (hidden) => {
  Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
  Object.defineProperty(document, "visibilityState",
    { value: hidden ? "hidden" : "visible", configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


@pytest.fixture
def tab(tab: Tab) -> Tab:
    """The shared tab, whose visibility and clock the test controls."""
    tab.page.add_init_script(VISIBILITY)
    tab.page.clock.install()
    tab.page.clock.pause_at(time.time() * 1000)  # only the test moves time
    return tab


def settle(server: WidgetServer, tab: Tab, expected: int) -> None:
    """Wait (real time) until `expected` fetches were answered and the widget has handled them."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if tab.finished >= expected and tab.page.evaluate(IDLE_WIDGET):
            break
        tab.page.wait_for_timeout(20)
    assert len(server.hits) == expected


def advance(tab: Tab, seconds: float) -> None:
    """Move the page clock in steps of at most 5 s, each real request handled before the next.

    One long jump could fire a fetch and, within the same jump, its 10 s timeout, aborting the
    request before the server sees it (a flake when a retry fell early in an 11 s jump).
    """
    left = int(seconds * 1000)
    while left > 0:
        step = min(left, 5000)
        tab.page.clock.run_for(step)
        left -= step
        tab.page.wait_for_function(IDLE_WIDGET, timeout=5000)


def test_the_next_fetch_is_timed_to_the_end_of_the_track(server: WidgetServer, tab: Tab) -> None:
    # 200 s track at 190 s: the next fetch comes just after the remaining 10 s.
    server.answer = Answer(body=now_playing(track_item(duration_ms=200000), progress_ms=190000))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")
    settle(server, tab, 1)

    advance(tab, 9)
    settle(server, tab, 1)
    advance(tab, 3)
    settle(server, tab, 2)


def test_a_hidden_tab_stops_fetching_and_resumes_at_once(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(track_item(), status="paused"))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("paused")
    settle(server, tab, 1)

    tab.page.evaluate("window.__setHidden(true)")
    advance(tab, 600)
    settle(server, tab, 1)

    tab.page.evaluate("window.__setHidden(false)")
    settle(server, tab, 2)


@pytest.mark.parametrize("jitter", [0.0, 0.999])
def test_errors_back_off_exponentially(server: WidgetServer, tab: Tab, jitter: float) -> None:
    # The jitter is pinned at both ends of its range, so each retry has one exact due time
    # (a random jitter let a retry fall inside the window the test expected to be quiet).
    tab.page.add_init_script(f"Math.random = () => {jitter};")
    server.answer = Answer(status=503)
    tab.page.goto(server.url("/"))
    settle(server, tab, 1)

    # With min-interval 5 s the n-th retry waits (1 + jitter) * 5 * 2**n / 2 seconds.
    fetches, since_failure = 1, 0.0
    for n in (1, 2, 3):
        due = (1 + jitter) * 5 * 2**n / 2
        advance(tab, due - since_failure - 0.5)
        settle(server, tab, fetches)
        advance(tab, 1)
        fetches += 1
        settle(server, tab, fetches)
        since_failure = 0.5

    # Back in service: the next answer renders and the pace returns to normal.
    server.answer = Answer(body=now_playing(track_item(), status="paused"))
    tab.run_until_state("paused", 90)  # the 4th retry is due within (1 + jitter) * 40 s
    assert all("503" in problem for problem in tab.problems)  # only the browser's network log


def test_progress_moves_locally_between_fetches(server: WidgetServer, tab: Tab) -> None:
    server.answer = Answer(body=now_playing(track_item(duration_ms=100000), progress_ms=10000))
    tab.page.goto(server.url("/"))
    tab.wait_for_state("playing")
    bar = tab.page.locator("spotify-now-playing [role=progressbar]")
    assert bar.get_attribute("aria-valuenow") in ("10", "11")

    advance(tab, 20)
    assert bar.get_attribute("aria-valuenow") in ("30", "31")
    assert len(server.hits) == 1  # moved by the page's own clock, not by fetching
