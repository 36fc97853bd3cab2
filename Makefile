# Two entry points, as the README says: `make run` and `make test`.
# Every target installs what it needs, and stamps make a second run quick.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
PORT   ?= 8000
CHROMIUM := /usr/bin/chromium
# The page runs pycnn on Python 3.8 with NumPy 1.17.5 (Pyodide 0.17.1); `make compat` runs the
# page-side unit tests on that pair too, with pyenv's Python 3.8 when the machine has one.
PY38   ?= $(shell for p in /root/.pyenv/versions/3.8*/bin/python3.8 /usr/bin/python3.8; do [ -x "$$p" ] && "$$p" -c pass 2>/dev/null && echo "$$p" && break; done)
VENV38 := .venv38
# The exact training command behind weights/model.npz (see weights/README.md).
TRAIN_ARGS ?= --epochs 20 --batch-size 128 --out weights/model.npz

.PHONY: run test lint unit compat e2e bench build train evaluate clean

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

$(VENV38)/.stamp-deps:
	$(PY38) -m venv $(VENV38)
	$(VENV38)/bin/python -m pip install --quiet numpy==1.17.5 'pytest<9'
	touch $@

py-deps: $(VENV)/.stamp-deps
node-deps: node_modules/.stamp-deps
browser: $(CHROMIUM)

# --- product ----------------------------------------------------------------
build: py-deps node-deps
	$(VPY) build.py

run: py-deps node-deps
	$(VPY) build.py --serve --port $(PORT)

# --- checks -----------------------------------------------------------------
lint: py-deps
	$(VENV)/bin/ruff check .

unit: py-deps
	$(VPY) -m pytest

compat:
ifeq ($(PY38),)
	@echo "compat: SKIPPED, no Python 3.8 on this machine (the browser tests still run pycnn on Python 3.8 in Pyodide)"
else
	$(MAKE) $(VENV38)/.stamp-deps
	$(VENV38)/bin/python -m pytest -q -p no:cacheprovider tests/test_gradients.py \
		tests/test_conv_agreement.py tests/test_preprocess.py tests/test_model_files.py \
		tests/test_recognizer.py tests/test_inside.py
endif

e2e: build browser
	npx playwright test

test: lint unit compat e2e

bench: py-deps
	$(VPY) bench/speed.py

# Single-threaded BLAS: on 2 shared cores OpenBLAS's spinning threads cost more than they give.
# Train, then undo UNIPEN's class prior with a strength chosen on validation (pycnn/prior.py).
train: py-deps
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(TRAIN_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.prior --model weights/model.npz

evaluate: py-deps
	$(VPY) -m pycnn.evaluate --model weights/model.npz --split test

clean:
	rm -rf dist .pytest_cache .ruff_cache test-results
