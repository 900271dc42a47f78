# daylily.ephemeral_cluster: every target creates and reuses .venv itself.
#   make demo   - the whole lifecycle (as far as it exists) on the local sandbox
#   make test   - everything CI runs
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python 3.12: on machines with pyenv and 3.12.1 installed select it; elsewhere python3.12 must be on PATH.
ifeq ($(origin PYENV_VERSION),undefined)
PYENV_VERSION := $(shell command -v pyenv >/dev/null 2>&1 && pyenv versions --bare 2>/dev/null | grep -qx '3.12.1' && echo 3.12.1)
endif
ifneq ($(PYENV_VERSION),)
export PYENV_VERSION
endif
PYTHON ?= python3.12

ROOT := $(CURDIR)
# The venv a target runs in: .venv has the current versions; `make oldest` runs unit and sanity again with
# VENV/REQUIREMENTS/ATEST_ROOT pointing at .venv-oldest (OLDEST below), the oldest versions the collection claims.
VENV := $(ROOT)/.venv
REQUIREMENTS := requirements-test.txt
BIN := $(VENV)/bin
REQUIREMENT_FILES := requirements.txt requirements-unit.txt $(REQUIREMENTS)
STAMP := $(VENV)/.installed-$(shell cat $(REQUIREMENT_FILES) | sha256sum | cut -c1-12)
COLLECTIONS := $(ROOT)/.build/collections
LINK := $(COLLECTIONS)/ansible_collections/daylily/ephemeral_cluster
ATEST_ROOT := $(ROOT)/.build/ansible-test/ansible_collections
OLDEST := VENV=$(ROOT)/.venv-oldest REQUIREMENTS=requirements-oldest.txt \
  ATEST_ROOT=$(ROOT)/.build/ansible-test-oldest/ansible_collections
ATEST := $(ATEST_ROOT)/daylily/ephemeral_cluster
SANDBOX_DIR := $(ROOT)/.sandbox
PYTEST_WORKERS ?= 2

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_LOCAL_TEMP := $(ROOT)/.build/ansible-tmp
export ANSIBLE_HOME := $(ROOT)/.build/ansible-home
export PYTHONPATH := $(ROOT)/tests

.PHONY: help venv link test sanity lint ruff unit integration molecule oldest demo sandbox-up sandbox-down bench doc docs clean

help:
	@echo "make demo          run the lifecycle on the local sandbox"
	@echo "make test          sanity + ruff + lint + unit + integration + molecule + docs + oldest (what CI runs)"
	@echo "make oldest        unit tests and sanity with the oldest ansible-core and amazon.aws the collection claims"
	@echo "make sandbox-up    start the sandbox in the background (. .sandbox/env to use it)"
	@echo "make sandbox-down  stop it"
	@echo "make bench         benchmarks (ratios against a baseline measured in the same run)"
	@echo "make chaos         50 chaos seeds (random faults, then a clean re-run; make test runs 5) and 20x the fuzzing"
	@echo "make docs          module and plugin reference + operator guide, offline, warnings are errors (.build/docs/html)"

$(STAMP): $(REQUIREMENT_FILES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS)
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

link: venv
	@mkdir -p $(dir $(LINK)) $(ANSIBLE_LOCAL_TEMP) $(ANSIBLE_HOME)
	@ln -sfn $(ROOT) $(LINK)

test: link
	$(MAKE) --no-print-directory --keep-going sanity ruff lint unit integration molecule docs oldest

# The oldest ansible-core and amazon.aws that meta/runtime.yml and galaxy.yml claim: unit tests and sanity only.
oldest:
	$(MAKE) --no-print-directory --keep-going $(OLDEST) unit sanity

# ansible-test wants the collection at ansible_collections/daylily/ephemeral_cluster and amazon.aws beside it.
sanity: link
	@rm -rf $(ATEST) && mkdir -p $(ATEST) $(ATEST_ROOT)/amazon
	@git ls-files --cached --others --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' | tar -cf - -T - | tar -xf - -C $(ATEST)
	@ln -sfn $$($(BIN)/python -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(m.__file__) if m.__file__ else list(m.__path__)[0])') $(ATEST_ROOT)/amazon/aws
	@$(BIN)/python tests/tools/install_get_pip_stand_in.py
	@cd $(ATEST) && git init -q && git add -A  # ansible-test lists the files git knows
	cd $(ATEST) && $(BIN)/ansible-test sanity --venv --python 3.12 --requirements --color no

lint: link
	$(BIN)/ansible-lint --profile production --offline

# Style and lint of the Python code (pyproject.toml); `ruff format` and `ruff check --fix` repair what they report.
ruff: venv
	$(BIN)/ruff check
	$(BIN)/ruff format --check

unit: link
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit

integration: link
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/integration

# molecule scenarios talk to a sandbox process of their own, stopped by PID whatever the outcome.
molecule: link
	@dir=$(ROOT)/.build/molecule-sandbox; \
	trap '$(MAKE) --no-print-directory -C $(ROOT) sandbox-down SANDBOX_DIR='$$dir EXIT; \
	$(MAKE) --no-print-directory sandbox-up SANDBOX_DIR=$$dir >/dev/null; \
	. $$dir/env; cd extensions && $(BIN)/molecule test --all

doc: link
	$(BIN)/ansible-doc daylily.ephemeral_cluster.fsx_dra_info

# antsibull-docs writes the reference of the collection as installed in .build/collections (from the code: modules,
# plugins, roles, and docs/docsite/rst, the operator guide) into .build/docs/rst, beside docs/index.rst; Sphinx builds
# it offline (docs/conf.py) and fails on any warning.
DOCS_BUILD := $(ROOT)/.build/docs
docs: link
	@rm -rf $(DOCS_BUILD) && mkdir -p $(DOCS_BUILD)/rst && chmod og-w $(DOCS_BUILD)/rst
	$(BIN)/antsibull-docs --config-file docs/antsibull-docs.cfg collection --use-current --fail-on-error \
	  --cleanup everything --dest-dir $(DOCS_BUILD)/rst daylily.ephemeral_cluster
	cp docs/index.rst $(DOCS_BUILD)/rst/index.rst
	$(BIN)/sphinx-build -b html -c docs -W --keep-going -q -d $(DOCS_BUILD)/doctrees $(DOCS_BUILD)/rst $(DOCS_BUILD)/html
	@echo "docs: $(DOCS_BUILD)/html/index.html"

demo: link
	$(BIN)/python tests/sandbox/demo.py

sandbox-up: link
	@mkdir -p $(SANDBOX_DIR)
	@if [ -f $(SANDBOX_DIR)/pid ] && kill -0 $$(cat $(SANDBOX_DIR)/pid) 2>/dev/null; then \
	  echo "sandbox already running (PID $$(cat $(SANDBOX_DIR)/pid)); . .sandbox/env"; exit 0; fi; \
	rm -f $(SANDBOX_DIR)/env; \
	nohup $(BIN)/python -m sandbox --port $${SANDBOX_PORT:-0} --root $(SANDBOX_DIR)/root \
	  --env-file $(SANDBOX_DIR)/env --pid-file $(SANDBOX_DIR)/pid >$(SANDBOX_DIR)/server.log 2>&1 & \
	for i in $$(seq 600); do [ -s $(SANDBOX_DIR)/env ] && break; sleep 0.1; done; \
	[ -s $(SANDBOX_DIR)/env ] || { cat $(SANDBOX_DIR)/server.log; exit 1; }; \
	cat $(SANDBOX_DIR)/server.log; echo "use it with: . .sandbox/env"

sandbox-down:
	@if [ -f $(SANDBOX_DIR)/pid ]; then \
	  pid=$$(cat $(SANDBOX_DIR)/pid); kill $$pid 2>/dev/null || true; \
	  for i in $$(seq 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	  kill -0 $$pid 2>/dev/null && kill -9 $$pid || true; \
	  rm -f $(SANDBOX_DIR)/pid $(SANDBOX_DIR)/env; echo "sandbox (PID $$pid) stopped"; \
	else echo "no sandbox running"; fi

# `make chaos`: the long part of the reliability suite (issue 15). The integration suite runs seeds 1-5 of
# tests/integration/chaos (lifecycle.yml, and the operator playbooks mount_run/export/register); this runs
# CHAOS_SEEDS of each, the lifecycle's (the longer seeds) first (a failing seed prints the command that replays it
# alone; the summary prints each seed's time; the playbook logs of each lifecycle seed are kept in .build/chaos/),
# then the bad-input properties of tests/unit/reliability with 20 times their examples.
CHAOS_SEEDS ?= 50
.PHONY: chaos
chaos: link
	CHAOS_SEEDS=$(CHAOS_SEEDS) $(BIN)/pytest -n $(PYTEST_WORKERS) tests/integration/chaos/test_lifecycle_chaos.py \
	  tests/integration/chaos/test_chaos.py
	DAYEC_FUZZ=1 $(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit/reliability

# `make bench`: a table (ours, baseline, ratio) and bench-results/latest.json + latest.md (tests/bench/run.py); no
# timing is asserted anywhere else. Its baselines DayEC 5.1.5 (`dyec export`) and the AWS CLI pin dependencies that
# must not enter .venv: each lives in a venv of its own, built once per content of its requirements file. A baseline
# that cannot be installed leaves its column empty, and the row says why.
bench: link
	$(MAKE) --no-print-directory bench-venvs || echo "bench: a baseline venv could not be built; its rows say so"
	$(BIN)/python tests/bench/run.py

DAYEC_VENV := $(ROOT)/.venv-dayec
DAYEC_STAMP := $(DAYEC_VENV)/.installed-$(shell sha256sum requirements-dayec.txt | cut -c1-12)
AWSCLI_VENV := $(ROOT)/.venv-awscli
AWSCLI_STAMP := $(AWSCLI_VENV)/.installed-$(shell sha256sum requirements-bench.txt | cut -c1-12)

.PHONY: bench-venvs
# $(call bench_venv,<venv dir>): create the venv if needed, install the target's requirements file, stamp it.
define bench_venv
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet -r $<
	rm -f $(1)/.installed-*
	touch $@
endef

$(DAYEC_STAMP): requirements-dayec.txt
	$(call bench_venv,$(DAYEC_VENV))

$(AWSCLI_STAMP): requirements-bench.txt
	$(call bench_venv,$(AWSCLI_VENV))

bench-venvs: $(DAYEC_STAMP) $(AWSCLI_STAMP)

clean: sandbox-down
	rm -rf .build $(SANDBOX_DIR) tests/output

# --- ParallelCluster CLI venv -----------------------------------------------------------------------------------------
# aws-parallelcluster pins aws-cdk 1.x, jsii, packaging~=25 and flask, which must not enter .venv, so it lives in
# .venv-pcluster: built once per content of requirements-pcluster.txt, then reused. The unit and integration suites
# load configs with ParallelCluster's own schema and run the real `pcluster create-cluster --dryrun true` from it (the
# dry run needs Node.js, Debian `nodejs`). Tests find it as $(PCLUSTER_VENV)/bin/python (DAYEC_PCLUSTER_PYTHON).
PCLUSTER_VENV := $(ROOT)/.venv-pcluster
PCLUSTER_STAMP := $(PCLUSTER_VENV)/.installed-$(shell sha256sum requirements-pcluster.txt | cut -c1-12)

.PHONY: pcluster-venv
$(PCLUSTER_STAMP): requirements-pcluster.txt
	@test -x $(PCLUSTER_VENV)/bin/python || $(PYTHON) -m venv $(PCLUSTER_VENV)
	$(PCLUSTER_VENV)/bin/python -m pip install --quiet -r requirements-pcluster.txt
	rm -f $(PCLUSTER_VENV)/.installed-*
	touch $@

pcluster-venv: $(PCLUSTER_STAMP)

# the cluster and teardown molecule scenarios run the real dry run too
unit integration molecule: pcluster-venv

# --- the real Dewey registry ------------------------------------------------------------------------------------------
# dewey-service 3.0.27 pins pydantic, fastapi and daylily-tapdb, which must not enter .venv: it lives in .venv-dewey,
# built once per content of requirements-dewey.txt (tests/sandbox/dewey_live.py). The integration suite starts it
# against its own PostgreSQL cluster (Debian `postgresql`) on 127.0.0.1.
.PHONY: dewey-venv
dewey-venv: venv
	$(BIN)/python -m sandbox.dewey_live build-venv >/dev/null

integration: dewey-venv
