#!/usr/bin/env bash
# Installs what building Flowlab needs, each only when missing, from the package registries only:
#   - the wasm32-unknown-unknown target (rustup)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (crates.io)
#   - trunk 0.21.14 (crates.io; 0.22 needs a newer rustc)
#   - binaryen's wasm-opt and playwright-core (npm, pinned in tools/package-lock.json)
# Source it: it also puts the tools on PATH for the caller.
set -euo pipefail

FLOWLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
export PATH="$FLOWLAB_ROOT/tools/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# cargo install, first with the published lockfile, then without it: the registry mirror can lack
# the newest patch of a crate that a published lockfile names. Tools are built without fat LTO and
# with parallel codegen: they run for seconds, and this halves their build time on 2 cores.
cargo_install() {
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  cargo install --locked "$@" || cargo install "$@"
}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$FLOWLAB_ROOT/Cargo.lock")"
if [ -z "$WASM_BINDGEN_VERSION" ]; then
  log "could not read the wasm-bindgen version from Cargo.lock"; exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes on 2 cores)"
  cargo_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
  log "installing trunk $TRUNK_VERSION (about 4 minutes on 2 cores)"
  cargo_install trunk --version "$TRUNK_VERSION"
fi

if [ ! -x "$FLOWLAB_ROOT/tools/node_modules/.bin/wasm-opt" ] || [ ! -d "$FLOWLAB_ROOT/tools/node_modules/playwright-core" ]; then
  log "installing wasm-opt and playwright-core from npm"
  (cd "$FLOWLAB_ROOT/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
