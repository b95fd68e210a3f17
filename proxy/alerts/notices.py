"""What to tell the owner about the grant, and when. Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from proxy.spotify.grant import days_left, grant_expires_at

# Days before the expiry at which the owner hears about it, most distant first.
MILESTONES = (30, 7, 1)
RENEW = (
    "Renew it with `mkdocs-spotify login` where the proxy reads its token store; the proxy "
    "switches to the new grant by itself."
)
# With SPOTIFY_PROXY_ADMIN_TOKEN the proxy takes a new grant over HTTPS (docs/login.md).
RENEW_REMOTELY = (
    "Renew it from your computer with `mkdocs-spotify login --to` followed by the proxy's "
    "address (the plugin's proxy_url); the proxy switches to the new grant at once."
)


def renew_hint(remote: bool) -> str:
    return RENEW_REMOTELY if remote else RENEW


@dataclass(frozen=True)
class Notice:
    """One message. `key` names it in the record of what was sent, so it goes out once."""

    key: str
    title: str
    body: str


def _grant_id(authorized_at: datetime | None) -> str:
    # A new login has a new authorized_at, so its notices are new ones.
    return authorized_at.isoformat() if authorized_at else "unknown"


def expiry_notice(
    site: str, authorized_at: datetime, now: datetime, remote: bool = False
) -> Notice | None:
    """The notice due now: the nearest milestone reached (none once the grant has expired)."""
    left = days_left(authorized_at, now)
    reached = [days for days in MILESTONES if left <= days]
    if left < 0 or not reached:
        return None
    milestone = min(reached)
    expires = grant_expires_at(authorized_at).strftime("%Y-%m-%d %H:%M UTC")
    when = "in less than a day" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    return Notice(
        key=f"expiry-{milestone}d:{_grant_id(authorized_at)}",
        title=f"Spotify widget on {site}: the grant expires {when}",
        body=(
            f"The Spotify grant of the proxy on {site} expires on {expires} ({when}); after "
            f"that the widget shows no music. {renew_hint(remote)}"
        ),
    )


def refused_notice(site: str, authorized_at: datetime | None, remote: bool = False) -> Notice:
    return Notice(
        key=f"refused:{_grant_id(authorized_at)}",
        title=f"Spotify widget on {site}: Spotify refused the grant",
        body=(
            f"Spotify refused the refresh token of the proxy on {site} (invalid_grant: expired "
            "after 6 months, revoked, or the password changed); the widget shows the last "
            f"known answer until you log in again. {renew_hint(remote)}"
        ),
    )


def trial_notice(site: str) -> Notice:
    return Notice(
        key="test",
        title=f"Spotify widget on {site}: test message",
        body=(
            f"This test message from `mkdocs-spotify doctor --notify-test` on {site} arrived: "
            "the proxy can tell you 30, 7 and 1 days before the Spotify grant expires."
        ),
    )
