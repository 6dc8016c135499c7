#!/usr/bin/env bash
# Runs every Flowlab test, installing what they need when it is missing:
#   1. rustfmt and clippy (-D warnings, native and wasm32)
#   2. native tests: unit, property, determinism, lesson lint, doc tests, differential tests
#      against kafka-python and aiokafka, the SQL engine's differential tests against DuckDB and
#      SQLite and its sqllogictest files (cargo test)
#   3. browser tests: wasm-bindgen-test in headless Chromium
#   4. the release build with the benchmark page (trunk build --release --features bench-page ->
#      dist/; the bundle learners download leaves the page out, scripts/bench.sh measures it)
#   5. end to end: dist/ served on localhost, every route and lesson clicked through in headless
#      Chromium (playwright-core), no console error, screenshots in target/e2e-screenshots/
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$FLOWLAB_ROOT"
started=$(date +%s)
step() { printf '\n\033[1m== %s (%ss)\033[0m\n' "$*" "$(( $(date +%s) - started ))"; }

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  step "installing chromium and chromedriver (Debian packages)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The Python oracles live in their own virtual environment (system Pythons may refuse pip installs).
ORACLE_VENV="$FLOWLAB_ROOT/target/oracle-venv"
export FLOWLAB_PYTHON="$ORACLE_VENV/bin/python"
if ! "$FLOWLAB_PYTHON" -c "import importlib.metadata as m; assert (m.version('kafka-python'), m.version('aiokafka'), m.version('duckdb'), m.version('avro'), m.version('fastavro'), m.version('pandas'), m.version('numpy'), m.version('polars')) == ('3.0.12', '0.14.0', '2.0.0', '1.12.1', '1.13.1', '3.1.1', '2.4.6', '2.1.0')" 2>/dev/null; then
  step "installing the Python oracles (kafka-python, aiokafka, duckdb, avro, fastavro, pandas, numpy, polars from PyPI) in target/oracle-venv"
  if ! python3 -m venv "$ORACLE_VENV" 2>/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$ORACLE_VENV"
    python3 -m venv "$ORACLE_VENV"
  fi
  "$FLOWLAB_PYTHON" -m pip install -q --disable-pip-version-check -r tests/oracles/requirements.txt
fi

GBSTATS_VENV="$FLOWLAB_ROOT/target/gbstats-venv"
export FLOWLAB_GBSTATS_PYTHON="$GBSTATS_VENV/bin/python"
if ! "$FLOWLAB_GBSTATS_PYTHON" -c "import importlib.metadata as m; assert (m.version('gbstats'), m.version('growthbook')) == ('0.8.0', '4.0.0')" 2>/dev/null; then
  step "installing gbstats 0.8.0 and the growthbook SDK (old numpy/pandas pins) in target/gbstats-venv"
  python3 -m venv "$GBSTATS_VENV"
  "$FLOWLAB_GBSTATS_PYTHON" -m pip install -q --disable-pip-version-check -r tests/oracles/gbstats-requirements.txt
fi

step "the crate layers hold (ARCHITECTURE.md)"
./scripts/check-layers.sh

step "rustfmt"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (wasm32, the release bundle and the build with the benchmark page)"
cargo clippy --target wasm32-unknown-unknown -p flowlab --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p flowlab --all-targets --features bench-page -- -D warnings

step "native tests"
cargo test --workspace

step "browser tests (wasm-bindgen-test, headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=180 \
  cargo test --target wasm32-unknown-unknown -p flowlab --test browser

step "release build with the benchmark page (trunk build --release --features bench-page)"
trunk build --release --features bench-page

step "end to end (headless Chromium)"
node --test tests/e2e/

step "all tests passed"
