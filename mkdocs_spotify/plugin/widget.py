"""The `<spotify-now-playing>` element and where it goes in a page (pure string work, no MkDocs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

from mkdocs_spotify.plugin.config import SpotifyConfig

TAG = "spotify-now-playing"
FOOTER = "footer"

_DIV = re.compile(r"<(/?)div\b", re.IGNORECASE)


def widget_attributes(config: SpotifyConfig, proxy_url: str) -> dict[str, str]:
    """The element's attributes (contract-extra #4) for these options."""
    attributes = {
        "proxy-url": proxy_url,
        "idle": config.when_idle,
        "art": "on" if config.album_art else "off",
        "progress": "on" if config.progress_bar else "off",
        "min-interval": str(config.min_interval),
        "max-interval": str(config.max_interval),
    }
    if config.placement != FOOTER:
        attributes["placement"] = config.placement
    attributes.update({f"label-{key}": text for key, text in config.labels.items()})
    return attributes


def widget_element(attributes: Mapping[str, str]) -> str:
    rendered = "".join(
        f' {name}="{escape(value, quote=True)}"' for name, value in attributes.items()
    )
    return f"<{TAG}{rendered}></{TAG}>"


def insert_widget(html: str, element: str, placement: str = FOOTER) -> str | None:
    """`html` with `element` placed once; None when there is nowhere to put it or it is there.

    In the footer: Material's copyright block (or its footer row), else the theme's last
    `</footer>`, else the end of `<body>`. A selector placement goes to the end of `<body>`: the
    widget moves itself into the selected element at runtime, where the DOM is known.
    """
    if f"<{TAG}" in html:
        return None
    at = _footer_position(html) if placement == FOOTER else None
    if at is None:
        at = html.rfind("</body>")
    if at < 0:
        return None
    return html[:at] + element + html[at:]


def _footer_position(html: str) -> int | None:
    copyright_end = _end_of_div(html, "md-copyright")
    if copyright_end is not None:
        return copyright_end
    row_end = _end_of_div(html, "md-footer-meta__inner")
    if row_end is not None:
        # Inside the row, before its closing tag.
        return row_end - len("</div>")
    footer_end = html.rfind("</footer>")
    return footer_end if footer_end >= 0 else None


def _end_of_div(html: str, css_class: str) -> int | None:
    """Index just after the `</div>` closing the first div with `css_class`, or None."""
    opening = re.search(
        rf'<div\b[^>]*\bclass="(?:[^"]*\s)?{re.escape(css_class)}(?:\s[^"]*)?"', html
    )
    if opening is None:
        return None
    depth = 0
    for tag in _DIV.finditer(html, opening.start()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            close = html.find(">", tag.end())
            return None if close < 0 else close + 1
    return None
