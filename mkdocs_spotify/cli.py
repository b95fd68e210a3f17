"""`mkdocs-spotify`: one console script, one subcommand per job (proxy, login, doctor)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from proxy.settings import DEFAULT_HOST, DEFAULT_PORT

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-spotify",
        description="Show what you listen to on Spotify in your MkDocs site's footer.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    proxy = commands.add_parser("proxy", help="serve the now-playing proxy the widget reads")
    proxy.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    proxy.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    proxy.add_argument(
        "--demo",
        action="store_true",
        help="serve a simulated listening session, no Spotify account",
    )

    # login and doctor own their flags (add_arguments) and their work (run).
    from mkdocs_spotify import doctor, login

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
        from proxy.app import main as proxy_main

        return proxy_main(host=args.host, port=args.port, demo=args.demo)
    if args.command == "login":
        from mkdocs_spotify import login

        return login.run(args)
    if args.command == "doctor":
        from mkdocs_spotify import doctor

        return doctor.run(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
