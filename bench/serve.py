"""One HTTP server for the load test, in its own process: `python -m bench.serve KIND PORT BODY`.

KIND `proxy` serves the real proxy (demo session, warm cache); KIND `bare` serves a plain
aiohttp handler returning BODY's bytes. Both run with `web.run_app` and no access log, so the
difference between them is the proxy's own per-request work.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

from proxy.app import create_app
from proxy.settings import Settings


def bare_app(body: bytes) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v1/now-playing", handler)
    return app


def main(argv: list[str]) -> int:
    kind, port, body_file = argv[0], int(argv[1]), Path(argv[2])
    if kind == "proxy":
        app = create_app(Settings(demo=True, cache_ttl=5.0))
    else:
        app = bare_app(body_file.read_bytes())
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
