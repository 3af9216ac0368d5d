# Village Market: `make run` serves the site, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
THREADS ?= 8
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations browser fonts lint bench-deps clean mutate coverage

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

# ruff, and the import graph: no circles, no import against the layers (docs/architecture.md).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_layers.py

# Test processes side by side: one per core by default (TEST_WORKERS=0 runs in one process).
TEST_WORKERS ?= auto

test: install-dev translations browser fonts lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== The same suite on $$TEST_DATABASE_URL =="; \
		VM_TEST_DATABASE=postgresql $(BIN)/python -m pytest -n $(TEST_WORKERS); \
	fi

# Line and branch coverage of the application by the whole suite on SQLite (docs/testing.md).
coverage: install-dev translations browser fonts
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --cov --cov-report=term --cov-report=html:htmlcov

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache htmlcov .coverage

# Mutation testing of the money, stock, payment-state and access-control code (docs/testing.md).
# Not part of `make test` or CI: a fresh run takes tens of minutes. One worker, as the machine's
# cores are shared; MUTATE_WORKERS=2 on a free machine. The files and the fast tests it runs are
# in pyproject.toml [tool.mutmut]; these are the functions whose mutants are run and counted.
MUTATE_WORKERS ?= 1
MUTATE_TARGETS := \
	'shop.money.*' \
	'shop.parsing.x_parse_money__mutmut_*' \
	'shop.orders.services.x_reserve_stock__mutmut_*' \
	'shop.orders.services.x_release_stock__mutmut_*' \
	'shop.orders.services.x_cancel_unpaid__mutmut_*' \
	'shop.sellers.services.x_update_stock_and_prices__mutmut_*' \
	'shop.orders.models.xǁOrderǁcan_move_to__mutmut_*' \
	'shop.orders.models.xǁOrderǁset_status__mutmut_*' \
	'shop.payments.models.xǁPaymentǁcan_move_to__mutmut_*' \
	'shop.payments.models.xǁPaymentǁset_status__mutmut_*' \
	'shop.orders.services.x_mark_paid__mutmut_*' \
	'shop.orders.services.x_cancel_checkout__mutmut_*' \
	'shop.orders.services.x__close_payment_if_all_cancelled__mutmut_*' \
	'shop.checkout.payment_events.*' \
	'shop.orders.access.*' \
	'shop.sellers.order_list.x__owned__mutmut_*' \
	'shop.checkout.payment_views.x__payment_or_404__mutmut_*' \
	'shop.accounts.auth.*' \
	'shop.accounts.models.xǁUserǁhas_role__mutmut_*' \
	'shop.sellers.services.x_own_product__mutmut_*' \
	'shop.sellers.services.x_own_variant__mutmut_*' \
	'shop.sellers.services.x_own_image__mutmut_*' \
	'shop.sellers.views.x_own_product_or_404__mutmut_*' \
	'shop.sellers.views.x__own_or_404__mutmut_*'

mutate: install-dev translations
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATE_WORKERS) $(MUTATE_TARGETS)
	$(BIN)/python scripts/mutation_report.py $(MUTATE_TARGETS)
