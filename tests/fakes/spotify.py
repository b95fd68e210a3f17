"""A fake Spotify: a real aiohttp server on 127.0.0.1 speaking Spotify's documented wire format.

It serves the accounts service (`/authorize` as a consent page with a button, `/api/token` with
the authorization_code + PKCE and refresh_token grants) and the Web API under `/v1`. Tests steer
it through plain attributes (`player`, `token_error`, `delay`...) and read its counters.

    async with FakeSpotify() as fake:
        settings = fake.settings()          # accounts_url / api_url point at the fake
        fake.player = Reply(200, payloads.currently_playing(payloads.track()))

For synchronous tests (Chromium, subprocesses) `FakeSpotify.running()` runs it in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import itertools
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote_plus, urlencode, urlsplit

from aiohttp import web

from proxy.settings import Settings
from tests.fakes import payloads
from tests.fakes.threads import serving_in_thread

CLIENT_ID = "0123456789abcdef0123456789abcdef"
CLIENT_SECRET = "fake-client-secret-" + "s" * 13


@dataclass
class Reply:
    """One Web API answer: status, JSON body (None = empty), headers, and a delay before it."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None  # sent verbatim instead of `body` (for bad JSON)


@dataclass
class PendingCode:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: tuple[str, ...]


class FakeSpotify:
    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str | None = CLIENT_SECRET,
        rotate_refresh_tokens: bool = False,
        access_token_lifetime: float = 3600,
        registered_redirects: tuple[str, ...] = ("http://127.0.0.1/callback",),
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.access_token_lifetime = access_token_lifetime
        # Loopback redirect URIs are registered without a port (Spotify matches any port).
        self.registered_redirects = registered_redirects
        self.scopes: tuple[str, ...] = (
            "user-read-currently-playing",
            "user-read-recently-played",
            "user-top-read",
        )

        self.refresh_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.token_scopes: dict[str, tuple[str, ...]] = {}  # access token -> granted scopes
        self._spent: list[str] = []  # refresh tokens used up by rotation
        self.codes: dict[str, PendingCode] = {}
        self._serial = itertools.count(1)

        # Scenario knobs.
        self.player: Reply = Reply(
            200, payloads.currently_playing(payloads.track(), context=payloads.playlist_context())
        )
        # GET /me/player (scope user-read-playback-state): the same item plus the device.
        self.playback: Reply = Reply(200, payloads.player(payloads.track()))
        self.player_queue: list[Reply] = []  # one-shot replies served before `player`
        self.recently_played: Reply = Reply(200, payloads.recently_played(payloads.track()))
        self.top: Reply = Reply(200, {"items": [payloads.track()], "total": 1, "limit": 20})
        self.top_artists: Reply | None = None  # /me/top/artists when set, else `top`
        self.token_error: tuple[int, dict[str, str]] | None = None  # forced /api/token failure
        self.token_delay = 0.0
        self.token_type: str | None = "Bearer"  # None leaves the field out
        self.token_redirect: str | None = None  # /api/token redirects there (307 or 308)
        self.token_redirect_status = 307
        self.authorize_error: str | None = None  # e.g. "access_denied" from the consent page

        # Counters and logs for assertions.
        self.token_calls = 0
        self.api_calls = 0
        self.last_api_call_at = 0.0  # time.monotonic() when the last Web API call came in
        self.requests: list[tuple[str, str, str]] = []  # (method, path, query string)
        self.last_token_form: dict[str, str] = {}

        self.url = ""
        self._runner: web.AppRunner | None = None
        # Set by stop(): a long `delay` ends at once, so a test of a hanging Spotify does not
        # wait for the hang when it shuts the fake down.
        self._stopping = asyncio.Event()

    # --- credentials -------------------------------------------------------------------

    def issue_refresh_token(self) -> str:
        token = f"fake-refresh-{next(self._serial)}-{secrets.token_hex(8)}"
        self.refresh_tokens.add(token)
        return token

    def revoke_all(self) -> None:
        """What a password change or the 6-month expiry does: every grant dies."""
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def secrets_in_play(self) -> list[str]:
        """Every secret the fake knows, for scanning logs and responses."""
        known = [*self.refresh_tokens, *self.access_tokens, *self._spent]
        if self.client_secret:
            known.append(self.client_secret)
        return known

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "accounts_url": self.url,
            "api_url": f"{self.url}/v1",
            "upstream_timeout": 2.0,
        }
        values.update(overrides)
        return Settings(**values)

    def env(self, store: Path, refresh_token: str | None = None) -> dict[str, str]:
        """Environment variables pointing a subprocess (proxy, login, doctor) at this fake."""
        env = {
            "SPOTIFY_CLIENT_ID": self.client_id,
            "SPOTIFY_TOKEN_STORE": str(store),
            "SPOTIFY_ACCOUNTS_URL": self.url,
            "SPOTIFY_API_URL": f"{self.url}/v1",
        }
        if self.client_secret:
            env["SPOTIFY_CLIENT_SECRET"] = self.client_secret
        if refresh_token:
            env["SPOTIFY_REFRESH_TOKEN"] = refresh_token
        return env

    # --- server lifecycle --------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/authorize/decision", self._decision)
        app.router.add_post("/api/token", self._token)
        app.router.add_get("/v1/me/player/currently-playing", self._currently_playing)
        app.router.add_get("/v1/me/player/recently-played", self._recently_played)
        app.router.add_get("/v1/me/player", self._playback)
        app.router.add_get("/v1/me/top/{kind}", self._top)
        app.middlewares.append(self._record)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextmanager
    def running(self) -> Iterator[Self]:
        """Serve from a background thread with its own event loop (for synchronous tests)."""
        with serving_in_thread(self.start, self.stop):
            yield self

    # --- handlers ----------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path, request.query_string))
        return await handler(request)  # type: ignore[no-any-return]

    def _redirect_error(self, redirect_uri: str) -> str | None:
        parts = urlsplit(redirect_uri)
        if parts.hostname == "localhost" or (
            parts.scheme == "http" and parts.hostname not in {"127.0.0.1", "::1"}
        ):
            return "INVALID_CLIENT: Insecure redirect URI"
        portless = parts._replace(netloc=parts.hostname or "").geturl()
        if (
            redirect_uri not in self.registered_redirects
            and portless not in self.registered_redirects
        ):
            return "INVALID_CLIENT: Invalid redirect URI"
        return None

    async def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != self.client_id:
            return web.Response(status=400, text="INVALID_CLIENT: Invalid client")
        redirect_uri = q.get("redirect_uri", "")
        problem = self._redirect_error(redirect_uri)
        if problem:
            return web.Response(status=400, text=problem)
        if q.get("response_type") != "code":
            return web.Response(status=400, text="unsupported_response_type")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return web.Response(status=400, text="code_challenge required (S256)")
        fields = {
            "redirect_uri": redirect_uri,
            "state": q.get("state", ""),
            "challenge": q["code_challenge"],
            "scope": q.get("scope", ""),
        }
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items()
        )
        page = (
            "<!doctype html><title>Fake Spotify: authorize</title>"
            f"<h1>Allow access for {html.escape(q.get('scope', ''))}?</h1>"
            f'<form method="post" action="/authorize/decision">{hidden}'
            '<button name="decision" value="agree" id="agree">Agree</button>'
            '<button name="decision" value="cancel" id="cancel">Cancel</button></form>'
        )
        return web.Response(text=page, content_type="text/html")

    async def _decision(self, request: web.Request) -> web.Response:
        form = await request.post()
        redirect_uri = str(form["redirect_uri"])
        params = {"state": str(form["state"])}
        if form.get("decision") != "agree" or self.authorize_error:
            params["error"] = self.authorize_error or "access_denied"
        else:
            code = "fake-code-" + secrets.token_hex(8)
            self.codes[code] = PendingCode(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                challenge=str(form["challenge"]),
                scopes=tuple(str(form["scope"]).split()),
            )
            params = {"code": code, **params}
        raise web.HTTPFound(f"{redirect_uri}?{urlencode(params)}")

    def _client_ok(self, request: web.Request, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        if self.client_secret is None:
            return form.get("client_id") == self.client_id and not header
        if not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
        # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
        client_id, _, secret = decoded.partition(":")
        return (unquote_plus(client_id), unquote_plus(secret)) == (
            self.client_id,
            self.client_secret,
        )

    async def _token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        if self.token_redirect is not None:
            return web.Response(
                status=self.token_redirect_status, headers={"Location": self.token_redirect}
            )
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.last_token_form = form
        if self.token_delay:
            await self._pause(self.token_delay)
        if self.token_error is not None:
            status, body = self.token_error
            return web.json_response(body, status=status)
        if not self._client_ok(request, form):
            return _oauth_error(401, "invalid_client", "Invalid client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange_code(form)
        if grant == "refresh_token":
            return self._refresh(form)
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be given")

    def _exchange_code(self, form: dict[str, str]) -> web.Response:
        pending = self.codes.pop(form.get("code", ""), None)
        if pending is None:
            return _oauth_error(400, "invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri") != pending.redirect_uri:
            return _oauth_error(400, "invalid_grant", "Invalid redirect URI")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if not 43 <= len(verifier) <= 128 or digest.rstrip(b"=").decode() != pending.challenge:
            return _oauth_error(400, "invalid_grant", "code_verifier was incorrect")
        return self._grant(pending.scopes, self.issue_refresh_token())

    def _refresh(self, form: dict[str, str]) -> web.Response:
        token = form.get("refresh_token", "")
        if token not in self.refresh_tokens:
            return _oauth_error(400, "invalid_grant", "Refresh token revoked")
        new_refresh = None
        if self.rotate_refresh_tokens:
            # PKCE refresh tokens are single-use: the old one dies as the new one is issued.
            self.refresh_tokens.discard(token)
            self._spent.append(token)
            new_refresh = self.issue_refresh_token()
        return self._grant(self.scopes, new_refresh)

    def _grant(self, scopes: tuple[str, ...], refresh: str | None) -> web.Response:
        access = f"fake-access-{next(self._serial)}-{secrets.token_hex(8)}"
        self.access_tokens.add(access)
        self.token_scopes[access] = scopes
        body: dict[str, Any] = {
            "access_token": access,
            "scope": " ".join(scopes),
            "expires_in": self.access_token_lifetime,
        }
        if self.token_type is not None:
            body["token_type"] = self.token_type
        if refresh:
            body["refresh_token"] = refresh
        return web.json_response(body)

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.access_tokens

    async def _serve(self, request: web.Request, reply: Reply) -> web.Response:
        self.api_calls += 1
        self.last_api_call_at = time.monotonic()
        if not self._authorised(request):
            return _api_error(401, "The access token expired")
        if reply.delay:
            await self._pause(reply.delay)
        if reply.raw is not None:
            return web.Response(
                status=reply.status,
                body=reply.raw,
                headers=reply.headers,
                content_type="application/json",
            )
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    async def _currently_playing(self, request: web.Request) -> web.Response:
        reply = self.player_queue.pop(0) if self.player_queue else self.player
        return await self._serve(request, reply)

    async def _playback(self, request: web.Request) -> web.Response:
        return await self._serve(request, self.playback)

    # --- listening lists: recently played and top items ----------------------------------
    # As Spotify documents them (reference: Web API "Get Recently Played Tracks", "Get User's
    # Top Items"): `limit` 1-50 (default 20), `time_range` one of three, the scope checked per
    # token (403 "Insufficient client scope"), and at most `limit` items in the reply.

    async def _recently_played(self, request: web.Request) -> web.Response:
        return await self._serve_list(request, self.recently_played, "user-read-recently-played")

    async def _top(self, request: web.Request) -> web.Response:
        if request.match_info["kind"] not in {"tracks", "artists"}:
            return _api_error(404, "Service not found")
        time_range = request.query.get("time_range", "medium_term")
        if time_range not in {"short_term", "medium_term", "long_term"}:
            return _api_error(400, "Invalid time range")
        reply = self.top
        if request.match_info["kind"] == "artists" and self.top_artists is not None:
            reply = self.top_artists
        return await self._serve_list(request, reply, "user-top-read")

    async def _serve_list(self, request: web.Request, reply: Reply, scope: str) -> web.Response:
        header = request.headers.get("Authorization", "")
        granted = self.token_scopes.get(header.removeprefix("Bearer "))
        if granted is not None and scope not in granted:
            self.api_calls += 1
            return _api_error(403, "Insufficient client scope")
        raw_limit = request.query.get("limit", "20")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 50:
            self.api_calls += 1
            return _api_error(400, "Invalid limit")
        body = reply.body
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            body = {**body, "items": body["items"][: int(raw_limit)], "limit": int(raw_limit)}
        return await self._serve(
            request, Reply(reply.status, body, reply.headers, reply.delay, reply.raw)
        )


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _api_error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"error": {"status": status, "message": message}}),
        content_type="application/json",
    )
