"""Delivery through Apprise (https://github.com/caronc/apprise), one service URL at a time.

Blocking: the proxy calls `deliver` in a worker thread. The URLs hold webhook tokens and
passwords, so nothing here logs, raises or returns them: results name URLs by their position.
Apprise's own log lines can quote a URL's host or path, so its logger is kept out of the
proxy's log: its failures reach the owner as this module's results.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from proxy.alerts.notices import Notice

# Set before Apprise is imported: the logger object is the one Apprise will use.
logging.getLogger("apprise").disabled = True


def unusable_urls(urls: Sequence[str]) -> list[int]:
    """Positions (from 1) of the URLs Apprise does not understand."""
    import apprise  # only a proxy with SPOTIFY_PROXY_NOTIFY loads it

    return [number for number, url in enumerate(urls, 1) if not apprise.Apprise().add(url)]


def deliver(urls: Sequence[str], notice: Notice) -> list[bool]:
    """Send `notice` to each URL; True where the service accepted it."""
    import apprise

    outcomes = []
    for url in urls:
        service = apprise.Apprise()
        try:
            outcomes.append(service.add(url) and bool(service.notify(notice.body, notice.title)))
        except Exception:  # a plugin's bug must not stop the others (its text may quote the URL)
            outcomes.append(False)
    return outcomes
