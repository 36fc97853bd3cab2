# Two entry points, as the README says: `make run` and `make test`.
# Every target installs what it needs, and stamps make a second run quick.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
PORT   ?= 8000
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint unit e2e bench build train clean

# --- set-up -----------------------------------------------------------------
$(VENV)/.stamp-deps: pyproject.toml requirements-dev.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.stamp-deps: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

py-deps: $(VENV)/.stamp-deps
node-deps: node_modules/.stamp-deps
browser: $(CHROMIUM)

# --- product ----------------------------------------------------------------
build: py-deps node-deps
	$(VPY) build.py

run: build
	$(VPY) build.py --serve --port $(PORT)

# --- checks -----------------------------------------------------------------
lint: py-deps
	$(VENV)/bin/ruff check .

unit: py-deps
	$(VPY) -m pytest

e2e: build browser
	npx playwright test

test: lint unit e2e

bench: py-deps
	$(VPY) bench/speed.py

clean:
	rm -rf dist .pytest_cache .ruff_cache
