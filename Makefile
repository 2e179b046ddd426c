# Mosaic: `make dev` runs everything on embedded defaults; `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: dev test lint typecheck pytest deps peers redis postgres compose-tool chromium nginx playground lock bench clean

$(VENV_STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(VENV_STAMP)

deps: $(VENV_STAMP)

# Regenerate both locks after changing dependencies in pyproject.toml: requirements.lock
# (runtime + dev, for .venv) and requirements.runtime.lock (runtime only, for the Docker
# image), constrained by the first so that both pin the same versions.
lock:
	uv pip compile pyproject.toml --group dev -o requirements.lock -q --no-header
	uv pip compile pyproject.toml -c requirements.lock -o requirements.runtime.lock -q --no-header

# redis-server for the test fixtures (Debian's package).
redis:
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# PostgreSQL server binaries (initdb, pg_ctl) for the test fixtures (Debian's package). Found
# where tests/utils/servers.py looks: on PATH, else /usr/lib/postgresql/<version>/bin.
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Debian's docker-compose (1.29) validates docker-compose.yml without a Docker engine.
compose-tool:
	@command -v docker-compose >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }; }

# Debian's chromium: the headless browser of the playground test (tests/router/subscriptions).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

# Debian's nginx: two routers behind one port in the subscription tests (started by the test
# with its own config; the package's service is not used).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }

# The router's GraphiQL playground assets, from npm at build time into
# router/server/playground/assets/ (served by the router itself: no CDN). The Dockerfile's
# `playground` stage runs the same script, so an image has them without this target.
PLAYGROUND := router/server/playground
$(PLAYGROUND)/assets/.built: $(PLAYGROUND)/package.json $(PLAYGROUND)/package-lock.json $(PLAYGROUND)/build.sh
	@if ! command -v npm >/dev/null; then \
		echo "npm not found: no playground assets (the router's page says how to build them)"; \
	else \
		rm -rf .build/playground && sh $(PLAYGROUND)/build.sh .build/playground $(PLAYGROUND)/assets && \
		touch $@; \
	fi

playground: $(PLAYGROUND)/assets/.built

# npm reference peers (dev-only oracles) used by tests.
peers:
	@if [ -f tests/peers/package.json ]; then \
		if [ ! -d tests/peers/node_modules ] || [ tests/peers/package-lock.json -nt tests/peers/node_modules/.package-lock.json ]; then \
			npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error; fi; fi

dev: deps playground
	.venv/bin/mosaic dev

lint: deps
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: deps
	.venv/bin/mypy

pytest: deps redis postgres peers compose-tool playground chromium nginx
	.venv/bin/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Debian's postgresql package puts initdb/pg_ctl off the PATH: the harness finds them on it.
bench: deps redis postgres
	PATH="$$PATH:$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)" bash bench/run.sh

clean:
	rm -rf .venv .data .mypy_cache .pytest_cache .ruff_cache
