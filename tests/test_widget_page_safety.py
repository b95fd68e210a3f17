"""The widget cannot hurt its page: strict CSP, no layout shift, reduced motion, keyboard."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Browser

from tests.widget_pages import (
    STRICT_CSP,
    Answer,
    Tab,
    WidgetServer,
    now_playing,
    open_tab,
    track_item,
)

pytestmark = pytest.mark.browser

# Records CSP violations and layout shifts from the very start of the page.
OBSERVERS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__csp.push(event.violatedDirective + " " + event.blockedURI));
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__shift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


def open_observed(browser: Browser, **options: object) -> Tab:
    tab = open_tab(browser, **options)
    tab.page.add_init_script(OBSERVERS)
    return tab


def test_a_strict_csp_page_renders_the_widget_without_violations(browser: Browser) -> None:
    with WidgetServer(csp=STRICT_CSP).running() as server:
        tab = open_observed(browser)
        tab.page.goto(server.url("/"))
        tab.wait_for_state("playing")
        widget = tab.page.locator("spotify-now-playing")
        assert widget.locator(".snp-title").inner_text() == "Pyramid Song"
        image = widget.locator("img")
        image.evaluate("img => img.decode()")  # the allowed image host really loaded
        fill = widget.locator(".snp-fill").evaluate("el => getComputedStyle(el).transform")
        assert fill not in ("none", "matrix(0, 0, 0, 1, 0, 0)")  # progress set through CSSOM
        assert tab.page.evaluate("window.__csp") == []
        assert tab.problems == []
        tab.page.context.close()


def test_no_layout_shift_when_data_arrives_late(browser: Browser) -> None:
    with WidgetServer().running() as server:
        # Held until the page is measured, however busy the machine.
        data = threading.Event()
        server.answer = Answer(body=now_playing(track_item()), gate=data)
        tab = open_observed(browser)
        tab.page.goto(server.url("/"))
        below = tab.page.locator("#below")
        widget = tab.page.locator("spotify-now-playing")
        before = (widget.bounding_box(), below.bounding_box())
        assert widget.get_attribute("data-state") is None  # measured before the data came
        data.set()
        tab.wait_for_state("playing")
        tab.page.wait_for_timeout(100)
        assert (widget.bounding_box(), below.bounding_box()) == before
        assert tab.page.evaluate("window.__shift") == 0
        tab.page.context.close()


def test_reduced_motion_turns_the_progress_transition_off(browser: Browser) -> None:
    transition = "el => getComputedStyle(el).transitionDuration"
    with WidgetServer().running() as server:
        for motion, expected in (("no-preference", "1s"), ("reduce", "0s")):
            tab = open_tab(browser, reduced_motion=motion)
            tab.page.goto(server.url("/"))
            tab.wait_for_state("playing")
            fill = tab.page.locator("spotify-now-playing .snp-fill")
            assert fill.evaluate(transition) == expected, motion
            tab.page.context.close()


def test_every_link_is_reachable_by_keyboard(browser: Browser) -> None:
    with WidgetServer().running() as server:
        tab = open_tab(browser)
        tab.page.goto(server.url("/"))
        tab.wait_for_state("playing")
        focused = []
        for _ in range(5):
            tab.page.keyboard.press("Tab")
            focused.append(tab.page.evaluate("document.activeElement.className"))
        # album art, title, artist (no class), the Spotify logo
        assert focused[:4] == ["snp-art", "snp-title", "", "snp-logo"]
        bar = tab.page.locator("spotify-now-playing [role=progressbar]")
        assert bar.get_attribute("aria-label") == "Now playing"
        assert bar.get_attribute("aria-valuenow") is not None
        tab.page.context.close()


# Where the keyboard focus is: "<class or 'artist'>: <text>" inside the widget, else its tag.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element.closest("spotify-now-playing")) return "outside: " + element.tagName;
  return (element.className || "artist") + ": " + element.textContent;
}"""


def test_keyboard_focus_survives_a_track_change_on_the_equivalent_link(browser: Browser) -> None:
    def track(title: str, *artists: str) -> Answer:
        url = f"https://open.spotify.com/track/{title.split()[0]}"
        return Answer(body=now_playing(track_item(title, artists=artists, url=url)))

    def change_track(server: WidgetServer, tab: Tab, answer: Answer) -> None:
        server.answer = answer
        tab.page.clock.run_for(31000)  # past the next fetch (half of the 60 s heartbeat)
        title = answer.body["item"]["title"]
        tab.page.locator("spotify-now-playing .snp-title", has_text=title).wait_for()

    with WidgetServer().running() as server:
        server.answer = track("First Song", "Ann", "Bob")
        tab = open_tab(browser)
        tab.page.clock.install()
        tab.page.goto(server.url("/"))
        tab.wait_for_state("playing")
        for _ in range(4):  # album art, title, first artist, second artist
            tab.page.keyboard.press("Tab")
        assert tab.page.evaluate(FOCUSED) == "artist: Bob"

        change_track(server, tab, track("Second Song", "Cat", "Dan"))
        assert tab.page.evaluate(FOCUSED) == "artist: Dan"  # the new second artist

        tab.page.keyboard.press("Tab")
        assert tab.page.evaluate(FOCUSED) == "snp-logo: "
        change_track(server, tab, track("Third Song", "Eve"))  # the logo moved one link up
        assert tab.page.evaluate(FOCUSED) == "snp-logo: "
        tab.page.keyboard.press("Shift+Tab")  # and the tab order goes on from there
        assert tab.page.evaluate(FOCUSED) == "artist: Eve"
        assert tab.problems == []
        tab.page.context.close()
