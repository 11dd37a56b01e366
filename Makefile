# Waypoint: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
STAMP := $(VENV)/.installed-stamp
CATALOGS := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)

.PHONY: run test test-fast test-browser lint format translations compile-translations db demo venv system clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

compile-translations: $(STAMP)
	$(BIN)/pybabel compile -d portal/translations --statistics

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--ignore-dirs='.*' \
		-o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations \
		--no-wrap --ignore-obsolete
	$(MAKE) compile-translations

db: $(STAMP)
	mkdir -p instance
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo

run: compile-translations system demo
	$(FLASK) run --host 127.0.0.1 --port 5000 --no-debugger --no-reload

system:
	@./scripts/ensure-system-packages

test: compile-translations system
	$(BIN)/pytest -q

test-fast: compile-translations
	$(BIN)/pytest -q --ignore=tests/browser

test-browser: compile-translations system
	$(BIN)/pytest -q tests/browser

# Load on the key pages with wrk, on generated databases (cached under instance/bench/);
# prints the tables and targets and writes docs/performance.md. Not part of `make test`.
SIZES ?= 1000 5000 20000
DBS ?= sqlite postgresql
SEED ?= 1
DURATION ?= 5

bench: compile-translations
	$(BIN)/python -m bench --sizes "$(SIZES)" --dbs "$(DBS)" --seed $(SEED) --duration $(DURATION)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
