"""`mkdocs-spotify proxy` (also `python -m proxy`): settings, logging, then serve until stopped."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping

from proxy.limits import files_for_streams, raise_open_files_limit
from proxy.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Settings,
    SettingsError,
    load_settings,
    read_environment,
)
from proxy.spotify.errors import RedisUnusable, StoreError
from proxy.spotify.grant_store import FileGrantStore
from proxy.spotify.store import StoredToken, read_store

log = logging.getLogger("proxy")

EXIT_SETTINGS = 2
EXIT_SERVE = 1


def main(host: str, port: int, demo: bool, environ: Mapping[str, str] | None = None) -> int:
    """`mkdocs-spotify proxy`: validate everything first, then serve until interrupted.
    `environ` is the environment the CLI already read (with `.env`); None reads it here."""
    # The server stack loads here, not at import: the CLI imports this module for its flags.
    from aiohttp import web

    from proxy.web.app import create_app
    from proxy.web.metrics import MetricsListenError
    from proxy.web.protocol import server_args

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        environment = read_environment() if environ is None else environ
        settings = load_settings(environment, host=host, port=port, demo=demo)
        if not demo:
            check_credentials(settings)
            check_notify_urls(settings)
    except SettingsError as error:
        for problem in error.problems:
            print(f"mkdocs-spotify proxy: {problem}", file=sys.stderr)
        return EXIT_SETTINGS
    mode = "the demo session" if demo else "Spotify"
    check_open_files(settings.max_streams)

    def listening(_banner: str) -> None:
        # run_app calls this once the socket is bound, so a busy port never reads "Serving".
        # The base URL, not the endpoint: it is what goes into the plugin's proxy_url.
        base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        log.info("Serving %s on %s (the plugin's proxy_url is this base URL).", mode, base)

    try:
        web.run_app(
            create_app(settings),
            host=host,
            port=port,
            access_log=logging.getLogger("aiohttp.access") if settings.access_log else None,
            print=listening,
            **server_args(),
        )
    except MetricsListenError as error:
        print(f"mkdocs-spotify proxy: {error}", file=sys.stderr)
        return EXIT_SERVE
    except OSError as error:
        print(
            f"mkdocs-spotify proxy: cannot listen on {host}:{port} ({error.strerror}): "
            "choose another --port or --host.",
            file=sys.stderr,
        )
        return EXIT_SERVE
    return 0


def check_credentials(settings: Settings) -> None:
    """Refuse to start without any refresh token, with an unreadable store, or with a store
    whose folder cannot lock (processes sharing it would spend each other's tokens)."""
    try:
        stored = read_store(settings.token_store)
        FileGrantStore(settings.token_store).check_lockable()
    except StoreError as error:
        if settings.redis_url is None:
            raise SettingsError([str(error)]) from None
        stored = None  # Redis holds the grant; the file only seeds an empty Redis
    if settings.redis_url is not None:
        stored = check_redis(settings, stored)
    if stored is None and settings.refresh_token is None:
        raise SettingsError(
            [
                f"No Spotify refresh token: run `mkdocs-spotify login` to write the token store "
                f"{settings.token_store}, or set SPOTIFY_REFRESH_TOKEN."
            ]
        )


def check_notify_urls(settings: Settings) -> None:
    """Apprise must know every URL; they are secrets, so a problem names the position only."""
    if not settings.notify_urls:
        return
    from proxy.alerts.apprise_send import unusable_urls

    problems = [
        f"SPOTIFY_PROXY_NOTIFY's URL number {number} is not one Apprise knows: check its scheme "
        "against https://github.com/caronc/apprise/wiki (ntfy://, discord://, mailto://, "
        "json://...)."
        for number in unusable_urls(settings.notify_urls)
    ]
    if problems:
        raise SettingsError(problems)


def check_redis(settings: Settings, from_file: StoredToken | None) -> StoredToken | None:
    """Reach Redis (one sentence otherwise) and seed an empty one from the token store file."""
    from proxy.spotify.redis_seed import reach_and_seed
    from proxy.spotify.redis_store import RedisGrantStore

    store = RedisGrantStore(settings)
    try:
        found = reach_and_seed(store, settings.client_id, from_file)
    except RedisUnusable as error:
        raise SettingsError([str(error)]) from None
    finally:
        store.sync.close()
    if found.seeded:
        log.info("Redis held no grant: seeded it from the token store %s.", settings.token_store)
    if found.held is None and settings.refresh_token is not None:
        log.info("Redis held no grant: the replicas start from SPOTIFY_REFRESH_TOKEN.")
    return found.held


def check_open_files(max_streams: int) -> None:
    """Raise the open-files limit for the stream cap; one log line when it cannot."""
    wanted = files_for_streams(max_streams)
    soft, hard = raise_open_files_limit(wanted)
    if soft < wanted:
        log.warning(
            "The open-files limit is %d (hard limit %d), below the %d that "
            "SPOTIFY_PROXY_MAX_STREAMS=%d needs: raise it (ulimit -n, or LimitNOFILE= in a "
            "systemd unit) or lower SPOTIFY_PROXY_MAX_STREAMS; streams beyond it fail to open.",
            soft,
            hard,
            wanted,
            max_streams,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The proxy's flags, shared by `mkdocs-spotify proxy` and `python -m proxy`."""
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve a simulated listening session, no Spotify account",
    )


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="python -m proxy", description=__doc__)
    add_arguments(_parser)
    _args = _parser.parse_args()
    sys.exit(main(host=_args.host, port=_args.port, demo=_args.demo))
