# docpipe: `make demo` runs the whole pipeline on this machine; `make test` runs every test tier.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install system-deps demo test test-unit test-integration lint stack-up stack-down status clean

help:
	@echo "make demo      set everything up, seed ~200 documents, run both DAGs, print a summary"
	@echo "make test      unit, DAG integrity and integration tests against the local stack"
	@echo "make lint      ruff"
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

stack-down:
	$(RUN) docpipe stack down

status:
	$(RUN) docpipe stack status

clean: stack-down
	rm -rf .docpipe
