"""The proxy's notifier: sends each due notice once, remembers it, never disturbs visitors.

Apprise blocks, so it runs on a worker thread of its own (a slow service never holds the event
loop or the threads the token store uses). A notice counts as sent when at least one service
accepted it; otherwise the next check tries again. A failure is logged once until one succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from proxy.alerts.apprise_send import deliver
from proxy.alerts.notices import Notice, expiry_notice, refused_notice
from proxy.alerts.sent import add_sent, read_sent, record_lock, sent_record_path
from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.events import TokenListener

log = logging.getLogger(__name__)

# At shutdown a message in flight gets this long to finish.
CLOSE_TIMEOUT = 5.0


class Notifier(TokenListener):
    def __init__(
        self, settings: Settings, clock: Clock, on_failure: Callable[[], None] | None = None
    ) -> None:
        self.urls = settings.notify_urls
        self.site = settings.site_name
        # `login --to` works only when the proxy accepts grants over HTTP.
        self.remote = settings.admin_token is not None
        self.clock = clock
        self.record = sent_record_path(settings.token_store)
        # Told about every failed delivery (the metrics count them).
        self.on_failure = on_failure
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")
        self._failing = False
        self._tasks: set[asyncio.Task[bool]] = set()

    async def check_expiry(self, authorized_at: datetime | None) -> bool:
        """Send the expiry notice due now, if any and not sent yet; True when one went out."""
        if authorized_at is None:
            return False
        notice = expiry_notice(self.site, authorized_at, self.clock.now(), self.remote)
        return notice is not None and await self.send_once(notice)

    def grant_refused(self, authorized_at: datetime | None) -> None:
        """From the token layer, inside a refresh: send in the background, never wait."""
        task = asyncio.get_running_loop().create_task(
            self.send_once(refused_notice(self.site, authorized_at, self.remote))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send_once(self, notice: Notice) -> bool:
        """Send `notice` unless the record has it; True when a service accepted it now."""
        loop = asyncio.get_running_loop()
        outcomes = await loop.run_in_executor(self._executor, self._send_once_blocking, notice)
        if outcomes is None:
            return False
        failed = outcomes.count(False)
        if self.on_failure is not None:
            for _ in range(failed):
                self.on_failure()
        if failed:
            self._log_failure(failed, len(outcomes))
        else:
            self._failing = False
        if failed == len(outcomes):
            return False
        log.info("Notification sent: %s.", notice.title)
        return True

    def _send_once_blocking(self, notice: Notice) -> list[bool] | None:
        """Read, send, record under the record's lock (None: already sent). The one worker
        thread runs these one at a time; the lock covers other processes on the same store."""
        with record_lock(self.record):
            if notice.key in read_sent(self.record):
                return None
            outcomes = deliver(self.urls, notice)
            if any(outcomes):
                try:
                    add_sent(self.record, notice.key)
                except OSError as error:
                    log.error(
                        "The record of sent notifications %s cannot be written (%s): fix its "
                        "folder's permissions, or the notice may be sent again after a restart.",
                        self.record,
                        error.strerror,
                    )
            return outcomes

    def _log_failure(self, failed: int, count: int) -> None:
        if self._failing:
            return
        self._failing = True
        log.error(
            "%d of the %d notification URLs in SPOTIFY_PROXY_NOTIFY did not accept the message: "
            "run `mkdocs-spotify doctor --notify-test` to see which (a notice none accepted is "
            "tried again at the next check).",
            failed,
            count,
        )

    async def close(self) -> None:
        """Wait for the background sends, then let the worker thread go."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=CLOSE_TIMEOUT)
        self._executor.shutdown(wait=False)
