"""Which pages get the widget, and where, on sites shaped like real ones: minified HTML, home
templates without a footer, static templates that do not link the site's assets."""

from __future__ import annotations

from pathlib import Path

from tests.sites import PROXY_URL, build_site
from tests.test_plugin_build import in_footer, parse

HOME = "---\ntemplate: home.html\n---\n# Welcome\n"
# Material's own docs and i18n sites have a home template like this one.
HOME_TEMPLATE = '{% extends "main.html" %}\n{% block footer %}{% endblock %}\n'


def material_with_home(root: Path) -> dict[str, str]:
    (root / "overrides").mkdir(parents=True, exist_ok=True)
    (root / "overrides" / "home.html").write_text(HOME_TEMPLATE, encoding="utf-8")
    return {"name": "material", "custom_dir": "overrides"}


def test_minified_material_pages_keep_the_widget_after_the_copyright(tmp_path: Path) -> None:
    # Listed before spotify, as owners append plugins to an existing list.
    plugins = ["search", {"minify": {"minify_html": True}}, {"spotify": {"proxy_url": PROXY_URL}}]

    site = build_site(
        tmp_path, theme="material", plugins=plugins, extra_config={"copyright": "© Ada"}
    )

    for name in ("index.html", "about/index.html", "404.html"):
        html = site.html(name)
        assert "class=md-copyright" in html, "the page was not minified"
        found = parse(html).widgets
        assert len(found) == 1, name
        assert in_footer(found[0], "material"), (name, found[0].ancestors)
        copyright_at = html.index("class=md-copyright")
        assert copyright_at < html.index("© Ada") < html.index("<spotify-now-playing")
        assert html.index("<spotify-now-playing") < html.index("</footer>")


def test_pages_skipped_by_template_and_by_glob_get_no_widget(tmp_path: Path) -> None:
    pages = {
        "index.md": HOME,
        "about.md": "# About\n",
        "drafts/one.md": "# Draft\n",
        "posts/kept.md": "# Kept\n",
    }
    options = {
        "proxy_url": PROXY_URL,
        "skip": {"templates": ["home.html", "404.html"], "pages": ["drafts/*"]},
    }

    site = build_site(tmp_path, theme=material_with_home(tmp_path), pages=pages, spotify=options)

    counts = {
        name: len(parse(site.html(name)).widgets)
        for name in ("index.html", "404.html", "drafts/one/index.html")
    }
    assert counts == {"index.html": 0, "404.html": 0, "drafts/one/index.html": 0}
    assert len(parse(site.html("about/index.html")).widgets) == 1
    assert len(parse(site.html("posts/kept/index.html")).widgets) == 1


def test_without_skip_a_home_page_without_footer_gets_it_before_body_end(tmp_path: Path) -> None:
    site = build_site(tmp_path, theme=material_with_home(tmp_path), pages={"index.md": HOME})

    found = parse(site.html("index.html")).widgets
    assert len(found) == 1
    assert [tag for tag, _ in found[0].ancestors] == ["html", "body"]


def test_a_static_template_without_the_widgets_script_gets_no_element(tmp_path: Path) -> None:
    theme_dir = tmp_path / "overrides"
    theme_dir.mkdir(parents=True)
    (theme_dir / "landing.html").write_text(
        "<!doctype html><html><head><title>Hi</title></head>"
        "<body><main>Hand-written</main><footer>me</footer></body></html>",
        encoding="utf-8",
    )
    theme = {"name": "mkdocs", "custom_dir": "overrides", "static_templates": ["landing.html"]}

    site = build_site(tmp_path, theme=theme)

    assert "Hand-written" in site.html("landing.html")
    assert parse(site.html("landing.html")).widgets == []
    assert len(parse(site.html("404.html")).widgets) == 1


def test_live_true_and_false_become_the_live_attribute(tmp_path: Path) -> None:
    on = build_site(tmp_path / "on", spotify={"proxy_url": PROXY_URL, "live": True})
    off = build_site(tmp_path / "off", spotify={"proxy_url": PROXY_URL, "live": False})
    unset = build_site(tmp_path / "unset", spotify={"proxy_url": PROXY_URL})

    assert parse(on.html("index.html")).widgets[0].attributes["live"] == ""
    assert parse(off.html("index.html")).widgets[0].attributes["live"] == "off"
    assert "live" not in parse(unset.html("index.html")).widgets[0].attributes
