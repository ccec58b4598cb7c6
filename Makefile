# Everything the project needs is installed by `make` into .venv (Python >= 3.11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit demo run bench bench-full sim lock image image-test clean \
	docs deploy-check rules-check manifests-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check monitor tests bench tools
	$(BIN)/ruff format --check monitor tests bench tools
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy monitor tools

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

# The handbook (mkdocs.yml, docs/): MkDocs and its theme come with the `docs` extra; the
# reference pages are generated from the code while it builds. Nothing is fetched.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

# The alert rules (promtool, from Debian's prometheus package) and the Kubernetes base
# (kubernetes-validate's own schemas, offline; kubectl renders it where installed).
PROMTOOL ?= promtool
K8S := deploy/kubernetes

deploy-check: rules-check manifests-check

rules-check:
	$(PROMTOOL) check rules deploy/prometheus/cqc-monitor-alerts.yml
	$(PROMTOOL) test rules deploy/prometheus/cqc-monitor-alerts.test.yml

manifests-check: $(STAMP)
	$(BIN)/kubernetes-validate --strict --quiet $(filter-out $(K8S)/kustomization.yaml,$(wildcard $(K8S)/*.yaml))
	@if command -v kubectl >/dev/null 2>&1; then \
		kubectl kustomize $(K8S) > $(VENV)/kustomized.yaml \
		&& $(BIN)/kubernetes-validate --strict --quiet $(VENV)/kustomized.yaml; \
	else echo "kubectl is not installed: the rendered base is checked by the tests only"; fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info site
