"""`mkdocs-spotify login`: authorize once in the browser, write the token store.

cli.py imports this module to add the flags, so everything heavy is imported inside `run()`
and the proxy's start-up stays lean.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import webbrowser

    from mkdocs_spotify.cli.oauth import Code, Refused
    from proxy.settings import Settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # what a shell reports for a program ended by Ctrl-C (128 + SIGINT)
DEFAULT_TIMEOUT = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=8888,
        help="port of the loopback redirect http://127.0.0.1:PORT/callback (default 8888)",
    )
    parser.add_argument(
        "--scopes",
        nargs="+",
        metavar="SCOPE",
        help="Spotify scopes to request (default: user-read-currently-playing "
        "user-read-recently-played user-top-read)",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="only print the authorization URL, do not open a browser",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for the browser's redirect (default 300)",
    )
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="also print SPOTIFY_CLIENT_ID, SPOTIFY_REFRESH_TOKEN and SPOTIFY_AUTHORIZED_AT "
        "lines for a server's environment",
    )
    parser.add_argument(
        "--to",
        metavar="URL",
        help="hand the new grant to the proxy at this https base URL (the plugin's proxy_url) "
        "instead of the local token store; needs SPOTIFY_PROXY_ADMIN_TOKEN, as on the proxy",
    )


@dataclass(frozen=True)
class LoginOptions:
    port: int
    scopes: tuple[str, ...]
    timeout: float
    print_env: bool = False
    open_browser: bool = True
    # True when a browser was wanted but this machine only has text ones, or none.
    no_graphical_browser: bool = False
    # The deployed proxy's base URL (`--to`): the grant goes there, not to the local store.
    to: str | None = None


def run(args: argparse.Namespace, environment: Mapping[str, str]) -> int:
    try:
        return _run(args, environment)
    except KeyboardInterrupt:
        complain("cancelled (Ctrl-C): run `mkdocs-spotify login` again when you are ready.")
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace, environment: Mapping[str, str]) -> int:
    import asyncio

    from mkdocs_spotify.cli.oauth import DEFAULT_SCOPES, UsageError, parse_scopes
    from proxy.settings import SettingsError, load_settings

    try:
        scopes = DEFAULT_SCOPES if args.scopes is None else parse_scopes(args.scopes)
    except UsageError as problem:
        complain(str(problem))
        return EXIT_USAGE
    if not 0 < args.port < 65536:
        complain(f"--port {args.port} is not a TCP port: use a number from 1 to 65535.")
        return EXIT_USAGE
    if not args.timeout > 0:
        complain(f"--timeout {args.timeout:g} must be a positive number of seconds.")
        return EXIT_USAGE
    try:
        settings = load_settings(environment, require_client_id=True)
    except SettingsError as error:
        for sentence in error.problems:
            complain(sentence)
        return EXIT_USAGE
    to = args.to.strip() if args.to else None
    if to is not None:
        from mkdocs_spotify.cli.handover import target_problem

        wrong_target = target_problem(to)
        if wrong_target is None and settings.admin_token is None:
            wrong_target = (
                "--to needs SPOTIFY_PROXY_ADMIN_TOKEN (environment or .env) set to the same "
                "value as on the proxy, which enables its PUT /v1/admin/grant."
            )
        if wrong_target is not None:
            complain(wrong_target)
            return EXIT_USAGE
    graphical = False
    if not args.no_browser:
        import webbrowser

        graphical = has_graphical_browser(environment, sys.platform, webbrowser.get)
    options = LoginOptions(
        port=args.port,
        scopes=scopes,
        timeout=args.timeout,
        print_env=args.print_env,
        open_browser=graphical,
        no_graphical_browser=not args.no_browser and not graphical,
        to=to,
    )
    try:
        stdin_fd: int | None = sys.stdin.fileno() if sys.stdin is not None else None
    except (OSError, ValueError):
        stdin_fd = None
    return asyncio.run(login(settings, options, stdin_fd=stdin_fd))


def _utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(microsecond=0)


def seconds_text(seconds: float) -> str:
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")


def say(text: str = "") -> None:
    print(text, flush=True)


def complain(text: str) -> None:
    """An error for the owner: every one starts with the command, like the other commands'."""
    print(f"mkdocs-spotify login: {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Attempt:
    """One authorization request: what the callback and the code exchange must match."""

    redirect: str
    state: str = field(repr=False)
    verifier: str = field(repr=False)


async def login(settings: Settings, options: LoginOptions, *, stdin_fd: int | None = None) -> int:
    """The whole flow; returns the exit status."""
    import asyncio
    import threading

    from mkdocs_spotify.cli import oauth
    from mkdocs_spotify.cli.callback import CallbackListener, PortInUse, Verdict

    attempt = Attempt(
        redirect=oauth.redirect_uri(options.port),
        state=oauth.new_state(),
        verifier=oauth.new_verifier(),
    )
    redirect = attempt.redirect
    assert settings.client_id is not None  # load_settings(require_client_id=True) made sure
    url = oauth.authorize_url(
        settings.accounts_url,
        client_id=settings.client_id,
        redirect=redirect,
        code_challenge=oauth.challenge(attempt.verifier),
        state=attempt.state,
        scopes=options.scopes,
    )

    # Find out now, not after the owner pressed Agree and the single-use code is spent.
    if options.to is not None:
        refusal = await probe_proxy(settings, options.to)
        if refusal is not None:
            complain(refusal)
            return EXIT_FAILURE
    unwritable = None if options.to else store_folder_problem(settings.token_store)
    if unwritable is not None:
        if not options.print_env:
            complain(
                f"The token store {settings.token_store} cannot be written ({unwritable}): set "
                "SPOTIFY_TOKEN_STORE to a file in a folder you can write, or add --print-env "
                "to get the lines for a server's environment instead."
            )
            return EXIT_FAILURE
        complain(
            f"Warning: the token store {settings.token_store} cannot be written "
            f"({unwritable}), so the --print-env lines at the end will be the only copy of "
            "the refresh token: keep them, or set SPOTIFY_TOKEN_STORE to a file in a folder "
            "you can write."
        )

    listener = CallbackListener(attempt.state, options.port)
    try:
        await listener.start()
    except PortInUse as problem:
        complain(str(problem))
        return EXIT_FAILURE

    def pasted(line: str) -> None:
        if listener.result.done():
            return
        try:
            listener.result.set_result(oauth.parse_pasted(line, attempt.state))
        except oauth.CallbackError as problem:
            complain(
                f"That was not accepted ({problem}): paste the whole address the browser "
                f"ended up at, starting with {redirect}?"
            )

    try:
        say("Open this address in a browser to authorize mkdocs-spotify with Spotify:\n")
        say(f"  {url}\n")
        say(oauth.redirect_help(redirect))
        say(
            f"Waiting up to {options.timeout:g} s for the browser to come back to {redirect}. "
            "No browser on this machine? Open the address on another device, then paste the "
            "address that device ends up at here and press Enter."
        )
        if options.no_graphical_browser:
            say(
                "No graphical browser was found on this machine, so none was opened: open the "
                "address above on a machine with a browser, then paste the address it ends up "
                "at here and press Enter."
            )
        if options.open_browser:
            # A thread: a $BROWSER command may block until closed, and the listener must
            # keep answering meanwhile. The URL is printed either way.
            threading.Thread(target=_open_browser, args=(url,), daemon=True).start()
        if stdin_fd is not None:
            read_pasted_lines(stdin_fd, pasted)
        try:
            # shield: the timeout must not cancel the listener's future under it (and
            # asyncio.timeout keeps a Ctrl-C's cancellation, which 3.11's wait_for can lose).
            async with asyncio.timeout(options.timeout):
                outcome = await asyncio.shield(listener.result)
        except TimeoutError:
            complain(
                f"No answer from Spotify within {seconds_text(options.timeout)}: run "
                "`mkdocs-spotify login` again and press Agree in the browser sooner "
                "(or give a longer --timeout)."
            )
            return EXIT_FAILURE
        status, page = EXIT_FAILURE, "The login failed: the terminal says why."
        try:
            status, page = await _finish(settings, options, attempt, outcome)
        finally:
            # The browser's page waited for this: it shows the real outcome.
            listener.conclude(Verdict(status == EXIT_OK, page))
        return status
    finally:
        await listener.stop()


async def probe_proxy(settings: Settings, base: str) -> str | None:
    """Ask the proxy whether it would take a grant (an empty one: nothing changes there).

    None when it accepts the admin token, else the sentence saying what to fix.
    """
    import aiohttp

    from mkdocs_spotify.cli.handover import probe_sentence, put_grant, unreachable_sentence

    assert settings.admin_token is not None
    try:
        async with aiohttp.ClientSession() as session:
            answer = await put_grant(session, base, settings.admin_token, {})
    except (aiohttp.ClientError, TimeoutError) as error:
        return unreachable_sentence(base, error)
    problem = probe_sentence(answer, base)
    if problem is None:
        say(f"The proxy at {base} accepts the admin token; it gets the new grant at the end.\n")
    return problem


def store_folder_problem(path: Path) -> str | None:
    """Why the token store cannot be written at `path`, or None if it can.

    Creates the folder (0700) as write_store would, and writes and removes a temporary file.
    """
    import tempfile

    if path.is_dir():
        return "it is a folder"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent, prefix=".token-check-"):
            pass
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def has_graphical_browser(
    environ: Mapping[str, str], platform: str, default: Callable[[], webbrowser.BaseBrowser]
) -> bool:
    """Whether `webbrowser` would show a window rather than a text browser in this terminal.

    A text browser (lynx, w3m, links, elinks) would take over the terminal where the owner
    must paste the redirect, and cannot run Spotify's login page anyway. An explicit $BROWSER
    is the owner's own choice and is used as it is.
    """
    import webbrowser

    if environ.get("BROWSER"):
        return True
    unix = not platform.startswith(("win", "darwin"))
    if unix and not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = default()
    except webbrowser.Error:
        return False
    # GenericBrowser exactly: its subclass BackgroundBrowser is how graphical ones run.
    # UnixBrowser subclasses that keep the terminal's output (elinks) run inside it.
    if type(browser) is webbrowser.GenericBrowser:
        return False
    return getattr(browser, "redirect_stdout", True) is not False


def _open_browser(url: str) -> None:
    import webbrowser

    try:
        webbrowser.open(url)
    except webbrowser.Error:
        pass  # the URL is printed; the owner opens it by hand


def read_pasted_lines(fd: int, deliver: Callable[[str], None]) -> None:
    """Hand each line typed or pasted on `fd` to `deliver` on the running loop.

    A daemon thread does the blocking reads with `os.read`, not `sys.stdin`: a daemon thread
    parked inside the buffered `sys.stdin` makes the interpreter abort at exit. End of input
    ends the reading, never the wait: the browser may still come back.
    """
    import asyncio
    import os
    import threading

    loop = asyncio.get_running_loop()

    def pump() -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                try:
                    loop.call_soon_threadsafe(deliver, line)
                except RuntimeError:
                    return  # the loop has closed: the login is over

    threading.Thread(target=pump, name="mkdocs-spotify-stdin", daemon=True).start()


async def _finish(
    settings: Settings, options: LoginOptions, attempt: Attempt, outcome: Code | Refused
) -> tuple[int, str]:
    """Exchange the code and keep the grant: the exit status and a sentence for the browser."""
    import aiohttp

    from mkdocs_spotify.cli import oauth
    from mkdocs_spotify.cli.delivery import deliver
    from proxy.spotify.accounts import request_token
    from proxy.spotify.errors import AccountsError
    from proxy.spotify.grant import grant_expires_at
    from proxy.spotify.store import StoredToken

    if isinstance(outcome, oauth.Refused):
        return _failed(oauth.refused_sentence(outcome.error))

    form = {
        "grant_type": "authorization_code",
        "code": outcome.code,
        "redirect_uri": attempt.redirect,
        "code_verifier": attempt.verifier,
    }
    try:
        async with aiohttp.ClientSession() as session:
            grant = await request_token(session, settings, form)
    except AccountsError as error:
        return _failed(
            oauth.token_error_sentence(
                error.error, error.description, error.status, attempt.redirect
            )
        )
    if grant.refresh_token is None:
        return _failed(
            "Spotify answered without a refresh token: run `mkdocs-spotify login` again."
        )

    authorized_at = _utcnow()
    assert settings.client_id is not None
    token = StoredToken(
        refresh_token=grant.refresh_token,
        client_id=settings.client_id,
        scopes=grant.scopes or options.scopes,
        authorized_at=authorized_at,
        seed_sha256=None,
    )
    stamp = token.to_json()["authorized_at"]
    expires = grant_expires_at(authorized_at)
    problem = await deliver(settings, token, options.to)
    status = EXIT_OK if problem is None else EXIT_FAILURE
    where = "saved" if options.to is None else f"handed to the proxy at {options.to}"
    page = problem or (
        f"Spotify is connected and the grant is {where}; it expires on {expires:%Y-%m-%d}. "
        "You can close this tab."
    )
    say(f"Granted scopes: {' '.join(token.scopes) or '(none)'}.")
    if "user-read-currently-playing" not in token.scopes:
        complain(
            "Warning: without user-read-currently-playing the widget cannot show what plays: "
            "run `mkdocs-spotify login` again without --scopes."
        )
    say(
        f"This grant expires on {expires:%Y-%m-%d} (6 months after today's authorization): "
        "run `mkdocs-spotify login` again before then; `mkdocs-spotify doctor` counts the days."
    )
    if options.to is None and settings.refresh_token not in {None, grant.refresh_token}:
        complain(
            "Warning: SPOTIFY_REFRESH_TOKEN is also set (environment or .env) and wins over the "
            "new store: remove it, or replace it and SPOTIFY_AUTHORIZED_AT with the lines "
            "`mkdocs-spotify login --print-env` prints."
        )
    if options.print_env:
        say("\n# For a server's environment or .env file (keep these lines secret):")
        say(f"SPOTIFY_CLIENT_ID={settings.client_id}")
        say(f"SPOTIFY_REFRESH_TOKEN={grant.refresh_token}")
        say(f"SPOTIFY_AUTHORIZED_AT={stamp}")
    if status == EXIT_OK and options.to is None:
        say(
            "\nNext: `mkdocs-spotify doctor` checks the setup, `mkdocs-spotify proxy` serves the "
            "widget from this machine"
            + (
                "; on a server, set the lines above (the secret, if any, too)."
                if options.print_env
                else "; for a server, `mkdocs-spotify login --print-env` prints the lines "
                "to put in its environment."
            )
        )
    return status, page


def _failed(sentence: str) -> tuple[int, str]:
    complain(sentence)
    return EXIT_FAILURE, sentence
