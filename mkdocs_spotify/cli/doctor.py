"""`mkdocs-spotify doctor`: read the configuration exactly as the proxy does, try it, report.

The facts are gathered here (settings, one refresh, one Web API call; doctor_store.py finds the
grant: the token store file, or Redis); checks.py turns them into OK / WARN / FAIL lines. cli.py
imports this module to add the flags, so the heavy imports wait inside the functions.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs_spotify.cli.checks import Line
    from mkdocs_spotify.cli.doctor_store import GrantSource
    from proxy.settings import Settings
    from proxy.spotify.client import SpotifyClient


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check the client id, the token store (or, with SPOTIFY_PROXY_REDIS_URL, the grant in "
        "Redis, seeded from the token store when empty, as the proxy does), one token refresh, "
        "the granted scopes, the days until the 6-month re-login and one Spotify call; exit 1 "
        "if anything FAILs. The refresh runs under the token store's lock (Redis' refresh "
        "lease) and saves the rotation, so a proxy using the same store adopts it."
    )
    parser.add_argument(
        "--proxy",
        metavar="URL",
        help="ask the running proxy at URL (its /readyz) instead of refreshing the token here, "
        "e.g. https://blog.example.com/spotify",
    )
    parser.add_argument(
        "--notify-test",
        action="store_true",
        help="only send a test message to each SPOTIFY_PROXY_NOTIFY URL and report the outcome",
    )


def run(args: argparse.Namespace, environment: Mapping[str, str]) -> int:
    import sys

    from mkdocs_spotify.cli.login import EXIT_INTERRUPTED

    try:
        return _run(args, environment)
    except KeyboardInterrupt:
        print(
            "mkdocs-spotify doctor: cancelled (Ctrl-C): run it again for the checklist.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace, environment: Mapping[str, str]) -> int:
    if args.notify_test:
        from mkdocs_spotify.cli.notify_test import run_notify_test

        return run_notify_test(environment)
    import asyncio

    from mkdocs_spotify.cli import checks
    from proxy.settings import SettingsError, load_settings

    if getattr(args, "proxy", None):
        lines = asyncio.run(ask_proxy(args.proxy))
        print(checks.render(lines), flush=True)
        return checks.exit_status(lines)
    try:
        settings = load_settings(environment, require_client_id=True)
    except SettingsError as error:
        lines = checks.settings_problems(error.problems) + checks.not_checked_yet()
    else:
        lines = asyncio.run(diagnose(settings))
    print(checks.render(lines), flush=True)
    return checks.exit_status(lines)


def _utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


async def diagnose(settings: Settings, now: Callable[[], datetime] = _utcnow) -> list[Line]:
    """Every check, with the proxy's own token and client code: one refresh path, one GET path.

    The refresh runs under the store's lock (Redis' refresh lease with SPOTIFY_PROXY_REDIS_URL)
    and its rotation is saved at once, so a proxy using the same store adopts it instead of
    presenting a spent token.
    """
    import asyncio

    from mkdocs_spotify.cli import checks
    from mkdocs_spotify.cli.doctor_store import find_grant

    assert settings.client_id is not None  # load_settings(require_client_id=True) made sure
    saved_in = "the token store" if settings.redis_url is None else "Redis"
    lines = [
        checks.client_line(settings.client_id),
        checks.secret_line(settings.is_public_client, saved_in),
    ]
    lines += [checks.ok(f"Privacy control: {text}.") for text in settings.privacy.active()]
    if await asyncio.to_thread(settings.private_file.exists):
        lines.append(
            checks.warn(
                f"{settings.private_file} exists: the proxy answers idle and empty lists until "
                "it is removed."
            )
        )

    source = await find_grant(settings)
    lines += source.lines
    try:
        if not source.unusable:
            lines += await _refresh_lines(settings, source, now)
    finally:
        await source.close()
    return lines


async def _refresh_lines(
    settings: Settings, source: GrantSource, now: Callable[[], datetime]
) -> list[Line]:
    """Which refresh token the proxy would spend, one refresh of it, and what follows."""
    import aiohttp

    from mkdocs_spotify.cli import checks
    from proxy.clock import Clock
    from proxy.spotify.client import SpotifyClient
    from proxy.spotify.errors import SpotifyError
    from proxy.spotify.grant import choose_credential
    from proxy.spotify.tokens import AccessTokens

    assert settings.client_id is not None  # load_settings(require_client_id=True) made sure
    credential = choose_credential(
        settings.client_id, settings.refresh_token, settings.authorized_at, source.held
    )
    if credential is None:
        return [] if source.said_no_credential else [checks.no_credential_line()]
    lines = [checks.source_line(credential is source.held, source.where)]

    # Its own refresh, even when a proxy shares a fresh access token in Redis.
    tokens = AccessTokens(settings, Clock(), store=source.store, share_access=False)
    async with aiohttp.ClientSession() as session:
        tokens.session = session
        try:
            await tokens.access_token()
        except SpotifyError as failure:
            refused = tokens.chain.last_error
            if refused is None:
                lines.append(checks.fail(str(tokens.problem or failure)))
                return lines
            lines.append(checks.refresh_failed(refused.error, refused.description, refused.status))
            expiry = checks.expiry_line(
                (tokens.chain.credential or credential).authorized_at,
                now(),
                refused=refused.is_invalid_grant,
            )
            if expiry is not None:
                lines.append(expiry)
            return lines
        refreshed = tokens.chain.last
        held = tokens.chain.credential
        # access_token() just refreshed, so the chain holds both.
        assert refreshed is not None
        assert held is not None
        lines.append(
            checks.refresh_ok(
                rotated=refreshed.rotated,
                path=settings.token_store,
                persist_error=refreshed.persist_error,
                redis=source.redis,
            )
        )
        lines.extend(checks.scope_lines(refreshed.grant.scopes or held.scopes))
        expiry = checks.expiry_line(held.authorized_at, now(), refused=False)
        if expiry is not None:
            lines.append(expiry)
        lines.append(await _player_line(SpotifyClient(settings, tokens)))
    return lines


async def ask_proxy(url: str) -> list[Line]:
    """`doctor --proxy URL`: the running proxy's own view (its /readyz); no token is spent."""
    import aiohttp

    from mkdocs_spotify.cli import checks

    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        return [checks.proxy_url_line(url)]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                base + "/readyz", timeout=aiohttp.ClientTimeout(total=PROXY_TIMEOUT)
            ) as resp,
        ):
            status = resp.status
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
    except (TimeoutError, aiohttp.ClientError):
        return [checks.proxy_unreachable_line(base)]
    return checks.proxy_lines(base, status, body if isinstance(body, dict) else {})


PROXY_TIMEOUT = 10.0


async def _player_line(client: SpotifyClient) -> Line:
    """One currently-playing call through the proxy's client, as a doctor line."""
    from mkdocs_spotify.cli import checks
    from proxy.spotify.errors import RateLimited, UpstreamError

    try:
        status, _body = await client.currently_playing()
    except RateLimited as limited:
        return checks.player_line(429, f"{limited.retry_after:g}")
    except UpstreamError as failure:
        if failure.status is None:
            return checks.player_line("unreachable", None)
        return checks.player_line(failure.status, None)
    return checks.player_line(status, None)
