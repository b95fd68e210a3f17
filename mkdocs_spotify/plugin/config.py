"""The plugin's options (`- spotify:` under `plugins:`), each checked with one sentence.

The options are MkDocs' own config options (`Type`, `Choice`, `Optional`, `SubConfig`,
`ListOfItems`), subclassed only to say what to change in the project's words. They come in blocks:
`WidgetOptions` for the now-playing element (kept at the top level, where they always were), the
site-wide options in `SpotifyConfig`, and one `SubConfig` per further block (`skip` today; a
listening-lists block adds its own the same way).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import cssselect
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import BaseConfigOption, ValidationError

from mkdocs_spotify.plugin.labels import LABEL_KEYS, Labels, language_tag

IDLE_CHOICES = ("last", "message", "hide")
MIN_INTERVAL_FLOOR = 2
MAX_INTERVAL_CEILING = 3600

# Reserved for documentation (RFC 2606, https://www.rfc-editor.org/rfc/rfc2606): a proxy_url
# there is a README example that was published by mistake.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
# What owners paste when they copy the endpoint instead of the base URL.
ENDPOINT_SUFFIXES = ("/v1/now-playing/stream", "/v1/now-playing", "/v1")


class Flag(c.Type[bool]):
    """`true` or `false`, nothing that merely looks like it."""

    def __init__(self, default: bool | None = None) -> None:
        super().__init__(bool, default=default)

    def run_validation(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"Set it to true or false (got {value!r}).")
        return value


class WholeNumber(c.Type[int]):
    """An integer within bounds, e.g. seconds or a port."""

    def __init__(self, default: int, minimum: int, maximum: int, what: str) -> None:
        super().__init__(int, default=default)
        self.minimum = minimum
        self.maximum = maximum
        self.what = what

    def run_validation(self, value: object) -> int:
        # bool is an int in Python; `true` is never a sensible number of seconds.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Set it to {self.what} (got {value!r}).")
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(
                f"Set it to {self.what} from {self.minimum} to {self.maximum} (got {value})."
            )
        return value


class MaxInterval(WholeNumber):
    """The upper polling bound, which must not be below `min_interval`."""

    def post_validation(self, config: base.Config, key_name: str) -> None:
        low, high = config["min_interval"], config[key_name]
        if high < low:
            raise ValidationError(
                f"Set it to at least min_interval ({low}), or lower min_interval (got {high})."
            )


class OneOf(c.Choice[str]):
    """One of a few words, with the project's sentence instead of MkDocs' tuple."""

    def run_validation(self, value: object) -> str:
        if value not in self.choices:
            words = ", ".join(map(str, self.choices))
            raise ValidationError(f"Set it to one of {words} (got {value!r}).")
        return str(value)


class ProxyUrl(c.Type[str]):
    """An absolute http(s) URL or a root-relative path, without its trailing slash."""

    def __init__(self) -> None:
        super().__init__(str)

    def run_validation(self, value: object) -> str:
        problem = ValidationError(
            "Set it to the proxy's base URL, like https://spotify-proxy.your-domain.org, "
            f"or to a root-relative path like /spotify (got {value!r})."
        )
        if not isinstance(value, str):
            raise problem
        url = value.strip()
        try:
            parts = urlsplit(url)
            absolute = parts.scheme in {"http", "https"} and bool(parts.hostname)
        except ValueError:
            raise problem from None
        # "/" alone would be the site itself, never a proxy.
        root_relative = url.startswith("/") and not url.startswith("//") and url.strip("/") != ""
        if not (absolute or root_relative) or parts.query or parts.fragment:
            raise problem
        if parts.username is not None or parts.password is not None:
            # It would be published in every page, and fetch() refuses URLs with credentials.
            raise ValidationError(
                "Remove the user name and password from it: every visitor would see them, and "
                "browsers refuse to fetch such a URL (protect the proxy another way)."
            )
        url = url.rstrip("/")
        base_url = _without_endpoint(url)
        if not base_url:
            raise problem
        if base_url != url:
            self.warnings.append(
                f"Leave {url.removeprefix(base_url)} out: proxy_url is the proxy's base URL and "
                f"the widget adds the endpoint itself, so {base_url or '/'!r} is used."
            )
        host = (parts.hostname or "").lower()
        if any(host == domain or host.endswith("." + domain) for domain in EXAMPLE_DOMAINS):
            self.warnings.append(
                f"{host} is a documentation example, not your proxy: set proxy_url to your "
                "proxy's address (every page would otherwise publish the example)."
            )
        return base_url


def _without_endpoint(url: str) -> str:
    for suffix in ENDPOINT_SUFFIXES:
        if url.endswith(suffix):
            return url.removesuffix(suffix)
    return url


class Placement(c.Type[str]):
    """`footer`, or a CSS selector of the element the widget should move into."""

    def __init__(self) -> None:
        super().__init__(str, default="footer")

    def run_validation(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"Set it to footer or to a CSS selector such as '.md-sidebar--secondary' "
                f"(got {value!r})."
            )
        selector = value.strip()
        if selector != "footer":
            # The browser's querySelector would throw on it in every page; say so at build time.
            try:
                cssselect.parse(selector)
            except cssselect.SelectorSyntaxError:
                raise ValidationError(
                    f"Set it to footer or to a valid CSS selector such as "
                    f"'.md-sidebar--secondary' ({selector!r} is not one)."
                ) from None
        return selector


class LabelsOption(c.OptionallyRequired[Labels]):
    """Texts of the widget: one mapping for every page, and/or one per language."""

    def __init__(self) -> None:
        super().__init__(default={})

    def run_validation(self, value: object) -> Labels:
        known = ", ".join(LABEL_KEYS)
        if not isinstance(value, dict):
            raise ValidationError(f"Write it as a mapping with keys among {known} (got {value!r}).")
        every: dict[str, str] = {}
        languages: dict[str, dict[str, str]] = {}
        for key, text in value.items():
            if key in LABEL_KEYS:
                every[key] = _label_text(key, text)
            elif isinstance(key, str) and language_tag(key) and isinstance(text, dict):
                languages[language_tag(key)] = {
                    name: _label_text(name, words) for name, words in _label_items(key, text)
                }
            else:
                raise ValidationError(
                    f"Unknown label {key!r}: use only {known}, or a language code such as fr "
                    "holding those keys."
                )
        return Labels(every, languages)


def _label_items(language: str, texts: dict[Any, Any]) -> list[tuple[str, Any]]:
    known = ", ".join(LABEL_KEYS)
    for name in texts:
        if name not in LABEL_KEYS:
            raise ValidationError(f"Unknown label {name!r} under {language!r}: use only {known}.")
    return list(texts.items())


def _label_text(key: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"Label {key!r} must be a non-empty text (got {text!r}).")
    return text.strip()


class Pattern(c.Type[str]):
    """A page's source path glob (`blog/*.md`) or a template name (`home.html`)."""

    def __init__(self) -> None:
        super().__init__(str)

    def run_validation(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"Write each entry as a glob like 'drafts/*.md' or a template name like "
                f"'home.html' (got {value!r})."
            )
        return value.strip().lstrip("/")


class Patterns(c.ListOfItems[str]):
    def __init__(self) -> None:
        super().__init__(Pattern(), default=[])

    def run_validation(self, value: object) -> list[str]:
        if isinstance(value, str):  # one entry written without the list brackets
            value = [value]
        if not isinstance(value, list):
            raise ValidationError(f"Write it as a list of patterns (got {value!r}).")
        return super().run_validation(value)


_MINUTES = WholeNumber(default=60, minimum=0, maximum=10080, what="a whole number of minutes")


class OptionalMinutes(BaseConfigOption[int | None]):
    """A whole number of minutes (0 to a week), or unset."""

    def validate(self, value: object, /) -> int | None:
        return None if value is None else self.run_validation(value)

    def run_validation(self, value: object, /) -> int:
        return _MINUTES.run_validation(value)


class ListeningConfig(base.Config):  # type: ignore[no-untyped-call]
    """`listening:`: the build-time snapshots of `<spotify-top-tracks>` and its siblings."""

    snapshots = Flag(default=True)
    """Fill the lists at build time from the proxy (false: the browser fills them)."""

    cache = WholeNumber(default=60, minimum=0, maximum=10080, what="a whole number of minutes")
    """Minutes a snapshot is reused by later builds (0: read the proxy on every build)."""

    timeout = WholeNumber(default=5, minimum=1, maximum=60, what="a whole number of seconds")
    """Seconds to wait for the proxy at build time before building without a snapshot."""


# mkdocs' __init_subclass__ hooks carry no annotations.
class SkipConfig(base.Config):  # type: ignore[no-untyped-call]
    pages = Patterns()
    """Globs of pages' source paths (relative to docs_dir) that get no widget, e.g. `index.md`."""

    templates = Patterns()
    """Template names whose pages get no widget, e.g. Material's `home.html`, or `404.html`."""


class WidgetOptions(base.Config):  # type: ignore[no-untyped-call]
    """How the now-playing element looks and behaves (its attributes)."""

    placement = Placement()
    """`footer` (inside the theme's footer), or a CSS selector the widget moves itself into."""

    when_idle = OneOf(IDLE_CHOICES, default="last")
    """What shows when nothing plays: the last played item, a message, or nothing."""

    album_art = Flag(default=True)
    """Show the album art (or the show's cover for episodes)."""

    progress_bar = Flag(default=True)
    """Show a progress bar under the track."""

    min_interval = WholeNumber(
        default=5,
        minimum=MIN_INTERVAL_FLOOR,
        maximum=MAX_INTERVAL_CEILING,
        what="a whole number of seconds",
    )
    """Seconds: the widget never fetches more often than this."""

    max_interval = MaxInterval(
        default=60,
        minimum=MIN_INTERVAL_FLOOR,
        maximum=MAX_INTERVAL_CEILING,
        what="a whole number of seconds",
    )
    """Seconds: the widget fetches at least this often (heartbeat for pauses and skips)."""

    live = c.Optional(Flag())
    """`true`: the widget listens to the proxy's live stream; `false`: it only polls; unset: the
    widget's own default."""

    labels = LabelsOption()
    """Texts: keys playing, paused, last, idle, offline, open, for every page, or under a language
    code (`fr: {...}`) for pages in that language. English, French, German and Spanish ship."""


class SpotifyConfig(WidgetOptions):  # type: ignore[no-untyped-call]
    enabled = Flag(default=True)
    """Turn the whole plugin off (nothing injected, nothing copied), e.g. `!ENV [CI, true]`."""

    proxy_url = c.Optional(ProxyUrl())
    """Base URL of your proxy; the widget fetches `{proxy_url}/v1/now-playing`. Required to build;
    during `mkdocs serve` with `dev_proxy` the widget uses the local dev proxy instead."""

    skip = c.SubConfig(SkipConfig)
    """Pages that get no widget, by source path glob or by template."""

    dev_proxy = Flag(default=True)
    """Start a local proxy inside `mkdocs serve` (your account if configured, demo otherwise)."""

    dev_proxy_port = WholeNumber(
        default=0, minimum=0, maximum=65535, what="a port number (0: any free port)"
    )
    """Port of the dev proxy on 127.0.0.1; 0 picks a free one."""

    listening = c.SubConfig(ListeningConfig)
    """Build-time snapshots of the listening lists (docs/listening.md)."""

    listening_cache = OptionalMinutes()
    """Shorthand for `listening.cache` (minutes); when set, it wins."""
