# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test lint messages clean bench screenshots

run: $(STAMP) .env  ## install, migrate, load demo data, serve on http://127.0.0.1:8000 with the task worker
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo_data
	@# The task worker sends the emails (to sent-emails/ unless EMAIL_URL says otherwise);
	@# Ctrl-C stops both, and the worker goes too if gunicorn cannot start.
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(VENV)/bin/gunicorn --config joinrun/gunicorn.conf.py

test: $(STAMP) $(NODE_STAMP)  ## the whole test suite (browser tests need Debian's chromium)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(STAMP)  ## serve 1,000 runs with gunicorn as in production; print speed, queries, bytes, email speed, reset timing
	$(PY) tests/benchmarks/site_speed.py
	$(PY) tests/benchmarks/email_speed.py
	$(PY) tests/benchmarks/reset_timing.py

screenshots: $(STAMP)  ## PNGs of the main pages at 390 and 1280 px, light and dark, into docs/screenshots/ (needs Debian's chromium)
	$(PY) tests/e2e/screenshots.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# axe-core and the Nu HTML checker for the tests, from package-lock.json; their files are
# all we need, so no install script runs (vnu-jar's would fetch a Java runtime).
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_STAMP)

.env:
	$(PYTHON) joinrun/dotenv.py .env .env.example

clean:
	rm -rf $(VENV) node_modules staticfiles .django_cache db.sqlite3 db.sqlite3-*

messages: $(STAMP)  ## refresh and compile translations (needs gettext)
	DEBUG=true $(PY) manage.py makemessages -l sl --no-location --ignore=.venv --ignore=tests --ignore=staticfiles
	DEBUG=true $(PY) manage.py compilemessages -l sl --ignore=.venv
