"""The layers point one way: a build never loads the web server; `proxy/` never imports the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Which packages each layer may import from the project (its own included).
ALLOWED = {
    "proxy/spotify": ("proxy.spotify", "proxy.settings", "proxy.clock"),
    "proxy/answers": ("proxy.answers", "proxy.spotify", "proxy.settings", "proxy.clock"),
    "proxy/alerts": ("proxy.alerts", "proxy.spotify", "proxy.settings", "proxy.clock"),
    "proxy/web": (
        "proxy.web",
        "proxy.answers",
        "proxy.alerts",
        "proxy.metrics",
        "proxy.spotify",
        "proxy.settings",
        "proxy.clock",
    ),
}


def project_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] in {"proxy", "mkdocs_spotify"}}


def test_each_proxy_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for folder, allowed in ALLOWED.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            for name in project_imports(path):
                if not name.startswith(allowed):
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_nothing_in_proxy_imports_the_plugin_or_the_cli() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "proxy").rglob("*.py"))
        for name in project_imports(path)
        if name.startswith("mkdocs_spotify")
    ]
    assert wrong == []


def test_a_build_does_not_load_the_web_server(tmp_path: Path) -> None:
    # A fresh interpreter: this test process has loaded aiohttp.web for other tests long ago.
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Layers\nplugins:\n  - spotify:\n      proxy_url: https://proxy.test\n",
        encoding="utf-8",
    )
    script = (
        "import sys\n"
        "from mkdocs.commands.build import build\n"
        "from mkdocs.config import load_config\n"
        f"build(load_config({str(tmp_path / 'mkdocs.yml')!r}))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('aiohttp.web', 'proxy.web'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "site" / "index.html").read_text().count("<spotify-now-playing") == 1


def test_a_proxy_without_redis_or_metrics_loads_neither_client() -> None:
    # A fresh interpreter, as above; with the two settings, each is loaded (the control).
    script = (
        "import sys\n"
        "from proxy.settings import Settings\n"
        "from proxy.web.app import create_app\n"
        "create_app(Settings(demo=True))\n"
        "print(sorted(m for m in ('redis', 'prometheus_client') if m in sys.modules))\n"
        "create_app(Settings(client_id='c', redis_url='redis://127.0.0.1:1/0', "
        "metrics_listen=('127.0.0.1', 1)))\n"
        "print(sorted(m for m in ('redis', 'prometheus_client') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines() == ["[]", "['prometheus_client', 'redis']"]
