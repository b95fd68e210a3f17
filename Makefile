# The commands a newcomer types. `make test` works on a fresh Debian machine (it installs what it
# needs, system packages included); `make demo` needs no Spotify account.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: demo test lint types unit bench screenshots widget system clean

PORT ?= 8000

# A fresh Debian lacks python3-venv (ensurepip): install it before the venv, or say exactly what
# to install when we cannot.
$(STAMP): pyproject.toml
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "python3-venv is missing: installing it with apt-get"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-venv \
	  || { echo "make: install python3-venv (apt-get install python3-venv), then run make again." >&2; exit 1; }; }
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright cannot download its own here), wrk for the
# benchmark, nginx for the test of the live stream behind a reverse proxy, redis-server for the
# replica tests (the tests start their own nginx and Redis; the packages' services are not
# needed), openssl for the certificate of the TLS test of `login --to` behind nginx. Installed
# only when missing; needs root or sudo.
NGINX ?= /usr/sbin/nginx
REDIS ?= /usr/bin/redis-server
system:
	@if [ ! -x $(CHROMIUM) ] || ! command -v wrk >/dev/null || [ ! -x $(NGINX) ] || [ ! -x $(REDIS) ] || ! command -v openssl >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium wrk nginx redis-server openssl; \
	fi

# The example blog with a live widget: the plugin starts a dev proxy inside `mkdocs serve` (demo
# session unless Spotify credentials are configured). `--livereload` works around click 8.3
# switching livereload off by default (mkdocs/mkdocs#4032).
# `make demo PORT=8001` when 8000 is taken.
demo: $(STAMP)
	@$(PY) scripts/port_free.py 127.0.0.1 $(PORT) || { \
	  echo "make demo: port $(PORT) is in use: run 'make demo PORT=8001' (or another free port)." >&2; exit 1; }
	cd example-site && $(abspath $(VENV))/bin/mkdocs serve --livereload -a 127.0.0.1:$(PORT)

# Widget screenshots: the README's from the example site, docs/gallery.md's from the three themes.
screenshots: $(STAMP) system
	$(PY) scripts/screenshots.py

# The widget's assets, minified from the readable sources in widget/ (needs Node.js: esbuild by npx).
widget: $(STAMP)
	$(PY) scripts/build_widget.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

# Branch coverage of proxy/ and mkdocs_spotify/, the processes the tests start included; the
# floor (fail_under in pyproject.toml) is the level reached, so a drop fails the run.
# Three pytest workers on two cores: many tests wait on real processes, servers and Chromium,
# but the run is mostly CPU-bound and each worker also collects the whole suite (four workers were
# no faster). Each worker starts with its share of the slow tests and runs its browser tests last, on
# one Chromium, and idle workers take queued tests from busy ones (worksteal); tests/scheduling.py
# says how. `make unit TEST_WORKERS=0` runs the tests one at a time in one process.
TEST_WORKERS ?= 3
unit: $(STAMP) system
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term --durations=15

# mypy checks types beside the tests (about 5 s of one core while the tests start up); a failure of
# either fails `make test`.
test: lint
	@$(MAKE) --no-print-directory -j2 types unit

bench: $(STAMP) system
	$(PY) -m bench

clean:
	rm -rf $(VENV) example-site/site .pytest_cache .mypy_cache .ruff_cache
