# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest

.PHONY: run test test-sqlite test-postgres test-e2e test-cluster sysdeps-cluster lint audit format install sysdeps-run sysdeps-test demo demo-month bench bench-sqlite bench-postgres bench-floor bench-city sysdeps-bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

sysdeps-run:
	@scripts/sysdeps.sh run

sysdeps-test:
	@scripts/sysdeps.sh test

# Install, migrate, load the demo kelurahan if the database is empty, then serve the portal
# and the job cluster together.
run: install sysdeps-run
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	scripts/run.sh

demo: install
	$(PY) manage.py seed_demo

# A lived-in office: a database of its own (demo-month/db.sqlite3, files in demo-month/media),
# made anew, with the demo kelurahan and a simulated month of its work (manage.py simulate,
# the 22 working days before today). Serve it with
# `DATABASE_URL=sqlite:///$(CURDIR)/demo-month/db.sqlite3 MEDIA_ROOT=$(CURDIR)/demo-month/media make run`.
DEMO_MONTH := $(CURDIR)/demo-month
DEMO_MONTH_ENV := DATABASE_URL=sqlite:///$(DEMO_MONTH)/db.sqlite3 MEDIA_ROOT=$(DEMO_MONTH)/media DJANGO_LOG_LEVEL=WARNING
SIMULATE_ARGS ?=

demo-month: install sysdeps-run
	rm -rf $(DEMO_MONTH) && mkdir -p $(DEMO_MONTH)
	$(DEMO_MONTH_ENV) $(PY) manage.py migrate --no-input -v0
	$(DEMO_MONTH_ENV) $(PY) manage.py seed_demo
	$(DEMO_MONTH_ENV) $(PY) manage.py simulate --json $(DEMO_MONTH)/report.json $(SIMULATE_ARGS)

# The whole suite on SQLite (with the browser tests in Chromium), then on PostgreSQL.
test: install sysdeps-test test-sqlite test-postgres

test-sqlite: install
	$(PYTEST)

test-postgres: install
	scripts/with-postgres.sh $(PYTEST) -m "not e2e"

test-e2e: install
	$(PYTEST) -m e2e

# Scale-out (issue 17): Debian's redis-server and a throwaway PostgreSQL on loopback ports, two
# gunicorn nodes and two job clusters, one case driven across them over HTTP, then all stopped
# (tests/test_cluster.py; the nginx site of docs/deploy.md is checked in front of node 2).
sysdeps-cluster:
	@scripts/sysdeps.sh cluster

test-cluster: install sysdeps-cluster
	CLUSTER_TEST=1 scripts/with-postgres.sh $(PYTEST) -m cluster -s -v tests/test_cluster.py

# City-scale benchmark: the issue's sizes (100k and 1M cases; add 10000 for a small column),
# measured in turn on one SQLite file, then on a throwaway PostgreSQL cluster. The command
# runs itself under the gunicorn's production settings (DEBUG off, cached template loader).
#   make bench                                  # 100k and 1M, SQLite then PostgreSQL
#   make bench-sqlite BENCH_SIZES=10000,100000  # one database, other sizes
#   make bench BENCH_LOCK=/work/notes/bench.lock # on a shared machine
BENCH_SIZES ?= 100000,1000000
BENCH_DB := bench/bench.sqlite3
# BENCH_LOCK=/path: a file the bench holds (flock) only while it times, not while it seeds.
BENCH_LOCK ?=
BENCH_ENV := BENCH_ENDPOINTS=1 BENCH_SIZES=$(BENCH_SIZES) BENCH_LOCK=$(BENCH_LOCK) DJANGO_LOG_LEVEL=WARNING

sysdeps-bench:
	@scripts/sysdeps.sh bench

bench: install sysdeps-bench bench-sqlite bench-postgres

bench-sqlite: install
	rm -f $(BENCH_DB) $(BENCH_DB)-wal $(BENCH_DB)-shm
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) BENCH_ENDPOINTS=1 $(PY) manage.py migrate --no-input -v0
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(BENCH_ENV) $(PY) manage.py bench

bench-postgres: install
	$(BENCH_ENV) scripts/with-postgres.sh sh -c '$(PY) manage.py migrate --no-input -v0 && $(PY) manage.py bench'

# The shared floor (README "Performance"): the logged-in "ok" view and the queue template
# with each setting and middleware varied, in-process and under wrk.
bench-floor: install
	rm -f $(BENCH_DB) $(BENCH_DB)-wal $(BENCH_DB)-shm
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) BENCH_ENDPOINTS=1 $(PY) manage.py migrate --no-input -v0
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(BENCH_ENV) $(PY) manage.py bench_floor

# A whole city (issue 17): 100 offices / 5,000,000 cases seeded on a throwaway PostgreSQL
# (bench.city), the single-office pages timed at 100k then at 5M, then Locust (500 staff and
# residents at human pace, bench/locustfile.py) against gunicorn, on PostgreSQL alone and with
# Redis. About an hour and ~25 GB of disk; results in bench/results/city-*.json.
CITY_OFFICES ?= 100
CITY_CASES ?= 5000000
CITY_USERS ?= 500
CITY_SECONDS ?= 240
# Fewer users, one more run each on PostgreSQL: what the machine carries at p99 < 300 ms.
CITY_CAPACITY ?= 100,200
CITY_BASELINE := bench/results/city-baseline.json
CITY_ENV := BENCH_ENDPOINTS=1 DJANGO_LOG_LEVEL=WARNING PUBLIC_RATE_PER_MINUTE=100000000

bench-city: install sysdeps-bench
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(CITY_ENV) PG_SERVER_OPTIONS='-c shared_preload_libraries=pg_stat_statements' \
	  scripts/with-postgres.sh sh -c '$(PY) manage.py migrate --no-input -v0 \
	  && $(PY) manage.py bench_city --offices 10 --cases 100000 --no-locust --json $(CITY_BASELINE) \
	  && $(PY) manage.py bench_city --offices $(CITY_OFFICES) --cases $(CITY_CASES) \
	     --users $(CITY_USERS) --duration $(CITY_SECONDS) --baseline-json $(CITY_BASELINE) \
	     --capacity-users $(CITY_CAPACITY)'

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# pip-audit on the installed pins; a new vulnerability fails unless pip-audit-ignore.toml records
# it with a reason (scripts/audit.py says what it decides and why).
audit: install
	$(PY) scripts/audit.py

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache bench/.static $(BENCH_DB)* $(DEMO_MONTH)
