"""The aiohttp service: routes, handlers and HTTP details."""
