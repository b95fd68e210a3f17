"""The listening elements in a page and their build-time snapshot markup. Pure string work.

Authors write `<spotify-top-tracks range="short_term" limit="10"></spotify-top-tracks>` (or
`spotify-recently-played`, `spotify-top-artists`) on its own line. Python-Markdown wraps such an
unknown tag in `<p>`, where a `<div>` or `<ol>` inside it would break out of the paragraph, so
the `<p>` goes. The snapshot uses the same classes as `widget/spotify-lists.js`, which replaces
it with a live list in the browser. Everything from the proxy is checked again here (links and
images on Spotify's hosts only) and every text is escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape, unescape
from typing import Any

from proxy.answers.nowplaying import safe_image_url, safe_spotify_url

RANGES = {"short_term": "last 4 weeks", "medium_term": "last 6 months", "long_term": "all time"}
KINDS = {
    "spotify-recently-played": ("recently-played", "Recently played"),
    "spotify-top-tracks": ("top/tracks", "Top tracks"),
    "spotify-top-artists": ("top/artists", "Top artists"),
}
DEFAULT_LIMIT = 10
LOGO = (
    "M12 0a12 12 0 0 0 0 24 12 12 0 0 0 0-24zm5.5 17.3c-.2.4-.7.5-1 .3-2.8-1.7-6.4-2.1-10.6-1.1"
    "-.4.1-.8-.2-.9-.6-.1-.4.2-.8.6-.9 4.6-1 8.6-.6 11.7 1.3.3.2.4.7.2 1zm1.5-3.3c-.3.4-.8.6-1.3"
    ".3-3.2-2-8.1-2.6-11.9-1.4-.5.1-1-.1-1.2-.6-.1-.5.1-1 .6-1.2 4.4-1.3 9.8-.7 13.5 1.6.5.3.6.9"
    ".3 1.3zm.1-3.4C15.2 8.4 8.7 8.2 5 9.3c-.6.2-1.2-.2-1.4-.7-.2-.6.2-1.2.7-1.4 4.3-1.3 11.5-1 "
    "16 1.6.5.3.7 1 .4 1.5-.3.5-1 .7-1.6.4z"
)

_TAGS = "|".join(KINDS)
_ELEMENT = re.compile(
    rf"(?:<p>\s*)?<(?P<tag>{_TAGS})(?P<attrs>(?:\s+[^>]*)?)>(?P<body>.*?)</(?P=tag)>(?:\s*</p>)?",
    re.DOTALL,
)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_][-\w]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_LIMIT = re.compile(r"[1-9][0-9]?")


@dataclass(frozen=True)
class ListElement:
    """One element found in a page: its tag, its attributes, and where it sits."""

    tag: str
    attributes: dict[str, str]
    start: int
    end: int

    @property
    def path(self) -> str:
        """The proxy path and query this element shows (validated, as the proxy wants them)."""
        endpoint = KINDS[self.tag][0]
        raw_limit = self.attributes.get("limit", "")
        limit = raw_limit if _LIMIT.fullmatch(raw_limit) and int(raw_limit) <= 50 else "10"
        if endpoint == "recently-played":
            return f"/v1/{endpoint}?limit={limit}"
        return f"/v1/{endpoint}?range={self.range}&limit={limit}"

    @property
    def range(self) -> str:
        value = self.attributes.get("range", "")
        return value if value in RANGES else "short_term"


def find_elements(html: str) -> list[ListElement]:
    return [
        ListElement(match["tag"], _attributes(match["attrs"]), match.start(), match.end())
        for match in _ELEMENT.finditer(html)
    ]


def fill(
    html: str,
    answers: dict[str, dict[str, Any] | None],
    proxy_url: str,
    as_of: dict[str, float],
) -> str:
    """`html` with each element given `proxy-url` (unless set) and its snapshot (when known).

    `answers` maps an element's `path` to the proxy's answer, `as_of` to its epoch seconds.
    """
    out: list[str] = []
    position = 0
    for element in find_elements(html):
        attributes = {"proxy-url": proxy_url, **element.attributes}
        answer = answers.get(element.path)
        body = "" if answer is None else snapshot(element, answer, as_of[element.path])
        rendered = "".join(f' {name}="{escape(value)}"' for name, value in attributes.items())
        out += [html[position : element.start], f"<{element.tag}{rendered}>{body}</{element.tag}>"]
        position = element.end
    out.append(html[position:])
    return "".join(out)


def snapshot(element: ListElement, answer: dict[str, Any], as_of: float) -> str:
    """The static list: heading, numbered entries, Spotify's logo and link, an "as of" date."""
    attributes = element.attributes
    heading = attributes.get("label") or KINDS[element.tag][1]
    head = f'<span class="spl-heading">{escape(heading)}</span>'
    list_name = heading
    if element.tag != "spotify-recently-played":
        key = "label-" + element.range.replace("_", "-")
        range_label = attributes.get(key) or RANGES[element.range]
        head += f' <span class="spl-range">{escape(range_label)}</span>'
        list_name += f" {range_label}"
    label_open = escape(attributes.get("label-open") or "Listen on Spotify")
    head += (
        f'<a class="spl-logo" href="https://open.spotify.com/" target="_blank" '
        f'rel="noopener noreferrer" aria-label="{label_open}"><svg viewBox="0 0 24 24" '
        f'aria-hidden="true"><path d="{LOGO}"></path></svg></a>'
    )
    items = answer.get("items")
    entries = (
        [_entry(item) for item in items if isinstance(item, dict)]
        if isinstance(items, list)
        else []
    )
    entries = [entry for entry in entries if entry]
    if entries:
        body = f'<ol class="spl-list" aria-label="{escape(list_name)}">{"".join(entries)}</ol>'
    else:
        empty = attributes.get("label-empty") or "Nothing to show yet."
        body = f'<p class="spl-empty">{escape(empty)}</p>'
    when = datetime.fromtimestamp(as_of, UTC)
    stamp = when.isoformat(timespec="seconds").replace("+00:00", "Z")
    as_of_line = (
        f'<p class="spl-asof">As of <time datetime="{stamp}">'
        f"{when.strftime('%Y-%m-%d %H:%M')} UTC</time></p>"
    )
    return f'<div class="spl"><p class="spl-head">{head}</p>{body}{as_of_line}</div>'


def _entry(raw: dict[str, Any]) -> str:
    name = raw.get("title") or raw.get("name")
    if not isinstance(name, str) or not name:
        return ""
    local = raw.get("is_local") is True

    def link(value: object, css: str, text: str) -> str:
        url = None if local else safe_spotify_url(value)
        if url is None:
            return f'<span class="{css}">{escape(text)}</span>'
        return (
            f'<a class="{css}" href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
            f"{escape(text)}</a>"
        )

    album = raw.get("album") if isinstance(raw.get("album"), dict) else None
    album_name = album.get("name") if album and isinstance(album.get("name"), str) else name
    image = raw.get("image")
    src = None if local or not isinstance(image, dict) else safe_image_url(image.get("url"))
    art_url = None if local else safe_spotify_url(album.get("url") if album else raw.get("url"))
    picture = (
        f'<img src="{escape(src)}" alt="{escape(album_name)}" width="64" height="64" '
        'loading="lazy" referrerpolicy="no-referrer">'
        if src
        else ""
    )
    tag = (
        f'a href="{escape(art_url)}" target="_blank" rel="noopener noreferrer"'
        if art_url
        else "span"
    )
    art = f'<{tag} class="spl-art" title="{escape(album_name)}">{picture}</{tag.split()[0]}>'
    words = link(raw.get("url"), "spl-name", name)
    artists = raw.get("artists")
    if isinstance(artists, list):
        names = [
            link(artist.get("url"), "", artist["name"])
            for artist in artists
            if isinstance(artist, dict) and isinstance(artist.get("name"), str)
        ]
        words += f'<span class="spl-by">{", ".join(names)}</span>'
    played = raw.get("played_at")
    when = ""
    if isinstance(played, int) and not isinstance(played, bool) and 0 < played < 10**14:
        moment = datetime.fromtimestamp(played / 1000, UTC)
        when = (
            f'<time class="spl-when" datetime="{moment.isoformat(timespec="seconds")}">'
            f"{moment.strftime('%Y-%m-%d %H:%M')} UTC</time>"
        )
    return f'<li class="spl-item">{art}<span class="spl-text">{words}</span>{when}</li>'


def _attributes(text: str) -> dict[str, str]:
    return {
        name.lower(): unescape(double or single or bare)
        for name, double, single, bare in _ATTRIBUTE.findall(text)
    }
