"""A Python-Markdown extension that turns a one-line block into one of the widget's elements.

For sites that cannot run the MkDocs plugin (Zensical runs Markdown extensions but no MkDocs
plugins: https://zensical.org/docs/compatibility/mkdocs/plugins/) and for pages of any MkDocs site
that want an element in their text. In `mkdocs.yml`:

    markdown_extensions:
      - mkdocs_spotify.markdown:
          proxy_url: https://spotify-proxy.your-domain.org

and in a page, a paragraph of its own:

    [spotify-top-tracks range=short_term limit=10]

becomes `<spotify-top-tracks proxy-url="https://..." range="short_term" limit="10">`. The
attributes are the elements' own (docs/widget.md); `proxy-url` defaults to the `proxy_url` option.
The element does nothing without its script: the site lists the widget's files under
`extra_javascript` and `extra_css` (docs/zensical.md).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Extension, Markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor

log = logging.getLogger(__name__)

TAGS = (
    "spotify-now-playing",
    "spotify-recently-played",
    "spotify-top-tracks",
    "spotify-top-artists",
)
_VALUE = r"""(?:"[^"]*"|'[^']*'|[^\s"'\]]+)"""
_ATTRIBUTE = re.compile(rf"([a-z][a-z0-9-]*)=({_VALUE})")
_BLOCK = re.compile(
    rf"\[(?P<tag>{'|'.join(TAGS)})(?P<attributes>(?:\s+[a-z][a-z0-9-]*={_VALUE})*)\s*\]"
)
# Before the paragraph processor (priority 10), after code blocks and quotes.
PRIORITY = 15


def parse_attributes(text: str) -> dict[str, str]:
    """`range=short_term limit="10"` -> {"range": "short_term", "limit": "10"}."""
    attributes: dict[str, str] = {}
    for name, value in _ATTRIBUTE.findall(text):
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        attributes[name] = value
    return attributes


class ElementBlocks(BlockProcessor):
    def __init__(self, parser: BlockParser, proxy_url: str) -> None:
        super().__init__(parser)
        self.proxy_url = proxy_url

    def test(self, parent: etree.Element, block: str) -> bool:
        return _BLOCK.fullmatch(block.strip()) is not None

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        found = _BLOCK.fullmatch(blocks.pop(0).strip())
        if found is None:  # test() said yes; this keeps mypy and a future caller honest
            return False
        attributes = parse_attributes(found["attributes"])
        if "proxy-url" not in attributes:
            if not self.proxy_url:
                log.warning(
                    "[%s] has no proxy-url: add proxy-url=... to it, or set proxy_url under "
                    "the mkdocs_spotify.markdown extension in mkdocs.yml.",
                    found["tag"],
                )
            else:
                attributes = {"proxy-url": self.proxy_url, **attributes}
        element = etree.SubElement(parent, found["tag"], attributes)
        element.text = ""
        return None


class SpotifyExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "proxy_url": ["", "Base URL of your proxy, used by blocks without proxy-url."],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # `!ENV SPOTIFY_PROXY_URL` with the variable unset gives None.
        proxy_url = str(self.getConfig("proxy_url") or "").strip().rstrip("/")
        md.parser.blockprocessors.register(
            ElementBlocks(md.parser, proxy_url), "spotify_elements", PRIORITY
        )


def makeExtension(**kwargs: Any) -> SpotifyExtension:
    return SpotifyExtension(**kwargs)
