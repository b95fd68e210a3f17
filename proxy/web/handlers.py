"""The proxy's HTTP handlers. Every answer is JSON; no visitor input ever reaches Spotify."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from proxy.answers.cache import AnswerCache
from proxy.answers.encoding import Answer, compact_json
from proxy.answers.list_fetch import missing_scopes
from proxy.answers.nowplaying import NowPlaying
from proxy.spotify.errors import (
    Forbidden,
    GrantDead,
    SharedStateDown,
    StoreBusy,
    Unauthorized,
    UpstreamError,
)
from proxy.spotify.grant import days_left, grant_expires_at
from proxy.spotify.tokens import AccessTokens
from proxy.web.http import (
    ALLOWED_METHODS,
    NO_STORE,
    SECURITY,
    answer_headers,
    cors_headers,
    etag_matches,
    preflight_headers,
)

log = logging.getLogger(__name__)

UNEXPECTED = "The readiness check failed unexpectedly: the proxy's log names the error."
OVERDUE = "Spotify is slow to answer; the last answer is served as stale until it does."
UNAVAILABLE = compact_json({"error": "Spotify status is unavailable right now."})


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=compact_json(data),
        status=status,
        content_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


class Handlers:
    """Bound to one app's CORS allow-list, cache and (outside demo mode) token cache."""

    def __init__(
        self,
        allowed: tuple[str, ...],
        cache: AnswerCache[NowPlaying],
        tokens: AccessTokens | None,
    ) -> None:
        self.allowed = allowed
        self.cache = cache
        self.tokens = tokens
        self._headers: tuple[str, dict[str, str]] = ("", {})

    def _answer_headers(self, answer: Answer) -> dict[str, str]:
        """The headers of the current answer, built once per answer rather than per request."""
        etag, headers = self._headers
        if etag != answer.etag:
            headers = answer_headers(answer.etag, self.cache.ttl)
            self._headers = (answer.etag, headers)
        return headers

    async def now_playing(self, request: web.Request) -> web.Response:
        answer = await self.cache.get()
        cors = cors_headers(request.headers.get("Origin"), self.allowed)
        if answer is None:
            return web.Response(
                body=UNAVAILABLE,
                status=503,
                content_type="application/json",
                headers={
                    **NO_STORE,
                    **cors,
                    "Vary": "Origin",
                    "Retry-After": str(self.cache.retry_after()),
                },
            )
        base = self._answer_headers(answer)
        headers = {**base, **cors} if cors else base
        if etag_matches(request.headers.get("If-None-Match"), answer.etag):
            not_modified = {k: v for k, v in headers.items() if k != "Content-Type"}
            return web.Response(status=304, headers=not_modified)
        return web.Response(body=answer.body, headers=headers)

    async def healthz(self, request: web.Request) -> web.Response:
        return json_response({"status": "ok"}, headers=self._cors(request))

    async def readyz(self, request: web.Request) -> web.Response:
        body, ready = await self.readiness()
        return json_response(body, 200 if ready else 503, self._cors(request))

    async def readiness(self) -> tuple[dict[str, Any], bool]:
        if self.tokens is None:
            return {"status": "ok", "mode": "demo"}, True
        problem: str | None = None
        try:
            await self.tokens.access_token()
        except GrantDead:
            problem = self.tokens.problem
        except StoreBusy as error:  # our own sentence, with no path in it
            problem = str(error)
        except UpstreamError as error:  # a Spotify hiccup: say so, the cache keeps serving
            problem = f"Spotify's accounts service is not answering ({error})."
        except Exception as error:
            # The body is public: an unknown exception's text (paths, URLs) stays out of it.
            log.error("The readiness check failed unexpectedly (%s).", type(error).__name__)
            problem = UNEXPECTED
        failure = self.cache.failure
        if problem is None and isinstance(failure, Forbidden | Unauthorized | SharedStateDown):
            problem = str(failure)
        status = self.tokens.status()
        body: dict[str, Any] = {"status": "ok" if problem is None else "unavailable"}
        if problem is not None:
            body["reason"] = problem
        # Not a readiness failure (stale answers still flow) but the first thing to look at. A
        # call that has outlasted a visitor's patience counts as stale too: visitors get the last
        # answer marked stale while it goes on, so the readiness check says the same.
        overdue = self.cache.overdue
        body["upstream"] = "live" if failure is None and not overdue else "stale"
        if failure is not None and str(failure) != problem:
            body["upstream_problem"] = str(failure)
        elif failure is None and overdue:
            body["upstream_problem"] = OVERDUE
        body.update(grant_report(status.authorized_at, self.tokens.clock.now()))
        body.update(scope_report(self.tokens.scopes))
        return body, problem is None

    async def preflight(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin")
        if origin is None:  # a plain OPTIONS, not a browser's preflight
            return web.Response(status=204, headers={**NO_STORE, "Allow": ALLOWED_METHODS})
        headers = preflight_headers(origin, self.allowed, request.headers)
        if headers is None:
            if cors_headers(origin, self.allowed):
                # The origin is listed: telling the owner to list it would send them astray.
                error = "Only GET and HEAD are allowed: the widget reads /v1/now-playing with GET."
            else:
                error = (
                    "This origin may not read the proxy: add it to SPOTIFY_PROXY_ALLOWED_ORIGINS."
                )
            return json_response({"error": error}, 403, {"Vary": "Origin"})
        return web.Response(status=204, headers={**SECURITY, **headers})

    async def method_not_allowed(self, request: web.Request) -> web.Response:
        return json_response(
            {"error": f"{request.method} is not allowed: use GET."},
            405,
            {"Allow": ALLOWED_METHODS},
        )

    async def not_found(self, request: web.Request) -> web.Response:
        return json_response({"error": "Not found: the widget reads /v1/now-playing."}, 404)

    def _cors(self, request: web.Request) -> dict[str, str]:
        return {**cors_headers(request.headers.get("Origin"), self.allowed), "Vary": "Origin"}


def scope_report(granted: tuple[str, ...]) -> dict[str, Any]:
    """The list scopes the grant lacks (now playing still works, so not a readiness failure)."""
    missing = missing_scopes(granted)
    if not missing:
        return {}
    return {
        "missing_scopes": missing,
        "scope_note": f"The listening lists need {' and '.join(missing)}: run "
        "`mkdocs-spotify login` again (its default scopes include them).",
    }


def grant_report(authorized_at: datetime | None, now: datetime) -> dict[str, Any]:
    """Days until the owner must run `mkdocs-spotify login` again (None when unknown)."""
    if authorized_at is None:
        return {
            "grant_days_left": None,
            "grant_note": "When the refresh token was authorized is unknown: run "
            "`mkdocs-spotify login` (or set SPOTIFY_AUTHORIZED_AT) to track its 6-month expiry.",
        }
    return {
        "grant_days_left": days_left(authorized_at, now),
        "grant_expires_at": grant_expires_at(authorized_at).isoformat().replace("+00:00", "Z"),
    }
