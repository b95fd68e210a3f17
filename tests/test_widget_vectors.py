"""The widget's side of tests/vectors.json, run in Chromium in one `page.evaluate`.

tests/test_vectors.py runs the proxy and the plugin's config against the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.browser import SharedChromium
from tests.test_vectors import LONG, VECTORS
from tests.widget_pages import Tab, WidgetServer, open_tab

pytestmark = pytest.mark.browser

# Another proxy than the one in proxy_images: Spotify's hosts are allowed whatever the proxy.
SOME_PROXY = "https://spotify-proxy.test/v1/now-playing"

RUN = """async ({ vectors, long, someProxy }) => {
  await customElements.whenDefined("spotify-now-playing");
  const { link, image, settings, view } = customElements.get("spotify-now-playing");
  const expand = (value) => (typeof value == "string" ? value.replace("LONG", long) : value);
  const each = (values, check) => values.map((value) => check(expand(value)));
  const read = (attributes) =>
    settings((name) => ({ "proxy-url": "/api", ...attributes })[name] ?? null, location.href);
  const intervals = vectors.intervals;
  const seconds = (config) => [config.min / 1000, config.max / 1000];
  const long_text = "x".repeat(400);
  const artists = Array.from({ length: 15 }, (_, i) => ({ name: long_text, url: null }));
  const item = { type: "track", title: long_text, artists, album: { name: long_text },
                 duration_ms: 1000, is_local: false };
  const capped = view({ status: "playing", item, progress_ms: 0, fetched_at: 0 }, read({}), 0).item;
  return {
    links: [each(vectors.links.allowed, link), each(vectors.links.refused, link)],
    images: [
      each(vectors.images.allowed, (url) => image(url, someProxy)),
      each(vectors.images.refused, (url) => image(url, someProxy)),
    ],
    proxy_images: [
      each(vectors.proxy_images.allowed, (url) => !!image(url, vectors.proxy_images.proxy)),
      each(vectors.proxy_images.refused, (url) => image(url, vectors.proxy_images.proxy)),
    ],
    labels: read({}).labels,
    custom_labels: read(Object.fromEntries(
      Object.keys(vectors.labels).map((key) => [`label-${key}`, `my ${key}`]))).labels,
    defaults: seconds(read({})),
    allowed: intervals.allowed.map((value) =>
      [seconds(read({ "min-interval": String(value), "max-interval": "3600" }))[0],
       seconds(read({ "min-interval": "2", "max-interval": String(value) }))[1]]),
    refused: intervals.refused.map((value) =>
      seconds(read({ "min-interval": String(value), "max-interval": String(value) }))),
    idle: vectors.idle.choices.map((choice) => read({ idle: choice }).idle),
    idle_refused: vectors.idle.refused.map((choice) => read({ idle: String(choice) }).idle),
    caps: [capped.title.length, capped.title.at(-1), capped.artists.length,
           capped.artists[0].name.length, capped.album.name.length],
  };
}"""


@pytest.fixture(scope="module")
def results(chromium_launcher: SharedChromium) -> Iterator[dict[str, Any]]:
    with WidgetServer().running() as server:
        tab: Tab = open_tab(chromium_launcher.browser())
        tab.page.goto(server.url("/"))
        found = tab.page.evaluate(RUN, {"vectors": VECTORS, "long": LONG, "someProxy": SOME_PROXY})
        assert tab.problems == []
        tab.page.context.close()
        yield found


def test_links(results: dict[str, Any]) -> None:
    allowed, refused = results["links"]
    assert allowed == VECTORS["links"]["allowed"]
    assert refused == [None] * len(VECTORS["links"]["refused"])


def test_images(results: dict[str, Any]) -> None:
    allowed, refused = results["images"]
    assert allowed == VECTORS["images"]["allowed"]
    assert refused == [None] * len(VECTORS["images"]["refused"])


def test_images_from_the_proxys_own_origin(results: dict[str, Any]) -> None:
    allowed, refused = results["proxy_images"]
    assert allowed == [True] * len(VECTORS["proxy_images"]["allowed"])
    assert refused == [None] * len(VECTORS["proxy_images"]["refused"])


def test_labels(results: dict[str, Any]) -> None:
    assert results["labels"] == VECTORS["labels"]
    assert results["custom_labels"] == {key: f"my {key}" for key in VECTORS["labels"]}


def test_interval_bounds(results: dict[str, Any]) -> None:
    intervals = VECTORS["intervals"]
    defaults = [intervals["min_default"], intervals["max_default"]]
    assert results["defaults"] == defaults
    assert results["allowed"] == [[value, value] for value in intervals["allowed"]]
    assert results["refused"] == [defaults] * len(intervals["refused"])


def test_idle_choices(results: dict[str, Any]) -> None:
    idle = VECTORS["idle"]
    assert results["idle"] == idle["choices"]
    assert results["idle_refused"] == [idle["default"]] * len(idle["refused"])


def test_untrusted_text_is_capped(results: dict[str, Any]) -> None:
    caps = VECTORS["caps"]
    assert results["caps"] == [caps["text"], "…", caps["artists"], caps["text"], caps["text"]]
