"""The widget speaks the page's language: shipped translations, overridden by the owner's labels."""

from __future__ import annotations

from pathlib import Path

from mkdocs_spotify.plugin.labels import LABEL_KEYS, SHIPPED, Labels
from tests.sites import PROXY_URL, build_site
from tests.test_plugin_build import parse


def label_attributes(html: str) -> dict[str, str]:
    widget = parse(html).widgets[0].attributes
    return {
        name.removeprefix("label-"): v for name, v in widget.items() if name.startswith("label-")
    }


def test_every_shipped_language_has_every_key_and_english_is_the_widgets_own() -> None:
    assert set(SHIPPED) == {"en", "fr", "de", "es"}
    assert SHIPPED["en"] == {}
    for language in ("fr", "de", "es"):
        assert tuple(SHIPPED[language]) == LABEL_KEYS, language


def test_the_owners_texts_win_over_the_shipped_ones() -> None:
    labels = Labels(every={"open": "Mon Spotify"}, languages={"fr": {"idle": "Silence"}})

    french = labels.for_language("fr-CA")
    assert french["playing"] == "En écoute"
    assert french["open"] == "Mon Spotify"
    assert french["idle"] == "Silence"
    assert labels.for_language("en") == {"open": "Mon Spotify"}
    assert labels.for_language("") == {"open": "Mon Spotify"}
    assert labels.for_language("de_AT")["paused"] == "Pausiert"
    assert labels.for_language("pt-BR") == {"open": "Mon Spotify"}


def test_a_french_site_gets_french_labels(tmp_path: Path) -> None:
    site = build_site(tmp_path, theme={"name": "mkdocs", "locale": "fr"})

    assert label_attributes(site.html("about/index.html")) == SHIPPED["fr"]
    assert label_attributes(site.html("404.html")) == SHIPPED["fr"]


def test_an_english_site_carries_no_label_attributes(tmp_path: Path) -> None:
    site = build_site(tmp_path, theme="readthedocs")

    assert label_attributes(site.html("index.html")) == {}


def test_each_language_of_an_i18n_site_gets_its_own_labels(tmp_path: Path) -> None:
    pages = {
        "index.md": "# Home\n",
        "index.fr.md": "# Accueil\n",
        "index.de.md": "# Startseite\n",
    }
    i18n = {
        "i18n": {
            "docs_structure": "suffix",
            "languages": [
                {"locale": "en", "default": True, "name": "English", "build": True},
                {"locale": "fr", "name": "Français", "build": True},
                {"locale": "de", "name": "Deutsch", "build": True},
            ],
        }
    }
    options = {"proxy_url": PROXY_URL, "labels": {"de": {"open": "Auf Spotify"}}}
    plugins = ["search", i18n, {"spotify": options}]

    site = build_site(tmp_path, theme="material", pages=pages, plugins=plugins)

    assert label_attributes(site.html("index.html")) == {}
    assert label_attributes(site.html("fr/index.html")) == SHIPPED["fr"]
    assert label_attributes(site.html("de/index.html")) == {
        **SHIPPED["de"],
        "open": "Auf Spotify",
    }
