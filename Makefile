# Two entry points, as the README says: `make run` and `make test`.
# Every target installs what it needs, and stamps make a second run quick.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
PORT   ?= 8000
CHROMIUM := /usr/bin/chromium
# The page runs pycnn on Python 3.8 with NumPy 1.17.5 (Pyodide 0.17.1, 32-bit wasm).
# `make compat` runs the page-side unit tests there: pytest inside Pyodide in headless Chromium
# (tests/compat/). pytest and its dependencies come from PyPI as pure-Python wheels for 3.8,
# unzipped inside Pyodide, which itself only loads NumPy. Every module the page loads is
# covered by one of these files.
COMPAT_TESTS := tests/test_gradients.py tests/test_conv_agreement.py tests/test_preprocess.py \
	tests/test_model_files.py tests/test_recognizer.py tests/test_inside.py \
	tests/test_page_api.py tests/test_charsets.py tests/test_lookalikes.py \
	tests/test_fft_fallback.py tests/test_adapt.py tests/test_page_api_learn.py \
	tests/test_sequence_layers.py tests/test_ctc.py tests/test_word_preprocess.py \
	tests/test_lexicon.py tests/test_word_decode.py tests/test_word_reader.py \
	tests/test_page_api_words.py
COMPAT_WHEELS := .cache/py38-wheels
COMPAT_PINS := pytest==8.3.5 pluggy==1.5.0 iniconfig==2.0.0 packaging==24.2 exceptiongroup==1.2.2 \
	tomli==2.2.1
# The exact training commands behind weights/model.npz (see weights/README.md): 20 epochs on
# canvas drawings, then 6 more from those weights with 30% of the images drawn as photos of
# ink on paper, at a quarter of the learning rate.
TRAIN_ARGS ?= --epochs 20 --batch-size 128 --out runs/train/canvas.npz
FINE_TUNE_ARGS ?= --init runs/train/canvas.npz --paper 0.3 --epochs 6 --lr 5e-4 \
	--batch-size 128 --checkpoint runs/train/paper-checkpoint.npz --out weights/model.npz

.PHONY: run test lint unit compat e2e bench build train train-words evaluate clean docs

# The word model (weights/words.npz, see weights/words.md): 4 epochs of a 20-epoch cosine
# schedule, then three more stages from those weights, each on a fresh cosine of its own (8
# epochs from 8e-4, 8 from 6e-4, then 6 from 5e-4: a whole long schedule did not fit one
# working session), then the decoder's weights chosen on the validation writers
# (pycnn/fit_word_decoder.py).
WORDS_STAGE1_ARGS ?= --task words --arch words --epochs 20 --stop-after 4 \
	--out runs/words/stage1.npz --checkpoint runs/words/stage1-checkpoint.npz
WORDS_STAGE2_ARGS ?= --task words --arch words --epochs 8 --lr 8e-4 --seed 1 \
	--init runs/words/stage1.npz --checkpoint runs/words/stage2-checkpoint.npz \
	--out runs/words/stage2.npz
WORDS_STAGE3_ARGS ?= --task words --arch words --epochs 8 --lr 6e-4 --seed 2 \
	--init runs/words/stage2.npz --checkpoint runs/words/stage3-checkpoint.npz \
	--out runs/words/stage3.npz
WORDS_STAGE4_ARGS ?= --task words --arch words --epochs 6 --lr 5e-4 --seed 3 \
	--init runs/words/stage3.npz --checkpoint runs/words/stage4-checkpoint.npz \
	--out weights/words.npz --report-dir runs/words/report

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

# pytest 8.3 and pluggy 1.5 are the last for Python 3.8 (Pyodide's own pytest is 3.6).
$(COMPAT_WHEELS)/.stamp: Makefile | $(VENV)/.stamp-deps
	rm -rf $(COMPAT_WHEELS)
	$(VPY) -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.8 \
		--implementation py --abi none --platform any -d $(COMPAT_WHEELS) $(COMPAT_PINS)
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

compat: py-deps node-deps browser $(COMPAT_WHEELS)/.stamp
	node tests/compat/run.js --wheels $(COMPAT_WHEELS) $(COMPAT_TESTS)

e2e: build browser
	npx playwright test

test: lint unit compat e2e

bench: py-deps
	$(VPY) bench/speed.py

# Remake every screenshot in docs/ and docs/screenshots.json from the page built from this
# checkout (in a scratch folder, not dist/), in Chromium, with UNIPEN test-split drawings;
# tests/test_docs.py fails when they no longer match weights/model.npz.
docs: py-deps node-deps browser
	node tools/screenshots.js

# Single-threaded BLAS: on 2 shared cores OpenBLAS's spinning threads cost more than they give.
# Train, then fine-tune on photo-like images too; set the prior of use (pycnn/prior.py);
# calibrate the confidence (pycnn/calibrate.py); remake the look-alike table and choose when
# the page says "I'm not sure" (pycnn/derive_lookalikes.py). Training reads the alnum and symbols files (94 classes)
# and each later step the files that hold the model's classes, by default. Every step
# after training chooses what it chooses on the validation writers.
train: py-deps
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(TRAIN_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(FINE_TUNE_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.prior --model weights/model.npz
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.calibrate --model weights/model.npz
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.derive_lookalikes --model weights/model.npz

train-words: py-deps
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(WORDS_STAGE1_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(WORDS_STAGE2_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(WORDS_STAGE3_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.train $(WORDS_STAGE4_ARGS)
	OPENBLAS_NUM_THREADS=1 $(VPY) -m pycnn.fit_word_decoder --model weights/words.npz

evaluate: py-deps
	$(VPY) -m pycnn.evaluate --model weights/model.npz --split test
	$(VPY) -m pycnn.evaluate --words --split test

clean:
	rm -rf dist .pytest_cache .ruff_cache test-results
