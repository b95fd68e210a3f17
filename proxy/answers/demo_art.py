"""The demo session's album covers: small square SVGs drawn here, each plainly labelled demo art.

Pure: no I/O. Only straight-edged shapes (no circles or arcs), in colours far from Spotify's
green, so nothing resembles Spotify's logo; the proxy serves them unmodified from its own origin
in demo mode (`proxy.web.covers`).
"""

from __future__ import annotations

from dataclasses import dataclass

COVER_PX = 300
COVER_PATH = "/v1/demo/covers/{number}.svg"


@dataclass(frozen=True)
class _Palette:
    ground: str
    shape: str
    motif: str  # SVG elements drawn on the ground, in the shape colour


_STRIPES = "".join(f'<rect x="0" y="{y}" width="300" height="14"/>' for y in range(24, 300, 44))
_TRIANGLES = "".join(
    f'<polygon points="{x},300 {x + 50},190 {x + 100},300"/>' for x in range(-20, 300, 80)
)
_SQUARES = "".join(
    f'<rect x="{x}" y="{y}" width="34" height="34"/>'
    for x in range(16, 300, 70)
    for y in range(16, 300, 70)
    if (x + y) // 70 % 2 == 0  # a checkerboard
)
_BANDS = (
    '<polygon points="0,60 60,0 120,0 0,120"/><polygon points="180,300 300,180 300,240 240,300"/>'
)

_PALETTES = (
    _Palette("#1f3a5f", "#f2c14e", _STRIPES),
    _Palette("#6a2c70", "#f08a5d", _TRIANGLES),
    _Palette("#3b3b48", "#ff6f91", _BANDS),
    _Palette("#9c2c4f", "#fcd581", _SQUARES),
)
COVER_COUNT = len(_PALETTES)


def cover_url(number: int) -> str:
    """Where the proxy serves cover `number` (1 to COVER_COUNT), relative to its own origin."""
    return COVER_PATH.format(number=number)


def cover_svg(number: int) -> bytes | None:
    """Cover `number` (1 to COVER_COUNT) as an SVG document, None for any other number."""
    if not 1 <= number <= COVER_COUNT:
        return None
    palette = _PALETTES[number - 1]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{COVER_PX}" height="{COVER_PX}" '
        f'viewBox="0 0 {COVER_PX} {COVER_PX}" role="img" aria-label="Demo cover {number}">'
        f'<rect width="300" height="300" fill="{palette.ground}"/>'
        f'<g fill="{palette.shape}">{palette.motif}</g>'
        '<rect x="20" y="84" width="260" height="132" fill="#000" fill-opacity="0.6"/>'
        '<g fill="#fff" font-family="sans-serif" font-weight="700" text-anchor="middle">'
        '<text x="150" y="164" font-size="76">DEMO</text>'
        f'<text x="150" y="200" font-size="24">demo art {number} of {COVER_COUNT}</text>'
        "</g></svg>"
    ).encode()
