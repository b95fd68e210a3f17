"""An answer as the bytes visitors get, and its strong ETag. Computed once per answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Answer:
    """One rendered answer: compact JSON bytes and their ETag, computed once."""

    body: bytes = field(repr=False)
    etag: str


def compact_json(data: Any) -> bytes:
    # A lone surrogate (half an emoji: valid JSON escape, not encodable as UTF-8) can only sit
    # inside a JSON string, where backslashreplace writes it back as the same `\udxxx` escape.
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace")


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def render_json(value: Mapping[str, object], stale: bool) -> Answer:
    """A JSON object answer with its `stale` flag set, as bytes and their ETag."""
    body = compact_json({**value, "stale": stale})
    return Answer(body, strong_etag(body))
