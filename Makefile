# Two commands for a newcomer: `make run` and `make test`. See README.md.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ROWS ?= 1000000
CLOSURES ?= 10000
RESPONSES ?= 1000000
PORT ?= 8000
# Survey links and printed addresses follow the port unless SITE_URL is set.
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test lint install migrate demo bench-import bench-page bench-send bench-dashboards bench-publication lock clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

demo: migrate
	$(BIN)/python manage.py setup_demo

run: demo
	@PORT=$(PORT) bash scripts/run-site.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/pytest

bench-import: install
	$(BIN)/python bench/import_bench.py --rows $(ROWS)

bench-page: install
	$(BIN)/python bench/survey_page_bench.py

# Needs PostgreSQL and Redis (CELERY_BROKER_URL, default redis://127.0.0.1:6379/3).
bench-send: install
	$(BIN)/python bench/send_bench.py --closures $(CLOSURES)

# Needs PostgreSQL; makes RESPONSES answered invitations in a scratch database.
RESPONSES ?= 1000000
bench-dashboards: install
	$(BIN)/python bench/dashboard_bench.py --responses $(RESPONSES)

# Needs PostgreSQL (DATABASE_URL's server, or postgres@127.0.0.1) and psql.
bench-publication: install
	$(BIN)/python bench/publication_bench.py --responses $(RESPONSES)

lock: install
	$(BIN)/pip install --quiet -r requirements.in
	@echo '# Pinned from requirements.in by `make lock`; install with `pip install -r requirements.txt`.' > requirements.txt
	$(BIN)/pip freeze --exclude-editable | sort -f >> requirements.txt

clean:
	rm -rf $(VENV) db.sqlite3 var .pytest_cache .ruff_cache
