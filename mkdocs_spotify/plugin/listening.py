"""Build-time snapshots of the listening lists, read from the owner's proxy (never Spotify).

Each distinct list (endpoint and parameters) is fetched once per build from `proxy_url` and kept
under `.cache/plugin/spotify/` for `listening.cache` minutes, so `mkdocs serve` rebuilds and
repeated builds make no request. A proxy that cannot be reached costs one warning per build: the
page keeps the empty element and the browser fills it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from mkdocs_spotify.plugin.listening_markup import fill, find_elements

log = logging.getLogger("mkdocs.plugins.mkdocs_spotify.plugin.listening")

USER_AGENT = "mkdocs-spotify (build-time snapshot)"
# A snapshot is at most this big; the proxy's largest answer (50 entries) is far smaller.
MAX_ANSWER_BYTES = 1_000_000


def proxy_base(proxy_url: str, site_url: str | None) -> str | None:
    """The absolute base URL to read at build time; a root-relative `proxy_url` needs `site_url`."""
    if proxy_url.startswith(("http://", "https://")):
        return proxy_url
    if not site_url:
        return None
    return urljoin(site_url, proxy_url).rstrip("/")


class Snapshots:
    """Answers of the owner's proxy for one build, from the cache folder or one request each."""

    def __init__(
        self,
        base: str | None,
        cache_dir: Path,
        cache_minutes: int,
        timeout: float,
        *,
        enabled: bool = True,
    ) -> None:
        self.base = base
        self.enabled = enabled
        self.cache_dir = cache_dir
        self.max_age = cache_minutes * 60.0
        self.timeout = timeout
        self.requests = 0
        self._answers: dict[str, tuple[dict[str, Any] | None, float]] = {}
        self._warned = False

    def fill_page(self, html: str, proxy_url: str) -> str | None:
        """`html` with every listening element filled; None when the page has none."""
        elements = find_elements(html)
        if not elements:
            return None
        answers: dict[str, dict[str, Any] | None] = {}
        as_of: dict[str, float] = {}
        for element in elements:
            answers[element.path], as_of[element.path] = self.answer(element.path)
        return fill(html, answers, proxy_url, as_of)

    def answer(self, path: str) -> tuple[dict[str, Any] | None, float]:
        """The answer for `path` and when it was read (epoch seconds); None when unknown."""
        if not self.enabled:
            return None, time.time()
        if path not in self._answers:
            self._answers[path] = self._cached(path) or self._fetch(path)
        return self._answers[path]

    def _cache_file(self, path: str) -> Path:
        key = hashlib.sha256(f"{self.base}{path}".encode()).hexdigest()[:24]
        return self.cache_dir / f"listening-{key}.json"

    def _cached(self, path: str) -> tuple[dict[str, Any], float] | None:
        try:
            stored = json.loads(self._cache_file(path).read_text(encoding="utf-8"))
            read_at = float(stored["read_at"])
            answer = stored["answer"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(answer, dict) or not 0 <= time.time() - read_at < self.max_age:
            return None
        return answer, read_at

    def _fetch(self, path: str) -> tuple[dict[str, Any] | None, float]:
        now = time.time()
        if self.base is None:
            self._warn(
                "proxy_url is a path and site_url is not set, so the listening lists cannot be "
                "read at build time: set site_url (the browser still fills them)."
            )
            return None, now
        self.requests += 1
        # proxy_url was checked to be http(s) when the config loaded (no file: or custom URLs).
        request = urllib.request.Request(  # noqa: S310
            self.base + path, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read(MAX_ANSWER_BYTES))
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or type(error).__name__
            self._warn(
                f"The proxy at {self.base} could not be read for the listening lists ({reason}): "
                "the pages show them once visitors' browsers reach it; check proxy_url."
            )
            return None, now
        if not isinstance(answer, dict):
            return None, now
        self._store(path, answer, now)
        return answer, now

    def _store(self, path: str, answer: dict[str, Any], read_at: float) -> None:
        target = self._cache_file(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"read_at": read_at, "answer": answer}), "utf-8")
            temporary.replace(target)
        except OSError as error:
            log.debug("The listening cache %s cannot be written (%s).", target, error)

    def _warn(self, message: str) -> None:
        if not self._warned:
            log.warning(message)
            self._warned = True
