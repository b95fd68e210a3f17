"""Where the element lands in footers the built-in themes never produce (overridden partials)."""

from __future__ import annotations

from mkdocs_spotify.plugin.widget import insert_widget, read_page, widget_element

WIDGET = widget_element({"proxy-url": 'https://p.example/"x"&<y>'})


def test_the_element_escapes_attribute_values() -> None:
    assert WIDGET == (
        '<spotify-now-playing proxy-url="https://p.example/&quot;x&quot;&amp;&lt;y&gt;">'
        "</spotify-now-playing>"
    )


def test_material_without_copyright_goes_at_the_end_of_the_footer_row() -> None:
    html = (
        '<body><footer><div class="md-footer-meta__inner md-grid">'
        '<div class="md-social"><div>a</div></div></div></footer></body>'
    )

    assert insert_widget(html, WIDGET) == (
        '<body><footer><div class="md-footer-meta__inner md-grid">'
        f'<div class="md-social"><div>a</div></div>{WIDGET}</div></footer></body>'
    )


def test_material_copyright_with_nested_divs_is_skipped_whole() -> None:
    html = (
        '<div class="md-footer-meta__inner md-grid"><div class="md-copyright">'
        '<div class="md-copyright__highlight">© me</div>Made with</div>'
        '<div class="md-social"></div></div></footer></body>'
    )

    result = insert_widget(html, WIDGET)

    assert result is not None
    assert f'Made with</div>{WIDGET}<div class="md-social">' in result


def test_the_last_footer_wins_over_earlier_ones() -> None:
    html = "<body><footer>article</footer><p>x</p><footer>site</footer></body>"

    assert insert_widget(html, WIDGET) == (
        f"<body><footer>article</footer><p>x</p><footer>site{WIDGET}</footer></body>"
    )


def test_no_footer_falls_back_to_the_end_of_body() -> None:
    html = "<html><body><main>x</main></body></html>"

    assert insert_widget(html, WIDGET) == f"<html><body><main>x</main>{WIDGET}</body></html>"


def test_a_selector_placement_ignores_the_footer() -> None:
    html = "<body><footer>f</footer></body>"

    assert insert_widget(html, WIDGET, "#side") == f"<body><footer>f</footer>{WIDGET}</body>"


def test_nothing_changes_without_body_or_when_already_present() -> None:
    assert insert_widget("<p>fragment</p>", WIDGET) is None
    assert insert_widget(f"<body><footer>{WIDGET}</footer></body>", WIDGET) is None


def test_unquoted_and_single_quoted_classes_are_found_as_in_minified_pages() -> None:
    unquoted = (
        "<body><footer><div class=md-footer-meta__inner><div class=md-copyright>"
        "<div class=md-copyright__highlight>© me</div>Made with</div>"
        "<div class=md-social><a href=/x>x</a></div></div></footer>"
    )
    single = unquoted.replace("class=md-copyright>", "class='md-copyright'>")

    for html in (unquoted, single):
        result = insert_widget(html, WIDGET)
        assert result is not None
        assert f"Made with</div>{WIDGET}<div class=md-social>" in result


def test_a_page_without_its_closing_body_tag_ends_with_the_element() -> None:
    html = "<!doctype html><html lang=en><body><main>x</main>\n"

    assert (
        insert_widget(html, WIDGET)
        == f"<!doctype html><html lang=en><body><main>x</main>{WIDGET}\n"
    )


def test_footers_and_elements_inside_scripts_and_code_do_not_count() -> None:
    html = (
        "<body><footer>site</footer><pre><code>&lt;spotify-now-playing&gt;</code></pre>"
        "<script>document.write('</footer>')</script></body>"
    )

    assert insert_widget(html, WIDGET) == (
        "<body><footer>site"
        f"{WIDGET}</footer><pre><code>&lt;spotify-now-playing&gt;</code></pre>"
        "<script>document.write('</footer>')</script></body>"
    )


def test_the_page_tells_its_language_and_whether_it_links_the_script() -> None:
    shape = read_page(
        "<html lang=fr-CA><head><script src='../assets/spotify/spotify-now-playing.js?v=1' defer>"
        "</script></head><body></body></html>"
    )
    assert (shape.lang, shape.links_script) == ("fr-CA", True)

    other = read_page('<html><script src="/js/other-spotify-now-playing.js"></script></html>')
    assert (other.lang, other.links_script) == ("", False)


def test_live_is_a_bare_attribute_and_off_is_spelled_out() -> None:
    assert widget_element({"proxy-url": "/p", "live": ""}) == (
        '<spotify-now-playing proxy-url="/p" live></spotify-now-playing>'
    )
    assert 'live="off"' in widget_element({"proxy-url": "/p", "live": "off"})
