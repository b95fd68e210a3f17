"""`mkdocs-spotify`: one console script, one subcommand per job (proxy, login, doctor)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

EXIT_USAGE = 2
DOCS_URL = "https://github.com/mkdocs-spotify/mkdocs-spotify/blob/main/docs"

# What each subcommand reads from the environment (or a .env file in the working directory), and
# one example: shown under its --help.
EPILOGS = {
    "proxy": """\
environment (also read from ./.env):
  SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET   the Spotify app (secret optional: PKCE public client)
  SPOTIFY_TOKEN_STORE, SPOTIFY_REFRESH_TOKEN where the refresh token is (or a seed for it)
  SPOTIFY_PROXY_ALLOWED_ORIGINS              the blog's origins, e.g. https://blog.example.org
  SPOTIFY_PROXY_CACHE_TTL and more           see {docs}/proxy.md

examples:
  mkdocs-spotify proxy --demo               a simulated session, no Spotify account
  mkdocs-spotify proxy --host 127.0.0.1 --port 8787
""",
    "login": """\
environment (also read from ./.env):
  SPOTIFY_CLIENT_ID (required), SPOTIFY_CLIENT_SECRET (optional), SPOTIFY_TOKEN_STORE

examples:
  mkdocs-spotify login                      opens the browser, stores the refresh token
  mkdocs-spotify login --no-browser         on a machine without a browser: paste the redirect
more: {docs}/login.md
""",
    "doctor": """\
environment (also read from ./.env):
  the proxy's variables: SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET, SPOTIFY_TOKEN_STORE,
  SPOTIFY_PROXY_REDIS_URL (then the grant in Redis is the one checked), ...

example:
  mkdocs-spotify doctor
more: {docs}/login.md (with Redis: {docs}/scaling.md)
""",
}


def package_version() -> str:
    try:
        return version("mkdocs-spotify")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=EPILOGS[name].format(docs=DOCS_URL),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-spotify",
        description="Show what you listen to on Spotify in your MkDocs site's footer.",
        epilog=f"Documentation: {DOCS_URL}",
    )
    parser.add_argument(
        "--version", action="version", version=f"mkdocs-spotify {package_version()}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    # The proxy's flags live with the proxy (`python -m proxy` takes the same ones); its heavy
    # imports (aiohttp's server) wait inside `proxy.__main__.main`'s module until it runs.
    from proxy import __main__ as proxy_main

    proxy_main.add_arguments(
        _add_command(commands, "proxy", "serve the now-playing proxy the widget reads")
    )

    # login and doctor own their flags (add_arguments) and their work (run).
    from mkdocs_spotify.cli import doctor, login

    login.add_arguments(
        _add_command(commands, "login", "authorize with Spotify once and store the refresh token")
    )
    doctor.add_arguments(
        _add_command(commands, "doctor", "check the whole setup and say what to fix")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `mkdocs-spotify`: show what it can do
        parser.print_help()
        return 0
    # Every command reads ./.env, once, here: a malformed line stops them all the same way,
    # before any work.
    from proxy.settings import SettingsError, read_environment

    try:
        environment = read_environment()
    except SettingsError as error:
        for problem in error.problems:
            print(f"mkdocs-spotify {args.command}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "proxy":
        from proxy.__main__ import main as serve

        return serve(host=args.host, port=args.port, demo=args.demo, environ=environment)
    if args.command == "login":
        from mkdocs_spotify.cli import login

        return login.run(args, environment)
    if args.command == "doctor":
        from mkdocs_spotify.cli import doctor

        return doctor.run(args, environment)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
