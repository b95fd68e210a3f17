# The commands a newcomer types. `make test` works on a fresh Debian machine (it installs what it
# needs, system packages included); `make demo` needs no Spotify account.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: demo test lint types unit bench screenshots system clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright cannot download its own here) and wrk for the
# benchmark. Installed only when missing; needs root or sudo.
system:
	@if [ ! -x $(CHROMIUM) ] || ! command -v wrk >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium wrk; \
	fi

demo: $(STAMP)
	$(VENV)/bin/mkdocs-spotify proxy --demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP) system
	$(PY) -m pytest

test: lint types unit

bench: $(STAMP) system
	$(PY) -m bench

clean:
	rm -rf $(VENV) example-site/site .pytest_cache .mypy_cache .ruff_cache
