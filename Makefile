# tongdai: the two commands everyone needs.
#
#   make run    # install into .venv if needed, then run the whole system with demo data
#   make test   # lint, migration check, the test suite on SQLite and on PostgreSQL
#
# Overridable: make run PORT=8001 HOST=0.0.0.0;  make test PG_URL=postgres://...

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
HOST ?= 127.0.0.1
PG_URL ?= postgres://postgres@127.0.0.1:5432/tongdai
TEST_DATA_DIR := $(CURDIR)/data/test
PYTEST_ARGS ?=

.PHONY: run test install lint check-migrations test-sqlite test-postgres system-packages postgres clean

run: install
	$(BIN)/tongdai serve --demo --host $(HOST) --port $(PORT)

test: install system-packages postgres lint check-migrations
	@status=0; \
	echo "== tests on SQLite"; \
	TONGDAI_DATA_DIR=$(TEST_DATA_DIR)/sqlite $(BIN)/pytest $(PYTEST_ARGS) || status=1; \
	echo "== tests on PostgreSQL"; \
	TONGDAI_DATA_DIR=$(TEST_DATA_DIR)/postgres TONGDAI_DATABASE_URL=$(PG_URL) \
		$(BIN)/pytest --create-db $(PYTEST_ARGS) || status=1; \
	if [ $$status -ne 0 ]; then echo "== FAILED: see the runs above"; fi; \
	exit $$status

# The virtualenv is rebuilt only when pyproject.toml changes (the stamp file is newer).
install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

lint: install
	$(BIN)/ruff check src tests

check-migrations: install
	TONGDAI_DATA_DIR=$(TEST_DATA_DIR)/sqlite $(BIN)/tongdai makemigrations --check --dry-run

test-sqlite: install
	TONGDAI_DATA_DIR=$(TEST_DATA_DIR)/sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install postgres
	TONGDAI_DATA_DIR=$(TEST_DATA_DIR)/postgres TONGDAI_DATABASE_URL=$(PG_URL) \
		$(BIN)/pytest --create-db $(PYTEST_ARGS)

# Debian packages the tests drive as real peers: Chromium for browser tests (never a browser
# downloaded by a test tool), Noto fonts (Vietnamese PDF forms) and poppler-utils to read
# the PDFs, kamailio + sip-tester (sipp) for the SIP call test, dovecot for the IMAP test.
SYSTEM_PACKAGES := chromium fonts-noto-core poppler-utils kamailio kamailio-utils-modules \
	sip-tester dovecot-imapd

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing Debian packages: $$missing (apt-get install them as root)."; \
		fi; \
	fi

# Start the local PostgreSQL cluster if it is installed and down.
postgres:
	@if command -v pg_lsclusters >/dev/null 2>&1 && [ -d /etc/postgresql ]; then \
		if pg_lsclusters --no-header 2>/dev/null | grep -q ' down '; then \
			echo "Starting PostgreSQL"; \
			pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start \
				|| echo "Could not start PostgreSQL (not root?): start it yourself."; \
		fi; \
	fi

clean:
	rm -rf $(TEST_DATA_DIR) .pytest_cache .ruff_cache
