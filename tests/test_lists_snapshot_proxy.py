"""A real build against the real proxy (demo session): the snapshot is the proxy's own answer."""

from __future__ import annotations

from pathlib import Path

from proxy.settings import Settings
from proxy.web.app import create_app
from tests.sites import build, write_site
from tests.widget_pages import serving

PAGES = {
    "index.md": "# Home\n",
    "listening.md": "# Listening\n\n"
    '<spotify-top-tracks range="long_term" limit="3"></spotify-top-tracks>\n\n'
    '<spotify-recently-played limit="2"></spotify-recently-played>\n\n'
    '<spotify-top-artists limit="2"></spotify-top-artists>\n',
}


def test_a_build_reads_the_running_proxy(tmp_path: Path) -> None:
    with serving(create_app(Settings(demo=True))) as proxy_url:
        site = write_site(tmp_path, spotify={"proxy_url": proxy_url}, pages=PAGES)
        result = build(site, strict=True)
    assert result.returncode == 0, result.output
    page = site.html("listening/index.html")
    assert page.count('<li class="spl-item">') == 3 + 2 + 2
    assert "Lantern Season" in page  # the demo's favourite of all time
    assert page.count('<time class="spl-when"') == 2
    assert "all time" in page
    assert "last 4 weeks" in page
