"""The MkDocs plugin `spotify`: ships the widget's assets, puts one widget in every page's footer.

Events only; the options are in `config.py`, the markup in `widget.py`, the `mkdocs serve` proxy
in `devproxy.py` (imported only by `mkdocs serve`: a build never loads aiohttp's web server).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from mkdocs_spotify.plugin.config import SpotifyConfig
from mkdocs_spotify.plugin.listening import Snapshots, proxy_base
from mkdocs_spotify.plugin.widget import insert_widget, widget_attributes, widget_element

if TYPE_CHECKING:
    from mkdocs_spotify.plugin.devproxy import DevProxy

log = get_plugin_logger(__name__)

ASSETS = Path(__file__).parent.parent / "assets"
SCRIPT = "assets/spotify/spotify-now-playing.js"
STYLESHEET = "assets/spotify/spotify-now-playing.css"
# Only pages with a listening list load these (the footer widget's weight stays the same).
LISTS_SCRIPT = "assets/spotify/spotify-lists.js"
LISTS_STYLESHEET = "assets/spotify/spotify-lists.css"
CACHE_DIR = Path(".cache", "plugin", "spotify")

MISSING_PROXY_URL = (
    "The spotify plugin needs proxy_url to build: set it to your proxy's base URL in mkdocs.yml, "
    'e.g. `proxy_url: !ENV [SPOTIFY_PROXY_URL, "https://spotify-proxy.example.com"]`, '
    "or switch the plugin off with `enabled: false`."
)

MIXED_CONTENT = (
    "proxy_url is plain http while site_url is https, and browsers block that request: "
    "serve the proxy over https and set proxy_url to its https:// address."
)


class SpotifyPlugin(BasePlugin[SpotifyConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        # Defining on_startup keeps this one instance across `mkdocs serve` rebuilds, so the dev
        # proxy starts once.
        self.serving = False
        self.dev_proxy: DevProxy | None = None
        self.element = ""
        self.proxy_url = ""
        self.snapshots: Snapshots | None = None
        self.list_pages: set[str] = set()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"

    def on_shutdown(self) -> None:
        if self.dev_proxy is not None:
            self.dev_proxy.stop()
            self.dev_proxy = None
            log.info("Dev proxy stopped.")

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return None
        proxy_url = self._proxy_url(config)
        self.element = widget_element(widget_attributes(self.config, proxy_url))
        self.proxy_url = proxy_url
        self.list_pages = set()
        listening = self.config.listening
        self.snapshots = Snapshots(
            proxy_base(proxy_url, config.site_url) if listening.snapshots else None,
            Path(config.config_file_path or ".").parent / CACHE_DIR,
            listening.cache,
            listening.timeout,
            enabled=listening.snapshots,
        )
        if STYLESHEET not in map(str, config.extra_css):
            config.extra_css.append(STYLESHEET)
        if SCRIPT not in map(str, config.extra_javascript):
            script = ExtraScriptValue(SCRIPT)
            script.defer = True
            config.extra_javascript.append(script)
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled:
            return None
        for uri in (SCRIPT, STYLESHEET, LISTS_SCRIPT, LISTS_STYLESHEET):
            source = ASSETS / Path(uri).name
            if not source.is_file():
                raise PluginError(f"{source} is missing: reinstall mkdocs-spotify.")
            if files.get_file_from_path(uri) is not None:
                # The owner ships their own copy (e.g. a customised stylesheet): theirs wins.
                continue
            files.append(
                File.generated(
                    config, uri, abs_src_path=str(source), inclusion=InclusionLevel.INCLUDED
                )
            )
        return files

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if not self.config.enabled:
            return None
        if self.snapshots is None:
            return None
        filled = self.snapshots.fill_page(html, self.proxy_url)
        if filled is None:
            return None
        self.list_pages.add(page.file.src_uri)
        return filled + list_script(page.url)

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        if not self.config.enabled:
            return None
        html = insert_widget(output, self.element, self.config.placement) or output
        if page.file.src_uri in self.list_pages:
            html = add_list_stylesheet(html, page.url)
        return html

    def on_post_template(
        self, output_content: str, /, *, template_name: str, config: MkDocsConfig
    ) -> str | None:
        # 404.html (and readthedocs' search.html) are templates, not pages: no on_post_page.
        if not self.config.enabled or not template_name.endswith(".html"):
            return None
        return insert_widget(output_content, self.element, self.config.placement)

    def _proxy_url(self, config: MkDocsConfig) -> str:
        if self.serving and self.config.dev_proxy:
            return self._start_dev_proxy(config).url
        if self.config.proxy_url is None:
            raise PluginError(MISSING_PROXY_URL)
        if (config.site_url or "").startswith("https:") and self.config.proxy_url.startswith(
            "http:"
        ):
            log.warning(MIXED_CONTENT)
        return self.config.proxy_url

    def _start_dev_proxy(self, config: MkDocsConfig) -> DevProxy:
        if self.dev_proxy is not None:
            return self.dev_proxy
        from mkdocs_spotify.plugin.devproxy import (
            DevProxy,
            DevProxyError,
            dev_settings,
            serve_origins,
        )

        settings, problems = dev_settings()
        for problem in problems:
            log.warning(problem)
        settings = dataclasses.replace(
            settings,
            port=self.config.dev_proxy_port,
            # The page (serve's port) and the dev proxy are different origins.
            allowed_origins=settings.allowed_origins + serve_origins(config.site_url),
        )
        proxy = DevProxy(settings)
        try:
            proxy.start()
        except DevProxyError as error:
            raise PluginError(str(error)) from None
        self.dev_proxy = proxy
        account = "demo session, no Spotify account" if settings.demo else "your Spotify account"
        log.info(f"Dev proxy on {proxy.url} ({account}); the widget points at it.")
        return proxy


def list_script(page_url: str) -> str:
    """The lists' script, placed in the page content: Material's instant navigation runs again
    the scripts inside its content container, never new ones in the head
    (docs/listening.md)."""
    return f'\n<script defer src="{get_relative_url(LISTS_SCRIPT, page_url)}"></script>\n'


def add_list_stylesheet(html: str, page_url: str) -> str:
    """Link the lists' stylesheet in the page's head (instant navigation adds new head links)."""
    tag = f'<link rel="stylesheet" href="{get_relative_url(LISTS_STYLESHEET, page_url)}">\n'
    head_end = html.find("</head>")
    if head_end < 0:
        return tag + html
    return html[:head_end] + tag + html[head_end:]
