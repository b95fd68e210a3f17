"""What `mkdocs-spotify doctor` found, as OK / WARN / FAIL lines with the fix. Pure, no I/O.

doctor.py gathers the facts (settings, store, one refresh, one Web API call); each function
here turns one fact into the line the owner reads. No line ever holds a secret or a token.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from mkdocs_spotify.cli.oauth import accounts_sentence
from proxy.spotify.grant import WARN_DAYS, days_left, grant_expires_at

LOGIN = "`mkdocs-spotify login`"
DOCTOR = "`mkdocs-spotify doctor`"
SERVER_HINT = (
    "on a server, paste the lines `mkdocs-spotify login --print-env` prints into its environment"
)


class Level(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"  # not checked: an earlier FAIL must be fixed first


@dataclass(frozen=True)
class Line:
    level: Level
    text: str


def ok(text: str) -> Line:
    return Line(Level.OK, text)


def warn(text: str) -> Line:
    return Line(Level.WARN, text)


def fail(text: str) -> Line:
    return Line(Level.FAIL, text)


def render(lines: list[Line]) -> str:
    return "\n".join(f"{line.level.value:<4}  {line.text}" for line in lines)


def exit_status(lines: list[Line]) -> int:
    return 1 if any(line.level is Level.FAIL for line in lines) else 0


# --- configuration ----------------------------------------------------------------------


def settings_problems(problems: list[str]) -> list[Line]:
    return [fail(problem) for problem in problems]


# What doctor checks once the settings load, in its order: shown as SKIP when they do not, so
# the owner sees the whole checklist and what is still ahead.
AFTER_SETTINGS = (
    "the token store (present, readable, mode 0600)",
    "one token refresh with the stored refresh token",
    "the scopes the login granted",
    "the days left before the 6-month re-login",
    "one Spotify call (what is playing now)",
)


# What is still ahead when the grant's store (Redis) cannot be used.
AFTER_STORE = AFTER_SETTINGS[1:]


def not_checked_yet(ahead: tuple[str, ...] = AFTER_SETTINGS) -> list[Line]:
    return [
        Line(Level.SKIP, f"Not checked yet: {what} (fix the FAIL above first).") for what in ahead
    ]


def client_line(client_id: str) -> Line:
    return ok(f"SPOTIFY_CLIENT_ID is set and well-formed ({client_id}).")


def secret_line(is_public: bool, saved_in: str = "the token store") -> Line:
    """saved_in: where the proxy keeps the grant ("Redis" with SPOTIFY_PROXY_REDIS_URL)."""
    if is_public:
        return ok(
            "No SPOTIFY_CLIENT_SECRET: this is a public PKCE client (its refresh tokens may be "
            f"single-use; the proxy saves each new one in {saved_in})."
        )
    return ok(
        "SPOTIFY_CLIENT_SECRET is set: this is a confidential client (Basic auth at the "
        "token endpoint)."
    )


# --- token store ------------------------------------------------------------------------


def store_line(path: Path, *, mode: int | None, error: str | None, seed_set: bool) -> Line:
    """mode None means there is no store file; error is read_store's sentence."""
    if error is not None:
        return fail(error)
    if mode is None:
        if seed_set:
            return ok(
                f"No token store at {path} yet: the refresh token comes from "
                "SPOTIFY_REFRESH_TOKEN (the store is written when Spotify rotates it)."
            )
        return fail(
            f"No token store at {path} and no SPOTIFY_REFRESH_TOKEN: run {LOGIN} "
            "(or set SPOTIFY_TOKEN_STORE to where the store is)."
        )
    if mode == 0o600:
        return ok(f"The token store {path} is readable and private (mode 0600).")
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return fail(
            f"The token store {path} can be read by other users (mode {mode:04o}): run "
            f"`chmod 600 {path}`."
        )
    return warn(f"The token store {path} has mode {mode:04o}, not 0600: run `chmod 600 {path}`.")


def other_app_line(where: str, store_client_id: str) -> Line:
    """where: "The token store <path>" or "The grant in Redis at <location>"."""
    return warn(
        f"{where} was written for client id {store_client_id}, not this "
        f"SPOTIFY_CLIENT_ID, so it is ignored: run {LOGIN} for this app."
    )


def no_credential_line() -> Line:
    return fail(f"There is no refresh token for this app: run {LOGIN}.")


def source_line(from_store: bool, where: Path | str) -> Line:
    """where: the token store's path, or "Redis at <location>"."""
    if from_store:
        return ok(f"The proxy will use the refresh token in {where}.")
    return ok(
        "The proxy will use SPOTIFY_REFRESH_TOKEN from the environment (a seed that differs "
        "from the store's token wins over the store)."
    )


# --- Redis (SPOTIFY_PROXY_REDIS_URL): the grant the proxies share ---------------------------


def redis_line(location: str, *, held: bool, seeded: bool, seed_set: bool, path: Path) -> Line:
    """What Redis holds after doctor reached it (and seeded it, as a starting proxy would)."""
    if seeded:
        return ok(
            f"Redis at {location} held no grant: doctor seeded it now from the token store "
            f"{path}, as a starting proxy would."
        )
    if held:
        return ok(f"Redis at {location} answers and holds the grant the proxies share.")
    if seed_set:
        return ok(
            f"Redis at {location} answers and holds no grant yet: the refresh token comes from "
            "SPOTIFY_REFRESH_TOKEN (its first rotation is saved in Redis)."
        )
    return fail(
        f"Redis at {location} holds no grant, and nothing can seed it (no token store of this "
        f"app at {path}, no SPOTIFY_REFRESH_TOKEN): run {LOGIN} with SPOTIFY_PROXY_REDIS_URL "
        "set, which writes the grant to Redis."
    )


def seed_file_line(path: Path, *, mode: int | None, error: str | None, seeded: bool) -> Line | None:
    """The token store file beside Redis; None when there is nothing more to say (no file, or
    the Redis line just said it seeded Redis from it)."""
    if error is not None:
        return warn(error)  # the proxies use Redis, but an empty Redis cannot be seeded from it
    if mode is None:
        return None
    if mode != 0o600:
        return store_line(path, mode=mode, error=None, seed_set=False)
    if seeded:
        return None
    return ok(
        f"The token store {path} only seeds an empty Redis: the proxies use the grant in Redis."
    )


# --- refresh ----------------------------------------------------------------------------


def refresh_failed(error: str, description: str, status: int | None) -> Line:
    if error == "invalid_grant":
        return fail(
            "Spotify refused the refresh token (invalid_grant: the grant is 6 months old, was "
            f"revoked, or the password changed): run {LOGIN} again; {SERVER_HINT}."
        )
    common = accounts_sentence(error, DOCTOR)
    if common is not None:
        return fail(common)
    detail = f": {description}" if description else ""
    where = f", HTTP {status}" if status else ""
    return fail(
        f"Refreshing the access token failed ({error}{detail}{where}): run "
        f"`mkdocs-spotify doctor` again later, and {LOGIN} if it repeats."
    )


def refresh_ok(
    *, rotated: bool, path: Path, persist_error: str | None, redis: str | None = None
) -> Line:
    """redis: Redis' location when the grant lives there (SPOTIFY_PROXY_REDIS_URL)."""
    if not rotated:
        return ok("Refreshing works (Spotify kept the same refresh token).")
    if redis is not None:
        if persist_error is not None:
            return fail(
                f"Refreshing works and Spotify rotated the refresh token, but Redis at {redis} "
                f"did not take the new one ({persist_error}), so it is lost and the old one is "
                f"spent: check that Redis runs and answers, then run {LOGIN}."
            )
        return ok(
            "Refreshing works; Spotify rotated the refresh token and the new one is saved in "
            f"Redis at {redis}, where every proxy reads it."
        )
    if persist_error is not None:
        return fail(
            f"Refreshing works and Spotify rotated the refresh token, but the token store "
            f"{path} cannot be written ({persist_error}), so the new token is lost and the old "
            f"one is spent: fix the folder's permissions or SPOTIFY_TOKEN_STORE, then run {LOGIN}."
        )
    return ok(
        f"Refreshing works; Spotify rotated the refresh token and the new one is saved in {path}."
    )


# --- scopes -----------------------------------------------------------------------------

# (scope, feature, level when missing); currently-playing also accepts playback-state.
FEATURES = (
    ("user-read-currently-playing", "the now-playing widget", Level.FAIL),
    ("user-read-recently-played", "recently played tracks", Level.WARN),
    ("user-top-read", "top tracks and artists", Level.WARN),
)


def scope_lines(scopes: tuple[str, ...]) -> list[Line]:
    if not scopes:
        return [
            warn(
                "Spotify did not say which scopes this grant has and the store does not know: "
                f"run {LOGIN} to record them."
            )
        ]
    lines = []
    for scope, feature, missing_level in FEATURES:
        granted = scope in scopes or (
            scope == "user-read-currently-playing" and "user-read-playback-state" in scopes
        )
        if granted:
            lines.append(ok(f"Scope {scope} is granted: {feature} can work."))
        else:
            lines.append(
                Line(
                    missing_level,
                    f"Scope {scope} is not granted, so {feature} cannot work: run {LOGIN} "
                    "(its default scopes include it).",
                )
            )
    return lines


# --- 6-month expiry ---------------------------------------------------------------------


def expiry_line(authorized_at: datetime | None, now: datetime, *, refused: bool) -> Line | None:
    """None when there is nothing to add (a refused grant of unknown age: the refresh said it)."""
    if authorized_at is None:
        if refused:
            return None
        return warn(
            "Days until the 6-month re-login: unknown, nothing records when this grant was "
            "authorized: set SPOTIFY_AUTHORIZED_AT to the value `mkdocs-spotify login "
            f"--print-env` printed, or run {LOGIN} to start a fresh 6 months."
        )
    expires = grant_expires_at(authorized_at)
    days = days_left(authorized_at, now)
    when = f"{expires:%Y-%m-%d}"
    if days < 0 or (refused and expires <= now):
        return fail(
            f"The grant expired on {when} (6 months after {authorized_at:%Y-%m-%d}): run "
            f"{LOGIN} again; {SERVER_HINT}."
        )
    if refused:
        return None
    if days < WARN_DAYS:
        return warn(
            f"The grant expires in {days} days, on {when}: run {LOGIN} again before then; "
            f"{SERVER_HINT}."
        )
    return ok(f"The grant expires in {days} days, on {when} (6 months after authorization).")


# --- one currently-playing call ---------------------------------------------------------


def player_line(status: int | str, retry_after: str | None) -> Line:
    """status is the HTTP status, or "timeout" / "unreachable"."""
    if status == 200:
        return ok("Spotify's currently-playing answers (something is playing right now).")
    if status == 204:
        return ok("Spotify's currently-playing answers (nothing is playing right now).")
    if status == 401:
        return fail(
            "Spotify refused a fresh access token for currently-playing (401), so the grant "
            f"lacks user-read-currently-playing: run {LOGIN} with the default scopes."
        )
    if status == 403:
        return fail(
            "Spotify forbids this account for this app (403): add your Spotify account under "
            "User Management in the app's dashboard settings (development mode allows 5 users), "
            "and make sure the app owner has Spotify Premium."
        )
    if status == 429:
        return warn(
            f"Spotify is rate-limiting this app (429, {_retry_after(retry_after)}): stop other "
            "programs using this client id, or wait; the proxy waits the same."
        )
    if status in {"timeout", "unreachable"}:
        return fail(
            "Spotify's Web API did not answer: check the network (and SPOTIFY_API_URL if "
            "you set it), then run `mkdocs-spotify doctor` again."
        )
    if isinstance(status, int) and status >= 500:
        return warn(
            f"Spotify's Web API had a temporary problem (HTTP {status}): run "
            "`mkdocs-spotify doctor` again later."
        )
    return fail(
        f"Spotify's currently-playing answered HTTP {status}: check SPOTIFY_API_URL and run "
        "`mkdocs-spotify doctor` again."
    )


def _retry_after(value: str | None) -> str:
    if value is None:
        return "no Retry-After given"
    try:
        seconds = int(value.strip())
    except ValueError:
        return f"Retry-After {value!r}"
    if seconds >= 3600:
        return f"retry after {seconds} s, about {seconds / 3600:.1f} hours"
    return f"retry after {seconds} s"


# --- doctor --proxy URL: the running proxy's /readyz ---------------------------------------

# What a proxy sends is shown to the owner: one line, not a page.
_REMOTE_TEXT = 300


def _remote(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _REMOTE_TEXT else text[: _REMOTE_TEXT - 1] + "…"


def proxy_url_line(url: str) -> Line:
    return fail(
        f"--proxy {_remote(url)} is not an http(s) URL: give the proxy's base URL, e.g. "
        "https://blog.example.com/spotify."
    )


def proxy_unreachable_line(url: str) -> Line:
    return fail(
        f"The proxy at {url} did not answer: check that `mkdocs-spotify proxy` runs there and "
        "that the URL is the one the widget's proxy_url uses."
    )


def proxy_lines(url: str, status: int, body: dict[str, object]) -> list[Line]:
    """Lines from the proxy's /readyz answer (the proxy refreshed; doctor spent nothing)."""
    if status == 200 and body.get("status") == "ok":
        lines = [ok(f"The proxy at {url} is ready: its Spotify grant works.")]
    elif status == 503 and "reason" in body:
        lines = [fail(f"The proxy at {url} is not ready: {_remote(body['reason'])}")]
    elif body.get("mode") == "demo":
        return [warn(f"The proxy at {url} runs in demo mode: it shows no real listening.")]
    else:
        return [
            fail(
                f"{url}/readyz answered HTTP {status} without the proxy's readiness JSON: check "
                "the URL (the base the widget's proxy_url uses)."
            )
        ]
    if "upstream_problem" in body:
        lines.append(warn(f"Visitors get stale answers: {_remote(body['upstream_problem'])}"))
    expires = body.get("grant_expires_at")
    days = body.get("grant_days_left")
    if isinstance(expires, str) and isinstance(days, int):
        when = _remote(expires)[:10]
        if days < 0:
            lines.append(fail(f"The proxy's grant expired on {when}: {_renew(url)}."))
        elif days < WARN_DAYS:
            lines.append(
                warn(f"The proxy's grant expires in {days} days, on {when}: {_renew(url)}.")
            )
        else:
            lines.append(ok(f"The proxy's grant expires in {days} days, on {when}."))
    return lines


def _renew(url: str) -> str:
    return f"run `mkdocs-spotify login --to {url}` to renew it without a restart"
