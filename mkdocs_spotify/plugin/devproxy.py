"""The proxy that runs inside `mkdocs serve`, so the owner sees the widget live while writing.

It is the real proxy (`proxy.web.app.create_app`) on 127.0.0.1, in a daemon thread with its own
event loop: the owner's account when credentials are configured, the demo session otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from proxy.settings import (
    Settings,
    SettingsError,
    load_settings,
    normalise_origin,
    read_environment,
)
from proxy.web.app import create_app

HOST = "127.0.0.1"
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
WILDCARD_HOSTS = ("0.0.0.0", "::")  # noqa: S104 (recognised in site_url, never bound)
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class DevProxyError(Exception):
    """The dev proxy could not start; the message says why in one sentence."""


def has_credentials(env: Mapping[str, str], settings: Settings) -> bool:
    """A client id plus a refresh token, either as the env seed or in the token store."""
    if not env.get("SPOTIFY_CLIENT_ID", "").strip():
        return False
    return bool(env.get("SPOTIFY_REFRESH_TOKEN", "").strip()) or settings.token_store.is_file()


def serve_origins(site_url: str | None) -> tuple[str, ...]:
    """Origins of pages under `mkdocs serve` (127.0.0.1 and localhost are the same host).

    With `mkdocs serve -a 0.0.0.0:8000` the site_url says 0.0.0.0, but this machine's browser
    opens the page as 127.0.0.1 or localhost, so those are allowed too.
    """
    origin = normalise_origin(_origin_of(site_url or ""))
    if origin is None:
        return ()
    parts = urlsplit(origin)
    if parts.hostname not in (*LOOPBACK_NAMES, *WILDCARD_HOSTS):
        return (origin,)
    port = f":{parts.port}" if parts.port is not None else ""
    loopback = [f"{parts.scheme}://{name}{port}" for name in LOOPBACK_NAMES]
    return (origin, *[other for other in loopback if other != origin])


def dev_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> tuple[Settings, list[str]]:
    """Settings for the dev proxy, and sentences to log about why demo mode was chosen, if so."""
    try:
        env = read_environment(environ, env_file)
        # The laptop's .env may hold the deployed proxy's admin token (for `login --to`): the dev
        # proxy has no business accepting grants, so it never opens PUT /v1/admin/grant.
        env = {k: v for k, v in env.items() if k != "SPOTIFY_PROXY_ADMIN_TOKEN"}
        settings = load_settings(env, host=HOST, demo=True, require_client_id=False)
        # The deployed proxy owns the metrics port and the owner's notifications.
        settings = dataclasses.replace(settings, metrics_listen=None, notify_urls=())
    except SettingsError as error:
        return Settings(host=HOST, demo=True), error.problems
    if has_credentials(env, settings):
        return dataclasses.replace(settings, demo=False), []
    if env.get("SPOTIFY_CLIENT_ID", "").strip():
        return settings, [
            "SPOTIFY_CLIENT_ID is set but there is no refresh token (no SPOTIFY_REFRESH_TOKEN, "
            f"no token store at {settings.token_store}): run `mkdocs-spotify login`, then restart "
            "mkdocs serve; until then the widget shows the demo session."
        ]
    return settings, []


class ToLogger(logging.Handler):
    """Passes the proxy's log records to `target` (MkDocs' plugin logger, with its prefix)."""

    def __init__(self, target: logging.LoggerAdapter[logging.Logger]) -> None:
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        self.target.log(record.levelno, record.getMessage())


def forward_proxy_logs(target: logging.LoggerAdapter[logging.Logger]) -> ToLogger:
    """Send the `proxy` logger's lines through `target` until `stop_forwarding` is called, so
    they read like MkDocs' own lines (`INFO - mkdocs_spotify: ...`) at MkDocs' verbosity."""
    handler = ToLogger(target)
    source = logging.getLogger("proxy")
    source.addHandler(handler)
    source.setLevel(target.logger.getEffectiveLevel())
    source.propagate = False
    return handler


def stop_forwarding(handler: ToLogger) -> None:
    source = logging.getLogger("proxy")
    source.removeHandler(handler)
    source.setLevel(logging.NOTSET)
    source.propagate = True


class DevProxy:
    """One proxy server on 127.0.0.1 in a background thread; `start()` once, `stop()` once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spotify-dev-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise DevProxyError(f"The dev proxy did not start within {START_TIMEOUT:.0f} seconds.")
        if isinstance(self._error, OSError):
            raise DevProxyError(
                f"The dev proxy could not listen on {HOST}:{self.settings.port} "
                f"({self._error.strerror}): set dev_proxy_port to a free port, or 0."
            )
        if self._error is not None:
            raise DevProxyError(
                f"The dev proxy could not start ({self._error}): fix that, or set "
                "dev_proxy: false and point proxy_url at a proxy you run yourself."
            )

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STOP_TIMEOUT)
        self._loop = self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner: web.AppRunner | None = None
        try:
            app = create_app(self.settings)
            # The serve console is the owner's: requests show only when they asked for them.
            if self.settings.access_log:
                runner = web.AppRunner(app)
            else:
                runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, HOST, self.settings.port)
            loop.run_until_complete(site.start())
            self.port = int(runner.addresses[0][1])
            self._loop = loop
        except Exception as error:  # reported by start() in the serve thread
            self._error = error
            self._ready.set()
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
