"""Screenshots of the widget, from real MkDocs builds in real Chromium.

1. For the README: builds `example-site/` against a demo proxy on 127.0.0.1, serves the built
   site, opens it in Chromium in the light and the dark colour scheme, waits for the widget to show
   a playing track and saves the page footer as `docs/screenshots/widget-light.png` and
   `widget-dark.png`, then the "What I listen to" page as `listening-light.png` and
   `listening-dark.png`.
2. For docs/gallery.md: builds a small site in each of the `material`, `mkdocs` and `readthedocs`
   themes and saves its footer in light and dark, at 1280 and 390 px, as
   `docs/screenshots/gallery/<theme>-<scheme>-<width>.png`. These pages get one fixed answer (a
   playing track), so the pictures only change when the widget or a theme does.

The demo proxy serves its own covers for the playing item. Its lists have no album art, so the
script adds one cover URL on Spotify's image host to each list entry, as a real answer has, and
this offline machine answers it with a locally drawn cover. Everything else is what a visitor gets.

    .venv/bin/python scripts/screenshots.py        # or: make screenshots
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, Route  # noqa: E402

from mkdocs_spotify.plugin.devproxy import DevProxy  # noqa: E402
from proxy.settings import Settings  # noqa: E402
from tests.fakes.browser import chromium  # noqa: E402
from tests.sites import build_site  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
GALLERY = OUT / "gallery"
PLAYING = 'spotify-now-playing[data-state="playing"]'
ABOVE_FOOTER = 120
COVER_URL = "https://i.scdn.co/image/ab67616d00001e02screenshotcover"
COVER = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
    '<stop offset="0" stop-color="#1db954"/><stop offset="1" stop-color="#1e3264"/>'
    '</linearGradient></defs><rect width="64" height="64" fill="url(#g)"/>'
    '<circle cx="32" cy="32" r="14" fill="none" stroke="#fff" stroke-width="3"/>'
    "</svg>"
)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_directory(directory: Path) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def with_list_covers(route: Route) -> None:
    """The demo's lists have no art either: the same stand-in cover for every entry."""
    response = route.fetch()
    answer = response.json()
    for entry in answer.get("items", []):
        if isinstance(entry, dict) and not entry.get("image"):
            entry["image"] = {"url": COVER_URL, "width": 300, "height": 300}
    route.fulfill(response=response, body=json.dumps(answer))


def shoot_listening(page: Page, origin: str, proxy_url: str, scheme: str) -> None:
    """The example blog's "What I listen to" page, its three lists refreshed live."""
    page.route(f"{proxy_url}/v1/recently-played*", with_list_covers)
    page.route(f"{proxy_url}/v1/top/**", with_list_covers)
    page.goto(f"{origin}/listening/")
    page.wait_for_selector("spotify-top-artists .spl-art img", timeout=30_000)
    page.wait_for_timeout(300)
    path = OUT / f"listening-{scheme}.png"
    # From the page's top, so Material's sticky header does not cover the article.
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator("article").bounding_box()
    assert box is not None
    page.screenshot(path=str(path), full_page=True, clip=box)
    print(f"wrote {path.relative_to(ROOT)}")


def build_example(site_dir: Path, proxy_url: str) -> None:
    env = {
        **os.environ,
        "SPOTIFY_PROXY_URL": proxy_url,
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "-d", str(site_dir)],
        cwd=ROOT / "example-site",
        env=env,
        check=True,
    )


# The gallery: one site per theme, each scheme and width, one fixed answer.
MATERIAL_PALETTE = [
    {"media": "(prefers-color-scheme: light)", "scheme": "default"},
    {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
]
THEMES: dict[str, dict[str, object]] = {
    # font: false keeps Material from calling Google Fonts (this machine is offline).
    "material": {"name": "material", "palette": MATERIAL_PALETTE, "font": False},
    "mkdocs": {"name": "mkdocs", "color_mode": "auto", "user_color_mode_toggle": False},
    "readthedocs": {"name": "readthedocs"},
}
WIDTHS = (1280, 390)
# Both built-in themes load highlight.js from a CDN; a stub stands in offline.
HLJS_STUB = "window.hljs = {highlightAll() {}, highlightElement() {}, initHighlightingOnLoad() {}};"
PAGES = {
    "index.md": "# Home\n\nA blog post about listening while writing.\n",
    "about.md": "# About\n\nWho writes here, and what they listen to.\n",
}


def fixed_answer() -> dict[str, object]:
    """A playing track, fetched just now, 40 % in."""
    return {
        "status": "playing",
        "item": {
            "type": "track",
            "title": "Pyramid Song",
            "url": "https://open.spotify.com/track/6ErMrfBK5DHrC9wI2bN9Ot",
            "artists": [
                {
                    "name": "Radiohead",
                    "url": "https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb",
                }
            ],
            "album": {
                "name": "Amnesiac",
                "url": "https://open.spotify.com/album/1HrMmB5useeZ0F5lHrMvl0",
            },
            "image": {"url": COVER_URL, "width": 300, "height": 300},
            "duration_ms": 289000,
            "explicit": False,
            "is_local": False,
        },
        "progress_ms": 115600,
        "fetched_at": int(time.time() * 1000),
        "stale": False,
        "last_played": None,
    }


def offline_assets(route: Route) -> None:
    url = route.request.url
    if "/v1/now-playing/stream" in url:
        route.fulfill(status=204)  # no stream: the widget stays on its one fetch
    elif url.endswith("/v1/now-playing"):
        route.fulfill(content_type="application/json", body=json.dumps(fixed_answer()))
    elif url.startswith(COVER_URL):
        route.fulfill(content_type="image/svg+xml", body=COVER)
    else:  # highlight.js from a CDN
        script = url.endswith(".js")
        route.fulfill(
            body=HLJS_STUB if script else "",
            content_type="text/javascript" if script else "text/css",
        )


def footer_shot(page: Page, path: Path) -> None:
    """The footer and a strip of the page above it, so the colour scheme shows."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(200)
    widget = page.locator("spotify-now-playing").bounding_box()
    footer = page.locator("spotify-now-playing").evaluate(
        "el => { const r = (el.closest('footer') || el).getBoundingClientRect();"
        " return {y: r.y, height: r.height}; }"
    )
    assert widget is not None
    top = max(0.0, min(footer["y"], widget["y"]) - ABOVE_FOOTER)
    bottom = max(footer["y"] + footer["height"], widget["y"] + widget["height"]) + 16
    width = page.viewport_size["width"] if page.viewport_size else 1280
    clip = {"x": 0, "y": top, "width": width, "height": bottom - top}
    page.screenshot(path=str(path), clip=clip)  # type: ignore[arg-type]
    print(f"wrote {path.relative_to(ROOT)}")


def gallery(browser: Browser, tmp: Path) -> None:
    GALLERY.mkdir(parents=True, exist_ok=True)
    for theme, options in THEMES.items():
        site = build_site(
            tmp / theme, theme=options, pages=PAGES, spotify={"proxy_url": "/spotify"}
        )
        server = serve_directory(site.site_dir)
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for scheme in ("light", "dark"):
                for width in WIDTHS:
                    page = browser.new_page(
                        viewport={"width": width, "height": 800},
                        color_scheme=scheme,
                        device_scale_factor=2,
                        reduced_motion="reduce",
                    )
                    page.route(f"{origin}/spotify/**", offline_assets)
                    page.route("https://*.scdn.co/**", offline_assets)
                    page.route("https://cdnjs.cloudflare.com/**", offline_assets)
                    page.goto(f"{origin}/about/")
                    page.wait_for_selector(PLAYING, timeout=10_000)
                    footer_shot(page, GALLERY / f"{theme}-{scheme}-{width}.png")
                    page.close()
        finally:
            server.shutdown()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mkdocs-spotify-shots-") as tmp:
        site_dir = Path(tmp) / "site"
        # Bind the site's server first: the proxy must know the page's origin for CORS.
        site_dir.mkdir()
        server = serve_directory(site_dir)
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        proxy = DevProxy(Settings(demo=True, port=0, allowed_origins=(origin,)))
        proxy.start()
        try:
            build_example(site_dir, proxy.url)
            with chromium() as browser:
                for scheme in ("light", "dark"):
                    page = browser.new_page(
                        viewport={"width": 1000, "height": 700},
                        color_scheme=scheme,
                        device_scale_factor=2,
                        reduced_motion="reduce",
                    )
                    page.route(
                        COVER_URL,
                        lambda route: route.fulfill(content_type="image/svg+xml", body=COVER),
                    )
                    page.goto(f"{origin}/")
                    # The demo session pauses and idles too; wait for a track that plays.
                    page.wait_for_selector(PLAYING, timeout=60_000)
                    page.wait_for_timeout(300)
                    path = OUT / f"widget-{scheme}.png"
                    # The footer and a strip of the page above it, so the colour scheme shows.
                    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                    footer = page.locator("footer.md-footer").bounding_box()
                    assert footer is not None
                    top = max(0.0, footer["y"] - ABOVE_FOOTER)
                    clip = {"x": 0, "y": top, "width": footer["width"]}
                    clip["height"] = footer["y"] + footer["height"] - top
                    page.screenshot(path=str(path), clip=clip)  # type: ignore[arg-type]
                    print(f"wrote {path.relative_to(ROOT)}")
                    shoot_listening(page, origin, proxy.url, scheme)
                    page.close()
                gallery(browser, Path(tmp))
        finally:
            proxy.stop()
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
