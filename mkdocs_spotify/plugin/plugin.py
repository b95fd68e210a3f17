"""The MkDocs plugin `spotify`: ships the widget's assets, puts one widget in every page's footer.

Events only; the options are in `config.py`, the markup in `widget.py`, the `mkdocs serve` proxy
in `devproxy.py` (imported only by `mkdocs serve`: a build never loads aiohttp's web server).
"""

from __future__ import annotations

import dataclasses
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from mkdocs_spotify.plugin.config import SpotifyConfig
from mkdocs_spotify.plugin.listening import Snapshots, proxy_base
from mkdocs_spotify.plugin.widget import place_widget, read_page, widget_attributes, widget_element

if TYPE_CHECKING:
    from mkdocs_spotify.plugin.devproxy import DevProxy, ToLogger

log = get_plugin_logger(__name__)

ASSETS = Path(__file__).parent.parent / "assets"
SCRIPT = "assets/spotify/spotify-now-playing.js"
STYLESHEET = "assets/spotify/spotify-now-playing.css"
# Only pages with a listening list load these (the footer widget's weight stays the same).
LISTS_SCRIPT = "assets/spotify/spotify-lists.js"
LISTS_STYLESHEET = "assets/spotify/spotify-lists.css"
CACHE_DIR = Path(".cache", "plugin", "spotify")

MISSING_PROXY_URL = (
    "The spotify plugin needs proxy_url to build: set SPOTIFY_PROXY_URL to your proxy's base URL "
    "for `proxy_url: !ENV SPOTIFY_PROXY_URL`, or write the URL in mkdocs.yml, or switch the plugin "
    "off with `enabled: false`."
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
        self.forwarding: ToLogger | None = None
        self.proxy_url = ""
        self.elements: dict[str, str] = {}  # by page language
        self.snapshots: Snapshots | None = None
        self.list_pages: set[str] = set()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"

    def on_shutdown(self) -> None:
        if self.dev_proxy is not None:
            from mkdocs_spotify.plugin.devproxy import stop_forwarding

            self.dev_proxy.stop()
            self.dev_proxy = None
            log.info("Dev proxy stopped.")
            if self.forwarding is not None:
                stop_forwarding(self.forwarding)
                self.forwarding = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return None
        self.proxy_url = self._proxy_url(config)
        self.elements = {}
        self.list_pages = set()
        listening = self.config.listening
        self.snapshots = Snapshots(
            proxy_base(self.proxy_url, config.site_url) if listening.snapshots else None,
            Path(config.config_file_path or ".").parent / CACHE_DIR,
            listening.cache if self.config.listening_cache is None else self.config.listening_cache,
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

    # Early, so the element is in place before minifiers (listed first, as owners append plugins)
    # rewrite the page.
    @event_priority(50)
    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        if not self.config.enabled:
            return None
        if page.file.src_uri in self.list_pages:
            # A page skipped for the footer widget still shows its lists.
            output = add_list_stylesheet(output, page.url)
        if self._skipped(page.file.src_uri, _template_of(page)):
            return output
        return self._insert(output) or output

    @event_priority(50)
    def on_post_template(
        self, output_content: str, /, *, template_name: str, config: MkDocsConfig
    ) -> str | None:
        # 404.html (and readthedocs' search.html) are templates, not pages: no on_post_page.
        if not self.config.enabled or not template_name.endswith(".html"):
            return None
        if self._skipped(None, template_name):
            return None
        return self._insert(output_content)

    def _insert(self, html: str) -> str | None:
        shape = read_page(html)
        # A page that does not link the script (a hand-written static template, say) would show
        # an inert box.
        if shape.has_widget or not shape.links_script:
            return None
        return place_widget(html, shape, self._element(shape.lang), self.config.placement)

    def _element(self, lang: str) -> str:
        if lang not in self.elements:
            labels = self.config.labels.for_language(lang)
            attributes = widget_attributes(self.config, self.proxy_url, labels)
            self.elements[lang] = widget_element(attributes)
        return self.elements[lang]

    def _skipped(self, src_uri: str | None, template: str) -> bool:
        skip = self.config.skip
        if src_uri is not None and any(fnmatchcase(src_uri, glob) for glob in skip.pages):
            return True
        return any(fnmatchcase(template, glob) for glob in skip.templates)

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
            forward_proxy_logs,
            serve_origins,
            stop_forwarding,
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
        self.forwarding = forward_proxy_logs(log)
        try:
            proxy.start()
        except DevProxyError as error:
            stop_forwarding(self.forwarding)
            self.forwarding = None
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


def _template_of(page: Page) -> str:
    template = page.meta.get("template")
    return template if isinstance(template, str) and template else "main.html"
