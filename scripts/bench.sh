#!/usr/bin/env bash
# Prints Flowlab's benchmark tables: the scrub, broker, SQL, fork, point-in-time join and streaming
# benchmarks natively (release build of the lab crate) with their native peers, then
# in headless Chromium on the release site, the time to an interactive lesson, the Kafka and
# streaming labs' frame cost, and bundle sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$FLOWLAB_ROOT"
cargo run --quiet --release -p lab --bin lab-bench
# The SQL benchmark's native peer: DuckDB on the same tables, in the oracle environment.
venv="$FLOWLAB_ROOT/target/oracle-venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  echo
  "$venv/bin/python" scripts/bench_duckdb.py 1000000
else
  echo "(DuckDB comparison skipped: run scripts/test.sh once to create target/oracle-venv)"
fi
# The point-in-time join: natively (median of 7; writes its rows and results to target/bench-pit),
# then pandas, Polars and DuckDB on the same rows, each answer checked against ours.
cargo run --quiet --release -p lab --bin lab-bench -- pit target/bench-pit 7
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import duckdb, pandas, polars' 2>/dev/null; then
  "$venv/bin/python" scripts/bench_pit.py target/bench-pit 5
else
  echo "(pandas / Polars / DuckDB comparison skipped: run scripts/test.sh once to create target/oracle-venv)"
fi
# The streaming benchmark: a windowed aggregation over 1M events with 10k keys natively (median of
# 5; writes its events and results to target/bench-stream), then DuckDB, Polars and pandas on the
# same events as one batch GROUP BY, each answer checked against ours.
cargo run --quiet --release -p lab --bin lab-bench -- stream target/bench-stream 5
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import duckdb, pandas, polars' 2>/dev/null; then
  "$venv/bin/python" scripts/bench_stream.py target/bench-stream 5
else
  echo "(DuckDB / Polars / pandas comparison skipped: run scripts/test.sh once to create target/oracle-venv)"
fi
# FLOWLAB_DIST points the browser benchmarks at another build (several people may share dist/).
dist="${FLOWLAB_DIST:-dist}"
[ -f "$dist/index.html" ] || trunk build --release --dist "$dist"
# The SQL benchmark's browser peers (sql.js, DuckDB-WASM): only the benchmark needs them.
[ -d tools/bench/node_modules/esbuild ] || (cd tools/bench && npm ci --no-audit --no-fund)
# DuckDB-WASM's browser module imports apache-arrow (and its dependencies) by bare name: bundle them.
(cd tools/bench && node_modules/.bin/esbuild node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser.mjs \
  --bundle --format=esm --log-level=warning --outfile=duckdb-bundle.mjs)
node scripts/bench-browser.mjs
