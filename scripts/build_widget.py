"""Minify the widget's readable sources (widget/) into the assets every page loads.

Pages load `mkdocs_spotify/assets/spotify-now-playing.{js,css}`; they are built from
`widget/spotify-now-playing.{js,css}` by esbuild (https://esbuild.github.io/api/#minify), fetched
by npx, and committed, so neither users nor the tests need Node.js. Each built file starts with a
banner naming its source and the source's SHA-256; a test fails when a source changed without a
rebuild.

    .venv/bin/python scripts/build_widget.py        # or: make widget (needs Node.js and npm)
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "widget"
ASSETS = ROOT / "mkdocs_spotify" / "assets"
NAMES = (
    "spotify-now-playing.js",
    "spotify-now-playing.css",
    "spotify-lists.js",
    "spotify-lists.css",
)
ESBUILD = "esbuild@0.28.2"
# Enough of the digest to notice an edit; every byte of the banner counts against the budget.
DIGEST_CHARS = 12


def banner(name: str, source: bytes) -> str:
    """The first line of a built file: where it comes from, and which version of it."""
    digest = hashlib.sha256(source).hexdigest()[:DIGEST_CHARS]
    return f"/* minified from widget/{name} (sha256 {digest}) */\n"


def build(name: str) -> Path:
    source = (SOURCES / name).read_bytes()
    minified = subprocess.run(
        [
            "npx",
            "--yes",
            ESBUILD,
            "--minify",
            "--legal-comments=none",
            f"--loader={Path(name).suffix[1:]}",
        ],
        input=source,
        capture_output=True,
        check=True,
    ).stdout
    target = ASSETS / name
    target.write_bytes(banner(name, source).encode() + minified)
    return target


def main() -> int:
    for name in NAMES:
        try:
            target = build(name)
        except OSError as error:
            print(f"build_widget: cannot run npx ({error}); install Node.js and npm.")
            return 1
        except subprocess.CalledProcessError as error:
            print(f"build_widget: esbuild refused widget/{name}:\n{error.stderr.decode()}")
            return 1
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
