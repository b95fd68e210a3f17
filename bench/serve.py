"""One HTTP server for the load test, in its own process: `python -m bench.serve KIND PORT BODY
[PATH]`.

KIND `proxy` serves the real proxy (demo session, warm cache); KIND `spotify` the real proxy
reading a fake Spotify (in a thread of the same process; one call per TTL), and KIND `redis`
the same in Redis mode (`python -m bench.serve redis PORT BODY PATH REDIS_URL`). KIND `bare` serves
a plain aiohttp handler returning BODY's bytes; KIND `headers` is that handler sending the proxy's
headers too (ETag, Cache-Control, Vary, nosniff). All run with `web.run_app` and no access log,
so the differences are the proxy's own per-request work and the headers its contract requires.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from proxy.answers.encoding import strong_etag
from proxy.settings import Settings
from proxy.web.app import create_app
from proxy.web.http import answer_headers
from tests.fakes.spotify import FakeSpotify


def bare_app(
    body: bytes, with_headers: bool = False, path: str = "/v1/now-playing"
) -> web.Application:
    headers = answer_headers(strong_etag(body), 5.0) if with_headers else None

    async def handler(request: web.Request) -> web.Response:
        if headers is not None:
            return web.Response(body=body, headers=headers)
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get(path, handler)
    return app


def main(argv: list[str]) -> int:
    kind, port, body_file = argv[0], int(argv[1]), Path(argv[2])
    with contextlib.ExitStack() as stack:
        if kind == "proxy":
            app = create_app(Settings(demo=True, cache_ttl=5.0))
        elif kind in {"spotify", "redis"}:
            fake = stack.enter_context(FakeSpotify().running())
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            settings = fake.settings(
                refresh_token=fake.issue_refresh_token(),
                cache_ttl=5.0,
                token_store=folder / "token.json",
                redis_url=argv[4] if kind == "redis" else None,
            )
            app = create_app(settings)
        else:
            # An optional PATH serves the bytes elsewhere (the lists' endpoints, bench/lists.py).
            path = argv[3] if len(argv) > 3 else "/v1/now-playing"
            app = bare_app(body_file.read_bytes(), with_headers=kind == "headers", path=path)
        web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
