#!/usr/bin/env bash
# Builds Flowlab and serves it on http://127.0.0.1:8080, rebuilding on change.
# Installs the wasm32 target, trunk and the matching wasm-bindgen CLI first when they are missing.
# Serves the optimized build that static hosting gets (about 1 MiB brotli); `--dev` serves the
# debug build instead, which rebuilds faster for contributors (about 20 MB, with debug-only checks
# such as the replication invariants after every tick). Other arguments go to `trunk serve`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$FLOWLAB_ROOT"
profile=(--release)
args=()
for arg in "$@"; do
  case "$arg" in
    --dev) profile=() ;;
    --release) ;;
    *) args+=("$arg") ;;
  esac
done
echo "Flowlab will be served at http://127.0.0.1:8080 (Ctrl+C to stop)"
exec trunk serve --address 127.0.0.1 --port 8080 "${profile[@]}" "${args[@]}"
