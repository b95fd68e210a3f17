"""Real Chromium for tests: Debian's `chromium` driven by Playwright (no browser download here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Without the background-networking flags Chromium keeps dialling Google on this closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class SharedChromium:
    """One Chromium per test process, launched when a test first asks for it.

    Launching costs a second or two (Playwright's driver, then the browser), so the tests share
    one instead of launching one per module. Playwright's sync API marks its event loop as running
    between calls, so a test that runs an event loop of its own (an async test, `asyncio.run`)
    cannot run beside it: `stop()` before such a test, and the next browser test launches again.
    """

    def __init__(self) -> None:
        self._running: ExitStack | None = None
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            self.stop()
            running = ExitStack()
            self._browser = running.enter_context(chromium())
            self._running = running
        return self._browser

    def stop(self) -> None:
        running, self._running, self._browser = self._running, None, None
        if running is not None:
            running.close()
