"""The plugin's options (`- spotify:` under `plugins:`), each checked with one sentence."""

from __future__ import annotations

from urllib.parse import urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import BaseConfigOption, ValidationError

# Keys of `labels`; each becomes the widget's `label-<key>` attribute.
LABEL_KEYS = ("playing", "paused", "last", "idle", "offline", "open")
IDLE_CHOICES = ("last", "message", "hide")
MIN_INTERVAL_FLOOR = 2


class ProxyUrl(BaseConfigOption[str]):
    """An absolute http(s) URL or a root-relative path, without its trailing slash."""

    def run_validation(self, value: object, /) -> str:
        problem = ValidationError(
            "Set it to the proxy's base URL, like https://spotify-proxy.example.com, "
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
        return url.rstrip("/")


class Flag(BaseConfigOption[bool]):
    """`true` or `false`, nothing that merely looks like it."""

    def __init__(self, default: bool) -> None:
        super().__init__()
        self.default = default

    def validate(self, value: object, /) -> bool:
        return self.default if value is None else self.run_validation(value)

    def run_validation(self, value: object, /) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"Set it to true or false (got {value!r}).")
        return value


class WholeNumber(BaseConfigOption[int]):
    """An integer within bounds, e.g. seconds or a port."""

    def __init__(self, default: int, minimum: int, maximum: int, what: str) -> None:
        super().__init__()
        self.default = default
        self.minimum = minimum
        self.maximum = maximum
        self.what = what

    def validate(self, value: object, /) -> int:
        return self.default if value is None else self.run_validation(value)

    def run_validation(self, value: object, /) -> int:
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


class Placement(BaseConfigOption[str]):
    """`footer`, or a CSS selector of the element the widget should move into."""

    def __init__(self) -> None:
        super().__init__()
        self.default = "footer"

    def validate(self, value: object, /) -> str:
        return self.default if value is None else self.run_validation(value)

    def run_validation(self, value: object, /) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"Set it to footer or to a CSS selector such as '.md-sidebar--secondary' "
                f"(got {value!r})."
            )
        return value.strip()


class Labels(BaseConfigOption[dict[str, str]]):
    """Texts of the widget, for sites in other languages."""

    def __init__(self) -> None:
        super().__init__()
        self.default: dict[str, str] = {}

    def validate(self, value: object, /) -> dict[str, str]:
        return {} if value is None else self.run_validation(value)

    def run_validation(self, value: object, /) -> dict[str, str]:
        known = ", ".join(LABEL_KEYS)
        if not isinstance(value, dict):
            raise ValidationError(f"Write it as a mapping with keys among {known} (got {value!r}).")
        labels: dict[str, str] = {}
        for key, text in value.items():
            if key not in LABEL_KEYS:
                raise ValidationError(f"Unknown label {key!r}: use only {known}.")
            if not isinstance(text, str) or not text.strip():
                raise ValidationError(f"Label {key!r} must be a non-empty text (got {text!r}).")
            labels[key] = text.strip()
        return labels


class ListeningConfig(base.Config):  # type: ignore[no-untyped-call]
    """`listening:`: the build-time snapshots of `<spotify-top-tracks>` and its siblings."""

    snapshots = Flag(default=True)
    """Fill the lists at build time from the proxy (false: the browser fills them)."""

    cache = WholeNumber(default=60, minimum=0, maximum=10080, what="a whole number of minutes")
    """Minutes a snapshot is reused by later builds (0: read the proxy on every build)."""

    timeout = WholeNumber(default=5, minimum=1, maximum=60, what="a whole number of seconds")
    """Seconds to wait for the proxy at build time before building without a snapshot."""


# mkdocs' __init_subclass__ hooks carry no annotations.
class SpotifyConfig(base.Config):  # type: ignore[no-untyped-call]
    enabled = Flag(default=True)
    """Turn the whole plugin off (nothing injected, nothing copied), e.g. `!ENV [CI, true]`."""

    proxy_url: c.Optional[str] = c.Optional(ProxyUrl())
    """Base URL of your proxy; the widget fetches `{proxy_url}/v1/now-playing`. Required to build;
    during `mkdocs serve` with `dev_proxy` the widget uses the local dev proxy instead."""

    placement = Placement()
    """`footer` (inside the theme's footer), or a CSS selector the widget moves itself into."""

    when_idle = c.Choice(IDLE_CHOICES, default="last")
    """What shows when nothing plays: the last played item, a message, or nothing."""

    album_art = Flag(default=True)
    """Show the album art (or the show's cover for episodes)."""

    progress_bar = Flag(default=True)
    """Show a progress bar under the track."""

    min_interval = WholeNumber(
        default=5, minimum=MIN_INTERVAL_FLOOR, maximum=3600, what="a whole number of seconds"
    )
    """Seconds: the widget never fetches more often than this."""

    max_interval = MaxInterval(
        default=60, minimum=MIN_INTERVAL_FLOOR, maximum=3600, what="a whole number of seconds"
    )
    """Seconds: the widget fetches at least this often (heartbeat for pauses and skips)."""

    labels = Labels()
    """Texts for other languages; keys: playing, paused, last, idle, offline, open."""

    dev_proxy = Flag(default=True)
    """Start a local proxy inside `mkdocs serve` (your account if configured, demo otherwise)."""

    dev_proxy_port = WholeNumber(
        default=0, minimum=0, maximum=65535, what="a port number (0: any free port)"
    )
    """Port of the dev proxy on 127.0.0.1; 0 picks a free one."""

    listening = c.SubConfig(ListeningConfig)
    """Build-time snapshots of the listening lists (docs/listening.md)."""
