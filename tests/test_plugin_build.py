"""Real `mkdocs build`s: one widget per page, in the footer, with asset links that work."""

from __future__ import annotations

import posixpath
import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mkdocs_spotify.plugin.plugin import ASSETS
from tests.sites import Site, build, build_cli, build_site, write_site

SCRIPT = "assets/spotify/spotify-now-playing.js"
STYLESHEET = "assets/spotify/spotify-now-playing.css"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Found:
    attributes: dict[str, str]
    ancestors: list[tuple[str, str]]  # (tag, class) from <html> down to the parent


class Page(HTMLParser):
    """The widgets, scripts and stylesheets of one HTML page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.widgets: list[Found] = []
        self.scripts: list[dict[str, str | None]] = []
        self.stylesheets: list[str] = []
        self.stack: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "spotify-now-playing":
            self.widgets.append(Found({k: v or "" for k, v in attrs}, list(self.stack)))
        if tag == "script" and values.get("src"):
            self.scripts.append(values)
        if tag == "link" and values.get("rel") == "stylesheet":
            self.stylesheets.append(values["href"] or "")
        if tag not in VOID:
            self.stack.append((tag, values.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def resolve(site: Site, page: Path, link: str) -> Path:
    """The file a relative or root-relative link on `page` points to in the built site."""
    page_dir = posixpath.dirname(page.relative_to(site.site_dir).as_posix())
    target = link.lstrip("/") if link.startswith("/") else posixpath.join(page_dir, link)
    return site.site_dir / posixpath.normpath(target)


def in_footer(found: Found, theme: str) -> bool:
    classes = [css for _, css in found.ancestors]
    if theme == "material":
        return "md-footer-meta__inner md-grid" in classes
    return any(tag == "footer" for tag, _ in found.ancestors)


THEMES = ["mkdocs", "readthedocs", "material"]


@pytest.mark.parametrize("use_directory_urls", [True, False], ids=["dir-urls", "flat-urls"])
@pytest.mark.parametrize("theme", THEMES)
def test_every_page_has_one_widget_in_the_footer_with_working_asset_links(
    tmp_path: Path, theme: str, use_directory_urls: bool
) -> None:
    site = build_site(tmp_path, theme=theme, use_directory_urls=use_directory_urls)

    pages = site.html_files()
    names = {p.relative_to(site.site_dir).as_posix() for p in pages}
    nested = (
        "posts/2026/listening/index.html" if use_directory_urls else "posts/2026/listening.html"
    )
    assert {"404.html", "index.html", nested} <= names
    for path in pages:
        page = parse(path.read_text(encoding="utf-8"))
        assert len(page.widgets) == 1, path
        assert in_footer(page.widgets[0], theme), (path, page.widgets[0].ancestors)
        assert page.widgets[0].attributes["proxy-url"] == "https://proxy.blog.test"

        ours = [s for s in page.scripts if (s["src"] or "").endswith("spotify-now-playing.js")]
        assert len(ours) == 1, path
        assert "defer" in ours[0]
        assert resolve(site, path, ours[0]["src"] or "") == site.site_dir / SCRIPT, path
        css = [href for href in page.stylesheets if href.endswith("spotify-now-playing.css")]
        assert len(css) == 1, path
        assert resolve(site, path, css[0]) == site.site_dir / STYLESHEET, path

    # The assets are the package's files, byte for byte.
    for uri in (SCRIPT, STYLESHEET):
        assert (site.site_dir / uri).read_bytes() == (ASSETS / Path(uri).name).read_bytes()


def test_material_widget_sits_after_the_copyright(tmp_path: Path) -> None:
    site = build_site(tmp_path, theme="material", extra_config={"copyright": "© Ada"})

    html = site.html("index.html")
    copyright_at = html.index('class="md-copyright"')
    widget_at = html.index("<spotify-now-playing")
    assert copyright_at < html.index("Material for MkDocs", copyright_at) < widget_at
    assert widget_at < html.index("</footer>")


def test_attributes_reflect_the_options_and_are_escaped(tmp_path: Path) -> None:
    hostile = '"><script>alert(1)</script>'
    options = {
        "proxy_url": "https://proxy.blog.test/base/",
        "when_idle": "message",
        "album_art": False,
        "progress_bar": False,
        "min_interval": 3,
        "max_interval": 90,
        "labels": {"playing": f"En écoute {hostile}", "open": "Écouter & voir"},
    }
    site = build_site(tmp_path, spotify=options)

    html = site.html("index.html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert parse(html).widgets[0].attributes == {
        "proxy-url": "https://proxy.blog.test/base",
        "idle": "message",
        "art": "off",
        "progress": "off",
        "min-interval": "3",
        "max-interval": "90",
        "label-playing": f"En écoute {hostile}",
        "label-open": "Écouter & voir",
    }


def test_defaults_and_a_root_relative_proxy_url(tmp_path: Path) -> None:
    site = build_site(tmp_path, spotify={"proxy_url": "/spotify/"})

    assert parse(site.html("about/index.html")).widgets[0].attributes == {
        "proxy-url": "/spotify",
        "idle": "last",
        "art": "on",
        "progress": "on",
        "min-interval": "5",
        "max-interval": "60",
    }


def test_proxy_url_from_the_environment(tmp_path: Path) -> None:
    site = write_site(
        tmp_path,
        plugins=["search"],
        # Appended right after the dumped `plugins:` list, the last key.
        extra_yaml='- spotify:\n    proxy_url: !ENV [SPOTIFY_PROXY_URL, "https://fallback.blog.test"]\n',
    )

    result = build_cli(site, env={"SPOTIFY_PROXY_URL": "https://from-env.blog.test"})

    assert result.returncode == 0, result.output
    assert 'proxy-url="https://from-env.blog.test"' in site.html("index.html")


def test_a_selector_placement_goes_to_the_end_of_body(tmp_path: Path) -> None:
    options = {"proxy_url": "https://p.example", "placement": "#sidebar > .box"}
    site = build_site(tmp_path, theme="material", spotify=options)

    html = site.html("index.html")
    found = parse(html).widgets
    assert len(found) == 1
    assert found[0].attributes["placement"] == "#sidebar > .box"
    assert [tag for tag, _ in found[0].ancestors] == ["html", "body"]
    assert html.index("<spotify-now-playing") > html.index("</footer>")


def test_a_page_that_already_has_the_element_keeps_exactly_one(tmp_path: Path) -> None:
    pages = {
        "index.md": '# Home\n\n<spotify-now-playing proxy-url="/mine"></spotify-now-playing>\n',
        "other.md": "# Other\n",
    }
    site = build_site(tmp_path, pages=pages)

    home = parse(site.html("index.html")).widgets
    assert [w.attributes["proxy-url"] for w in home] == ["/mine"]
    assert len(parse(site.html("other/index.html")).widgets) == 1


def test_disabled_injects_nothing_and_copies_nothing(tmp_path: Path) -> None:
    site = build_site(tmp_path, theme="material", spotify={"enabled": False})

    assert not (site.site_dir / "assets" / "spotify").exists()
    for path in site.html_files():
        assert "spotify-now-playing" not in path.read_text(encoding="utf-8"), path


def test_strict_build_has_no_warnings(tmp_path: Path) -> None:
    result = build(write_site(tmp_path, theme="material"), strict=True)

    assert result.returncode == 0, result.output
    assert "WARNING" not in result.output


@pytest.mark.slow
def test_the_example_site_builds_with_the_widget(tmp_path: Path) -> None:
    example = Path(__file__).parents[1] / "example-site"
    shutil.copytree(example, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("site"))
    site = Site(tmp_path)

    env = {"SPOTIFY_PROXY_URL": "https://proxy.blog.test", "SPOTIFY_LISTENING_SNAPSHOTS": "false"}
    result = build(site, strict=True, env=env)

    assert result.returncode == 0, result.output
    pages = site.html_files()
    assert len(pages) >= 6
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert len(re.findall("<spotify-now-playing", text)) == 1, path
        assert 'proxy-url="https://proxy.blog.test"' in text, path
    assert (site.site_dir / SCRIPT).is_file()
    listening = site.html("listening/index.html")
    for tag in ("spotify-recently-played", "spotify-top-tracks", "spotify-top-artists"):
        assert f'<{tag} proxy-url="https://proxy.blog.test"' in listening
    assert "spotify-lists.js" in listening
    assert "spotify-lists.js" not in site.html("index.html")


def test_the_owners_own_stylesheet_wins(tmp_path: Path) -> None:
    pages = {"index.md": "# Home\n", STYLESHEET: "/* mine */\n"}

    site = build_site(tmp_path, pages=pages)

    assert (site.site_dir / STYLESHEET).read_text(encoding="utf-8") == "/* mine */\n"
    assert (site.site_dir / SCRIPT).read_bytes() == (ASSETS / Path(SCRIPT).name).read_bytes()
    links = parse(site.html("index.html")).stylesheets
    assert [href for href in links if href.endswith("spotify-now-playing.css")] == [STYLESHEET]


def test_a_site_under_a_path_links_the_404_page_assets_from_that_path(tmp_path: Path) -> None:
    site = build_site(tmp_path, site_url="https://example.com/blog/")

    page = parse(site.html("404.html"))
    assert [s["src"] for s in page.scripts if "spotify" in (s["src"] or "")] == [f"/blog/{SCRIPT}"]
    assert f"/blog/{STYLESHEET}" in page.stylesheets


def test_an_http_proxy_for_an_https_site_is_a_warning(tmp_path: Path) -> None:
    site = write_site(
        tmp_path, site_url="https://blog.example.com/", spotify={"proxy_url": "http://p.example"}
    )

    result = build(site, strict=True)

    assert result.returncode == 1
    assert "proxy_url is plain http while site_url is https" in result.output
