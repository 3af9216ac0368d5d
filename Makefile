# Village Market: `make run` serves the site, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
THREADS ?= 8
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations browser fonts lint bench-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); bash scripts/ensure-venv.sh && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Compiled message catalogues are built from the committed .po files, never committed.
translations: install
	$(BIN)/pybabel compile --use-fuzzy -d shop/translations -f

run: translations fonts
	$(FLASK) db upgrade
	$(FLASK) seed --if-empty
	$(FLASK) ensure-index
	HOST=$(HOST) PORT=$(PORT) THREADS=$(THREADS) $(BIN)/gunicorn --config gunicorn.conf.py

# Debian's chromium and a CJK font for the browser tests; installed when missing and possible.
browser:
	@bash scripts/ensure-browser.sh

# The colour emoji font of the share posters; a warning, not a failure, when it cannot be had.
fonts:
	@bash scripts/ensure-fonts.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-dev translations browser fonts lint
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== The same suite on $$TEST_DATABASE_URL =="; \
		VM_TEST_DATABASE=postgresql $(BIN)/python -m pytest; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
