"""The widget's promise to every visitor: JS + CSS at most 5 KB gzip together, built from source."""

from __future__ import annotations

from bench.widget import BUDGET, gzip_size
from scripts.build_widget import NAMES, SOURCES, banner
from tests.list_pages import LIST_ASSETS
from tests.widget_pages import ASSET_NAMES, ASSETS


def test_js_and_css_fit_in_5_kb_gzip() -> None:
    sizes = {name: gzip_size(name) for name in ASSET_NAMES}
    total = sum(sizes.values())
    print(f"widget gzip -9: {sizes}, total {total} of {BUDGET} bytes")
    assert total <= BUDGET, f"gzip -9 sizes {sizes} exceed {BUDGET} bytes together"


def test_the_shipped_assets_are_built_from_the_current_sources() -> None:
    assert set(NAMES) == {*ASSET_NAMES, *LIST_ASSETS}
    for name in NAMES:
        first_line = (ASSETS / name).read_text(encoding="utf-8").partition("\n")[0]
        expected = banner(name, (SOURCES / name).read_bytes()).strip()
        assert first_line == expected, f"widget/{name} changed: run `make widget` and commit"


def test_the_script_defines_the_element_once_and_sets_text_only_safely() -> None:
    script = (SOURCES / "spotify-now-playing.js").read_text(encoding="utf-8")
    assert "customElements.get(NAME)" in script  # guarded against a second definition
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in script
