# The README's commands. Every install step lives here so a fresh clone (and CI) needs nothing else.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
PORT    ?= 8501
STAMP   := .venv/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: run test bench load checkpoints seeds records classifier venv dev-venv browser lint clean-cache

.venv/bin/python:
	python3 -m venv .venv
	$(PIP) install -q --upgrade pip

.venv/.runtime-ok: requirements.txt | .venv/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(STAMP): requirements.txt requirements-dev.txt | .venv/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch .venv/.runtime-ok $@

venv: .venv/.runtime-ok
dev-venv: $(STAMP)

## Start the dashboard (installs what it needs into .venv first).
run: venv
	$(PY) -m ui.serve app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

## Chromium for the real-browser tests (Debian's package; Playwright can't download one here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

## haproxy for class mode's N processes (Debian's package), installed like chromium above.
haproxy:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; fi; }

## Class mode for a whole class: N Streamlit processes (one per core) behind haproxy, sharing the rooms' database.
PROCESSES ?= 2
class: venv haproxy
	$(PY) -m ui.balancer --processes $(PROCESSES) --port $(PORT)

## Class mode's load test alone (30 and 100 students, 1 and N processes, 2 minutes each; only 127.0.0.1).
class-load: dev-venv haproxy
	$(PY) -m bench.run --only classroom

lint: dev-venv
	.venv/bin/ruff check .

## Run the whole test suite (installs test dependencies and Chromium first).
test: dev-venv browser haproxy lint
	$(PY) -m pytest -q

## Run the benchmarks and write bench/results.md.
bench: dev-venv browser haproxy
	$(PY) -m bench.run

## The load test alone (N = 1, 10, 30 browser sessions, 60 s each; traffic only to 127.0.0.1).
load: dev-venv browser
	$(PY) -m bench.load_bench

## Retrain every shipped checkpoint from scratch, reproducibly (CPU, seed 0).
checkpoints: venv
	$(PY) -m core.rebuild

## The study levels' extra training seeds (1-4) on Ray into .cache/seeds/, then their records (about an hour on 2 cores).
seeds: venv
	$(PY) -m core.sweep --sizes 8,39,78,392 --seeds 1-4
	$(PY) -m core.records

## Recompute what the views show from the shipped models into checkpoints/records/ (commit them with the models).
records: venv
	$(PY) -m core.records

## Retrain the digit classifier (checkpoints/classifier.*; CPU, seed 0, about 2-3 minutes).
classifier: venv
	$(PY) -m core.classifier --train

clean-cache:
	rm -rf .cache
