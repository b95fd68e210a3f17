"""What pip users get: a wheel and sdist that build, pass `twine check`, hold what they should."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from build import ProjectBuilder
from build.env import DefaultIsolatedEnv

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built as `python -m build --sdist --wheel` builds them: from the
    source tree, in an isolated environment holding only the declared build requirements. One
    environment for both (the command makes and fills one for each)."""
    out = tmp_path_factory.mktemp("dist")
    with DefaultIsolatedEnv() as env:
        builder = ProjectBuilder.from_isolated_env(env, ROOT)
        env.install(builder.build_system_requires)
        for distribution in ("sdist", "wheel"):
            env.install(builder.get_requires_for_build(distribution))
            builder.build(distribution, out)
    return out


def test_twine_check_passes(dist: Path) -> None:
    files = sorted(str(path) for path in dist.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_holds_the_code_and_the_widget_but_no_tests(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "mkdocs_spotify/assets/spotify-now-playing.js",
        "mkdocs_spotify/assets/spotify-now-playing.css",
        "mkdocs_spotify/plugin/plugin.py",
        "mkdocs_spotify/py.typed",
        "proxy/__main__.py",
        "proxy/py.typed",
    ):
        assert needed in names
    assert not [name for name in names if name.startswith(("tests/", "example-site/", "bench/"))]
    metadata = next(name for name in names if name.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Classifier: Framework :: MkDocs" in text
    assert "Project-URL: Documentation," in text


def test_the_sdist_builds_the_same_package(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    names = tarfile.open(sdist).getnames()
    assert any(name.endswith("mkdocs_spotify/assets/spotify-now-playing.js") for name in names)
    assert any(name.endswith("/LICENSE") for name in names)
    assert not any("/tests/" in name for name in names)
