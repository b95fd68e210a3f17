"""`mkdocs-spotify doctor`: read the configuration exactly as the proxy does, try it, report.

The facts are gathered here (settings, store, one refresh, one Web API call); checks.py turns
them into OK / WARN / FAIL lines. cli.py imports this module to add the flags, so the heavy
imports wait inside the functions.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

    from mkdocs_spotify.cli.checks import Line
    from proxy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check the client id, the token store, one token refresh, the granted scopes, the "
        "days until the 6-month re-login and one Spotify call; exit 1 if anything FAILs."
    )
    parser.add_argument(
        "--notify-test",
        action="store_true",
        help="only send a test message to each SPOTIFY_PROXY_NOTIFY URL and report the outcome",
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from mkdocs_spotify.cli.login import EXIT_INTERRUPTED

    try:
        return _run(args)
    except KeyboardInterrupt:
        print(
            "Doctor cancelled (Ctrl-C): run `mkdocs-spotify doctor` again for the checklist.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    if args.notify_test:
        from mkdocs_spotify.cli.notify_test import run_notify_test

        return run_notify_test()
    import asyncio

    from mkdocs_spotify.cli import checks
    from proxy.settings import SettingsError, load_settings, read_environment

    try:
        settings = load_settings(read_environment(), require_client_id=True)
    except SettingsError as error:
        lines = checks.settings_problems(error.problems)
    else:
        lines = asyncio.run(diagnose(settings))
    print(checks.render(lines), flush=True)
    return checks.exit_status(lines)


def _utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


async def diagnose(settings: Settings, now: Callable[[], datetime] = _utcnow) -> list[Line]:
    import asyncio

    import aiohttp

    from mkdocs_spotify.cli import checks
    from proxy.spotify.accounts import request_token
    from proxy.spotify.errors import AccountsError, StoreError
    from proxy.spotify.grant import choose_credential, rotated
    from proxy.spotify.store import read_store, store_mode, write_store

    assert settings.client_id is not None  # load_settings(require_client_id=True) made sure
    path = settings.token_store
    lines = [checks.client_line(settings.client_id), checks.secret_line(settings.is_public_client)]

    stored = None
    error = None
    try:
        stored = await asyncio.to_thread(read_store, path)
    except StoreError as problem:
        error = str(problem)
    mode = None
    if stored is not None:
        mode = store_mode(path)
    lines.append(
        checks.store_line(path, mode=mode, error=error, seed_set=settings.refresh_token is not None)
    )
    if stored is not None and stored.client_id != settings.client_id:
        lines.append(checks.other_app_line(path, stored.client_id))

    credential = choose_credential(
        settings.client_id, settings.refresh_token, settings.authorized_at, stored
    )
    if credential is None:
        if error is None and (mode is not None or settings.refresh_token is not None):
            lines.append(checks.no_credential_line())
        return lines
    lines.append(checks.source_line(credential is stored, path))

    async with aiohttp.ClientSession() as session:
        form = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token}
        try:
            grant = await request_token(session, settings, form)
        except AccountsError as refused:
            lines.append(checks.refresh_failed(refused.error, refused.description, refused.status))
            expiry = checks.expiry_line(
                credential.authorized_at, now(), refused=refused.is_invalid_grant
            )
            if expiry is not None:
                lines.append(expiry)
            return lines

        successor = rotated(credential, grant)
        persist_error = None
        if successor is not None:
            # The old token may now be spent: keep the new one exactly as the proxy would.
            credential = successor
            try:
                await asyncio.to_thread(write_store, path, credential)
            except OSError as failure:
                persist_error = failure.strerror or type(failure).__name__
        lines.append(
            checks.refresh_ok(rotated=successor is not None, path=path, persist_error=persist_error)
        )
        lines.extend(checks.scope_lines(grant.scopes or credential.scopes))
        expiry = checks.expiry_line(credential.authorized_at, now(), refused=False)
        if expiry is not None:
            lines.append(expiry)
        status, retry_after = await _currently_playing(session, settings, grant.access_token)
        lines.append(checks.player_line(status, retry_after))
    return lines


async def _currently_playing(
    session: aiohttp.ClientSession, settings: Settings, access_token: str
) -> tuple[int | str, str | None]:
    import aiohttp

    from proxy.spotify.client import CURRENTLY_PLAYING, CURRENTLY_PLAYING_PARAMS

    try:
        async with session.get(
            settings.api_url + CURRENTLY_PLAYING,
            params=CURRENTLY_PLAYING_PARAMS,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=aiohttp.ClientTimeout(total=settings.upstream_timeout),
        ) as resp:
            await resp.read()
            return resp.status, resp.headers.get("Retry-After")
    except TimeoutError:
        return "timeout", None
    except aiohttp.ClientError:
        return "unreachable", None
