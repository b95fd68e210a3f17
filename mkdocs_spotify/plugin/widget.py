"""The `<spotify-now-playing>` element and where it goes in a page (pure string work, no MkDocs).

Pages are read with Python's `html.parser`, as a browser would tokenise them, so minified HTML
(`class=md-copyright`, single quotes, no optional end tags) and `<script>` bodies that happen to
contain `</footer>` do not move the widget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from itertools import accumulate

from mkdocs_spotify.plugin.config import WidgetOptions

TAG = "spotify-now-playing"
SCRIPT_NAME = "spotify-now-playing.js"
FOOTER = "footer"
COPYRIGHT = "md-copyright"
FOOTER_ROW = "md-footer-meta__inner"


def widget_attributes(
    config: WidgetOptions, proxy_url: str, labels: Mapping[str, str]
) -> dict[str, str]:
    """The element's attributes (documented in docs/widget.md) for these options and texts."""
    attributes = {
        "proxy-url": proxy_url,
        "idle": config.when_idle,
        "art": "on" if config.album_art else "off",
        "progress": "on" if config.progress_bar else "off",
        "min-interval": str(config.min_interval),
        "max-interval": str(config.max_interval),
    }
    if config.live is not None:
        attributes["live"] = "" if config.live else "off"
    if config.placement != FOOTER:
        attributes["placement"] = config.placement
    attributes.update({f"label-{key}": text for key, text in labels.items()})
    return attributes


def widget_element(attributes: Mapping[str, str]) -> str:
    rendered = "".join(
        f' {name}="{escape(value, quote=True)}"' if value else f" {name}"
        for name, value in attributes.items()
    )
    return f"<{TAG}{rendered}></{TAG}>"


@dataclass
class PageShape:
    """What the plugin needs to know of a built page; offsets index the page's text."""

    lang: str = ""
    has_widget: bool = False
    links_script: bool = False
    has_body: bool = False
    copyright_end: int | None = None  # just after the `</div>` closing Material's copyright
    footer_row_close: int | None = None  # at the `</div>` closing Material's footer row
    last_footer_close: int | None = None  # at the last `</footer>`
    body_close: int | None = None  # at `</body>`


def read_page(html: str) -> PageShape:
    reader = _Reader(html)
    reader.feed(html)
    reader.close()
    return reader.shape


def insert_widget(html: str, element: str, placement: str = FOOTER) -> str | None:
    """`html` with `element` placed once; None when there is nowhere to put it or it is there."""
    shape = read_page(html)
    if shape.has_widget:
        return None
    return place_widget(html, shape, element, placement)


def place_widget(html: str, shape: PageShape, element: str, placement: str) -> str | None:
    """In the footer: after Material's copyright block (or at the end of its footer row), else
    before the theme's last `</footer>`, else at the end of `<body>`. A selector placement goes to
    the end of `<body>`: the widget moves itself into the selected element at runtime, where the
    DOM is known. None for a fragment without `<body>`."""
    candidates = [shape.body_close]
    if placement == FOOTER:
        candidates = [
            shape.copyright_end,
            shape.footer_row_close,
            shape.last_footer_close,
            *candidates,
        ]
    at = next((offset for offset in candidates if offset is not None), None)
    if at is None:
        # Minified pages may leave out the optional `</body>`; the element then ends the page.
        if not shape.has_body:
            return None
        at = len(html.rstrip().removesuffix("</html>").rstrip())
    return html[:at] + element + html[at:]


class _Reader(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.shape = PageShape()
        # getpos() counts lines by "\n" alone.
        self._line_starts = [0, *accumulate(len(line) + 1 for line in html.split("\n"))]
        self._divs: list[str] = []  # the slot each open div closes ("" for others)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html" and not self.shape.lang:
            self.shape.lang = values.get("lang") or ""
        elif tag == "body":
            self.shape.has_body = True
        elif tag == TAG:
            self.shape.has_widget = True
        elif tag == "script":
            source = (values.get("src") or "").split("?")[0].split("#")[0]
            self.shape.links_script |= source.endswith("/" + SCRIPT_NAME) or source == SCRIPT_NAME
        elif tag == "div":
            classes = (values.get("class") or "").split()
            slot = next((name for name in (COPYRIGHT, FOOTER_ROW) if name in classes), "")
            self._divs.append(slot)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs:
            slot = self._divs.pop()
            at = self._offset()
            if slot == COPYRIGHT and self.shape.copyright_end is None:
                self.shape.copyright_end = self.html.index(">", at) + 1
            elif slot == FOOTER_ROW and self.shape.footer_row_close is None:
                self.shape.footer_row_close = at
        elif tag == "footer":
            self.shape.last_footer_close = self._offset()
        elif tag == "body" and self.shape.body_close is None:
            self.shape.body_close = self._offset()
