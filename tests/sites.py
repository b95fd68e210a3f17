"""Tiny MkDocs projects written into a temp dir and built with the real MkDocs.

Generic on purpose: build tests use it for the plugin, browser tests use it to get a real site with
the real widget in it. `build` runs MkDocs in this process (`load_config` + `build`, as
mkdocstrings' tests do) and returns what MkDocs logged; `build_cli` runs the `mkdocs build`
command, for the few tests about the command itself (strict mode, `!ENV`, exit codes).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

# Pages at three depths, so relative asset paths are exercised at every level.
DEFAULT_PAGES: dict[str, str] = {
    "index.md": "# Home\n\nHello.\n",
    "about.md": "# About\n\nWho writes here.\n",
    "posts/2026/listening.md": "# Listening while writing\n\nA nested page.\n",
}

QUIET_ENV = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}

UNSET: Any = object()
# `.test` is reserved for testing (RFC 2606); the plugin warns about the example.com family.
PROXY_URL = "https://proxy.blog.test"


@dataclass(frozen=True)
class Site:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "mkdocs.yml"

    @property
    def docs_dir(self) -> Path:
        return self.root / "docs"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def html(self, path: str) -> str:
        """Text of a built file, e.g. `index.html`, `about/index.html`, `404.html`."""
        return (self.site_dir / path).read_text(encoding="utf-8")

    def html_files(self) -> list[Path]:
        return sorted(self.site_dir.rglob("*.html"))


@dataclass(frozen=True)
class BuildResult:
    site: Site
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def write_site(
    root: Path,
    *,
    theme: str | Mapping[str, Any] = "mkdocs",
    spotify: Mapping[str, Any] | None = UNSET,
    plugins: list[Any] | None = None,
    pages: Mapping[str, str] | None = None,
    use_directory_urls: bool = True,
    site_url: str | None = None,
    extra_config: Mapping[str, Any] | None = None,
    extra_yaml: str = "",
) -> Site:
    """Write `mkdocs.yml` and pages under `root`.

    `spotify` is the plugin's options (default: a proxy_url); `None` leaves the plugin out.
    `plugins` replaces the whole plugin list when given. `extra_yaml` is appended verbatim, for
    things YAML dumping cannot write, like `!ENV` tags.
    """
    if spotify is UNSET:
        spotify = {"proxy_url": PROXY_URL}
    if plugins is None:
        plugins = ["search"]
        if spotify is not None:
            plugins.append({"spotify": dict(spotify)} if spotify else "spotify")
    config: dict[str, Any] = {
        "site_name": "Test site",
        "theme": theme if isinstance(theme, str) else dict(theme),
        "use_directory_urls": use_directory_urls,
        "plugins": plugins,
    }
    if site_url is not None:
        config["site_url"] = site_url
    config.update(extra_config or {})

    site = Site(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (DEFAULT_PAGES if pages is None else pages).items():
        path = site.docs_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    site.docs_dir.mkdir(parents=True, exist_ok=True)
    site.config_file.write_text(
        yaml.safe_dump(config, sort_keys=False) + extra_yaml, encoding="utf-8"
    )
    return site


def mkdocs_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment, banners off, plus `extra`."""
    return {**os.environ, **QUIET_ENV, **(extra or {})}


def build_cli(
    site: Site, *, strict: bool = False, env: Mapping[str, str] | None = None
) -> BuildResult:
    """Run the real `mkdocs build` command on `site` (from its folder, as an owner would)."""
    command = [sys.executable, "-m", "mkdocs", "build", "--clean", "-f", str(site.config_file)]
    command += ["-d", str(site.site_dir)]
    if strict:
        command.append("--strict")
    done = subprocess.run(
        command,
        cwd=site.root,
        env=mkdocs_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return BuildResult(site, done.returncode, done.stdout, done.stderr)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} - {record.getMessage()}")


@contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build(site: Site, *, strict: bool = False, env: Mapping[str, str] | None = None) -> BuildResult:
    """Build `site` in this process, with the plugin events the `mkdocs build` command sends.

    `returncode` is 1 where the command would exit 1 (a MkDocs error, config errors included), and
    `stderr` holds MkDocs' log lines (`LEVEL - message`) and that error's message.
    """
    lines = _Lines()
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    returncode = 0
    try:
        with _environment({**QUIET_ENV, **(env or {})}):
            config = load_config(
                config_file=str(site.config_file), site_dir=str(site.site_dir), strict=strict
            )
            config.plugins.on_startup(command="build", dirty=False)
            try:
                mkdocs_build(config)
            finally:
                config.plugins.on_shutdown()
    except MkDocsException as error:
        lines.lines.append(f"ERROR - {error}")
        returncode = 1
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    return BuildResult(site, returncode, "", "\n".join(lines.lines))


def build_site(root: Path, **options: Any) -> Site:
    """`write_site` + `build`, failing loudly if the build fails. Returns the built site."""
    result = build(write_site(root, **options))
    if result.returncode != 0:
        raise AssertionError(f"mkdocs build failed ({result.returncode}):\n{result.output}")
    return result.site
