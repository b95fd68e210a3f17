"""Placeholder until the login work lands."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("mkdocs-spotify login is not built yet.")
    return 1
