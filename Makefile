# The README's commands. Each target bootstraps .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint format bench emulator chromium axe clean mutation

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,e2e,deploy]'
	touch $(STAMP)

## run: the shop on http://localhost:$${PORT:-5000} (SQLite, and the emulator when no Stripe key is set)
run: $(STAMP)
	$(PY) -m bookshop_dev

## emulator: the Stripe emulator alone on port 12111
emulator: $(STAMP)
	$(PY) -m stripe_emulator --port 12111 --db instance/emulator.db

## test: every test on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
test: $(STAMP) chromium axe
	$(PY) -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== shop tests again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		BOOKSHOP_TEST_DATABASE=postgresql $(PY) -m pytest tests/unit tests/integration tests/e2e $(PYTEST_ARGS); \
	fi

## chromium: Debian's Chromium for the browser tests (Playwright's own download cannot work here)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "install Debian's chromium package (sudo apt-get install chromium)"; exit 1; fi; }

## axe: axe-core from npm for the browser tests' accessibility checks (tests/e2e/package.json)
axe: tests/e2e/node_modules/axe-core/axe.min.js

tests/e2e/node_modules/axe-core/axe.min.js: tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --silent
	touch $@

## lint: ruff (style and common bugs), mypy (types; strict for the money paths), hadolint (Dockerfile)
lint: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench
	$(PY) -m mypy
	$(VENV)/bin/hadolint Dockerfile

format: $(STAMP)
	$(PY) -m ruff format src tests bench
	$(PY) -m ruff check --fix src tests bench

## bench: the emulator's PaymentIntent creates, the shop's webhook throughput and the production server, against baselines
bench: $(STAMP)
	$(PY) bench/emulator_creates.py
	$(PY) bench/webhooks.py $(if $(TEST_DATABASE_URL),--postgres $(TEST_DATABASE_URL))
	$(PY) bench/serving.py

## mutation: mutmut over money, orders, cart, Stripe sync and canceling (unit tests), score per module; not in CI
MUTATION_CHILDREN ?= 2
mutation: $(STAMP)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children $(MUTATION_CHILDREN)
	$(PY) tools/mutation_score.py --min 90

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
