"""The widget's weight: what every visitor downloads, gzip level 9, against the 5 KB budget."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "mkdocs_spotify" / "assets"
FILES = ("spotify-now-playing.js", "spotify-now-playing.css")
BUDGET = 5000  # bytes: "5 KB" read strictly (5 KiB would be 5120)


@dataclass(frozen=True)
class Weight:
    name: str
    raw: int
    gzipped: int


def gzip_size(name: str) -> int:
    """Bytes of `gzip -9 <name>`, file name in the header included, as the command line counts."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as out:
        out.write((ASSETS / name).read_bytes())
    return len(buffer.getvalue())


def weights() -> list[Weight]:
    return [Weight(name, len((ASSETS / name).read_bytes()), gzip_size(name)) for name in FILES]


def table(found: list[Weight]) -> str:
    total = sum(w.gzipped for w in found)
    rows = [f"| `{w.name}` | {w.raw:,} | {w.gzipped:,} |" for w in found]
    verdict = "within" if total <= BUDGET else "over"
    return "\n".join(
        [
            "Widget weight (JS + CSS, gzip level 9) against the budget of 5 KB:",
            "",
            "| file | bytes | gzip bytes |",
            "|---|---:|---:|",
            *rows,
            f"| **total / budget** | | **{total:,} / {BUDGET:,} = {total / BUDGET:.2f}** "
            f"({verdict} budget) |",
        ]
    )
