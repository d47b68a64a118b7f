# Tanzhong — the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations extract-messages lint bench bench-scale serve-prod lint-bpmn load

## Create the virtualenv and install the app with its test tools.
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## Compile the UI translations (Chinese is the default language).
translations: install
	$(VENV)/bin/pybabel compile --use-fuzzy -d webapp/translations -D messages -f 2>&1 | grep -v '^compiling' || true

## Re-extract the messages from the code and templates into the catalogs.
extract-messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o webapp/translations/messages.pot .
	$(VENV)/bin/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching

## Quick start 1: install, create the SQLite database with demo data, serve on http://127.0.0.1:5000
## and fire the deadline timers every minute beside it (Procfile.dev, honcho; Ctrl-C stops both).
run: install translations
	$(FLASK) init-db
	$(FLASK) demo-data
	PATH="$(abspath $(VENV))/bin:$$PATH" HOST=$(HOST) $(VENV)/bin/honcho start --procfile Procfile.dev --port $(PORT)

## Quick start 2: install and run the whole test suite (DATABASE_URL selects PostgreSQL).
test: install translations
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install translations
	$(PY) -m bench

## Provincial scale (issue #19): 100,000 events (SCALE_EVENTS) seeded into a private PostgreSQL on
## 127.0.0.1 (or SCALE_DATABASE_URL); every page and job timed at 10,000 and at 100,000 events.
bench-scale: install translations
	VENV=$(VENV) bash bench/scale.sh

## Load test: 50 simulated people for 60 s against gunicorn (4 workers) on PostgreSQL, loopback only
## (a private PostgreSQL is started unless LOAD_DATABASE_URL names an empty database on 127.0.0.1).
load: install translations
	VENV=$(VENV) bash loadtest/run.sh 60

## Production-style server: gunicorn with several workers (set SECRET_KEY and DATABASE_URL).
serve-prod: install translations
	TANZHONG_ENV=production $(FLASK) init-db
	TANZHONG_ENV=production $(VENV)/bin/gunicorn --config gunicorn.conf.py --workers 4 --bind $(HOST):$(PORT) 'webapp:create_app()'
