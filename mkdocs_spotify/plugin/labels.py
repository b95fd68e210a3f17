"""The widget's texts per language: shipped translations, overridden by the owner's `labels`.

English is the widget's own default (in its script), so English pages carry no label attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Keys of `labels`; each becomes the widget's `label-<key>` attribute.
LABEL_KEYS = ("playing", "paused", "last", "idle", "offline", "open")

SHIPPED: dict[str, dict[str, str]] = {
    "en": {},
    "fr": {
        "playing": "En écoute",
        "paused": "En pause",
        "last": "Écouté récemment",
        "idle": "Rien en cours de lecture",
        "offline": "Statut Spotify indisponible",
        "open": "Écouter sur Spotify",
    },
    "de": {
        "playing": "Läuft gerade",
        "paused": "Pausiert",
        "last": "Zuletzt gehört",
        "idle": "Gerade läuft nichts",
        "offline": "Spotify-Status nicht verfügbar",
        "open": "Auf Spotify anhören",
    },
    "es": {
        "playing": "Sonando ahora",
        "paused": "En pausa",
        "last": "Escuchado recientemente",
        "idle": "No suena nada ahora mismo",
        "offline": "Estado de Spotify no disponible",
        "open": "Escuchar en Spotify",
    },
}

# A BCP 47 language tag as themes write it in <html lang>: `fr`, `pt-BR`, `zh_Hant`.
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def language_tag(text: str) -> str:
    """`text` as a lower-case tag with hyphens (`pt_BR` -> `pt-br`), or "" if it is not one."""
    text = text.strip()
    return text.replace("_", "-").lower() if _TAG.match(text) else ""


@dataclass(frozen=True)
class Labels:
    """The owner's texts: `every` for all pages, `languages[tag]` for pages in that language."""

    every: dict[str, str] = field(default_factory=dict)
    languages: dict[str, dict[str, str]] = field(default_factory=dict)

    def for_language(self, lang: str) -> dict[str, str]:
        """Texts for a page whose `<html lang>` is `lang`; keys left out keep the widget's."""
        tag = language_tag(lang)
        tags = [tag.split("-")[0], tag] if "-" in tag else [tag]
        texts: dict[str, str] = {}
        for each in tags:
            texts.update(SHIPPED.get(each, {}))
        texts.update(self.every)
        for each in tags:
            texts.update(self.languages.get(each, {}))
        return {key: texts[key] for key in LABEL_KEYS if key in texts}
