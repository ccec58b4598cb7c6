# Everything the project needs is installed by `make` into .venv (Python >= 3.11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit demo run bench bench-full sim lock image image-test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check monitor tests bench
	$(BIN)/ruff format --check monitor tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy monitor

test: lint typecheck
	$(BIN)/python -m pytest -q -rs

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

demo: $(STAMP)
	$(BIN)/cqc-monitor demo

run: $(STAMP)
	$(BIN)/cqc-monitor --config config/monitor.toml run

sim: $(STAMP)
	$(BIN)/python -m monitor.sim --size 500 --port 8080 --web

# The image's dependencies, pinned with hashes for Python 3.11 on Linux: the runtime ones and
# the postgres extra, and the same with the apprise extra (EXTRAS=postgres,apprise). Pins
# that still satisfy pyproject.toml are kept; `make lock LOCK_ARGS=--upgrade` moves all.
LOCK_ARGS ?=
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform linux --custom-compile-command "make lock" $(LOCK_ARGS)

lock: $(STAMP)
	$(LOCK) pyproject.toml requirements/build.in --extra postgres -o requirements/postgres.txt
	$(LOCK) pyproject.toml requirements/build.in --extra postgres --extra apprise \
		--constraint requirements/postgres.txt -o requirements/postgres-apprise.txt

# The container image, installed from the lock. `--network host`: the build reaches the
# package index through the host's network (and the image test's simulator on loopback).
IMAGE ?= cqc-monitor:test
EXTRAS ?= postgres

image:
	docker build --network host --build-arg EXTRAS=$(EXTRAS) -t $(IMAGE) .

# Builds the image, then runs it as an operator would (tests/image; needs Docker).
image-test: image $(STAMP)
	MONITOR_TEST_IMAGE=$(IMAGE) $(BIN)/python -m pytest -q -rs tests/image

bench: $(STAMP)
	$(BIN)/python -m bench --quick

bench-full: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
