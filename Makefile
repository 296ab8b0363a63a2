# Pishkhan: the only entry points people need. `make help` lists them.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := models/nlu/manifest.json
NLU_DATA := $(wildcard nlu_data/nlu/*.yml)

.DEFAULT_GOAL := help
.PHONY: help install model migrate run test lint format bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install Pishkhan with its test and lint extras
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	@touch $(STAMP)

model: $(MODEL) ## Train the NLU model when it is missing or the training data changed
$(MODEL): $(STAMP) $(NLU_DATA)
	$(BIN)/pishkhan nlu train --data nlu_data --out models/nlu

migrate: $(STAMP) ## Create or upgrade the database schema
	$(BIN)/pishkhan migrate

run: model migrate ## Install, train, migrate, load demo data if empty, serve on http://127.0.0.1:8000
	$(BIN)/pishkhan demo-data --if-empty
	$(BIN)/pishkhan serve

test: $(STAMP) ## Run every test (PostgreSQL and browser tests are required when CI=true)
	$(BIN)/python -m pytest

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Rewrite files in the project's style
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: model ## Measure speed and memory; prints a table and writes var/bench/results.json
	$(BIN)/python -m tests.bench

clean: ## Remove the virtualenv, trained model and local database
	rm -rf $(VENV) models var *.egg-info
