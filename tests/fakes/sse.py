"""A small Server-Sent Events reader for tests, after the parsing rules of the HTML standard
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse


@dataclass
class Event:
    event: str
    data: str
    id: str | None
    retry: int | None

    def json(self) -> Any:
        return json.loads(self.data)


class EventReader:
    """Reads one stream's events; comment lines (pings) are counted, not returned."""

    def __init__(self, response: ClientResponse) -> None:
        self.response = response
        self.comments = 0

    async def next(self, within: float = 5.0) -> Event:
        """The next event; TimeoutError if none arrives in time, EOFError if the stream ends."""
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Event:
        fields: dict[str, list[str]] = {}
        while True:
            raw = await self.response.content.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\r\n")
            if not line:
                if "data" in fields:
                    ids, retry = fields.get("id"), fields.get("retry")
                    return Event(
                        event=fields.get("event", ["message"])[-1],
                        data="\n".join(fields["data"]),
                        id=ids[-1] if ids else None,
                        retry=int(retry[-1]) if retry else None,
                    )
                fields = {}
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
