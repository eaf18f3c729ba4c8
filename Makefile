# Two commands for a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev bench bench-load clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

# The real-face test photos ship in an npm package (see tests/pipeline/real_faces.py); it
# has no dependencies and no install scripts, and it is kept inside the venv.
FACE_PHOTOS := @vladmandic/face-api@1.7.15

$(VENV)/.installed-dev: pyproject.toml Makefile | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
	npm install --prefix $(VENV)/npm --no-save --ignore-scripts --no-audit --no-fund --loglevel=error $(FACE_PHOTOS)
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/tripposter db upgrade
	$(BIN)/tripposter seed-demo --if-empty --url http://$(HOST):$(PORT)
	@# The worker publishes in the background; it stops when the web server does.
	$(BIN)/tripposter worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/tripposter run --host $(HOST) --port $(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/guard.py

# 20 concurrent 12 MP uploads against gunicorn on loopback; exits 1 on any error or output over 5 MB.
bench-load: install-dev
	$(PY) benchmarks/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts
