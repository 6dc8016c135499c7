#!/usr/bin/env bash
# Prints Flowlab's benchmark tables: the scrub, broker, SQL, fork, point-in-time join and streaming
# benchmarks natively (release build of the lab crate) with their native peers, then
# in headless Chromium on the release site, the time to an interactive lesson, the Kafka and
# streaming labs' frame cost, and bundle sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$FLOWLAB_ROOT"
cargo build --quiet --release -p lab --bin lab-bench
bench_bin="${CARGO_TARGET_DIR:-target}/release/lab-bench"
# glibc gives every freed block of 128 KiB or more back to the OS, so each benchmark run would
# fault in fresh pages that neither our WebAssembly build (its linear memory only grows) nor
# DuckDB (it links jemalloc, which keeps freed memory) pays. The native runs keep freed memory in
# the process as both of them do; the SQL table is printed again with glibc's defaults below.
keep_freed_memory=(env MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296)
"${keep_freed_memory[@]}" "$bench_bin"
echo
echo "(The SQL table again with glibc's default allocator settings:)"
"$bench_bin" sql
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
"${keep_freed_memory[@]}" "$bench_bin" pit target/bench-pit 7
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import duckdb, pandas, polars' 2>/dev/null; then
  "$venv/bin/python" scripts/bench_pit.py target/bench-pit 5
else
  echo "(pandas / Polars / DuckDB comparison skipped: run scripts/test.sh once to create target/oracle-venv)"
fi
# The streaming benchmark: a windowed aggregation over 1M events with 10k keys natively (median of
# 5; writes its events and results to target/bench-stream), then DuckDB, Polars and pandas on the
# same events as one batch GROUP BY, each answer checked against ours.
"${keep_freed_memory[@]}" "$bench_bin" stream target/bench-stream 5
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import duckdb, pandas, polars' 2>/dev/null; then
  "$venv/bin/python" scripts/bench_stream.py target/bench-stream 5
else
  echo "(DuckDB / Polars / pandas comparison skipped: run scripts/test.sh once to create target/oracle-venv)"
fi
# FLOWLAB_DIST points the browser benchmarks at another build (several people may share dist/):
# one with the benchmark page (the `bench-page` feature). The bundle size is measured on the
# release bundle learners download, built without it (FLOWLAB_RELEASE_DIST).
dist="${FLOWLAB_DIST:-dist}"
[ -f "$dist/index.html" ] || trunk build --release --features bench-page --dist "$dist"
export FLOWLAB_RELEASE_DIST="${FLOWLAB_RELEASE_DIST:-target/dist-release}"
[ -f "$FLOWLAB_RELEASE_DIST/index.html" ] || trunk build --release --dist "$FLOWLAB_RELEASE_DIST"
# The SQL benchmark's browser peers (sql.js, DuckDB-WASM): only the benchmark needs them.
[ -d tools/bench/node_modules/esbuild ] || (cd tools/bench && npm ci --no-audit --no-fund)
# DuckDB-WASM's browser module imports apache-arrow (and its dependencies) by bare name: bundle them.
(cd tools/bench && node_modules/.bin/esbuild node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser.mjs \
  --bundle --format=esm --log-level=warning --outfile=duckdb-bundle.mjs)
node scripts/bench-browser.mjs
