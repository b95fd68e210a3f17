"""`mkdocs-spotify doctor --notify-test`: send a test message to each SPOTIFY_PROXY_NOTIFY URL.

One line per URL, named by its position and scheme only (the rest of a URL is a secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mkdocs_spotify.cli import checks

if TYPE_CHECKING:
    from proxy.settings import Settings

NOT_SET = (
    "SPOTIFY_PROXY_NOTIFY is not set: put one or more Apprise URLs (ntfy://, discord://, "
    "mailto://, json://...) in the environment or the .env file; docs/proxy.md has examples."
)


def run_notify_test(environment: Mapping[str, str]) -> int:
    from proxy.settings import SettingsError, load_settings

    try:
        settings = load_settings(environment, require_client_id=False)
    except SettingsError as error:
        lines = checks.settings_problems(error.problems)
    else:
        lines = notify_test(settings)
    print(checks.render(lines), flush=True)
    return checks.exit_status(lines)


def notify_test(settings: Settings) -> list[checks.Line]:
    from proxy.alerts.apprise_send import deliver
    from proxy.alerts.notices import trial_notice

    if not settings.notify_urls:
        return [checks.fail(NOT_SET)]
    urls = settings.notify_urls
    outcomes = deliver(urls, trial_notice(settings.site_name))
    return [
        outcome_line(number, url.split("://", 1)[0], accepted)
        for number, (url, accepted) in enumerate(zip(urls, outcomes, strict=True), 1)
    ]


def outcome_line(number: int, scheme: str, accepted: bool) -> checks.Line:
    name = f"Notification URL {number} ({scheme}://)"
    if accepted:
        return checks.ok(f"{name} accepted the test message: check that it arrived.")
    return checks.fail(
        f"{name} did not accept the test message: check the URL against Apprise's page for "
        f"{scheme}:// (https://github.com/caronc/apprise/wiki) and that this machine can reach "
        "the service."
    )
