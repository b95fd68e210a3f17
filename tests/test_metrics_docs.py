"""docs/proxy.md's metrics table names every metric the proxy exposes, with its type and labels,
and nothing else; docs/scaling.md names only metrics that exist."""

from __future__ import annotations

import re
from pathlib import Path

from proxy.metrics import Metrics

DOCS = Path(__file__).resolve().parent.parent / "docs"
ROW = re.compile(r"^\| `(mkdocs_spotify_\w+)(?:\{([\w, ]+)\})?` \| (counter|gauge) \|", re.M)


def exposed() -> dict[str, tuple[str, frozenset[str]]]:
    """Each metric (as scraped: counters with `_total`) -> its type and labels."""
    metrics = Metrics()
    metrics.track_redis_errors("grant", lambda: 0)
    metrics.spotify_call("token", "ok")
    metrics.answer_served("now-playing", "fresh")
    found = {}
    for family in metrics.registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = {key for sample in family.samples for key in sample.labels}
        found[name] = (family.type, frozenset(labels))
    return found


def test_the_proxy_docs_table_matches_the_metrics_exactly() -> None:
    table = {
        name: (kind, frozenset(label.strip() for label in labels.split(",") if label))
        for name, labels, kind in ROW.findall((DOCS / "proxy.md").read_text())
    }
    assert table == exposed()


def test_the_scaling_docs_name_only_real_metrics() -> None:
    named = set(re.findall(r"mkdocs_spotify_\w+", (DOCS / "scaling.md").read_text()))
    assert named
    assert named <= set(exposed())
