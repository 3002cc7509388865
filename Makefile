# docpipe: `make demo` runs the whole pipeline on this machine; `make test` runs every test tier.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install system-deps demo test test-unit test-integration lint stack-up stack-down status clean field-model

help:
	@echo "make demo      set everything up, seed ~200 documents, run both DAGs, print a summary"
	@echo "make test      unit, DAG integrity and integration tests against the local stack"
	@echo "make lint      ruff"
	@echo "make field-model DATASETS=../shared/datasets   retrain the shipped field selector (include/docpipe/extraction/models)"
	@echo "make stack-up / stack-down / status   the local stack (add AIRFLOW=1 to stack-up for the UI)"

$(UV):
	@echo "uv not found: installing it"
	@python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv || curl -LsSf https://astral.sh/uv/install.sh | sh

system-deps:
	@missing=""; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr tesseract-ocr-eng"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing (Tesseract OCR, Redis for the Celery test, Chromium for the UI test)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q $$missing; \
	fi

install: $(UV) system-deps
	$(UV) sync --frozen
	@$(RUN) docpipe models prepare --json >/dev/null || echo "model cache not built: the engines will build it on first use"

demo: install
	$(RUN) docpipe demo

test: install
	$(RUN) pytest

test-unit: install
	$(RUN) pytest -m "not integration"

test-integration: install
	$(RUN) pytest -m integration

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

stack-up: install
	$(RUN) docpipe stack up $(if $(AIRFLOW),--airflow,)

# The shipped field-selection model: SROIE receipts (research terms; the data is not shipped) and the project's
# own generated receipts. Same data and command, same bytes: the hash in the engine version only changes with them.
DATASETS ?= ../shared/datasets
FIELD_MODEL := include/docpipe/extraction/models/receipt-fields.npz
field-model: install
	$(RUN) docpipe samples export --out .docpipe/training/generated-receipts --count 150 --seed 7
	$(RUN) docpipe models train extraction --out $(FIELD_MODEL) \
	  --dataset $(DATASETS)/sroie-train --dataset $(DATASETS)/sroie-dev --dataset .docpipe/training/generated-receipts \
	  --threshold-on sroie-train --threshold-on sroie-dev \
	  --terms "sroie-train, sroie-dev: ICDAR 2019 SROIE task 3 receipts (github.com/zzzDavid/ICDAR-2019-SROIE), a research dataset; the receipts, keys and transcripts are not shipped, only tree thresholds over layout features learned from them" \
	  --terms "generated-receipts: made by docpipe samples export --count 150 --seed 7 (the project's own data)"

stack-down:
	$(RUN) docpipe stack down

status:
	$(RUN) docpipe stack status

clean: stack-down
	rm -rf .docpipe
