"""`mkdocs-spotify`: one console script, one subcommand per job (proxy, login, doctor)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-spotify",
        description="Show what you listen to on Spotify in your MkDocs site's footer.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # The proxy's flags live with the proxy (`python -m proxy` takes the same ones); its heavy
    # imports (aiohttp's server) wait inside `proxy.__main__.main`'s module until it runs.
    from proxy import __main__ as proxy_main

    proxy_main.add_arguments(
        commands.add_parser("proxy", help="serve the now-playing proxy the widget reads")
    )

    # login and doctor own their flags (add_arguments) and their work (run).
    from mkdocs_spotify.cli import doctor, login

    login.add_arguments(
        commands.add_parser("login", help="authorize with Spotify once and store the refresh token")
    )
    doctor.add_arguments(
        commands.add_parser("doctor", help="check the whole setup and say what to fix")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "proxy":
        from proxy.__main__ import main as serve

        return serve(host=args.host, port=args.port, demo=args.demo)
    if args.command == "login":
        from mkdocs_spotify.cli import login

        return login.run(args)
    if args.command == "doctor":
        from mkdocs_spotify.cli import doctor

        return doctor.run(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
