"""`login` on a machine without a graphical browser: no text browser takes over the terminal."""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable
from pathlib import Path

import pytest

from mkdocs_spotify.cli.login import has_graphical_browser
from tests.fakes.net import free_port
from tests.fakes.spotify import FakeSpotify
from tests.login_process import CliProcess, consent

LINUX_DESKTOP = {"DISPLAY": ":0"}


def returns(browser: webbrowser.BaseBrowser) -> Callable[[], webbrowser.BaseBrowser]:
    return lambda: browser


def no_browser() -> webbrowser.BaseBrowser:
    raise webbrowser.Error("could not locate runnable browser")


def never_asked() -> webbrowser.BaseBrowser:
    raise AssertionError("webbrowser.get() should not be needed")


@pytest.mark.parametrize(
    ("environ", "platform", "default", "graphical"),
    [
        ({}, "linux", never_asked, False),  # SSH session: no DISPLAY, no WAYLAND_DISPLAY
        ({"TERM": "xterm"}, "linux", never_asked, False),
        (LINUX_DESKTOP, "linux", returns(webbrowser.GenericBrowser("lynx")), False),
        (LINUX_DESKTOP, "linux", returns(webbrowser.GenericBrowser("w3m")), False),
        (LINUX_DESKTOP, "linux", returns(webbrowser.Elinks("elinks")), False),
        (LINUX_DESKTOP, "linux", no_browser, False),
        (LINUX_DESKTOP, "linux", returns(webbrowser.BackgroundBrowser("xdg-open")), True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", returns(webbrowser.Chrome("chromium")), True),
        ({}, "darwin", returns(webbrowser.BackgroundBrowser("open")), True),
        ({"BROWSER": "my-browser"}, "linux", never_asked, True),  # the owner's own choice
    ],
)
def test_which_machines_get_a_browser_opened(
    environ: dict[str, str],
    platform: str,
    default: Callable[[], webbrowser.BaseBrowser],
    graphical: bool,
) -> None:
    assert has_graphical_browser(environ, platform, default) is graphical


def test_headless_login_opens_no_text_browser_and_says_so(tmp_path: Path) -> None:
    """A terminal with lynx on its PATH and no display: lynx must not start."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    started = tmp_path / "lynx-started"
    lynx = bin_dir / "lynx"
    lynx.write_text(f'#!/bin/sh\necho "$1" > {started}\n')
    lynx.chmod(0o755)
    with FakeSpotify().running() as fake:
        env = {
            **fake.env(tmp_path / "token.json"),
            "TERM": "xterm",
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        }
        login = CliProcess(["login", "--port", str(free_port()), "--timeout", "30"], env, tmp_path)
        url = login.wait_for_line(f"{fake.url}/authorize?")
        notice = login.wait_for_line("No graphical browser was found")
        login.write(consent(url) + "\n")  # pasted back from the laptop
        assert login.finish() == 0, login.output
    assert "so none was opened" in notice
    assert "paste" in notice
    assert not started.exists()
