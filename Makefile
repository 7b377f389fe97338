# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
FLASK  := $(BIN)/flask --app wsgi
PYTEST := $(BIN)/python -m pytest

.PHONY: run test test-sqlite test-pg venv system-deps migration bench clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

## make run: install, migrate, seed the demo on first start, serve on http://127.0.0.1:5000
run: venv system-deps
	$(FLASK) db upgrade
	$(FLASK) contest demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: the whole suite on SQLite, then again on a throw-away PostgreSQL
test: venv system-deps test-sqlite test-pg

test-sqlite: venv
	$(PYTEST)

test-pg: venv
	@bash scripts/with-postgres.sh $(PYTEST) -m "not sqlite_only" tests/integration; rc=$$?; \
	  if [ $$rc -eq 77 ]; then echo "PostgreSQL run skipped: server not installed"; else exit $$rc; fi

## make migration: regenerate the initial migration from the models (before the first release only)
migration: venv
	rm -f migrations/versions/*.py
	tmp=$$(mktemp -d) && DATABASE_URL=sqlite:///$$tmp/regen.db $(FLASK) db migrate --rev-id 0001 -m "initial schema"; rc=$$?; rm -rf $$tmp; exit $$rc

bench: venv
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
