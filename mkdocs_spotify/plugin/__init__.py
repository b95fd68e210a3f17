"""The MkDocs plugin: events, options, the widget markup, and the `mkdocs serve` dev proxy."""
