"""The lists' script and stylesheet: at most 4 KB gzip together, text set safely."""

from __future__ import annotations

from bench.widget import gzip_size
from scripts.build_widget import SOURCES
from tests.list_pages import LIST_ASSETS

LISTS_BUDGET = 4000  # bytes, "4 KB" read strictly


def test_lists_js_and_css_fit_in_4_kb_gzip() -> None:
    sizes = {name: gzip_size(name) for name in LIST_ASSETS}
    print(f"lists gzip -9: {sizes}, total {sum(sizes.values())} of {LISTS_BUDGET} bytes")
    assert sum(sizes.values()) <= LISTS_BUDGET, sizes


def test_the_script_defines_each_element_once_and_never_writes_html() -> None:
    script = (SOURCES / "spotify-lists.js").read_text(encoding="utf-8")
    assert "!customElements.get(name)" in script
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in script
