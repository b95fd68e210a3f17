"""`PUT /v1/admin/grant`: a new grant handed over by `mkdocs-spotify login --to`.

The route exists only when the proxy has SPOTIFY_PROXY_ADMIN_TOKEN (create_app adds it); without
it the path is as unknown as any other. In order: https (admin_rules.transport_problem), the
caller's failure budget, the bearer token in constant time, the body; then the grant is written
under the token store's lock (a newer `authorized_at` never loses to an older one) and the proxy
switches to it at once and refreshes with it, so the answer tells whether it works.

Neither the admin token nor the body is ever logged or echoed: log lines name the caller's
address and what happened, answers carry dates and sentences.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from aiohttp import web

from proxy.clock import Clock
from proxy.settings import Settings
from proxy.spotify.errors import SpotifyError, StoreError
from proxy.spotify.grant import grant_expires_at, is_older, same_grant, seed_fingerprint
from proxy.spotify.store import StoredToken
from proxy.spotify.tokens import AccessTokens
from proxy.web.admin_rules import (
    MAX_BODY_BYTES,
    FailureLimiter,
    GrantRefused,
    bearer_matches,
    client_address,
    parse_grant,
    transport_problem,
)
from proxy.web.handlers import json_response

log = logging.getLogger(__name__)

ADMIN_PATH = "/v1/admin/grant"
# After writing, how long to wait for a refresh in flight to let the proxy switch.
SWITCH_PATIENCE = 5.0
_SWITCH_POLL = 0.02


def _stamp(token: StoredToken) -> str:
    assert token.authorized_at is not None
    return token.authorized_at.isoformat().replace("+00:00", "Z")


def _expires(token: StoredToken) -> str:
    assert token.authorized_at is not None
    return grant_expires_at(token.authorized_at).isoformat().replace("+00:00", "Z")


class GrantHandOver:
    """The handler, bound to the admin token, the proxy's token cache and its clock."""

    def __init__(self, settings: Settings, tokens: AccessTokens, clock: Clock) -> None:
        assert settings.admin_token is not None
        self._admin_token = settings.admin_token
        self._settings = settings
        self._tokens = tokens
        self._clock = clock
        self._limiter = FailureLimiter(clock.monotonic)
        log.info("PUT %s is on (SPOTIFY_PROXY_ADMIN_TOKEN is set).", ADMIN_PATH)

    async def method_not_allowed(self, request: web.Request) -> web.Response:
        return json_response(
            {"error": f"{request.method} is not allowed here: hand a grant over with PUT."},
            405,
            {"Allow": "PUT"},
        )

    async def put(self, request: web.Request) -> web.Response:
        peer = request.remote
        address = client_address(peer, request.headers)
        problem = transport_problem(peer, request.headers)
        if problem is not None:
            log.warning("Refused a grant hand-over from %s: it did not come over https.", address)
            return json_response({"error": problem}, 403)
        wait = self._limiter.retry_after(address)
        if wait is not None:
            return json_response(
                {
                    "error": f"Too many wrong admin tokens from this address: wait {wait} s, "
                    "then send the proxy's SPOTIFY_PROXY_ADMIN_TOKEN."
                },
                429,
                {"Retry-After": str(wait)},
            )
        if not bearer_matches(request.headers.get("Authorization"), self._admin_token):
            failures = self._limiter.failed(address)
            log.warning(
                "Refused a grant hand-over from %s: wrong or missing admin token "
                "(%d of %d failures allowed in %d minutes).",
                address,
                failures,
                self._limiter.limit,
                int(self._limiter.window // 60),
            )
            return json_response(
                {
                    "error": "Wrong or missing admin token: send the proxy's "
                    "SPOTIFY_PROXY_ADMIN_TOKEN as `Authorization: Bearer <token>`."
                },
                401,
                {"WWW-Authenticate": 'Bearer realm="mkdocs-spotify"'},
            )
        body = await _read_limited(request)
        if body is None:
            return json_response(
                {"error": f"The body is larger than {MAX_BODY_BYTES} bytes: it is not a grant."},
                413,
            )
        if body.strip() in {b"", b"{}"}:
            # `login --to` asks this before the owner authorizes: is the admin token right?
            log.info("The admin token from %s is right (an empty grant: nothing changed).", address)
            return json_response({"error": "The body holds no grant: nothing changed."}, 422)
        try:
            handed = parse_grant(body, self._settings.client_id or "", self._clock.now())
        except GrantRefused as refused:
            log.warning("Refused a grant hand-over from %s: %s", address, refused)
            return json_response({"error": str(refused)}, 422)
        return await self._take(self._superseding_seed(handed.token), address)

    def _superseding_seed(self, token: StoredToken) -> StoredToken:
        """Mark the grant as the successor of SPOTIFY_REFRESH_TOKEN, if the proxy has one.

        The seed rule (docs/architecture.md) lets a store rotated from the current seed win
        over it; without this mark the old seed would win again at the next restart.
        """
        seed = self._settings.refresh_token
        return replace(token, seed_sha256=seed_fingerprint(seed) if seed else None)

    async def _take(self, token: StoredToken, address: str) -> web.Response:
        store = self._tokens.store
        try:
            async with store.locked(3 * self._settings.upstream_timeout + 1):
                try:
                    current = await asyncio.to_thread(store.load)
                except StoreError:
                    current = None  # a broken store is what a new grant repairs
                if current is not None and is_older(token, current):
                    return json_response(
                        {
                            "error": "The proxy holds a newer grant (authorized "
                            f"{_stamp(current)}): it keeps that one.",
                        },
                        409,
                    )
                if current is not None and same_grant(current, token):
                    # Sent twice: the store may hold this grant's rotated successor, and
                    # writing the older token back would present a spent one.
                    return json_response(self._answer("unchanged", token, None), 200)
                await asyncio.to_thread(store.save, token)
        except (SpotifyError, OSError) as error:
            # The log may name the store's path; the answer stays generic.
            log.error("Could not write the handed-over grant to the token store: %s", error)
            return json_response(
                {"error": "The proxy could not write its token store: its log says why."}, 500
            )
        switched = await self._switch_to(token)
        refresh_problem = None
        try:
            await self._tokens.access_token()
        except SpotifyError as error:
            refresh_problem = self._tokens.problem or str(error)
        log.info(
            "Took a new Spotify grant handed over from %s (authorized %s, expires %s)%s.",
            address,
            _stamp(token),
            _expires(token),
            "" if refresh_problem is None else f"; refreshing with it failed: {refresh_problem}",
        )
        status = "switched" if switched else "saved"
        return json_response(self._answer(status, token, refresh_problem), 200)

    def _answer(self, status: str, token: StoredToken, problem: str | None) -> dict[str, object]:
        answer: dict[str, object] = {
            "status": status,
            "authorized_at": _stamp(token),
            "expires_at": _expires(token),
            "refreshed": problem is None,
        }
        if problem is not None:
            answer["problem"] = problem
        return answer

    async def _switch_to(self, token: StoredToken) -> bool:
        """Let the token cache adopt the written grant now; True once it uses it.

        A refresh in flight holds the cache's lock and re-reads the store itself; then this
        waits for it instead.
        """
        loop = asyncio.get_running_loop()  # real time: a test's manual clock may stand still
        deadline = loop.time() + SWITCH_PATIENCE
        while True:
            await self._tokens.follow_store()
            held = self._tokens.chain.credential
            if held is not None and same_grant(held, token):
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(_SWITCH_POLL)


async def _read_limited(request: web.Request) -> bytes | None:
    """The body, None when it is larger than MAX_BODY_BYTES (read no further than that)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
    return b"".join(chunks)
