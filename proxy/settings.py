"""Settings of the proxy, the login helper and the doctor, built once from flags, env and `.env`.

Nothing else in the project reads `os.environ`: every part receives a `Settings`.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from dotenv import dotenv_values
from dotenv.parser import parse_stream

from proxy.clock import parse_timestamp

DEFAULT_ACCOUNTS_URL = "https://accounts.spotify.com"
DEFAULT_API_URL = "https://api.spotify.com/v1"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_CACHE_TTL = 5.0
MIN_CACHE_TTL = 0.5
# An answer older than an hour is no longer "now playing", and the 503 Retry-After follows the TTL.
MAX_CACHE_TTL = 3600.0
DEFAULT_UPSTREAM_TIMEOUT = 5.0
# A visitor with no answer yet waits this long; a minute already means Spotify is down.
MAX_UPSTREAM_TIMEOUT = 60.0

DEFAULT_RECENT_TTL = 30.0
DEFAULT_TOP_TTL = 3600.0
# Top items move over weeks; a day-old answer is still the owner's top list.
MAX_TOP_TTL = 86400.0
# The delay buffer holds answers this long at most (a day of minutes).
MAX_DELAY_MINUTES = 1440.0
# Live streams (`/v1/now-playing/stream`) one process holds at most; each is an open file.
DEFAULT_MAX_STREAMS = 10_000
MAX_MAX_STREAMS = 1_000_000
# A comment line every 15 s keeps idle connections open through proxies and load balancers
# that close silent ones (often after 30-60 s) and shows a reader that went away.
DEFAULT_STREAM_PING = 15.0
# A reader whose socket takes no more bytes for this long is dropped (its slot is freed).
DEFAULT_STREAM_SEND_TIMEOUT = 10.0

# Shared state of several replicas lives under this prefix in Redis (SPOTIFY_PROXY_REDIS_PREFIX).
DEFAULT_REDIS_PREFIX = "mkdocs-spotify:"
REDIS_SCHEMES = ("redis", "rediss", "unix")

# Spotify client ids are 32 lowercase hex characters.
_CLIENT_ID = re.compile(r"^[0-9a-f]{32}$")


class SettingsError(Exception):
    """One or more settings are wrong; each problem is one sentence saying what to change."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def default_token_store() -> Path:
    return Path(platformdirs.user_config_dir("mkdocs-spotify")) / "token.json"


@dataclass(frozen=True)
class Settings:
    client_id: str | None = None
    # repr=False keeps secrets out of tracebacks, logs and test output.
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    authorized_at: datetime | None = None
    token_store: Path = field(default_factory=default_token_store)
    accounts_url: str = DEFAULT_ACCOUNTS_URL
    api_url: str = DEFAULT_API_URL
    allowed_origins: tuple[str, ...] = ()
    cache_ttl: float = DEFAULT_CACHE_TTL
    upstream_timeout: float = DEFAULT_UPSTREAM_TIMEOUT
    access_log: bool = False
    max_streams: int = DEFAULT_MAX_STREAMS
    stream_ping: float = DEFAULT_STREAM_PING
    stream_send_timeout: float = DEFAULT_STREAM_SEND_TIMEOUT
    # The URL may carry Redis' password: never in a repr or a log line (see `redis_location`).
    redis_url: str | None = field(default=None, repr=False)
    redis_prefix: str = DEFAULT_REDIS_PREFIX
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    demo: bool = False
    # Apprise URLs carry webhook tokens and passwords: secrets, never shown.
    notify_urls: tuple[str, ...] = field(default=(), repr=False)
    site_name: str = field(default_factory=socket.gethostname)
    metrics_listen: tuple[str, int] | None = None
    recent_ttl: float = DEFAULT_RECENT_TTL
    top_ttl: float = DEFAULT_TOP_TTL
    privacy: PrivacySettings = field(default_factory=lambda: PrivacySettings())
    # Enables `PUT /v1/admin/grant` on the proxy; `login --to` sends it as a bearer token.
    admin_token: str | None = field(default=None, repr=False)

    @property
    def private_file(self) -> Path:
        """While this file exists the proxy answers idle and empty lists (docs/privacy.md)."""
        return self.token_store.parent / "private"

    @property
    def is_public_client(self) -> bool:
        """An app without a client secret is a public PKCE client."""
        return not self.client_secret


def read_environment(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> dict[str, str]:
    """The process environment over the `.env` file (the environment wins, as with dotenv).

    SettingsError when the file is there but unreadable, e.g. saved as UTF-16 by an editor, or
    has a line that is not `KEY=value` (python-dotenv would only log a warning and skip it, so
    the program would start with a default the owner did not mean).
    """
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        try:
            text = env_file.read_text(encoding="utf-8")  # read once, parsed twice in memory
            _check_env_lines(env_file, text)
            values = dotenv_values(stream=io.StringIO(text))
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            raise SettingsError(
                [f"The file {env_file} cannot be read ({reason}): save it as UTF-8 or remove it."]
            ) from None
        merged.update({k: v for k, v in values.items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _check_env_lines(env_file: Path, text: str) -> None:
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise SettingsError(
                [
                    f"The file {env_file}, line {binding.original.line}, is not KEY=value "
                    "(quote values with spaces or #, close every quote): fix or remove it."
                ]
            )


def load_settings(
    env: Mapping[str, str],
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    demo: bool = False,
    require_client_id: bool = True,
) -> Settings:
    """Validate everything at once so the owner sees every problem in one run."""
    problems: list[str] = []

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    client_id = get("SPOTIFY_CLIENT_ID")
    if client_id is None:
        if require_client_id and not demo:
            problems.append(
                "SPOTIFY_CLIENT_ID is not set: copy the Client ID of your app from "
                "https://developer.spotify.com/dashboard into the environment or a .env file "
                "(or run `mkdocs-spotify proxy --demo` to try the proxy without an account)."
            )
    elif not _CLIENT_ID.match(client_id):
        problems.append(
            "SPOTIFY_CLIENT_ID does not look like a Spotify client id (32 hexadecimal "
            "characters): copy it again from your app's settings in the Spotify dashboard."
        )

    authorized_at = None
    raw_authorized_at = get("SPOTIFY_AUTHORIZED_AT")
    if raw_authorized_at is not None:
        try:
            authorized_at = parse_timestamp(raw_authorized_at)
        except ValueError:
            problems.append(
                "SPOTIFY_AUTHORIZED_AT must be an ISO 8601 date such as 2026-11-23T10:00:00Z: "
                "use the value `mkdocs-spotify login --print-env` printed."
            )

    store = get("SPOTIFY_TOKEN_STORE")
    token_store = Path(store).expanduser() if store else default_token_store()

    accounts_url = _base_url(get("SPOTIFY_ACCOUNTS_URL") or DEFAULT_ACCOUNTS_URL)
    api_url = _base_url(get("SPOTIFY_API_URL") or DEFAULT_API_URL)
    for name, url in (("SPOTIFY_ACCOUNTS_URL", accounts_url), ("SPOTIFY_API_URL", api_url)):
        if not _is_http_url(url):
            problems.append(f"{name} must be an http(s) URL such as {_default_for(name)}.")
        elif not is_secure_url(url):
            problems.append(
                f"{name} uses plain http for {urlsplit(url).hostname}, which would send the "
                "client secret and tokens unencrypted: use https (plain http is only for "
                "127.0.0.1, [::1] or localhost)."
            )

    origins: list[str] = []
    for origin in (get("SPOTIFY_PROXY_ALLOWED_ORIGINS") or "").split(","):
        origin = origin.strip()
        if not origin:
            continue
        normalised = normalise_origin(origin)
        if normalised is None:
            problems.append(
                f"SPOTIFY_PROXY_ALLOWED_ORIGINS has {origin!r}, which is not an origin: write "
                "scheme, host and optional port only, like https://blog.example.com."
            )
        else:
            origins.append(normalised)

    cache_ttl = _number(
        get("SPOTIFY_PROXY_CACHE_TTL"),
        DEFAULT_CACHE_TTL,
        "SPOTIFY_PROXY_CACHE_TTL",
        MIN_CACHE_TTL,
        MAX_CACHE_TTL,
        "seconds, at least 0.5 (Spotify rate-limits apps that poll faster) and at most 3600 "
        "(an older answer is no longer what is playing)",
        problems,
    )
    upstream_timeout = _number(
        get("SPOTIFY_PROXY_UPSTREAM_TIMEOUT"),
        DEFAULT_UPSTREAM_TIMEOUT,
        "SPOTIFY_PROXY_UPSTREAM_TIMEOUT",
        0.1,
        MAX_UPSTREAM_TIMEOUT,
        "seconds, at least 0.1 and at most 60 (a visitor with no answer yet waits that long)",
        problems,
    )
    max_streams = _number(
        get("SPOTIFY_PROXY_MAX_STREAMS"),
        DEFAULT_MAX_STREAMS,
        "SPOTIFY_PROXY_MAX_STREAMS",
        0,
        MAX_MAX_STREAMS,
        "live streams, a whole number from 0 (no streams: widgets poll) to 1000000",
        problems,
    )
    if not float(max_streams).is_integer():
        problems.append(
            f"SPOTIFY_PROXY_MAX_STREAMS is {get('SPOTIFY_PROXY_MAX_STREAMS')!r}: set it to a "
            "whole number of live streams such as 10000."
        )
    redis_url = get("SPOTIFY_PROXY_REDIS_URL")
    if redis_url is not None and not _is_redis_url(redis_url):
        problems.append(
            "SPOTIFY_PROXY_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0, "
            "rediss://user:password@redis.example.com:6380/0 or unix:///run/redis/redis.sock "
            "(with only redis-py's options after '?', and a '#' in the password written %23)."
        )
    redis_prefix = env.get("SPOTIFY_PROXY_REDIS_PREFIX", DEFAULT_REDIS_PREFIX)
    access_log = switch_value(get, "SPOTIFY_PROXY_ACCESS_LOG", problems)
    recent_ttl = _number(
        get("SPOTIFY_PROXY_RECENT_TTL"),
        DEFAULT_RECENT_TTL,
        "SPOTIFY_PROXY_RECENT_TTL",
        MIN_CACHE_TTL,
        MAX_CACHE_TTL,
        "seconds, at least 0.5 and at most 3600",
        problems,
    )
    top_ttl = _number(
        get("SPOTIFY_PROXY_TOP_TTL"),
        DEFAULT_TOP_TTL,
        "SPOTIFY_PROXY_TOP_TTL",
        MIN_CACHE_TTL,
        MAX_TOP_TTL,
        "seconds, at least 0.5 and at most 86400 (a day)",
        problems,
    )
    privacy = load_privacy(get, problems)
    admin_token = get("SPOTIFY_PROXY_ADMIN_TOKEN")
    if admin_token is not None:
        weakness = admin_token_problem(admin_token)
        if weakness is not None:
            problems.append(
                f"SPOTIFY_PROXY_ADMIN_TOKEN {weakness}: use at least 32 random bytes, e.g. the "
                'output of `python -c "import secrets; print(secrets.token_urlsafe(32))"`.'
            )

    if not 0 < port < 65536:
        problems.append(f"--port {port} is not a TCP port: use a number from 1 to 65535.")

    notify_urls = _notify_urls(get("SPOTIFY_PROXY_NOTIFY"), problems)
    site_name = get("SPOTIFY_PROXY_NAME") or socket.gethostname()
    metrics_listen = _listen_address(get("SPOTIFY_PROXY_METRICS"), problems)

    if problems:
        raise SettingsError(problems)
    return Settings(
        client_id=client_id,
        client_secret=get("SPOTIFY_CLIENT_SECRET"),
        refresh_token=get("SPOTIFY_REFRESH_TOKEN"),
        authorized_at=authorized_at,
        token_store=token_store,
        accounts_url=accounts_url,
        api_url=api_url,
        allowed_origins=tuple(origins),
        cache_ttl=cache_ttl,
        upstream_timeout=upstream_timeout,
        access_log=access_log,
        max_streams=int(max_streams),
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        host=host,
        port=port,
        demo=demo,
        notify_urls=notify_urls,
        site_name=site_name,
        metrics_listen=metrics_listen,
        recent_ttl=recent_ttl,
        top_ttl=top_ttl,
        privacy=privacy,
        admin_token=admin_token,
    )


def normalise_origin(value: str) -> str | None:
    """`https://Blog.example.com:443` -> `https://blog.example.com`; None if not an origin."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


def _is_redis_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return False
    if "#" in value:  # a fragment: most likely a password's '#' not written as %23
        return False
    if parts.scheme == "unix":
        if not parts.path:
            return False
    elif parts.scheme not in REDIS_SCHEMES or not parts.hostname:
        return False
    return _redis_options_known(value, ssl=parts.scheme == "rediss")


def _redis_options_known(value: str, *, ssl: bool) -> bool:
    """redis-py reads the URL's query as connection options: a bad value or an unknown name
    would otherwise fail later, as a traceback, when the first connection is made."""
    import inspect

    from redis.connection import URL_QUERY_ARGUMENT_PARSERS, SSLConnection, parse_url

    try:
        options = parse_url(value)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    except ValueError:
        return False
    known = {*URL_QUERY_ARGUMENT_PARSERS, "username", "password", "host", "port", "db", "path"}
    if ssl:
        known |= {name for name in inspect.signature(SSLConnection).parameters if "ssl" in name}
    return set(options) - {"connection_class"} <= known


def redis_location(url: str) -> str:
    """The URL without user and password, for log lines and messages."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the Redis server"
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{parts.path}"


def _base_url(value: str) -> str:
    return value.rstrip("/")


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        # What aiohttp will do with it: an empty or 64+ character label ("accounts..spotify.com")
        # or a bad port would otherwise be a traceback at the first request.
        (parts.hostname or "").encode("idna")
        _ = parts.port
    except ValueError:  # also an unbalanced "[" urllib reads as a broken IPv6 literal
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


# secrets.token_urlsafe(32): 32 random bytes are 43 characters of base64url.
MIN_ADMIN_TOKEN_CHARS = 43
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


def admin_token_problem(token: str) -> str | None:
    """Why the admin token is too weak to guard the grant, or None (never quotes the token)."""
    if not _TOKEN_CHARS.match(token):
        return "has spaces or characters outside printable ASCII (it travels in a header)"
    if len(token) < MIN_ADMIN_TOKEN_CHARS:
        return f"is {len(token)} characters long, fewer than {MIN_ADMIN_TOKEN_CHARS}"
    # Random text of this length uses many symbols; "aaaa..." or "abab..." does not.
    if len(set(token)) < 8:
        return "repeats too few characters to be random"
    return None


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`: traffic that never leaves the machine."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_secure_url(url: str) -> bool:
    """https anywhere; plain http only to a loopback host (RFC 8252 §8.3's one exception)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or is_loopback_host(parts.hostname or "")


def _default_for(name: str) -> str:
    return DEFAULT_ACCOUNTS_URL if name == "SPOTIFY_ACCOUNTS_URL" else DEFAULT_API_URL


def _number(
    raw: str | None,
    default: float,
    name: str,
    minimum: float,
    maximum: float,
    unit: str,
    problems: list[str],
) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not minimum <= value <= maximum:
        problems.append(f"{name} is {raw!r}: set it to a number of {unit}.")
        return default
    return value


# --- privacy controls (docs/privacy.md) ------------------------------------------------------

_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})
_CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
# What may be blocked, as a Spotify URI (spotify:track:ID) or a link
# (https://open.spotify.com/track/ID, optionally with an intl-xx/ part and a query).
BLOCKABLE_KINDS = ("track", "artist", "album", "show", "episode")
_SPOTIFY_ID = r"[0-9A-Za-z]{22}"
_BLOCK_URI = re.compile(rf"^spotify:({'|'.join(BLOCKABLE_KINDS)}):({_SPOTIFY_ID})$")
_BLOCK_URL = re.compile(
    rf"^https://open\.spotify\.com/(?:intl-[a-z]{{2}}(?:-[a-z]{{2}})?/)?"
    rf"({'|'.join(BLOCKABLE_KINDS)})/({_SPOTIFY_ID})(?:[?#].*)?$"
)


@dataclass(frozen=True)
class PrivacySettings:
    """What the owner keeps from visitors. Applied by `proxy/answers/privacy.py`."""

    hide_explicit: bool = False
    hide_episodes: bool = False
    hide_paused: bool = False
    # (start, end) minutes after midnight; end may be smaller than start (across midnight).
    quiet_hours: tuple[tuple[int, int], ...] = ()
    # IANA name; None is the machine's own zone.
    timezone: str | None = None
    # "kind:id" keys such as "track:4uLU6hMCjMI75M1A2tKUQC".
    block: frozenset[str] = frozenset()
    delay_minutes: float = 0.0
    private: bool = False

    def active(self) -> list[str]:
        """One short line per control in force (for `doctor`)."""
        lines = []
        if self.private:
            lines.append("private: everything reads as idle (SPOTIFY_PROXY_PRIVATE)")
        if self.hide_explicit:
            lines.append("explicit tracks and episodes hidden")
        if self.hide_episodes:
            lines.append("podcasts and audiobooks hidden")
        if self.hide_paused:
            lines.append("a paused player reads as idle")
        if self.quiet_hours:
            ranges = ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in self.quiet_hours)
            lines.append(f"quiet hours {ranges} ({self.timezone or 'the machine zone'})")
        if self.block:
            lines.append(f"{len(self.block)} blocked item(s)")
        if self.delay_minutes:
            lines.append(f"now playing delayed by {self.delay_minutes:g} minutes")
        return lines


def block_key(value: str) -> str | None:
    """ "kind:id" for a Spotify URI or open.spotify.com link of a blockable kind, else None."""
    match = _BLOCK_URI.match(value) or _BLOCK_URL.match(value)
    return f"{match.group(1)}:{match.group(2)}" if match else None


def switch_value(get: Callable[[str], str | None], name: str, problems: list[str]) -> bool:
    """An on/off setting: 1/true/yes or 0/false/no (any case); anything else adds a sentence."""
    raw = get(name)
    if raw is None or raw.lower() in _FALSE:
        return False
    if raw.lower() in _TRUE:
        return True
    problems.append(f"{name} is {raw!r}: set it to 1, true or yes (or 0, false or no).")
    return False


def load_privacy(get: Callable[[str], str | None], problems: list[str]) -> PrivacySettings:
    """The privacy controls from the environment; each bad value adds one sentence."""

    def switch(name: str) -> bool:
        return switch_value(get, name, problems)

    quiet: list[tuple[int, int]] = []
    raw_quiet = get("SPOTIFY_PROXY_QUIET_HOURS")
    for part in (raw_quiet or "").split(","):
        if not part.strip():
            continue
        hours = _quiet_range(part.strip())
        if hours is None:
            problems.append(
                f"SPOTIFY_PROXY_QUIET_HOURS has {part.strip()!r}: write ranges like "
                "23:00-07:00 (24-hour clock, start and end different), separated by commas."
            )
        else:
            quiet.append(hours)

    timezone = get("SPOTIFY_PROXY_TIMEZONE")
    if timezone is not None and not _is_zone(timezone):
        problems.append(
            f"SPOTIFY_PROXY_TIMEZONE is {timezone!r}, which is not a time zone: use an IANA "
            "name such as Europe/Berlin or America/New_York."
        )
        timezone = None

    block: set[str] = set()
    for entry in (get("SPOTIFY_PROXY_BLOCK") or "").split(","):
        if not entry.strip():
            continue
        key = block_key(entry.strip())
        if key is None:
            problems.append(
                f"SPOTIFY_PROXY_BLOCK has {entry.strip()!r}: list Spotify URIs like "
                "spotify:track:4uLU6hMCjMI75M1A2tKUQC or links like "
                "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF (tracks, artists, "
                "albums, shows or episodes), separated by commas."
            )
        else:
            block.add(key)

    delay = _number(
        get("SPOTIFY_PROXY_DELAY"),
        0.0,
        "SPOTIFY_PROXY_DELAY",
        0.0,
        MAX_DELAY_MINUTES,
        "minutes, from 0 (no delay) to 1440 (a day)",
        problems,
    )
    return PrivacySettings(
        hide_explicit=switch("SPOTIFY_PROXY_HIDE_EXPLICIT"),
        hide_episodes=switch("SPOTIFY_PROXY_HIDE_EPISODES"),
        hide_paused=switch("SPOTIFY_PROXY_HIDE_PAUSED"),
        quiet_hours=tuple(quiet),
        timezone=timezone,
        block=frozenset(block),
        delay_minutes=delay,
        private=switch("SPOTIFY_PROXY_PRIVATE"),
    )


def _quiet_range(text: str) -> tuple[int, int] | None:
    start, _, end = text.partition("-")
    first, last = _minutes(start.strip()), _minutes(end.strip())
    if first is None or last is None or first % 1440 == last % 1440:
        return None
    return first % 1440, last % 1440


def _minutes(text: str) -> int | None:
    match = _CLOCK_TIME.match(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        return None
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_URL_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def _notify_urls(raw: str | None, problems: list[str]) -> tuple[str, ...]:
    """Apprise URLs separated by commas or spaces; only their position is ever named."""
    urls = tuple(part for part in re.split(r"[\s,]+", raw or "") if part)
    for number, url in enumerate(urls, 1):
        if not _URL_SHAPE.match(url):
            problems.append(
                f"SPOTIFY_PROXY_NOTIFY's URL number {number} is not a URL: write Apprise URLs "
                "such as ntfy://my-topic or discord://webhook_id/webhook_token, separated by "
                "commas or spaces."
            )
    return urls


def _listen_address(raw: str | None, problems: list[str]) -> tuple[str, int] | None:
    """`127.0.0.1:9787` or `[::1]:9787` -> (host, port); None when unset."""
    if raw is None:
        return None
    host, _, port = raw.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""  # an IPv6 address needs its brackets
    if host and port.isdigit() and 0 < int(port) < 65536:
        return host, int(port)
    problems.append(
        f"SPOTIFY_PROXY_METRICS is {raw!r}: set it to the address and port of the metrics "
        "listener, such as 127.0.0.1:9787 (keep it off the public network)."
    )
    return None
