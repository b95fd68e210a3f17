"""The listening lists' costs: the proxy's warm-cache throughput on the list endpoints against a
bare aiohttp handler sending the same bytes, and what one listening page adds to a 1000-page
build (goal: at most 2 %)."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.load import fetch, server, wrk

TARGETS = ("/v1/recently-played?limit=10", "/v1/top/tracks?range=short_term&limit=10")
SECONDS = 3
ROUNDS = 3
PAGES = 1000
BUILDS = 3
BUILD_GOAL = 0.02


@dataclass(frozen=True)
class ListRatio:
    target: str
    ratios: list[float]  # proxy / bare requests/s, per round

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def measure_lists() -> list[ListRatio]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in TARGETS:
            body_file = Path(tmp) / "body.json"
            with server("proxy", body_file, target) as first:
                body_file.write_bytes(fetch(first.url))
            ratios = []
            for round_ in range(ROUNDS):
                got = {}
                for kind in ("proxy", "bare") if round_ % 2 == 0 else ("bare", "proxy"):
                    with server(kind, body_file, target) as running:
                        wrk(running, 1)
                        got[kind] = wrk(running, SECONDS).requests_per_s
                ratios.append(got["proxy"] / got["bare"])
            results.append(ListRatio(target, ratios))
    return results


def write_site(root: Path, proxy_url: str, listening: bool) -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True)
    for n in range(PAGES):
        (docs / f"page-{n:04d}.md").write_text(f"# Page {n}\n\nSome text for page {n}.\n")
    if listening:
        (docs / "listening.md").write_text(
            "# What I listen to\n\n"
            '<spotify-recently-played limit="10"></spotify-recently-played>\n\n'
            '<spotify-top-tracks range="short_term"></spotify-top-tracks>\n\n'
            '<spotify-top-artists range="long_term"></spotify-top-artists>\n'
        )
    config = root / "mkdocs.yml"
    config.write_text(
        f"site_name: Bench\nplugins:\n  - spotify:\n      proxy_url: {proxy_url}\n",
        encoding="utf-8",
    )
    return config


def build_seconds(config: Path) -> float:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    started = time.perf_counter()
    build(load_config(str(config)))
    return time.perf_counter() - started


@contextmanager
def demo_proxy() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp, server("proxy", Path(tmp) / "unused") as running:
        yield running.url.rsplit("/v1/", 1)[0]


@dataclass(frozen=True)
class BuildOverhead:
    without: list[float]
    with_lists: list[float]

    @property
    def overhead(self) -> float:
        return statistics.median(self.with_lists) / statistics.median(self.without) - 1


def measure_build() -> BuildOverhead:
    """Both sites built in turn (the first build of each warms caches and is not counted); the
    listening site reads its lists from a demo proxy once, then from its snapshot cache."""
    import logging

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, demo_proxy() as proxy_url:
        plain = write_site(Path(tmp) / "plain", proxy_url, listening=False)
        lists = write_site(Path(tmp) / "lists", proxy_url, listening=True)
        build_seconds(plain)
        build_seconds(lists)
        without, with_lists = [], []
        for _ in range(BUILDS):
            without.append(build_seconds(plain))
            with_lists.append(build_seconds(lists))
        return BuildOverhead(without, with_lists)


def table(ratios: list[ListRatio], build: BuildOverhead) -> str:
    rows = [
        f"| `GET {r.target}` | **{r.ratio:.2f}** | {', '.join(f'{x:.2f}' for x in r.ratios)} |"
        for r in ratios
    ]
    verdict = "meets" if build.overhead <= BUILD_GOAL else "misses"
    return "\n".join(
        [
            f"Listening lists, warm cache, wrk -t1 -c64, {SECONDS} s per run, {ROUNDS} rounds:",
            "",
            "| endpoint | ratio proxy / bare (median) | per round |",
            "|---|---:|---|",
            *rows,
            "",
            f"Build time of a {PAGES}-page site (mkdocs theme), median of {BUILDS} builds: "
            f"{statistics.median(build.without):.2f} s without a listening page, "
            f"{statistics.median(build.with_lists):.2f} s with one (three lists, snapshots "
            f"cached): **{build.overhead:+.1%}** ({verdict} the goal of at most "
            f"{BUILD_GOAL:.0%}).",
        ]
    )


if __name__ == "__main__":
    print(table(measure_lists(), measure_build()))
